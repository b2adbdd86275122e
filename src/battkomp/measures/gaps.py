"""The published gap per competence area, to order the infrastructure register by need.

Read from the latest publication's protected ``by_area`` table (metric ``shortage``); suppressed
rows are skipped, so nothing below the disclosure threshold can show.
"""

from __future__ import annotations

from typing import Any

from battkomp.core.published import latest_publication


def published_area_gaps() -> tuple[Any, dict[str, float]]:
    """The latest publication (or None) and, per area, the largest mean shortage over the
    published years (areas with no published, unsuppressed shortage are absent)."""
    publication = latest_publication()
    if publication is None:
        return None, {}
    try:
        table = publication.table("by_area")
    except KeyError:
        return publication, {}
    import polars as pl

    if not {"metric", "area", "mean", "suppressed"} <= set(table.columns):
        return publication, {}
    rows = table.filter(
        (pl.col("metric") == "shortage") & ~pl.col("suppressed") & pl.col("mean").is_not_null()
    )
    gaps: dict[str, float] = {}
    for row in rows.iter_rows(named=True):
        area, value = str(row["area"]), float(row["mean"])
        if value > gaps.get(area, float("-inf")):
            gaps[area] = value
    return publication, gaps
