"""The public tables of a published model run, built only from protected data.

A publication holds four tables (see docs/model.md, "Disclosure control", publishing):

``survey_needs``
    The new hires the organisations of the run's survey round reported (their SUBMITTED
    answers), by competence area × education level × year with every margin, protected by
    :func:`battkomp.engine.disclosure.protect` (each organisation a contributor) and reduced to
    :func:`~battkomp.engine.disclosure.public_view`: suppressed cells are null.
``totals``, ``by_level``, ``by_area``
    The model's national results per year (mean and P10/P50/P90 of the draws). A year of
    ``totals`` is published when the survey cannot dominate it: the survey's reported openings
    are less than half the model's openings that year, or the reported new hires of the year
    pass the primary rules (enough organisations, none dominating). A year of ``by_level``
    (``by_area``) is published when its totals are and every level (area) of that year passes
    the same test; otherwise the whole year is suppressed, so no suppressed cell can be found by
    subtracting the published ones from the total.

Every table has a ``suppressed`` column; suppressed numbers are null. Nothing here changes the
database (``actions.do_publish_run`` stores the tables).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    primary_unsafe,
    protect,
    public_view,
    tabulate,
)

#: The public tables of a publication, in the order shown.
TABLES = ("totals", "by_level", "by_area", "survey_needs")
#: The model frames published per year (with the column that splits them, if any).
MODEL_TABLES: dict[str, str | None] = {"totals": None, "by_level": "level", "by_area": "area"}
#: Below this share of the model's openings, the survey cannot dominate a cell.
MAX_REPORTED_SHARE = 0.5
STAT_COLUMNS = ("mean", "p10", "p50", "p90")

_CONTRIBUTION_SCHEMA = {
    "contributor": pl.Utf8,
    "area": pl.Utf8,
    "level": pl.Utf8,
    "year": pl.Int64,
    "value": pl.Float64,
}
#: The kinds of the run's detail rows that come from the survey.
SURVEY_KINDS = ("reported", "carried_forward")
SURVEY_SCHEMA = {
    "area": pl.Utf8,
    "level": pl.Utf8,
    "year": pl.Int64,
    "new_hires": pl.Float64,
    "suppressed": pl.Boolean,
}


def contributions(lines: Iterable[tuple[Any, dict[str, Any]]]) -> pl.DataFrame:
    """The survey's contributions: (organisation id, need line) pairs → one row each, with the
    line's new hires as ``value`` and its total staff as ``staff`` (lines without new hires are
    left out)."""
    rows = [
        {
            "contributor": str(org),
            "area": str(line["area"]),
            "level": str(line["level"]),
            "year": int(line["year"]),
            "value": float(line["new_hires"]),
            "staff": float(line.get("total_staff") or 0),
        }
        for org, line in lines
        if line.get("new_hires") is not None
    ]
    return pl.DataFrame(rows, schema={**_CONTRIBUTION_SCHEMA, "staff": pl.Float64})


def survey_table(
    contrib: pl.DataFrame, parents: dict[str, str], rules: DisclosureRules | None = None
) -> pl.DataFrame:
    """The protected table of reported new hires by area × level × year (public view)."""
    if not contrib.height:
        return pl.DataFrame(schema=SURVEY_SCHEMA)
    known = [a for a in contrib["area"].unique().to_list() if a not in set(parents.values())]
    hierarchy = Hierarchy(parents={"area": dict(parents), "level": {}, "year": {}})
    data = contrib.filter(pl.col("area").is_in(known)).select(list(_CONTRIBUTION_SCHEMA))
    protected = protect(data, hierarchy, rules)
    return public_view(protected).rename({"value": "new_hires"}).select(list(SURVEY_SCHEMA))


def cumulative(contrib: pl.DataFrame, years: Iterable[int]) -> pl.DataFrame:
    """The contributions that a model result of each year can carry: every new hire reported for
    that year or earlier (cumulative results such as ``cumulative_gap`` add them up), plus each
    organisation's latest reported total staff up to that year (the headcount carries it)."""
    parts = []
    for year in years:
        upto = contrib.filter(pl.col("year") <= year)
        if not upto.height:
            continue
        hires = upto.select("contributor", "area", "level", "value")
        latest = upto.group_by("contributor").agg(pl.col("year").max().alias("_last"))
        staff = (
            upto.join(latest, on="contributor")
            .filter(pl.col("year") == pl.col("_last"))
            .select("contributor", "area", "level", pl.col("staff").alias("value"))
        )
        parts.append(pl.concat([hires, staff]).with_columns(pl.lit(year, pl.Int64).alias("year")))
    if not parts:
        return contrib.select(list(_CONTRIBUTION_SCHEMA)).clear()
    return pl.concat(parts).select(list(_CONTRIBUTION_SCHEMA))


