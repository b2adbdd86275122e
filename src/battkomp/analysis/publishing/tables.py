"""The public tables of a published model run, built only from protected data.

A publication holds these tables (see docs/model.md, "Disclosure control", publishing):

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
    subtracting the published ones from the total. A cumulative metric (``cumulative_gap``) is
    published only before the table's first suppressed year (:data:`CUMULATIVE_METRICS`).
``by_area_level``
    The model's results per competence area × education level and year (``headcount``,
    ``openings``, ``supply`` (mean only), ``gap``, ``shortage``; from the run's ``national`` and
    ``time_squeeze`` frames). Every cell, and every margin (area, level) that its own table does
    not publish, gets the same test; a failing cell is suppressed, and more cells of its year
    are suppressed until a linear-programming attack on the year's two-way table (rows summing
    to the published ``by_area``, columns to ``by_level``, all to ``totals``) leaves every failing
    cell an interval at least the required protection wide, for each additive metric. If no
    cell can widen it, the whole year is suppressed. A year whose totals are suppressed is
    suppressed whole.
``squeeze``
    The time squeeze: per year the expected shortage by the horizon that must carry it (``short``
    recruit, ``medium`` retrain, ``long`` educate, ``none`` no lever in time: what cannot be closed
    in time), with the education levels each horizon carries that year (``levels``, from the
    levers' lead times, which are not confidential). A horizon is a sum of ``by_level`` cells, so
    a year is published when its ``by_level`` year is, or when its totals are and a single
    horizon carries every level (the national shortage); otherwise it is suppressed whole.
``by_segment``, ``by_region``
    The headcount, openings, supply and gap per value-chain segment (county) and year (means over
    the draws, docs/model.md §8.6), each cell tested with the survey contributions of the
    organisations placed there and protected against the year's national figure as above.
``coverage``
    Per year and segment (and all segments, ``segment`` null): openings, supply and gap, the means
    over the draws of ``by_segment`` (suppressed exactly as there; they add up to the national
    means, docs/model.md §8.6), and ``reported_share``, the share of those openings the survey
    reported (its new hires, from the ``detail`` rows of kind ``reported``; withheld where above
    1). The reported
    openings by segment are protected with
    :func:`~battkomp.engine.disclosure.protect` (segment × year, each organisation a
    contributor); ``reported_share`` is null (``share_suppressed``) where that table suppresses
    the cell, and in a year whose total in ``survey_needs`` is suppressed.
``measure_effects``
    The supply each counted measure adds per year and target cell (measure, year, level, area,
    supply). A ``recruit_abroad`` measure fills what the channels leave of the cell's shortfall,
    so its supply carries the cell's openings: it follows ``by_area_level`` (null wherever that
    cell is hidden there, or the year is not published). The measures known to add places that
    arrive whether or not jobs wait (``educate``, ``retrain``, ``evu_module``:
    :func:`~.queries.fixed_measures`, unchanged since the run started) carry no answer and are
    published in every published year; without that knowledge every measure follows the cell.
``abroad``
    The need no domestic lever can meet in time (year, level, area, need, recruited, unmet,
    lead_time_months, and the time available, the domestic lead time and the serving
    channels). A row's numbers are null (``suppressed``) wherever ``by_area_level`` hides its
    cell or the year is not published; need, recruited and unmet are parts of that cell's
    openings and shortage, so nothing more than the cell itself is shown.
``recommendations``
    One row per significant gap (the year it opens, level, area, horizon, lever, commandment,
    rule, reasons, offers, measures, shortage). Only rows whose cell ``by_area_level``
    publishes are kept; a hidden cell's row is left out whole (its existence, horizon and lever
    would speak of it). ``shortage`` is the cell's published mean shortage, and the reasons are
    filled in again (:func:`~.advice.rerender_reason`) with it and with its share of the cell's
    published openings; the other placeholders (names, year, time available, lead times) hold no
    answer.

``conditional``, ``exceedance``
    The shortage over the horizon in the firm base and with and without each planned facility,
    and the probability that the shortage exceeds fixed thresholds (per year and over the
    horizon), from the same draws as ``totals`` (docs/model.md §8.7). Facilities' plans are
    public; the shortage they condition is a sum over every year, so a row is published only
    when every year of ``totals`` is (an exceedance row of one year when that year is).

Every table has a ``suppressed`` column; suppressed numbers are null. Nothing here changes the
database (``publishing.actions.do_publish_run`` stores the tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from battkomp.analysis.publishing.contributions import (
    MAX_REPORTED_SHARE,
    SURVEY_KINDS,
    VIEWS,
    cumulative,
    cumulative_with,
    only_staff,
    protect_survey,
    share_of,
    views,
)
from battkomp.analysis.publishing.protection import protect_grid
from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    public_view,
)
from battkomp.engine.sdc import NoiseParameters, unsafe_cells

#: The public tables of a publication, in the order shown.
TABLES = (
    "totals",
    "by_level",
    "by_area",
    "by_area_level",
    "squeeze",
    "by_segment",
    "by_region",
    "coverage",
    "measure_effects",
    "abroad",
    "recommendations",
    "conditional",
    "exceedance",
    "survey_needs",
)

#: What each public table holds, as its download is named on the snapshot's page.
TABLE_TITLES: dict[str, Promise] = {
    "totals": _("National totals"),
    "by_level": _("By education level"),
    "by_area": _("By competence area"),
    "by_area_level": _("Shortage by competence area and education level"),
    "squeeze": _("The time squeeze: shortage by the horizon that must carry it"),
    "by_segment": _("Gap by segment of the value chain"),
    "by_region": _("Gap by county"),
    "coverage": _("Value-chain coverage"),
    "measure_effects": _("Measures: the gap with and without them, and what each adds"),
    "abroad": _("Recruitment from abroad"),
    "recommendations": _("Recommendations"),
    "conditional": _("Risk: the shortage with the firm base and with each planned plant"),
    "exceedance": _("Risk: the probability that the shortage exceeds a level"),
    "survey_needs": _("Reported new hires (area × level × year)"),
}


#: The run's frames the public tables are built from.
FRAMES = (
    "totals",
    "by_level",
    "by_area",
    "national",
    "time_squeeze",
    "detail",
    "by_segment",
    "by_region",
    "measure_effects",
    "abroad",
    "recommendations",
    "conditional",
    "exceedance",
)


#: The metrics of ``by_area_level`` (``supply`` has a mean only: percentiles do not add up).
AREA_LEVEL_METRICS = ("headcount", "openings", "supply", "gap", "shortage")


#: The metrics of ``by_segment`` and ``by_region`` published per place (means over the draws).
PLACE_METRICS = ("headcount", "openings", "supply", "gap")


#: The split columns of the central run's tables by place.
PLACES = ("segment", "region")


#: The model frames published per year (with the column that splits them, if any).
MODEL_TABLES: dict[str, str | None] = {"totals": None, "by_level": "level", "by_area": "area"}


STAT_COLUMNS = ("mean", "p10", "p50", "p90")


#: Metrics that add up every earlier year: published only before the first suppressed year, as
#: a later value less the year's own flow would give the suppressed year's value away.
CUMULATIVE_METRICS = ("cumulative_gap",)


def model_table(frame: pl.DataFrame, years: set[int]) -> pl.DataFrame:
    """A model frame with its statistics null (and ``suppressed`` true) outside ``years``, and
    its cumulative metrics from the first suppressed year on."""
    ok = pl.col("year").is_in(sorted(years))
    hidden = sorted({int(y) for y in frame["year"].unique().to_list()} - set(years))
    if hidden and "metric" in frame.columns:
        later = pl.col("metric").is_in(CUMULATIVE_METRICS) & (pl.col("year") >= hidden[0])
        ok = ok & ~later
    return frame.with_columns(
        *[pl.when(ok).then(pl.col(c)).otherwise(None).alias(c) for c in STAT_COLUMNS],
        (~ok).alias("suppressed"),
    )


def _cell_parts(detail: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Per year and code of ``columns``: the openings up to that year (all, and the survey's)
    and the year's headcount (all, and the survey's), on a full grid of years × codes."""
    survey = pl.col("kind").is_in(SURVEY_KINDS)
    data = detail.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in columns)).with_columns(
        pl.col("openings", "headcount").fill_null(0.0)
    )
    keys = ["year", *columns]
    grouped = data.group_by(keys).agg(
        pl.col("openings").sum().alias("open_all"),
        pl.col("openings").filter(survey).sum().alias("open_survey"),
        pl.col("headcount").sum().alias("head_all"),
        pl.col("headcount").filter(survey).sum().alias("head_survey"),
    )
    grid = data.select("year").unique()
    for column in columns:
        grid = grid.join(data.select(column).unique(), how="cross")
    full = grid.join(grouped, on=keys, how="left").with_columns(
        pl.col("open_all", "open_survey", "head_all", "head_survey").fill_null(0.0)
    )
    full = full.sort(keys).with_columns(
        pl.col("open_all").alias("year_all"), pl.col("open_survey").alias("year_survey")
    )
    cum = pl.col("open_all", "open_survey").cum_sum()
    return full.with_columns(cum.over(list(columns)) if columns else cum)


