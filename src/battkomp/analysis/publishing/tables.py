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
    Per year and segment (and all segments, ``segment`` null): openings, supply and gap of the
    central run (suppressed exactly as ``by_segment``), and ``reported_share``, the share of the
    openings the survey reported. The reported openings by segment are protected with
    :func:`~battkomp.engine.disclosure.protect` (segment × year, each organisation a
    contributor); ``reported_share`` is null (``share_suppressed``) where that table suppresses
    the cell, and in a year whose total in ``survey_needs`` is suppressed.
``measure_effects``
    The supply each counted measure adds per year and target cell (measure, year, level, area,
    supply). A ``recruit_abroad`` measure fills what the channels leave of the cell's shortfall,
    so its supply carries the cell's openings: it follows ``by_area_level`` (null wherever that
    cell is hidden there, or the year is not published). The measures known to add places that
    arrive whether or not jobs wait (``educate``, ``retrain``, ``evu_module``:
    :func:`fixed_measures`, unchanged since the run started) carry no answer and are published
    in every published year; without that knowledge every measure follows the cell.
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
    filled in again (:func:`rerender_reason`) with it and with its share of the cell's published
    openings; the other placeholders (names, year, time available, lead times) hold no answer.

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

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linprog

from battkomp.engine.advice import format_number
from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    primary_unsafe,
    protect,
    public_view,
    relations,
    required_protection,
    tabulate,
)

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


