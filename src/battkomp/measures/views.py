"""Measures (the ten commandments, tracked), committed study places and the research and test
infrastructure register (commandment 8)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from battkomp.core.codes import label
from battkomp.core.published import latest_publication
from battkomp.core.users import UserLike, is_analyst
from battkomp.engine.schema import COUNTED_MEASURE_STATUSES
from battkomp.measures.access import (
    access_measure_for_status_change,
    access_measure_for_user,
    can_edit_measure,
    can_propose_measures,
    committing_institution,
    measures_for_user,
)
from battkomp.measures.actions import (
    do_change_measure_status,
    do_commit_places,
    do_save_measure,
    partner_organisation,
)
from battkomp.measures.catalogue import PHASE3_MEASURES, PHASE3_SOURCE, commandment, commandments
from battkomp.measures.catalogue import lever as lever_of
from battkomp.measures.forms import (
    CommitPlacesForm,
    MeasureForm,
    StatusForm,
    target_formset,
)
from battkomp.measures.models import Measure, MeasureStatus
from battkomp.organisations.models import Organisation

# --------------------------------------------------------------------------- helpers


def errors_onto(exc: ValidationError, form: Any, list_field: str) -> list[str]:
    """Put an action's errors on the form's fields; return those about ``list_field``."""
    listed: list[str] = []
    error_dict = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, msgs in error_dict.items():
        if field == list_field:
            listed.extend(msgs)
        elif field in form.fields:
            for message in msgs:
                form.add_error(field, message)
        else:
            for message in msgs:
                form.add_error(None, message)
    return listed


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def measure_row(measure: Measure) -> dict[str, Any]:
    lv = lever_of(measure.lever)
    return {
        "measure": measure,
        "lever_label": lv.name if lv else measure.lever,
        "targets": [
            {
                "level": label("level", t.level),
                "area": label("area", t.area),
                "percent": t.weight * 100,
            }
            for t in measure.targets.all()
        ],
    }


# --------------------------------------------------------------------------- measures


def catalogue(request: HttpRequest) -> HttpResponse:
    """The ten commandments, each with the measures registered under it, and phase 3."""
    visible = list(
        measures_for_user(request.user)
        .prefetch_related("targets")
        .order_by("commandment", "title_nb", "title_en", "pk")
    )
    by_number: dict[int, list[dict[str, Any]]] = {}
    for m in visible:
        by_number.setdefault(m.commandment, []).append(measure_row(m))
    sections = [
        {
            "commandment": c,
            "levers": [lever_of(code).name for code in c.levers if lever_of(code)],  # type: ignore[union-attr]
            "rows": by_number.get(c.number, []),
        }
        for c in commandments()
    ]
    phase3 = [
        {"label": text, "commandments": [commandment(n) for n in numbers]}
        for _code, text, numbers in PHASE3_MEASURES
    ]
    return render(
        request,
        "measures/catalogue.html",
        {
            "sections": sections,
            "phase3": phase3,
            "phase3_source": PHASE3_SOURCE,
            "can_propose": can_propose_measures(request.user),
            "is_analyst": is_analyst(request.user),
            "count": len(visible),
        },
    )


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The secretariat's list of all measures, proposed first, to agree or drop them."""
    if not is_analyst(request.user):
        raise Http404
    status = request.GET.get("status", "")
    qs = measures_for_user(request.user).prefetch_related("targets")
    if status in MeasureStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    order = {s: i for i, s in enumerate(MeasureStatus.values)}
    measures = sorted(qs, key=lambda m: (order[m.status], m.commandment, m.title, m.pk))
    rows = [
        {**measure_row(m), "status_form": StatusForm(measure=m, prefix=f"m{m.pk}")}
        for m in measures
    ]
    return render(
        request,
        "measures/manage.html",
        {"rows": rows, "status": status, "statuses": MeasureStatus.choices},
    )