def _share_map(parts: pl.DataFrame, columns: Sequence[str]) -> dict[tuple[Any, ...], float]:
    """(year, *codes) → the survey's share (see :func:`~.contributions.publishable_years`) of the
    cells of ``parts`` grouped by ``columns``."""
    sums = parts.group_by(["year", *columns]).agg(
        pl.col(
            "open_all", "open_survey", "year_all", "year_survey", "head_all", "head_survey"
        ).sum()
    )
    out: dict[tuple[Any, ...], float] = {}
    for row in sums.iter_rows(named=True):
        share = max(
            share_of(row["open_survey"], row["open_all"]),
            share_of(row["year_survey"], row["year_all"]),
            share_of(row["head_survey"], row["head_all"]),
        )
        out[(int(row["year"]), *(row[c] for c in columns))] = share
    return out


def _unsafe_map(
    cum: pl.DataFrame, columns: Sequence[str], rules: DisclosureRules | None
) -> set[tuple[Any, ...]]:
    """(year, *codes) of the cells (margins included, code None) whose cumulative survey
    contributions ``cum`` fail the primary rules."""
    if not cum.height:
        return set()
    data = cum.select("contributor", *columns, "year", "value")
    cells = unsafe_cells(data, Hierarchy(parents={**{c: {} for c in columns}, "year": {}}), rules)
    unsafe = cells.filter(pl.col("unsafe") & pl.col("year").is_not_null())
    return {(int(r["year"]), *(r[c] for c in columns)) for r in unsafe.iter_rows(named=True)}


