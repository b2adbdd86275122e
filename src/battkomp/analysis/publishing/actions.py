"""State changes of publishing: a finished run published as the next version, an immutable
snapshot of protected tables only (reading the round's answers writes the access log)."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from battkomp.accounts.actions import log_access
from battkomp.analysis.models import ModelRun, Publication, PublicationTable, RunStatus
from battkomp.analysis.publishing.contributions import contributions
from battkomp.analysis.publishing.draws import stored_factors
from battkomp.analysis.publishing.history import check_history, context_of
from battkomp.analysis.publishing.noise import (
    BASIS_FRAME,
    FINGERPRINT_META,
    PUBLIC_PREFIX,
    require_key,
)
from battkomp.analysis.publishing.queries import fixed_measures
from battkomp.analysis.publishing.snapshot import noised_snapshot
from battkomp.analysis.publishing.tables import FRAMES
from battkomp.analysis.runs.queries import load_frames, to_parquet
from battkomp.core.bilingual import legacy_values
from battkomp.core.users import UserLike, account_of, require_analyst
from battkomp.engine.attacks import NOISED
from battkomp.engine.bundle import load_inputs
from battkomp.engine.sdc import key_fingerprint
from battkomp.engine.taxonomy import Taxonomy
from battkomp.survey.models import ParticipantStatus, Round


def survey_contributions(round: Round | None, user: UserLike | None = None) -> Any:
    """The SUBMITTED need lines of a round (each organisation's latest submission), with the
    organisation as contributor; logs the analyst's read of each organisation's answers."""
    if round is None:
        return contributions([])
    pairs: list[tuple[Any, dict[str, Any]]] = []
    participants = (
        round.participants.filter(status=ParticipantStatus.SUBMITTED, response__isnull=False)
        .select_related("organisation", "response")
        .order_by("pk")
    )
    for participant in participants:
        revision = participant.response.submitted_revision()
        if revision is None:
            continue
        pairs.extend((participant.organisation_id, line) for line in revision.snapshot["lines"])
        if user is not None:
            log_access(
                user,
                "publish_run",
                revision,
                participant.organisation,
                f"protected tables of round {round.name}",
            )
    return contributions(pairs)


@transaction.atomic
def do_publish_run(
    run: ModelRun,
    user: UserLike,
    *,
    title: str = "",
    note: str = "",
    title_nb: str = "",
    title_en: str = "",
    note_nb: str = "",
    note_en: str = "",
) -> Publication:
    """Publish a finished run as the next version: an immutable snapshot of protected tables
    only (see :mod:`battkomp.analysis.publishing.tables`).

    The title and note are given in bokmål and English (``title_nb``, ``title_en``, ...); a
    single ``title`` or ``note`` is taken to be in the active language.

    Http404 for anyone but analysts and administrators; ValidationError if the run is not done
    or there is no title in either language.
    """
    require_analyst(user)
    texts = legacy_values(
        {"title_nb": title_nb, "title_en": title_en, "title": title}, "title"
    ) | legacy_values({"note_nb": note_nb, "note_en": note_en, "note": note}, "note")
    texts = {k: (v or "").strip() for k, v in texts.items()}
    if not (texts["title_nb"] or texts["title_en"]):
        raise ValidationError({"title_nb": _("Give the publication a title.")})
    run = ModelRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.DONE:
        raise ValidationError(_("Only a finished model run can be published."), code="status")
    key = require_key()
    made_with = run.meta.get(FINGERPRINT_META) if isinstance(run.meta, dict) else None
    if made_with is None:
        raise ValidationError(
            _(
                "This run has no noised public run (it was made before noise infusion or "
                "without a noise key): run the model again to publish it."
            ),
            code="public_run",
        )
    if made_with != key_fingerprint(key):
        raise ValidationError(
            _(
                "This run was noised with another key than the one configured now: run the "
                "model again to publish it."
            ),
            code="public_run",
        )
    frames = load_frames(run, list(FRAMES))
    public = {
        name[len(PUBLIC_PREFIX) :]: frame
        for name, frame in load_frames(run, [PUBLIC_PREFIX + n for n in FRAMES]).items()
    }
    if "totals" not in public or "detail" not in public:
        raise ValidationError(_("The run has no national totals to publish."), code="frames")
    parents = dict(Taxonomy.from_inputs(load_inputs(None)).area_parent)
    survey_contributions(run.round, user)  # the analyst's read of the answers is logged
    basis = run.frame(BASIS_FRAME)
    contrib = basis.select("contributor", "area", "level", "year", "value", "staff")
    places = {
        str(c): (str(s or ""), str(r or ""))
        for c, s, r in basis.select("contributor", "segment", "region").unique().rows()
    }
    noise = noise_of(key, basis)
    tables = noised_snapshot(
        public,
        frames,
        contrib,
        parents,
        noise,
        places=places,
        fixed=fixed_measures(run.started_at or run.created_at),
    )
    check_history(tables, basis, parents, context=context_of(run.scenario_name, run.weighted))
    last = Publication.objects.select_for_update().order_by("-version").first()
    publication = Publication.objects.create(
        run=run,
        version=(last.version if last else 0) + 1,
        **texts,
        published_at=timezone.now(),
        published_by=account_of(user),
        meta={
            "input_hash": run.input_hash,
            "round": run.round.name if run.round else "",
            "scenario": run.scenario_name,
            # the scenario's title as it is now (a snapshot never changes)
            "scenario_title": run.scenario.titles() if run.scenario else {},
            "weighted": run.weighted,
            "draws": run.draws,
            "seed": run.seed,
            "battkomp_version": run.battkomp_version,
        },
    )
    PublicationTable.objects.bulk_create(
        [
            PublicationTable(publication=publication, name=name, data=to_parquet(df))
            for name, df in tables.items()
        ]
    )
    return publication


def noise_of(key: bytes, basis: pl.DataFrame) -> dict[str, float]:
    """Each organisation's factor under ``key`` with its stored draw
    (:func:`~battkomp.analysis.publishing.draws.stored_factors`), checked against the answers the
    run's public run read (the basis's noised columns): a run noised with other factors (an
    organisation's draw changed since, which must never happen) is refused, as its tables would
    not be what the protection judges."""
    noise = stored_factors(key, basis["contributor"].cast(pl.Utf8).to_list())
    if NOISED["value"] not in basis.columns or not basis.height:
        return noise
    for column, true in ((NOISED["value"], "value"), (NOISED["staff"], "staff")):
        rows = basis.filter(pl.col(true).fill_null(0.0) > 0).select(
            pl.col("contributor").cast(pl.Utf8), true, column
        )
        for contributor, value, noised in rows.iter_rows():
            if noised is None or abs(noised - value * noise[contributor]) > 1e-6 * value:
                raise ValidationError(
                    _(
                        "This run was noised with other noise factors than the ones stored for "
                        "its organisations: run the model again to publish it."
                    ),
                    code="public_run",
                )
    return noise
