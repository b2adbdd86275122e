"""The survey's contributions to a publication: the submitted need lines with their organisation
as contributor, the protected ``survey_needs`` table, and the years of the model's national tables
that the survey's answers cannot dominate (:func:`publishable_years`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    protect,
    public_view,
)
from battkomp.engine.sdc import NoisedRules, protect_noised, unsafe_cells

#: Below this share of the model's openings, the survey cannot dominate a cell.
MAX_REPORTED_SHARE = 0.5


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
    protected = protect_survey(data, hierarchy, rules)
    return public_view(protected).rename({"value": "new_hires"}).select(list(SURVEY_SCHEMA))


def protect_survey(
    data: pl.DataFrame, hierarchy: Hierarchy, rules: DisclosureRules | None
) -> pl.DataFrame:
    """:func:`~battkomp.engine.disclosure.protect` of true contributions, or, under
    :class:`~battkomp.engine.sdc.NoisedRules`, the noised table with suppression only where the
    noise does not protect a cell (:func:`~battkomp.engine.sdc.protect_noised`)."""
    if isinstance(rules, NoisedRules):
        return protect_noised(data, hierarchy, rules.noise, rules)
    return protect(data, hierarchy, rules)


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


def yearly(contrib: pl.DataFrame, years: Iterable[int]) -> pl.DataFrame:
    """The contributions a model result of ONE year carries on its own: the new hires reported
    for that year and the total staff reported for that year.

    Yearly results (openings, supply, gap, shortage) come from that year's answers, so a year's
    cell must pass the primary rules with these alone: an organisation that reported in an
    earlier year must not make a year look safe when two others report almost all of its new
    hires. Every cell is tested on both views, :func:`cumulative` and this one."""
    years = set(years)
    this = contrib.filter(pl.col("year").is_in(sorted(years)))
    hires = this.select("contributor", "area", "level", "year", "value")
    staff = this.select("contributor", "area", "level", "year", pl.col("staff").alias("value"))
    return pl.concat([hires, staff]).select(list(_CONTRIBUTION_SCHEMA))


def only_hires(view: Any) -> Any:
    """A view of the contributions (:func:`cumulative` or :func:`yearly`) with the new hires only:
    what the model's openings, supply, gap and shortage carry.

    Those results carry no answered total staff beyond the small share that leaves each year
    (replacement openings), so a cell of them must pass the rules on the new hires alone: in the
    mixed view, other organisations' staff (often far larger than their new hires) made a year
    look safe whose new hires two organisations reported nearly all of, and the year's national
    openings then gave away the pair's cell, which the survey table suppressed (issue 10)."""

    def only(contrib: pl.DataFrame, years: Iterable[int]) -> pl.DataFrame:
        return view(contrib.with_columns(pl.lit(0.0).alias("staff")), years)  # type: ignore[no-any-return]

    only.__name__ = f"{view.__name__}_hires"
    return only


def only_staff(view: Any) -> Any:
    """A view of the contributions with the total staff only: what the model's headcount
    carries (see :func:`only_hires` for why each is tested on its own)."""

    def only(contrib: pl.DataFrame, years: Iterable[int]) -> pl.DataFrame:
        return view(contrib.with_columns(pl.lit(0.0).alias("value")), years)  # type: ignore[no-any-return]

    only.__name__ = f"{view.__name__}_staff"
    return only


#: Every view of the contributions a model result of a year may carry: the new hires and the
#: total staff together (a result that carries both), and each on its own, each up to the year
#: (:func:`cumulative`) and of the year alone (:func:`yearly`). A cell is tested on every one.


VIEWS = (
    cumulative,
    yearly,
    only_hires(cumulative),
    only_hires(yearly),
    only_staff(cumulative),
    only_staff(yearly),
)


def views(contrib: pl.DataFrame, years: Iterable[int]) -> tuple[pl.DataFrame, ...]:
    """Every view (:data:`VIEWS`) of the contributions each year's results carry."""
    years = list(years)
    return tuple(view(contrib, years) for view in VIEWS)


def cumulative_with(
    contrib: pl.DataFrame,
    years: Iterable[int],
    extra: Sequence[str],
    view: Any = None,
) -> pl.DataFrame:
    """:func:`cumulative` (or another ``view`` such as :func:`yearly`), keeping the columns
    ``extra`` (attributes of the contributor, such as its segment, constant per contributor)."""
    view = view or cumulative
    if not extra:
        return view(contrib, years)  # type: ignore[no-any-return]
    places = contrib.select("contributor", *extra).unique(subset="contributor", keep="first")
    return view(contrib, years).join(places, on="contributor", how="inner")  # type: ignore[no-any-return]


def _unsafe_cells(
    contrib: pl.DataFrame, column: str | None, years: Iterable[int], rules: DisclosureRules | None
) -> set[tuple[int, Any]]:
    """(year, code) of the cells whose survey contributions, cumulative or of the year alone,
    fail the primary rules (code None for the year's national cell)."""
    out: set[tuple[int, Any]] = set()
    for data in views(contrib, years):
        if not data.height:
            continue
        parents: dict[str, dict[Any, Any]] = {"year": {}}
        if column is not None:
            parents = {column: {}, "year": {}}
        cells = unsafe_cells(data, Hierarchy(parents=parents), rules)
        unsafe = cells.filter(pl.col("unsafe") & pl.col("year").is_not_null())
        for row in unsafe.iter_rows(named=True):
            out.add((int(row["year"]), row[column] if column else None))
    return out


def _shares(detail: pl.DataFrame, column: str | None) -> dict[tuple[int, Any], float]:
    """(year, code) → the survey's share of the model's results in the run's detail: the largest
    of its share of the openings up to that year, of the year's own openings and of the year's
    headcount."""
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
        .with_columns(
            pl.col("open_all").alias("year_all"), pl.col("open_survey").alias("year_survey")
        )
    )
    if column is not None:
        grouped = grouped.with_columns(pl.col("open_all", "open_survey").cum_sum().over(column))
    else:
        grouped = grouped.with_columns(pl.col("open_all", "open_survey").cum_sum())
    out: dict[tuple[int, Any], float] = {}
    for row in grouped.iter_rows(named=True):
        share = max(
            share_of(row["open_survey"], row["open_all"]),
            share_of(row["year_survey"], row["year_all"]),
            share_of(row["head_survey"], row["head_all"]),
        )
        out[(int(row["year"]), row[column] if column else None)] = share
    return out


def share_of(part: float | None, whole: float | None) -> float:
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