def _failing(
    shares: Mapping[tuple[Any, ...], float],
    unsafe: set[tuple[Any, ...]] | None,
    key: tuple[Any, ...],
) -> bool:
    """True when the cell ``key`` may let a survey answer show through. ``unsafe`` None: the
    contributors of the cell are unknown, so any cell the survey could dominate fails."""
    share = shares.get(key)
    if share is None or share < MAX_REPORTED_SHARE:
        return False
    return unsafe is None or key in unsafe


#: The largest factor of the noise: a ratio of noised openings to true staff is scaled by it.
GROW = 1.0 + NoiseParameters().high

#: The least share of ``min_protection`` a cell's width may have (:func:`carried_floors`).
LEAST_CARRY = 0.01

#: The metrics whose value moves by less than a person per person of the answers they carry,
#: once the year's new hires are not among them (see :func:`carries`).
FLOWS = ("openings", "supply", "shortage")


def carries(
    detail: pl.DataFrame, contrib: pl.DataFrame, columns: Sequence[str], years: Sequence[int]
) -> dict[tuple[Any, ...], float]:
    """(year, *codes; None for a margin) → how much of a person of the cell's openings (and so of
    its supply and shortage) one person of the answers it carries can move: 1 where the cell
    holds new hires reported for that year (an opening per new hire), else the survey's openings
    in the cell over the answered staff they are charged on (replacement and growth on the
    carried staff: a few per cent), the larger of that over the latest answered staff and over
    the survey's headcount in the cell, never above 1. A cell the survey's rows leave out: 1.

    The minimum protection width (``min_protection``, one person) makes sure that a cell of one
    or two organisations is never pinned to a count; for a late year's openings, one person of
    openings stands for some 50 persons of staff. :func:`carried_floors` scales it by this."""
    survey = detail.filter(pl.col("kind").is_in(SURVEY_KINDS)).with_columns(
        pl.col("openings", "headcount").fill_null(0.0)
    )
    staff = only_staff(cumulative)(contrib, years)
    hires = contrib.filter(pl.col("value").fill_null(0.0) > 0)
    out: dict[tuple[Any, ...], float] = {}
    subsets = [
        [c for i, c in enumerate(columns) if mask & (1 << i)] for mask in range(2 ** len(columns))
    ]
    for subset in subsets:
        group = ["year", *subset]

        def key(row: dict[str, Any], subset: list[str] = subset) -> tuple[Any, ...]:
            return (int(row["year"]), *(row[c] if c in subset else None for c in columns))

        opened = survey.group_by(group).agg(
            pl.col("openings").abs().sum().alias("open"),
            pl.col("headcount").clip(lower_bound=0.0).sum().alias("head"),
        )
        held = staff.group_by(group).agg(pl.col("value").sum().alias("staff"))
        hired = {key(r) for r in hires.select(group).unique().iter_rows(named=True)}
        held_at = {key(r): float(r["staff"]) for r in held.iter_rows(named=True)}
        for row in opened.iter_rows(named=True):
            at = key(row)
            if at in hired:
                out[at] = 1.0
                continue
            per = [
                row["open"] / base
                for base in (held_at.get(at, 0.0), float(row["head"]))
                if base > 0
            ]
            # the public run's openings are noised, the answered staff not: allow for the noise
            out[at] = min(1.0, GROW * max(per)) if per else (1.0 if row["open"] > 0 else 0.0)
        for at in hired:
            out[at] = 1.0
    return out


