"""Who may see scenarios and model runs: analysts and administrators only.

Runs are built from companies' unprotected answers (no disclosure control yet), so everyone else
gets 404, as if they did not exist. Public results come later, from protected tables only.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from battkomp.analysis.models import ModelRun, ModelRunInputs, Publication, Scenario
from battkomp.core import snapshot_cache
from battkomp.core.users import UserLike, require_analyst


def _pk(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


def scenarios_for_user(user: UserLike) -> QuerySet[Scenario]:
    require_analyst(user)
    return Scenario.objects.order_by("name")


def access_scenario_for_user(user: UserLike, scenario_id: object) -> Scenario:
    require_analyst(user)
    try:
        return Scenario.objects.get(pk=_pk(scenario_id))
    except Scenario.DoesNotExist:
        raise Http404 from None


def runs_for_user(user: UserLike) -> QuerySet[ModelRun]:
    require_analyst(user)
    return ModelRun.objects.select_related("round", "scenario", "created_by").order_by(
        "-created_at", "-id"
    )


def access_run_for_user(user: UserLike, run_id: object) -> ModelRun:
    require_analyst(user)
    try:
        return ModelRun.objects.select_related("round", "scenario", "created_by").get(
            pk=_pk(run_id)
        )
    except ModelRun.DoesNotExist:
        raise Http404 from None


def access_run_inputs(user: UserLike, run_id: object) -> ModelRunInputs:
    """The stored input bundle of a run: it holds companies' answers, so analysts and
    administrators only (404 for everyone else, and for a run without stored inputs). The read
    is logged, one entry per organisation whose answers the bundle holds."""
    import csv
    import io
    import zipfile

    from battkomp.accounts.actions import log_access
    from battkomp.organisations.models import Organisation

    run = access_run_for_user(user, run_id)
    try:
        inputs = ModelRunInputs.objects.get(run=run)
    except ModelRunInputs.DoesNotExist:
        raise Http404 from None
    ids: set[int] = set()
    with zipfile.ZipFile(io.BytesIO(bytes(inputs.data))) as zf:
        if "survey_needs.csv" in zf.namelist():
            text = zf.read("survey_needs.csv").decode("utf-8-sig")
            for row in csv.DictReader(io.StringIO(text)):
                code = row.get("organisation") or ""
                if code.startswith("org-") and code[4:].isdigit():
                    ids.add(int(code[4:]))
    detail = f"inputs of model run #{run.pk}"
    organisations = Organisation.objects.filter(pk__in=ids).order_by("pk")
    for organisation in organisations:
        log_access(user, "download_run_inputs", run, organisation, detail)
    if not ids:
        log_access(user, "download_run_inputs", run, None, detail)
    return inputs


def publications_for_anyone() -> QuerySet[Publication]:
    """Published snapshots are public: protected tables only, for everyone, logged in or not."""
    return Publication.objects.order_by("-version")


def access_publication(version: object) -> Publication:
    """A published snapshot by its version (public; 404 if there is none).

    A publication never changes, so it is kept in the shared cache for a minute
    (:func:`battkomp.core.snapshot_cache.publication`): a cached public page costs no database
    query. A version that does not exist is looked up every time."""
    number = _pk(version)

    def load() -> Publication:
        try:
            return Publication.objects.get(version=number)
        except (Publication.DoesNotExist, OverflowError):
            raise Http404 from None

    found: Publication = snapshot_cache.publication(number, load)
    return found
