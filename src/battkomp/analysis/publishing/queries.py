"""Reads a publication is built from, besides the run's frames: which measures carry no answer,
the shipped recommendation rules, and where each contributing organisation counts."""

from __future__ import annotations

from typing import Any

import polars as pl

from battkomp.analysis.publishing.advice import FIXED_LEVERS


def fixed_measures(since: Any = None) -> set[str]:
    """The ids (``m<pk>``) of the registered measures of a kind in :data:`~.advice.FIXED_LEVERS`
    that have not changed since ``since`` (the start of the run: a measure changed later may have
    been of another kind when the run read it)."""
    from battkomp.measures.models import Measure

    query = Measure.objects.filter(lever__in=FIXED_LEVERS)
    if since is not None:
        query = query.filter(updated_at__lte=since)
    return {m.bundle_id for m in query.order_by("pk")}


def default_recommendation_rules() -> pl.DataFrame:
    """The shipped ``recommendation_rules`` (the model's input bundles take them from there)."""
    from battkomp.engine.bundle import load_inputs

    return load_inputs(None)["recommendation_rules"]


def survey_places(contrib: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Where each contributing organisation's needs count (its segment and county, as the
    engine's input bundle places them): contributor → (segment, region)."""
    from battkomp.analysis.runs.bundle_export import segment_and_region
    from battkomp.organisations.models import Organisation

    ids = sorted({int(c) for c in contrib["contributor"].unique().to_list() if str(c).isdigit()})
    return {
        str(org.pk): segment_and_region(org)
        for org in Organisation.objects.filter(pk__in=ids).order_by("pk")
    }


def quality_summary(publication: Any) -> dict[str, int] | None:
    """The share (whole per cent) of the snapshot's published rows flagged G, H and J (see
    docs/model.md, "Noise infusion"); None for a snapshot published without noise."""
    counts = {"G": 0, "H": 0, "J": 0}
    seen = False
    for name in publication.table_names():
        table = publication.table(name)
        if "quality" not in table.columns:
            continue
        seen = True
        for flag, n in table["quality"].drop_nulls().value_counts().rows():
            if flag in counts:
                counts[str(flag)] += int(n)
    if not seen:
        return None
    total = sum(counts.values()) or 1
    return {flag: round(100 * n / total) for flag, n in counts.items()}