def carried_floors(
    cells: pl.DataFrame,
    columns: Sequence[str],
    values: Sequence[str],
    carry: Mapping[tuple[Any, ...], float],
    year: int,
    rules: DisclosureRules | None,
) -> dict[str, np.ndarray]:
    """The least width of each cell's interval (:func:`~.protection.protect_grid`'s ``floors``)
    in the metrics of :data:`FLOWS`: ``min_protection`` times what the cell carries of the
    answers (:func:`carries`); a cell not in ``carry`` keeps the whole ``min_protection``.
    Headcount carries the staff one for one and keeps it."""
    rules = rules or DisclosureRules()
    scale = np.array(
        [carry.get((year, *row), 1.0) for row in cells.select(list(columns)).rows()],
        dtype=np.float64,
    )
    # never below a hundredth of it: a cell that carries next to nothing is still never pinned
    scale = np.clip(scale, LEAST_CARRY, 1.0)
    return {v: rules.min_protection * scale for v in values if v in FLOWS}


def _stat_table(frame: pl.DataFrame, suppressed: pl.Expr) -> pl.DataFrame:
    return frame.with_columns(
        *[pl.when(suppressed).then(None).otherwise(pl.col(c)).alias(c) for c in STAT_COLUMNS],
    ).with_columns(suppressed.alias("suppressed"))


def area_level_frame(national: pl.DataFrame, squeeze: pl.DataFrame | None) -> pl.DataFrame:
    """The model's cells (year, area, level, metric, mean, p10, p50, p90) of
    :data:`AREA_LEVEL_METRICS`: ``supply`` is the openings' mean less the gap's (no percentiles);
    ``shortage`` (the positive part of the gap) has the mean from the time squeeze and the gap's
    percentiles clipped at zero (a percentile of the positive part is that of the gap, clipped)."""
    keys = ["year", "area", "level"]
    stats = list(STAT_COLUMNS)
    base = national.filter(pl.col("metric").is_in(["headcount", "openings", "gap"])).select(
        *keys, "metric", *stats
    )
    # supply is what the gap leaves of the openings (every source of supply, measures included)
    means = national.filter(pl.col("metric").is_in(["openings", "gap"])).pivot(
        on="metric", index=keys, values="mean"
    )
    supply = means.select(
        *keys,
        pl.lit("supply").alias("metric"),
        (pl.col("openings") - pl.col("gap")).alias("mean"),
        *[pl.lit(None, pl.Float64).alias(c) for c in ("p10", "p50", "p90")],
    )
    parts = [base, supply]
    if squeeze is not None:
        gap = national.filter(pl.col("metric") == "gap").select(
            *keys, *[pl.col(c).clip(lower_bound=0.0) for c in ("p10", "p50", "p90")]
        )
        shortage = (
            squeeze.select(*keys, pl.col("shortage_mean").alias("mean"))
            .join(gap, on=keys, how="inner")
            .with_columns(pl.lit("shortage").alias("metric"))
            .select(*keys, "metric", *stats)
        )
        parts.append(shortage)
    order = {m: i for i, m in enumerate(AREA_LEVEL_METRICS)}
    out = pl.concat([p.with_columns(pl.col(c).cast(pl.Float64) for c in stats) for p in parts])
    return out.sort(
        pl.col("year"), pl.col("area"), pl.col("level"), pl.col("metric").replace_strict(order)
    )


def _grid_cells(wide: pl.DataFrame, keys: Sequence[str], values: Sequence[str]) -> pl.DataFrame:
    """One year's inner cells (keys, values) with every margin added (null key = total)."""
    parts = [wide.select(*keys, *values)]
    n = len(keys)
    for mask in range(1, 2**n):
        kept = [k for i, k in enumerate(keys) if not mask & (1 << i)]
        dropped = [k for i, k in enumerate(keys) if mask & (1 << i)]
        if kept:
            agg = wide.group_by(kept).agg(pl.col(v).sum() for v in values)
        else:
            agg = wide.select(pl.col(v).sum() for v in values)
        parts.append(
            agg.with_columns(pl.lit(None, wide.schema[k]).alias(k) for k in dropped).select(
                *keys, *values
            )
        )
    return pl.concat(parts)


def _year_pattern(
    cells: pl.DataFrame,
    keys: Sequence[str],
    values: Sequence[str],
    fails: Any,
    published_margin: Any,
    rules: DisclosureRules | None,
    floors: Mapping[str, np.ndarray] | None = None,
) -> set[tuple[Any, ...]]:
    """The suppressed inner cells (keys) of one year's table: ``fails(key)`` tests a cell or
    margin (a key with None for each total), ``published_margin(key)`` tells whether a margin is
    published in another table (the grand total always is)."""
    rows = cells.select(keys).rows()
    margin = np.array([any(c is None for c in r) for r in rows])
    known = np.array([m and bool(published_margin(r)) for r, m in zip(rows, margin, strict=True)])
    # a margin published elsewhere passed its own table's test
    primary = np.array([not k and bool(fails(r)) for r, k in zip(rows, known, strict=True)])
    hidden = margin & ~known
    suppressed = protect_grid(cells, keys, values, primary, known, hidden, rules, floors)
    return {r for r, s, m in zip(rows, suppressed, margin, strict=True) if s and not m}