def views(contrib: pl.DataFrame, years: Iterable[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both views of the contributions each year's results carry: cumulative and yearly."""
    years = list(years)
    return cumulative(contrib, years), yearly(contrib, years)


def _cumulative_with(
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
        cells = tabulate(data, Hierarchy(parents=parents))
        cells = cells.with_columns(primary_unsafe(cells, rules).alias("_unsafe"))
        unsafe = cells.filter(pl.col("_unsafe") & pl.col("year").is_not_null())
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
            _share(row["open_survey"], row["open_all"]),
            _share(row["year_survey"], row["year_all"]),
            _share(row["head_survey"], row["head_all"]),
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


# ------------------------------------------------------ cell tests for tables split two ways


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
    """(year, *codes) → the survey's share (see :func:`_shares`) of the cells of ``parts``
    grouped by ``columns``."""
    sums = parts.group_by(["year", *columns]).agg(
        pl.col(
            "open_all", "open_survey", "year_all", "year_survey", "head_all", "head_survey"
        ).sum()
    )
    out: dict[tuple[Any, ...], float] = {}
    for row in sums.iter_rows(named=True):
        share = max(
            _share(row["open_survey"], row["open_all"]),
            _share(row["year_survey"], row["year_all"]),
            _share(row["head_survey"], row["head_all"]),
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
    cells = tabulate(data, Hierarchy(parents={**{c: {} for c in columns}, "year": {}}))
    cells = cells.with_columns(primary_unsafe(cells, rules).alias("_unsafe"))
    unsafe = cells.filter(pl.col("_unsafe") & pl.col("year").is_not_null())
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


# -------------------------------------------------------------- secondary suppression by LP


_TOL = 1e-7


def _system(
    values: np.ndarray, hidden: np.ndarray, rels: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the attacker knows: ``A x = b`` over the hidden cells ``x`` (with ``x ≥ 0``), from
    the additive relations and the published values. Returns the variable index of every cell
    (-1 for published ones), ``A`` and ``b``."""
    index = np.full(len(values), -1, dtype=np.int64)
    where = np.flatnonzero(hidden)
    index[where] = np.arange(where.size)
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for members in rels:
        sign = np.ones(members.size)
        sign[1:] = -1.0  # total − Σ parts = 0
        var = index[members]
        if (var < 0).all():
            continue
        row = np.zeros(where.size)
        np.add.at(row, var[var >= 0], sign[var >= 0])
        rows.append(row)
        rhs.append(-float((sign[var < 0] * values[members[var < 0]]).sum()))
    if not rows:
        return index, np.zeros((0, where.size)), np.zeros(0)
    return index, np.array(rows), np.array(rhs)


def _extreme(a_eq: np.ndarray, b_eq: np.ndarray, j: int, sense: float) -> tuple[float, Any]:
    """The least value of ``sense × x[j]`` and a point attaining it (None if unbounded; -inf
    when the system is inconsistent, so the cell counts as unprotected)."""
    c = np.zeros(a_eq.shape[1])
    c[j] = sense
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status == 3:
        return -np.inf, None
    if res.status != 0:
        return np.nan, None
    return float(res.fun), np.asarray(res.x, dtype=np.float64)


def _weak(
    values: np.ndarray,
    hidden: np.ndarray,
    rels: list[np.ndarray],
    targets: np.ndarray,
    need: np.ndarray,
) -> list[int]:
    """The ``targets`` whose attacker's interval is narrower than ``need`` (linear programs,
    skipped for a cell whose values at the feasible points already found span its need)."""
    index, a_eq, b_eq = _system(values, hidden, rels)
    points = [values[hidden]]  # the truth is a feasible point
    out: list[int] = []
    for cell in targets:
        j = int(index[cell])
        if not a_eq.shape[0] or not a_eq[:, j].any():
            continue  # bounded by nothing but x ≥ 0
        want = need[cell] * (1 - _TOL) - _TOL
        seen = [p[j] for p in points]
        if max(seen) - min(seen) >= want:
            continue
        low, point = _extreme(a_eq, b_eq, j, 1.0)
        if point is not None:
            points.append(point)
        high, point = _extreme(a_eq, b_eq, j, -1.0)
        if point is not None:
            points.append(point)
        width = -high - low
        if np.isnan(width) or width < want:
            out.append(int(cell))
    return out


def protect_grid(
    cells: pl.DataFrame,
    keys: Sequence[str],
    values: Sequence[str],
    primary: np.ndarray,
    fixed: np.ndarray,
    hidden: np.ndarray,
    rules: DisclosureRules | None = None,
) -> np.ndarray:
    """Which cells of one year's table to suppress: the ``primary`` cells (they failed the
    test), the ``hidden`` ones (not published anywhere) and enough others that every primary
    cell keeps an interval at least :func:`required_protection` wide under the linear-programming
    attack, for each of the additive, non-negative ``values`` columns.

    ``cells`` holds every cell of the table, margins included (a null key is the total of that
    column); margins must equal the sums of their children. ``fixed`` cells are published
    elsewhere and never suppressed here. When a primary cell cannot be protected, every cell is
    suppressed.
    """
    rules = rules or DisclosureRules()
    n = cells.height
    everything = np.ones(n, dtype=bool)
    if bool((primary & fixed).any()):
        return everything
    rels = [
        np.array(r.members, dtype=np.int64)
        for r in relations(cells.select(keys), Hierarchy(parents={k: {} for k in keys}))
    ]
    of_cell: list[list[int]] = [[] for _ in range(n)]
    for i, members in enumerate(rels):
        for m in members:
            of_cell[int(m)].append(i)
    rank = (
        cells.select(pl.sum_horizontal(pl.col(k).is_null().cast(pl.Int64) for k in keys))
        .to_series()
        .to_numpy()
    )
    arrays = {
        v: np.clip(cells[v].fill_null(0.0).to_numpy().astype(np.float64), 0, None) for v in values
    }
    suppressed = primary | hidden
    targets = np.flatnonzero(primary)
    needs = {v: _needs(arrays[v], fixed, rels, rules) for v in values}
    for _ in range(n + 1):
        added = False
        for v in values:
            data, need = arrays[v], needs[v]
            for cell in _weak(data, suppressed, rels, targets, need):
                pick = _widener(
                    cell, float(need[cell]), data, suppressed, fixed, rank, rels, of_cell
                )
                if pick < 0:
                    return everything
                suppressed[pick] = True
                added = True
        if not added:
            return suppressed
    return everything


def _needs(
    data: np.ndarray, fixed: np.ndarray, rels: list[np.ndarray], rules: DisclosureRules
) -> np.ndarray:
    """The width each cell's interval must have: :func:`required_protection`, but no more than
    the smallest total published elsewhere that the cell is a part of (that total bounds the cell
    already, whatever this table shows; a cell of a zero total is known to be zero)."""
    need = np.asarray(required_protection(data, rules), dtype=np.float64).copy()
    for members in rels:
        total = int(members[0])
        if fixed[total]:
            parts = members[1:]
            need[parts] = np.minimum(need[parts], data[total])
    return need


def _widener(
    cell: int,
    want: float,
    data: np.ndarray,
    suppressed: np.ndarray,
    fixed: np.ndarray,
    rank: np.ndarray,
    rels: list[np.ndarray],
    of_cell: list[list[int]],
) -> int:
    """A published cell to suppress to widen ``cell``'s interval: the nearest one through the
    relations that is not published elsewhere, inner cells first, then the smallest value that
    covers ``want``, else the largest; -1 if there is none."""
    seen = {cell}
    frontier = [cell]
    while frontier:
        ring = sorted(
            {int(m) for c in frontier for r in of_cell[c] for m in rels[r] if int(m) not in seen}
        )
        free = [m for m in ring if not suppressed[m] and not fixed[m]]
        if free:

            def cost(m: int) -> tuple[Any, ...]:
                value = float(data[m])
                big = value >= want
                return (int(rank[m]), 0 if big else 1, value if big else -value, m)

            return min(free, key=cost)
        seen.update(ring)
        frontier = ring
    return -1


# --------------------------------------------------------------------------- the new tables


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
    suppressed = protect_grid(cells, keys, values, primary, known, hidden, rules)
    return {r for r, s, m in zip(rows, suppressed, margin, strict=True) if s and not m}


def area_level_table(
    national: pl.DataFrame,
    squeeze: pl.DataFrame | None,
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    ok: Mapping[str, set[int]],
    rules: DisclosureRules | None = None,
) -> pl.DataFrame:
    """The protected ``by_area_level`` table; ``ok`` holds the published years of ``totals``,
    ``by_level`` and ``by_area``."""
    frame = area_level_frame(national, squeeze)
    years = sorted({int(y) for y in frame["year"].unique().to_list()})
    columns = ("area", "level")
    parts = _cell_parts(detail, columns)
    shares: dict[tuple[Any, ...], float] = {}
    for subset in (columns, ("area",), ("level",), ()):
        for key, share in _share_map(parts, subset).items():
            full = dict(zip(subset, key[1:], strict=True))
            shares[(key[0], full.get("area"), full.get("level"))] = share
    cum, own = views(contrib, years)
    unsafe = _unsafe_map(cum, columns, rules) | _unsafe_map(own, columns, rules)
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
            return year in ok["by_level" if area is None else "by_area"]

        pattern = _year_pattern(cells, columns, values, fails, published, rules)
        hidden_cells.update((year, *k) for k in pattern)
    shown = {
        (int(y), a, lv)
        for y, a, lv in frame.select("year", "area", "level").unique().rows()
        if int(y) in ok["totals"] and (int(y), a, lv) not in hidden_cells
    }
    keep = pl.DataFrame(
        {
            "year": [k[0] for k in shown],
            "area": [k[1] for k in shown],
            "level": [k[2] for k in shown],
            "_shown": [True] * len(shown),
        },
        schema={"year": pl.Int64, "area": pl.Utf8, "level": pl.Utf8, "_shown": pl.Boolean},
    )
    joined = frame.join(keep, on=["year", "area", "level"], how="left", maintain_order="left")
    out = _stat_table(joined, pl.col("_shown").is_null()).drop("_shown")
    return out.select("year", "area", "level", "metric", *STAT_COLUMNS, "suppressed")


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
        for view in (cumulative, yearly):
            data = _cumulative_with(placed, years, (column,), view)
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
    protected: pl.DataFrame,
    detail: pl.DataFrame,
    contrib: pl.DataFrame,
    places: Mapping[str, tuple[str, str]] | None,
    survey: pl.DataFrame,
    ok: Mapping[str, set[int]],
    rules: DisclosureRules | None = None,
) -> pl.DataFrame:
    """The protected ``coverage`` table: per year and segment (null: all segments) the central
    run's openings, supply and gap (as in the protected ``by_segment``) and the share of the
    openings the survey reported, where its protection allows. ``protected`` is the protected
    ``by_segment`` table, ``survey`` the protected ``survey_needs``."""
    model = detail.filter(pl.col("kind") != "unallocated_supply")
    sums = model.group_by("year", "segment").agg(
        pl.col("openings", "supply", "gap").fill_null(0.0).sum(),
        pl.col("openings").filter(pl.col("kind") == "reported").fill_null(0.0).sum().alias("_rep"),
    )
    national = (
        model.group_by("year")
        .agg(
            pl.col("openings", "supply", "gap").fill_null(0.0).sum(),
            pl.col("openings")
            .filter(pl.col("kind") == "reported")
            .fill_null(0.0)
            .sum()
            .alias("_rep"),
        )
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
                protect(
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


# ------------------------------------------------------- measures, abroad and recommendations

#: The columns of the protected ``measure_effects``, ``abroad`` and ``recommendations`` tables.
MEASURE_EFFECT_COLUMNS = ("measure", "year", "level", "area", "supply", "suppressed")
ABROAD_COLUMNS = (
    "year",
    "level",
    "area",
    "need",
    "recruited",
    "unmet",
    "cap_needed",
    "lead_time_months",
    "available_years",
    "domestic_lead_years",
    "channels",
    "suppressed",
)
#: The numbers of ``abroad`` that are null in a suppressed row.
ABROAD_NUMBERS = ("need", "recruited", "unmet", "cap_needed", "lead_time_months")
RECOMMENDATION_COLUMNS = (
    "year",
    "level",
    "area",
    "horizon",
    "lever",
    "commandment",
    "rule",
    "reason_nb",
    "reason_en",
    "offers",
    "measures",
    "shortage",
    "suppressed",
)


def published_cells(area_level: pl.DataFrame) -> set[tuple[int, str, str]]:
    """(year, area, level) of the cells the protected ``by_area_level`` publishes."""
    shown = area_level.filter(~pl.col("suppressed")).select("year", "area", "level").unique()
    return {(int(y), str(a), str(lv)) for y, a, lv in shown.rows()}


def _cell_flags(frame: pl.DataFrame, cells: set[tuple[int, str, str]]) -> pl.Series:
    """True for each row of ``frame`` whose (year, area, level) cell is not in ``cells``."""
    return pl.Series(
        "suppressed",
        [
            (int(y), str(a), str(lv)) not in cells
            for y, a, lv in frame.select("year", "area", "level").rows()
        ],
        dtype=pl.Boolean,
    )


#: The measure levers whose supply arrives whether or not jobs wait (places × completion, and
#: for ``educate`` the capture share): it carries no survey answer.
FIXED_LEVERS = ("educate", "retrain", "evu_module")


def measure_effects_table(
    frame: pl.DataFrame,
    cells: set[tuple[int, str, str]],
    years: set[int],
    fixed: Iterable[str] = (),
) -> pl.DataFrame:
    """The protected ``measure_effects`` table. The supply of a ``recruit_abroad`` measure is
    what the channels leave of the cell's shortfall (up to its capacity), so it carries the
    cell's openings and with them the survey's answers: it is published where ``by_area_level``
    publishes the cell (``cells``). The measures in ``fixed`` (known to be of a kind in
    :data:`FIXED_LEVERS`) add places that carry no answer: they are published in every year
    whose ``totals`` are (``years``). Without ``fixed``, every measure follows the cell."""
    known = set(fixed)
    flag = pl.Series(
        "suppressed",
        [
            (int(y) not in years) or (m not in known and (int(y), str(a), str(lv)) not in cells)
            for m, y, a, lv in frame.select("measure", "year", "area", "level").rows()
        ],
        dtype=pl.Boolean,
    )
    return frame.with_columns(
        pl.when(flag).then(None).otherwise(pl.col("supply")).alias("supply"), flag
    ).select(*MEASURE_EFFECT_COLUMNS)


def abroad_table(frame: pl.DataFrame, cells: set[tuple[int, str, str]]) -> pl.DataFrame:
    """The protected ``abroad`` table: a row's need, recruits, unmet need and lead time are
    published where ``by_area_level`` publishes its cell, else null (``suppressed``); the
    not confidential columns (time available, domestic lead time, channels) stay."""
    if "cap_needed" not in frame.columns:  # a run from before the caps needed were reported
        frame = frame.with_columns((pl.col("recruited") + pl.col("unmet")).alias("cap_needed"))
    flag = _cell_flags(frame, cells)
    return frame.with_columns(
        *[pl.when(flag).then(None).otherwise(pl.col(c)).alias(c) for c in ABROAD_NUMBERS],
        flag,
    ).select(*ABROAD_COLUMNS)


_FORMATTER = string.Formatter()


def _template_pattern(template: str) -> re.Pattern[str] | None:
    """A regular expression matching the text of ``template`` filled in, with a named group
    for each placeholder (the same group again where a placeholder repeats)."""
    parts = ["^"]
    seen: set[str] = set()
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        return None
    for literal, field, _spec, _conv in parsed:
        parts.append(re.escape(literal))
        if field is None:
            continue
        if not field.isidentifier():
            return None
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
        seen.add(field)
    parts.append("$")
    return re.compile("".join(parts), re.DOTALL)


def rerender_reason(
    reason: str | None, template: str | None, shortage: float, share: float, lang: str
) -> str | None:
    """The engine's ``reason`` (``template`` filled in) with its ``{shortage}`` and ``{share}``
    replaced by the published ones; the other placeholders (level, area, year, horizon, time
    available, lead times) come from inputs that hold no survey answer and are kept. None when
    the reason does not match its template (nothing unprotected is ever passed on)."""
    if not reason or not template:
        return None
    pattern = _template_pattern(template)
    found = pattern.match(reason) if pattern else None
    if found is None:
        return None
    values = dict(found.groupdict())
    values["shortage"] = format_number(round(shortage), "nb" if lang == "nb" else "en")
    percent = format_number(round(100 * share), "nb" if lang == "nb" else "en")
    values["share"] = percent + ("\u00a0%" if lang == "nb" else "%")
    return template.format_map(values)


def recommendations_table(
    frame: pl.DataFrame, area_level: pl.DataFrame, rules: pl.DataFrame | None
) -> pl.DataFrame:
    """The protected ``recommendations`` table: only the rows whose cell (the year the gap
    opens, area, level) ``by_area_level`` publishes (a hidden cell's row is left out whole, as
    its existence, lever and horizon would speak of it); ``shortage`` is the published mean
    shortage of the cell, and the reasons are filled in again with it and with the share of the
    cell's published openings (``rules``: the ``recommendation_rules`` the reasons came from)."""
    cells = published_cells(area_level)
    means = {
        (int(y), str(a), str(lv), str(m)): v
        for y, a, lv, m, v in area_level.filter(~pl.col("suppressed"))
        .select("year", "area", "level", "metric", "mean")
        .rows()
    }
    templates: dict[str, tuple[str, str]] = {}
    if rules is not None:
        for r in rules.iter_rows(named=True):
            templates[str(r["id"])] = (str(r["reason_nb"] or ""), str(r["reason_en"] or ""))
    rows: list[dict[str, Any]] = []
    for r in frame.iter_rows(named=True):
        key = (int(r["year"]), str(r["area"]), str(r["level"]))
        shortage = means.get((*key, "shortage"))
        if key not in cells or shortage is None:
            continue
        openings = means.get((*key, "openings")) or 0.0
        share = shortage / openings if openings > 0 else 1.0
        nb, en = templates.get(str(r["rule"]), (None, None)) if r["rule"] else (None, None)
        rows.append(
            {
                **{c: r[c] for c in ("year", "level", "area", "horizon", "lever")},
                "commandment": r["commandment"],
                "rule": r["rule"],
                "reason_nb": rerender_reason(r["reason_nb"], nb, shortage, share, "nb"),
                "reason_en": rerender_reason(r["reason_en"], en, shortage, share, "en"),
                "offers": r["offers"],
                "measures": r["measures"],
                "shortage": float(shortage),
                "suppressed": False,
            }
        )
    schema = {
        "year": pl.Int64,
        "level": pl.Utf8,
        "area": pl.Utf8,
        "horizon": pl.Utf8,
        "lever": pl.Utf8,
        "commandment": pl.Int64,
        "rule": pl.Utf8,
        "reason_nb": pl.Utf8,
        "reason_en": pl.Utf8,
        "offers": pl.Utf8,
        "measures": pl.Utf8,
        "shortage": pl.Float64,
        "suppressed": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema).select(*RECOMMENDATION_COLUMNS)


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