def _measure_form_page(request: HttpRequest, measure: Measure | None = None) -> HttpResponse:
    analyst = is_analyst(request.user)
    creating = measure is None
    target_errors: list[str] = []
    if request.method == "POST":
        form = MeasureForm(request.POST, analyst=analyst, creating=creating)
        formset = target_formset(request.POST, lever=request.POST.get("lever", ""))
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            data = form.cleaned_data
            owner = data.get("owner") if analyst else partner_organisation(request.user)
            try:
                saved = do_save_measure(
                    request.user,
                    data,
                    formset.triples(),
                    owner=owner,
                    measure=measure,
                    status=data.get("status"),
                )
            except ValidationError as exc:
                target_errors = errors_onto(exc, form, "targets")
            else:
                if creating:
                    messages.success(
                        request,
                        _("The measure “%(title)s” is registered.") % {"title": saved.title},
                    )
                else:
                    messages.success(
                        request, _("The measure “%(title)s” is saved.") % {"title": saved.title}
                    )
                return redirect("measures:detail", measure_id=saved.pk)
    else:
        initial: dict[str, Any] = (
            MeasureForm.initial_for(measure) if measure else {"status": "proposed"}
        )
        if measure is None and request.GET.get("commandment", "").isdigit():
            initial["commandment"] = int(request.GET["commandment"])
        form = MeasureForm(initial=initial, analyst=analyst, creating=creating)
        formset = target_formset(measure=measure)
    has_errors = bool(form.errors or formset.total_error_count() or target_errors)
    cancel_url = (
        reverse("measures:detail", args=[measure.pk]) if measure else reverse("measures:catalogue")
    )
    return render(
        request,
        "measures/form.html",
        {
            "form": form,
            "formset": formset,
            "measure": measure,
            "target_errors": target_errors,
            "has_errors": has_errors,
            "cancel_url": cancel_url,
            "owner": None if analyst else partner_organisation(request.user),
        },
        status=400 if has_errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    if not can_propose_measures(request.user):
        raise Http404
    return _measure_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = access_measure_for_user(request.user, measure_id, edit=True)
    return _measure_form_page(request, measure)


def modelled_effect(measure: Measure) -> dict[str, Any]:
    """The measure's modelled supply per year in the latest publication (its protected
    ``measure_effects`` table; suppressed cells are left out of the sums and counted), with the
    publication (None if there is none)."""
    import polars as pl

    publication = latest_publication()
    out: dict[str, Any] = {"publication": publication, "rows": []}
    if publication is None or "measure_effects" not in publication.table_names():
        return out
    table = publication.table("measure_effects").filter(pl.col("measure") == measure.bundle_id)
    if not table.height:
        return out
    shown = ~pl.col("suppressed")
    summed = (
        table.group_by("year")
        .agg(
            pl.col("supply").filter(shown).sum().alias("supply"),
            shown.sum().alias("shown"),
            pl.col("suppressed").sum().alias("hidden"),
        )
        .sort("year")
    )
    out["rows"] = [
        {"year": y, "supply": v if n else None, "hidden": h} for y, v, n, h in summed.rows()
    ]
    out["hidden"] = any(r["hidden"] for r in out["rows"])
    return out


def detail(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = access_measure_for_user(request.user, measure_id)
    analyst = is_analyst(request.user)
    own = partner_organisation(request.user)
    insider = analyst or (own is not None and measure.owner_id == own.pk)
    history = list(measure.history.select_related("changed_by").order_by("changed_at", "pk"))
    c = commandment(measure.commandment)
    return render(
        request,
        "measures/detail.html",
        {
            **measure_row(measure),
            "commandment": c,
            "history": history,
            "show_who": insider,
            "can_edit": can_edit_measure(request.user, measure),
            "status_form": StatusForm(measure=measure) if analyst else None,
            "completion_percent": (
                None if measure.completion_rate is None else measure.completion_rate * 100
            ),
            "effect": modelled_effect(measure),
        },
    )


@login_required
@require_POST
def change_status(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = access_measure_for_status_change(request.user, measure_id)
    prefix = request.POST.get("prefix") or None
    form = StatusForm(request.POST, measure=measure, prefix=prefix)
    back = safe_next(request, reverse("measures:detail", args=[measure.pk]))
    if not form.is_valid():
        messages.error(
            request,
            _("The status of “%(title)s” was not changed: choose one of the statuses offered.")
            % {"title": measure.title},
        )
        return redirect(back)
    try:
        change = do_change_measure_status(
            measure, request.user, form.cleaned_data["status"], form.cleaned_data["note"]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request,
        _("“%(title)s” is now %(status)s.")
        % {"title": measure.title, "status": MeasureStatus(change.to_status).label},
    )
    # agreeing a measure does not start a model run: say when the numbers follow
    counted = change.to_status in COUNTED_MEASURE_STATUSES
    if counted != (change.from_status in COUNTED_MEASURE_STATUSES):
        text = (
            _(
                "The model counts “%(title)s” from the next model run; the published figures "
                "change when that run is published."
            )
            if counted
            else _(
                "The model stops counting “%(title)s” from the next model run; the published "
                "figures change when that run is published."
            )
        )
        messages.info(request, text % {"title": measure.title})
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def commit(request: HttpRequest) -> HttpResponse:
    """An institution commits new study places: a proposed measure an analyst confirms."""
    wanted = request.POST.get("institution") or request.GET.get("institution")
    institution = committing_institution(request.user, wanted)
    view_url = reverse("analysis:institution_view")
    if is_analyst(request.user):
        view_url += "?" + urlencode({"institution": institution.pk})
    if request.method == "POST":
        form = CommitPlacesForm(request.POST)
        if form.is_valid():
            try:
                measure = do_commit_places(institution, request.user, form.cleaned_data)
            except ValidationError as exc:
                errors_onto(exc, form, "")
            else:
                messages.success(
                    request,
                    _(
                        "Your commitment “%(title)s” is registered as proposed. The model counts "
                        "it once the secretariat has agreed it."
                    )
                    % {"title": measure.title},
                )
                return redirect(view_url + "#commit")
    else:
        form = CommitPlacesForm()
    return render(
        request,
        "measures/commit.html",
        {"form": form, "institution": institution, "view_url": view_url},
        status=400 if form.errors else 200,
    )


def commit_url(user: UserLike, institution: Organisation) -> str:
    """The address of the form on which ``institution`` commits study places."""
    url = reverse("measures:commit")
    if is_analyst(user):
        url += "?" + urlencode({"institution": institution.pk})
    return url


def institution_measures(institution: Organisation) -> list[Measure]:
    """The measures an institution owns, for its own view (newest first)."""
    return list(
        Measure.objects.filter(owner=institution)
        .prefetch_related("targets")
        .order_by("-created_at", "-pk")
    )