def area_level_table(
    national: pl.DataFrame,
    squeeze: pl.DataFrame | None,
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    ok: Mapping[str, set[int]],
    rules: DisclosureRules | None = None,
    shown: Mapping[str, set[tuple[int, Any]]] | None = None,
) -> pl.DataFrame:
    """The protected ``by_area_level`` table; ``ok`` holds the published years of ``totals``,
    ``by_level`` and ``by_area``, ``shown`` (if the latter two are protected cell by cell, see
    :func:`split_table`) their published (year, code) cells."""
    frame = area_level_frame(national, squeeze)
    years = sorted({int(y) for y in frame["year"].unique().to_list()})
    columns = ("area", "level")
    parts = _cell_parts(detail, columns)
    shares: dict[tuple[Any, ...], float] = {}
    for subset in (columns, ("area",), ("level",), ()):
        for key, share in _share_map(parts, subset).items():
            full = dict(zip(subset, key[1:], strict=True))
            shares[(key[0], full.get("area"), full.get("level"))] = share
    unsafe = set().union(*(_unsafe_map(v, columns, rules) for v in views(contrib, years)))
    carry = carries(detail, contrib, columns, years)
    values = [
        m for m in ("headcount", "openings", "supply", "shortage") if m in set(frame["metric"])
    ]
    wide = frame.pivot(on="metric", index=["year", "area", "level"], values="mean").with_columns(
        pl.col(v).fill_null(0.0).clip(lower_bound=0.0) for v in values
    )
    hidden_cells: set[tuple[Any, ...]] = set()
    for year in years:
        if year not in ok["totals"]:
            continue
        cells = _grid_cells(wide.filter(pl.col("year") == year), columns, values)

        def fails(key: tuple[Any, ...], year: int = year) -> bool:
            return _failing(shares, unsafe, (year, *key))

        def published(key: tuple[Any, ...], year: int = year) -> bool:
            area, level = key
            if area is None and level is None:
                return True
            name, code = ("by_level", level) if area is None else ("by_area", area)
            if shown is not None and name in shown:
                return (year, code) in shown[name]
            return year in ok[name]

        floors = carried_floors(cells, columns, values, carry, year, rules)
        pattern = _year_pattern(cells, columns, values, fails, published, rules, floors)
        hidden_cells.update((year, *k) for k in pattern)
    kept = {
        (int(y), a, lv)
        for y, a, lv in frame.select("year", "area", "level").unique().rows()
        if int(y) in ok["totals"] and (int(y), a, lv) not in hidden_cells
    }
    keep = pl.DataFrame(
        {
            "year": [k[0] for k in kept],
            "area": [k[1] for k in kept],
            "level": [k[2] for k in kept],
            "_shown": [True] * len(kept),
        },
        schema={"year": pl.Int64, "area": pl.Utf8, "level": pl.Utf8, "_shown": pl.Boolean},
    )
    joined = frame.join(keep, on=["year", "area", "level"], how="left", maintain_order="left")
    out = _stat_table(joined, pl.col("_shown").is_null()).drop("_shown")
    return out.select("year", "area", "level", "metric", *STAT_COLUMNS, "suppressed")


def cumulative_stops(
    hidden: set[tuple[int, Any]], years: Sequence[int], codes: Sequence[Any]
) -> dict[Any, int]:
    """code → the first year from which its cumulative metrics are withheld (a year after the
    last: never),
    given the hidden (year, code) cells of a table split by one column.

    A cumulative metric adds up the code's earlier years, so its value in a later year less the
    year's own flow gives the earlier one away: it is withheld from the code's first hidden year
    on. Only for that code: the other codes' cumulative values are sums of their published cells.
    Their sum over every code is the national cumulative value (published where ``totals`` is), so
    in a year where a single code would be withheld, it would be that total less the others':
    every code is withheld from such a year on. (Elsewhere at least two codes are withheld, as the
    hidden cells of a year are; their sum is known from the total, as their yearly sum already is.)

    >>> cumulative_stops({(2027, "a"), (2027, "b")}, [2026, 2027, 2028], "abc")
    {'a': 2027, 'b': 2027, 'c': 2029}
    >>> cumulative_stops({(2027, "a"), (2027, "b"), (2028, "c")}, [2026, 2027, 2028], "abc")
    {'a': 2027, 'b': 2027, 'c': 2028}
    >>> cumulative_stops({(2028, "a")}, [2026, 2027, 2028], "abc")  # alone: every code
    {'a': 2028, 'b': 2028, 'c': 2028}
    """
    first: dict[Any, int] = {}
    for year, code in hidden:
        first[code] = min(int(year), first.get(code, int(year)))
    for year in sorted(years):
        if sum(1 for f in first.values() if f <= year) == 1:
            return {c: min(first.get(c, year), year) for c in codes}
    never = max(years, default=0) + 1
    return {c: first.get(c, never) for c in codes}