def _unsafe_cells(
    contrib: pl.DataFrame, column: str | None, years: Iterable[int], rules: DisclosureRules | None
) -> set[tuple[int, Any]]:
    """(year, code) of the cells whose cumulative survey contributions fail the primary rules
    (code None for the year's national cell)."""
    data = cumulative(contrib, years)
    if not data.height:
        return set()
    parents: dict[str, dict[Any, Any]] = {"year": {}}
    if column is not None:
        parents = {column: {}, "year": {}}
    cells = tabulate(data, Hierarchy(parents=parents))
    cells = cells.with_columns(primary_unsafe(cells, rules).alias("_unsafe"))
    out: set[tuple[int, Any]] = set()
    for row in cells.filter(pl.col("_unsafe") & pl.col("year").is_not_null()).iter_rows(named=True):
        out.add((int(row["year"]), row[column] if column else None))
    return out


def _shares(detail: pl.DataFrame, column: str | None) -> dict[tuple[int, Any], float]:
    """(year, code) → the survey's share of the model's results in the run's detail: the larger
    of its share of the openings up to that year and its share of the year's headcount."""
    keys = ["year"] if column is None else ["year", column]
    survey = pl.col("kind").is_in(SURVEY_KINDS)
    data = detail.with_columns(pl.col("openings", "headcount").fill_null(0.0))
    grouped = (
        data.group_by(keys)
        .agg(
            pl.col("openings").sum().alias("open_all"),
            pl.col("openings").filter(survey).sum().alias("open_survey"),
            pl.col("headcount").sum().alias("head_all"),
            pl.col("headcount").filter(survey).sum().alias("head_survey"),
        )
        .sort("year")
    )
    if column is not None:
        grouped = grouped.with_columns(pl.col("open_all", "open_survey").cum_sum().over(column))
    else:
        grouped = grouped.with_columns(pl.col("open_all", "open_survey").cum_sum())
    out: dict[tuple[int, Any], float] = {}
    for row in grouped.iter_rows(named=True):
        share = max(
            _share(row["open_survey"], row["open_all"]), _share(row["head_survey"], row["head_all"])
        )
        out[(int(row["year"]), row[column] if column else None)] = share
    return out


def _share(part: float | None, whole: float | None) -> float:
    part, whole = float(part or 0.0), float(whole or 0.0)
    if whole > 0:
        return part / whole
    return 1.0 if part > 0 else 0.0


def _safe(share: float | None, unsafe: bool) -> bool:
    return (share is None or share < MAX_REPORTED_SHARE) or not unsafe


def publishable_years(
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    column: str | None,
    years: Iterable[int],
    rules: DisclosureRules | None = None,
) -> set[int]:
    """The years of a model table (split by ``column``, or national) that may be published."""
    years = sorted(years)
    shares = _shares(detail, column)
    unsafe = _unsafe_cells(contrib, column, years, rules)
    national = _shares(detail, None)
    national_unsafe = _unsafe_cells(contrib, None, years, rules)
    out: set[int] = set()
    for year in years:
        if not _safe(national.get((year, None)), (year, None) in national_unsafe):
            continue
        cells = [k for k in shares if k[0] == year] if column else []
        if all(_safe(shares[k], k in unsafe) for k in cells):
            out.add(year)
    return out


def model_table(frame: pl.DataFrame, years: set[int]) -> pl.DataFrame:
    """A model frame with its statistics null (and ``suppressed`` true) outside ``years``."""
    ok = pl.col("year").is_in(sorted(years))
    return frame.with_columns(
        *[pl.when(ok).then(pl.col(c)).otherwise(None).alias(c) for c in STAT_COLUMNS],
        (~ok).alias("suppressed"),
    )


def public_tables(
    frames: dict[str, pl.DataFrame],
    contrib: pl.DataFrame,
    parents: dict[str, str],
    rules: DisclosureRules | None = None,
) -> dict[str, pl.DataFrame]:
    """Every public table of a run: its frames (``totals``, ``by_level``, ``by_area``,
    ``detail``) and the survey contributions of its round."""
    detail = frames["detail"]
    out: dict[str, pl.DataFrame] = {}
    for name, column in MODEL_TABLES.items():
        frame = frames.get(name)
        if frame is None:
            continue
        years = sorted({int(y) for y in frame["year"].unique().to_list()})
        ok = publishable_years(detail, contrib, column, years, rules)
        out[name] = model_table(frame, ok)
    out["survey_needs"] = survey_table(contrib, parents, rules)
    return out