#: The additive, non-negative metrics a table split by one column is protected on.
SPLIT_VALUES = ("headcount", "openings", "supply", "shortage")


def split_table(
    frame: pl.DataFrame,
    column: str,
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    years_ok: set[int],
    rules: DisclosureRules | None = None,
) -> tuple[pl.DataFrame, set[tuple[int, Any]]]:
    """``by_level`` (``column`` level) or ``by_area`` protected cell by cell, as ``by_segment``:
    in every year whose ``totals`` are published (``years_ok``), a cell is suppressed when the
    survey could dominate it and its answers fail the test (under
    :class:`~battkomp.engine.sdc.NoisedRules`: only where the noise does not protect them), with
    enough others that the linear-programming attack against the year's total leaves it wide.
    A code's cumulative metrics are null from its first year with a suppressed cell on
    (:func:`cumulative_stops`). Returns the table and its published (year, code) cells."""
    years = sorted({int(y) for y in frame["year"].unique().to_list()})
    parts = _cell_parts(detail.filter(pl.col(column).is_not_null()), (column,))
    shares = {**_share_map(parts, (column,)), **_share_map(parts, ())}
    unsafe = set().union(*(_unsafe_map(v, (column,), rules) for v in views(contrib, years)))
    carry = carries(detail.filter(pl.col(column).is_not_null()), contrib, (column,), years)
    values = [m for m in SPLIT_VALUES if m in set(frame["metric"].to_list())]
    wide = (
        frame.filter(pl.col("metric").is_in(values))
        .pivot(on="metric", index=["year", column], values="mean")
        .with_columns(pl.col(v).fill_null(0.0).clip(lower_bound=0.0) for v in values)
    )
    hidden: set[tuple[int, Any]] = set()
    for year in years:
        if year not in years_ok:
            continue
        cells = _grid_cells(wide.filter(pl.col("year") == year), (column,), values)

        def fails(key: tuple[Any, ...], year: int = year) -> bool:
            return _failing(shares, unsafe, (year, *key))

        floors = carried_floors(cells, (column,), values, carry, year, rules)
        pattern = _year_pattern(cells, (column,), values, fails, lambda key: True, rules, floors)
        hidden.update((year, k[0]) for k in pattern)
    codes = frame[column].unique().to_list()
    gone = hidden | {(y, c) for y in years if y not in years_ok for c in codes}
    keys = frame.select("year", column, "metric").rows()
    stops = cumulative_stops(gone, years, codes)
    flags = [
        int(y) not in years_ok
        or (int(y), c) in hidden
        or (m in CUMULATIVE_METRICS and int(y) >= stops[c])
        for y, c, m in keys
    ]
    flag = pl.Series("suppressed", flags, dtype=pl.Boolean)
    table = frame.with_columns(
        *[pl.when(flag).then(None).otherwise(pl.col(c)).alias(c) for c in STAT_COLUMNS], flag
    )
    shown = {
        (int(y), c)
        for y, c in frame.select("year", column).unique().rows()
        if int(y) in years_ok and (int(y), c) not in hidden
    }
    return table, shown


def squeeze_table(squeeze: pl.DataFrame, ok: Mapping[str, set[int]]) -> pl.DataFrame:
    """The protected ``squeeze`` table (year, horizon, levels, shortage_mean, suppressed).

    A horizon's shortage is the sum of the shortage of the levels it carries that year, that
    is of ``by_level`` cells (and of the columns of ``by_area_level``). So a year is published
    when its ``by_level`` year is (every level passed the test, and the horizons add nothing an
    attacker could not add up), or when its totals are and one horizon carries every level (it
    is the national shortage); otherwise the whole year is suppressed, as a horizon of a
    suppressed level would otherwise give the level away (alone, or against the totals)."""
    level_order = {c: i for i, c in enumerate(squeeze["level"].unique(maintain_order=True))}
    summary = (
        squeeze.group_by("year", "horizon")
        .agg(
            pl.col("shortage_mean").sum(),
            pl.col("level").unique().sort_by(pl.col("level").unique().replace_strict(level_order)),
        )
        .with_columns(pl.col("level").list.join(",").alias("levels"))
        .drop("level")
        .sort("year", "horizon")
    )
    count = dict(summary.group_by("year").len().rows())
    suppressed = [
        not (int(y) in ok["by_level"] or (int(y) in ok["totals"] and count[y] == 1))
        for y in summary["year"].to_list()
    ]
    flag = pl.Series("suppressed", suppressed, dtype=pl.Boolean)
    return summary.with_columns(
        pl.when(flag).then(None).otherwise(pl.col("shortage_mean")).alias("shortage_mean"), flag
    ).select("year", "horizon", "levels", "shortage_mean", "suppressed")


def _placed(contrib: pl.DataFrame, places: Mapping[str, tuple[str, str]] | None) -> pl.DataFrame:
    """The contributions with their organisation's segment and region (unplaced ones left out,
    as the bundle leaves them out)."""
    rows = [(str(k), v[0], v[1]) for k, v in (places or {}).items() if v[0] and v[1]]
    frame = pl.DataFrame(
        rows, schema={"contributor": pl.Utf8, "segment": pl.Utf8, "region": pl.Utf8}, orient="row"
    )
    return contrib.join(frame, on="contributor", how="inner")


def place_table(
    frame: pl.DataFrame,
    column: str,
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    places: Mapping[str, tuple[str, str]] | None,
    ok: Mapping[str, set[int]],
    rules: DisclosureRules | None = None,
) -> pl.DataFrame:
    """The protected ``by_segment`` (``column`` segment) or ``by_region`` table: year, code,
    metric, mean, suppressed."""
    years = sorted({int(y) for y in frame["year"].unique().to_list()})
    parts = _cell_parts(detail.filter(pl.col("kind") != "unallocated_supply"), (column,))
    shares = {**_share_map(parts, (column,)), **_share_map(parts, ())}
    unsafe: set[tuple[Any, ...]] | None = None
    if places is not None:
        placed = _placed(contrib, places)
        unsafe = set()
        for view in VIEWS:
            data = cumulative_with(placed, years, (column,), view)
            unsafe |= _unsafe_map(data, (column,), rules)
    values = ["headcount", "openings", "supply"]
    wide = frame.filter(pl.col(column).is_not_null())
    hidden: set[tuple[int, Any]] = set()
    for year in years:
        if year not in ok["totals"]:
            continue
        cells = _grid_cells(wide.filter(pl.col("year") == year), (column,), values)

        def fails(key: tuple[Any, ...], year: int = year) -> bool:
            return _failing(shares, unsafe, (year, *key))

        pattern = _year_pattern(cells, (column,), values, fails, lambda key: True, rules)
        hidden.update((year, k[0]) for k in pattern)
    long = wide.unpivot(
        on=list(PLACE_METRICS), index=["year", column], variable_name="metric", value_name="mean"
    )
    flag = pl.Series(
        "suppressed",
        [
            int(y) not in ok["totals"] or (int(y), c) in hidden
            for y, c in long.select("year", column).rows()
        ],
        dtype=pl.Boolean,
    )
    order = {m: i for i, m in enumerate(PLACE_METRICS)}
    return (
        long.with_columns(pl.when(flag).then(None).otherwise(pl.col("mean")).alias("mean"), flag)
        .select("year", column, "metric", "mean", "suppressed")
        .sort(pl.col("year"), pl.col(column), pl.col("metric").replace_strict(order))
    )


def coverage_table(
    frame: pl.DataFrame,
    protected: pl.DataFrame,
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    places: Mapping[str, tuple[str, str]] | None,
    survey: pl.DataFrame,
    ok: Mapping[str, set[int]],
    rules: DisclosureRules | None = None,
) -> pl.DataFrame:
    """The protected ``coverage`` table: per year and segment (null: all segments) the openings,
    supply and gap of the run's ``by_segment`` frame ``frame`` (means over the draws, which add
    up; not the central run, whose segments could show a surplus where the draws show a
    shortage) and the share of the openings the survey reported, where its protection allows.
    ``protected`` is the protected ``by_segment`` table, ``survey`` the protected
    ``survey_needs``; the reported openings are the ``detail`` rows of kind ``reported`` (the
    survey's new hires, the same in every draw)."""
    model = frame.filter(pl.col("segment").is_not_null()).select(
        pl.col("year").cast(pl.Int64),
        "segment",
        pl.col("openings", "supply", "gap").cast(pl.Float64).fill_null(0.0),
    )
    reported = (
        detail.filter((pl.col("kind") == "reported") & pl.col("segment").is_not_null())
        .group_by("year", "segment")
        .agg(pl.col("openings").fill_null(0.0).sum().alias("_rep"))
        .with_columns(pl.col("year").cast(pl.Int64))
    )
    sums = model.join(reported, on=["year", "segment"], how="left").with_columns(
        pl.col("_rep").fill_null(0.0)
    )
    national = (
        sums.group_by("year")
        .agg(pl.col("openings", "supply", "gap", "_rep").sum())
        .with_columns(pl.lit(None, pl.Utf8).alias("segment"))
    )
    rows = pl.concat([sums, national.select(sums.columns)]).sort("year", "segment", nulls_last=True)
    hidden = {
        (int(y), s)
        for y, s in protected.filter(pl.col("suppressed")).select("year", "segment").unique().rows()
    }
    suppressed = [
        int(y) not in ok["totals"] or (s is not None and (int(y), s) in hidden)
        for y, s in rows.select("year", "segment").rows()
    ]
    # the reported openings by segment × year, as a survey table of their own
    years = sorted({int(y) for y in rows["year"].to_list()})
    share_ok: set[tuple[int, Any]] = set()
    present: set[tuple[int, Any]] = set()
    if places is not None:
        placed = _placed(contrib, places).filter(pl.col("year").is_in(years))
        present = {(int(y), g) for y, g in placed.select("year", "segment").unique().rows()}
        if placed.height:
            table = public_view(
                protect_survey(
                    placed.select("contributor", "segment", "year", "value"),
                    Hierarchy(parents={"segment": {}}, by=("year",)),
                    rules,
                )
            )
            share_ok = {
                (int(y), s)
                for y, s in table.filter(~pl.col("suppressed")).select("year", "segment").rows()
            }
    totals = survey.filter(
        pl.col("area").is_null() & pl.col("level").is_null() & pl.col("year").is_not_null()
    )
    surveyed = {int(y) for y in totals["year"].to_list()}
    total_ok = {int(y) for y in totals.filter(~pl.col("suppressed"))["year"].to_list()}
    share_flags = []
    for y, s in rows.select("year", "segment").rows():
        year = int(y)
        if year not in surveyed:
            share_flags.append(False)  # nothing reported that year: the share is 0
        elif year not in total_ok:
            share_flags.append(True)  # the year's total is suppressed in survey_needs
        elif s is None:
            share_flags.append(False)
        elif places is not None and (year, s) not in present:
            share_flags.append(False)  # no organisation placed there reported: the share is 0
        else:  # the segment's cell, and the year's margin as survey_needs publishes it
            share_flags.append((year, s) not in share_ok or (year, None) not in share_ok)
    # a share beside suppressed openings would give them away (the reported part is known)
    share_flags = [a or b for a, b in zip(share_flags, suppressed, strict=True)]
    # a share above 1 means nothing: a segment's openings are its share of each cell's net
    # openings, which other employers' cuts in the same cells can bring below the survey's own
    # new hires there. It is withheld, not capped: openings × a capped share would be the model's
    # openings offered as the answer, which the attacker suite rightly counts when they are close
    above = [
        o is not None and o > 0 and r > o + 1e-9
        for o, r in zip(rows["openings"].to_list(), rows["_rep"].to_list(), strict=True)
    ]
    share_flags = [a or b for a, b in zip(share_flags, above, strict=True)]
    flag = pl.Series("suppressed", suppressed, dtype=pl.Boolean)
    share_flag = pl.Series("share_suppressed", share_flags, dtype=pl.Boolean)
    share = pl.when(pl.col("openings") > 0).then(pl.col("_rep") / pl.col("openings")).otherwise(0.0)
    return rows.with_columns(
        *[
            pl.when(flag).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("openings", "supply", "gap")
        ],
        pl.when(share_flag).then(None).otherwise(share).alias("reported_share"),
        flag,
        share_flag,
    ).select(
        "year",
        "segment",
        "openings",
        "supply",
        "gap",
        "reported_share",
        "suppressed",
        "share_suppressed",
    )


#: The numbers of the ``conditional`` table.
CONDITIONAL_NUMBERS = (
    "probability",
    "draws",
    "shortage_mean",
    "shortage_p10",
    "shortage_p50",
    "shortage_p90",
    "direct_jobs_end_mean",
    "shortage_mean_without",
    "effect",
)


def conditional_table(frame: pl.DataFrame, ok_years: set[int], all_years: set[int]) -> pl.DataFrame:
    """The protected ``conditional`` table: published whole when every year of ``totals`` is."""
    hidden = not all_years <= ok_years
    return frame.with_columns(
        *[pl.lit(None, dtype=frame.schema[c]).alias(c) for c in CONDITIONAL_NUMBERS if hidden],
        pl.lit(hidden).alias("suppressed"),
    )


def exceedance_table(frame: pl.DataFrame, ok_years: set[int], all_years: set[int]) -> pl.DataFrame:
    """The protected ``exceedance`` table: a year's rows where that year of ``totals`` is
    published, the horizon's rows (``year`` null) when every year is."""
    whole = all_years <= ok_years
    shown = (
        pl.when(pl.col("year").is_null())
        .then(pl.lit(whole))
        .otherwise(pl.col("year").is_in(sorted(ok_years)))
    )
    return frame.with_columns(
        pl.when(shown).then(pl.col("probability")).otherwise(None).alias("probability"),
        (~shown).alias("suppressed"),
    )
