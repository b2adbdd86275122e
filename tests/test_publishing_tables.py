"""The protected public tables added for the dashboard (battkomp.analysis.publishing.tables): the
two-way table by area × level, the time squeeze, the tables by segment and region and the
value-chain coverage. A planted dominant company (or a cell with fewer than three contributors)
gets its cell suppressed, with enough other cells that the engine's linear-programming audit
cannot narrow it down from the published margins."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from battkomp.analysis.publishing.contributions import (
    contributions,
    cumulative,
    only_hires,
    publishable_years,
    yearly,
)
from battkomp.analysis.publishing.protection import protect_grid
from battkomp.analysis.publishing.snapshot import public_tables
from battkomp.analysis.publishing.tables import (
    AREA_LEVEL_METRICS,
    TABLES,
    area_level_table,
    carried_floors,
    carries,
    coverage_table,
    model_table,
    place_table,
    split_table,
    squeeze_table,
)
from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    assess,
    audit,
    relations,
    required_protection,
)
from battkomp.engine.sdc import NoisedRules, NoiseParameters, unsafe_cells

YEAR = 2030
AREAS = ("a1", "a2", "a3", "a4")
LEVELS = ("l1", "l2", "l3")
PLANTED = 61.0  # dominates its cell (about 20 openings without it), not its year
LARGE = 4321.0  # dominates its segment and its horizon
STATS = ("mean", "p10", "p50", "p90")


def grid(values: dict[tuple[str, str], float]) -> pl.DataFrame:
    """One year's cells by area × level with every margin (null = total)."""
    rows = [(a, lv, values[(a, lv)]) for a in AREAS for lv in LEVELS]
    rows += [(a, None, sum(values[(a, lv)] for lv in LEVELS)) for a in AREAS]
    rows += [(None, lv, sum(values[(a, lv)] for a in AREAS)) for lv in LEVELS]
    rows += [(None, None, sum(values.values()))]
    return pl.DataFrame(
        rows, schema={"area": pl.Utf8, "level": pl.Utf8, "v": pl.Float64}, orient="row"
    )


def lp_audit(cells: pl.DataFrame, suppressed: np.ndarray, value: str) -> pl.DataFrame:
    """The engine's attack on the table as published (suppressed cells null)."""
    keys = ["area", "level"]
    hierarchy = Hierarchy(parents={"area": {}, "level": {}})
    published = cells.select(
        *keys,
        pl.when(pl.Series(suppressed)).then(None).otherwise(pl.col(value)).alias("value"),
        pl.Series("suppressed", suppressed),
    )
    intervals = audit(published, relations(published, hierarchy))
    return assess(intervals, cells.select(*keys, pl.col(value).alias("value")))


# --- the secondary suppression on one year's grid --------------------------------------------


def test_a_failing_cell_is_hidden_with_enough_others_that_the_lp_audit_cannot_pin_it() -> None:
    values = {(a, lv): 10.0 + 3 * i + j for i, a in enumerate(AREAS) for j, lv in enumerate(LEVELS)}
    cells = grid(values)
    rows = cells.select("area", "level").rows()
    primary = np.array([r == ("a2", "l2") for r in rows])
    margin = np.array([None in r for r in rows])
    suppressed = protect_grid(cells, ["area", "level"], ["v"], primary, margin, ~margin & False)
    assert suppressed[rows.index(("a2", "l2"))]
    assert not suppressed[margin].any()  # the margins are published elsewhere
    assert 4 <= suppressed.sum() < (~margin).sum()  # a rectangle at least, not everything
    judged = lp_audit(cells, suppressed, "v")
    target = judged.filter((pl.col("area") == "a2") & (pl.col("level") == "l2"))
    assert target["adequate"].all()
    assert target["width"][0] >= required_protection(np.array([values[("a2", "l2")]]))[0]


def test_a_failing_margin_hidden_elsewhere_is_protected_in_the_grid_too() -> None:
    values = {(a, lv): 5.0 + i + 2 * j for i, a in enumerate(AREAS) for j, lv in enumerate(LEVELS)}
    cells = grid(values)
    rows = cells.select("area", "level").rows()
    row_margin = np.array([r[0] is not None and r[1] is None for r in rows])
    fixed = np.array([r[0] is None for r in rows])  # the levels and the total are published
    primary = np.array([r == ("a3", None) for r in rows])
    suppressed = protect_grid(cells, ["area", "level"], ["v"], primary, fixed, row_margin)
    assert suppressed[rows.index(("a3", None))]
    inner = [r for r, s in zip(rows, suppressed, strict=True) if s and None not in r]
    assert {r[0] for r in inner} >= {"a3"}
    assert len({r[0] for r in inner}) >= 2  # another row too, or the columns would give a3 away
    judged = lp_audit(cells, suppressed, "v")
    assert judged.filter((pl.col("area") == "a3") & pl.col("level").is_null())["adequate"].all()


def test_a_cell_that_cannot_be_protected_suppresses_the_whole_year() -> None:
    cells = pl.DataFrame(
        {"area": ["a1", None], "v": [7.0, 7.0]}, schema={"area": pl.Utf8, "v": pl.Float64}
    )
    primary = np.array([True, False])
    fixed = np.array([False, True])
    suppressed = protect_grid(cells, ["area"], ["v"], primary, fixed, np.zeros(2, dtype=bool))
    assert suppressed.all()


def test_a_floor_below_one_person_needs_fewer_cells_and_keeps_the_p_rule_and_the_floor() -> None:
    # a late year's openings: small (replacement on carried staff), the failing one 0.4 of a
    # person; one person of width needs many small cells, a scaled floor fewer
    values = {
        (a, lv): 0.3 + 0.1 * i + 0.05 * j
        for i, a in enumerate(AREAS)
        for j, lv in enumerate(LEVELS)
    }
    values[("a2", "l2")] = 0.4
    cells = grid(values)
    rows = cells.select("area", "level").rows()
    primary = np.array([r == ("a2", "l2") for r in rows])
    margin = np.array([None in r for r in rows])
    none = np.zeros(len(rows), dtype=bool)
    whole = protect_grid(cells, ["area", "level"], ["v"], primary, margin, none)
    floor = np.full(len(rows), 0.02)
    scaled = protect_grid(
        cells, ["area", "level"], ["v"], primary, margin, none, floors={"v": floor}
    )
    assert scaled.sum() < whole.sum()
    width = lp_audit(cells, scaled, "v").filter(
        (pl.col("area") == "a2") & (pl.col("level") == "l2")
    )["width"][0]
    assert width >= max(0.02, 0.1 * 0.4) - 1e-9  # the floor and the p% rule both hold
    assert width > 0  # never exact


def test_what_a_cell_carries_of_the_answers() -> None:
    detail = pl.DataFrame(
        {
            "kind": ["carried_forward", "carried_forward", "reported", "imputed"],
            "area": ["a1", "a2", "a1", "a1"],
            "level": ["l1", "l1", "l1", "l1"],
            "year": [2040, 2040, 2026, 2040],
            "openings": [0.6, 0.0, 12.0, 5.0],
            "headcount": [30.0, 10.0, 40.0, 100.0],
        }
    )
    contrib = pl.DataFrame(
        {
            "contributor": ["x", "y"],
            "area": ["a1", "a2"],
            "level": ["l1", "l1"],
            "year": [2026, 2026],
            "value": [12.0, 0.0],
            "staff": [30.0, 10.0],
        }
    )
    carry = carries(detail, contrib, ("area", "level"), [2026, 2040])
    assert carry[(2026, "a1", "l1")] == 1.0  # new hires of the year: one for one
    grow = 1 + NoiseParameters().high  # the public run's openings are noised
    assert carry[(2040, "a1", "l1")] == pytest.approx(grow * 0.6 / 30.0)  # replacement
    assert carry[(2040, "a2", "l1")] == 0.0  # carries no openings of the answers
    assert carry[(2040, None, None)] == pytest.approx(grow * 0.6 / 40.0)
    cells = grid({(a, lv): 1.0 for a in AREAS for lv in LEVELS})
    floors = carried_floors(cells, ("area", "level"), ["headcount", "openings"], carry, 2040, None)
    assert set(floors) == {"openings"}  # headcount carries the staff one for one: 1 person
    at = cells.select("area", "level").rows().index(("a1", "l1"))
    assert floors["openings"][at] == pytest.approx(grow * 0.02)
    # a cell that carries no openings of the answers still keeps a hundredth of a person
    assert floors["openings"][cells.select("area", "level").rows().index(("a2", "l1"))] == 0.01
    assert floors["openings"][cells.select("area", "level").rows().index(("a3", "l1"))] == 1.0


# --- synthetic frames of a run ---------------------------------------------------------------


def _detail(
    planted_area: str, planted_level: str, segment_of: dict[str, str], planted: float
) -> pl.DataFrame:
    """The central run's detail: model rows in every cell, plus the survey's reported rows
    (company x's planted answer dominating one cell, companies y, z elsewhere)."""
    rows: list[dict[str, Any]] = []
    for i, a in enumerate(AREAS):
        for j, lv in enumerate(LEVELS):
            segment = ("cells", "packs")[(i + j) % 2]
            rows.append(
                {
                    "kind": "imputed",
                    "segment": segment,
                    "region": "42",
                    "level": lv,
                    "area": a,
                    "year": YEAR,
                    "headcount": 40.0 + i + j,
                    "openings": 20.0 + i + 2 * j,
                    "supply": 12.0 + j,
                    "gap": 8.0 + i + j,
                }
            )
    for org, area, level, hires in (
        ("x", planted_area, planted_level, planted),
        ("y", "a4", "l1", 2.0),
        ("z", "a4", "l3", 3.0),
    ):
        rows.append(
            {
                "kind": "reported",
                "segment": segment_of[org],
                "region": "42",
                "level": level,
                "area": area,
                "year": YEAR,
                "headcount": 5.0,
                "openings": hires,
                "supply": 0.0,
                "gap": hires,
            }
        )
    return pl.DataFrame(rows)


def _contrib(planted_area: str, planted_level: str, planted: float) -> pl.DataFrame:
    lines = [
        ("x", {"area": planted_area, "level": planted_level, "year": YEAR, "new_hires": planted}),
        ("y", {"area": "a4", "level": "l1", "year": YEAR, "new_hires": 2}),
        ("z", {"area": "a4", "level": "l3", "year": YEAR, "new_hires": 3}),
    ]
    return contributions([(org, {**line, "total_staff": 5}) for org, line in lines])


def _national(detail: pl.DataFrame) -> pl.DataFrame:
    cells = (
        detail.group_by("year", "area", "level")
        .agg(pl.col("headcount", "openings", "supply", "gap").sum())
        .sort("area", "level")
    )
    frames = []
    for metric in ("headcount", "openings", "supply_education", "gap"):
        source = "supply" if metric == "supply_education" else metric
        frames.append(
            cells.select(
                "year",
                "level",
                "area",
                pl.lit("g").alias("area_group"),
                pl.lit(metric).alias("metric"),
                pl.col(source).alias("mean"),
                (pl.col(source) * 0.8).alias("p10"),
                pl.col(source).alias("p50"),
                (pl.col(source) * 1.2).alias("p90"),
            )
        )
    return pl.concat(frames)


def _squeeze(detail: pl.DataFrame) -> pl.DataFrame:
    cells = detail.group_by("year", "area", "level").agg(pl.col("gap").sum())
    horizon = {"l1": "short", "l2": "medium", "l3": "medium"}
    return cells.select(
        "year",
        "level",
        "area",
        pl.col("level").replace_strict(horizon).alias("horizon"),
        pl.col("gap").clip(lower_bound=0.0).alias("shortage_mean"),
    ).sort("area", "level")


def _ok(**published: bool) -> dict[str, set[int]]:
    return {name: ({YEAR} if published.get(name, False) else set()) for name in MODEL}


MODEL = ("totals", "by_level", "by_area")


def make_run(planted: float) -> dict[str, Any]:
    segment_of = {"x": "cells", "y": "packs", "z": "packs"}
    detail = _detail("a2", "l2", segment_of, planted)
    return {
        "detail": detail,
        "national": _national(detail),
        "squeeze": _squeeze(detail),
        "contrib": _contrib("a2", "l2", planted),
        "places": {o: (s, "42") for o, s in segment_of.items()},
    }


@pytest.fixture
def run() -> dict[str, Any]:
    return make_run(PLANTED)


@pytest.fixture
def large() -> dict[str, Any]:
    return make_run(LARGE)


def _model_ok(run: dict[str, Any]) -> dict[str, set[int]]:
    """The published years of totals, by_level and by_area, as public_tables decides them."""
    columns = {"totals": None, "by_level": "level", "by_area": "area"}
    return {
        name: publishable_years(run["detail"], run["contrib"], column, [YEAR])
        for name, column in columns.items()
    }


def hidden_cells(table: pl.DataFrame, *keys: str) -> set[tuple[Any, ...]]:
    """The keys of a protected table's suppressed rows."""
    return set(table.filter(pl.col("suppressed")).select(*keys).unique().rows())


def assert_suppressed_rows_are_empty(table: pl.DataFrame, *columns: str) -> None:
    """A suppressed row carries no number: its ``columns`` (the mean by default) are empty."""
    suppressed = table.filter(pl.col("suppressed"))
    for column in columns or ("mean",):
        assert suppressed[column].null_count() == suppressed.height, column


def assert_all_suppressed(table: pl.DataFrame, *columns: str) -> None:
    """Every row of the table suppressed, none with a number."""
    assert table["suppressed"].all()
    assert_suppressed_rows_are_empty(table, *columns)


def old_frames(run: dict[str, Any]) -> dict[str, pl.DataFrame]:
    """The frames of a run made before the model's newer frames (by area × level, squeeze,
    places …): one gap a year in the totals, by level and by area, and the run's detail."""
    totals = pl.DataFrame(
        {"year": [YEAR], "metric": ["gap"], **{c: [1.0] for c in STATS}},
        schema={"year": pl.Int64, "metric": pl.Utf8, **dict.fromkeys(STATS, pl.Float64)},
    )
    by_level = totals.with_columns(pl.lit("l1").alias("level")).select(
        "year", "level", "metric", *STATS
    )
    by_area = totals.with_columns(pl.lit("a1").alias("area")).select(
        "year", "area", "metric", *STATS
    )
    return {"totals": totals, "by_level": by_level, "by_area": by_area, "detail": run["detail"]}


def test_by_area_level_hides_the_planted_cell_and_enough_others(run: dict[str, Any]) -> None:
    ok = _model_ok(run)
    assert ok["totals"] == {YEAR}  # the planted answer does not dominate the year
    table = area_level_table(run["national"], run["squeeze"], run["detail"], run["contrib"], ok)
    assert set(table["metric"].unique().to_list()) == set(AREA_LEVEL_METRICS)
    hidden = hidden_cells(table, "area", "level")
    assert ("a2", "l2") in hidden
    assert len(hidden) >= 2
    assert len(hidden) < len(AREAS) * len(LEVELS)
    assert_suppressed_rows_are_empty(table, *STATS)
    # the engine's audit of each additive metric as published, with the margins that
    # by_area and by_level publish (and the total)
    rows = grid({(a, lv): 0.0 for a in AREAS for lv in LEVELS}).select("area", "level").rows()
    shown = set(table.filter(~pl.col("suppressed")).select("area", "level").unique().rows())
    mask = np.array(
        [
            (None not in r and r not in shown)
            or (r[0] is not None and r[1] is None and YEAR not in ok["by_area"])
            or (r[0] is None and r[1] is not None and YEAR not in ok["by_level"])
            for r in rows
        ]
    )
    for metric in ("headcount", "openings", "shortage"):
        cells = table.filter(pl.col("metric") == metric)
        truth = area_level_table(
            run["national"],
            run["squeeze"],
            run["detail"],
            run["contrib"],
            ok,
            DisclosureRules(min_contributors=1, p=0.0),
        ).filter(pl.col("metric") == metric)
        assert cells.height == truth.height
        values = {(a, lv): float(v) for a, lv, v in truth.select("area", "level", "mean").rows()}
        judged = lp_audit(grid(values), mask, "v")
        target = judged.filter((pl.col("area") == "a2") & (pl.col("level") == "l2"))
        assert target["adequate"].all(), metric


def test_by_area_level_suppresses_a_year_whose_totals_are_suppressed(run: dict[str, Any]) -> None:
    table = area_level_table(run["national"], run["squeeze"], run["detail"], run["contrib"], _ok())
    assert_all_suppressed(table)


def test_a_cell_with_two_safe_contributors_is_suppressed_too(run: dict[str, Any]) -> None:
    """Fewer than three contributors fail the rules even without one dominating."""
    lines = [
        ("x", {"area": "a1", "level": "l1", "new_hires": 30}),
        ("y", {"area": "a1", "level": "l1", "new_hires": 29}),
    ]
    contrib = contributions([(o, {**line, "year": YEAR, "total_staff": 5}) for o, line in lines])
    detail = run["detail"].with_columns(
        pl.when(pl.col("kind") == "reported")
        .then(pl.lit("a1"))
        .otherwise(pl.col("area"))
        .alias("area"),
        pl.when(pl.col("kind") == "reported")
        .then(pl.lit("l1"))
        .otherwise(pl.col("level"))
        .alias("level"),
    )
    table = area_level_table(
        run["national"], run["squeeze"], detail, contrib, _ok(totals=True, by_level=True)
    )
    hidden = hidden_cells(table, "area", "level")
    assert ("a1", "l1") in hidden
    assert len(hidden) >= 2


def test_the_squeeze_follows_the_levels_it_adds_up(large: dict[str, Any]) -> None:
    """A horizon is a sum of levels: with by_level suppressed the year goes whole (the medium
    horizon less the total would give a level away), with by_level published it is public."""
    table = squeeze_table(large["squeeze"], _ok(totals=True))
    assert {"year", "horizon", "shortage_mean", "suppressed"} <= set(table.columns)
    medium = table.filter(pl.col("horizon") == "medium")
    assert medium["levels"].to_list() == ["l2,l3"]
    assert_all_suppressed(table, "shortage_mean")
    published = squeeze_table(large["squeeze"], _ok(totals=True, by_level=True))
    assert not published["suppressed"].any()
    total = large["squeeze"]["shortage_mean"].sum()
    assert published["shortage_mean"].sum() == pytest.approx(total)
    # one horizon for every level: the national shortage, published with the totals
    single = large["squeeze"].with_columns(pl.lit("none").alias("horizon"))
    alone = squeeze_table(single, _ok(totals=True))
    assert alone.rows() == [(YEAR, "none", "l1,l2,l3", pytest.approx(total), False)]
    assert squeeze_table(single, _ok())["suppressed"].all()


def _by_place(detail: pl.DataFrame, column: str) -> pl.DataFrame:
    return (
        detail.group_by("year", column)
        .agg(pl.col("headcount", "openings", "supply", "gap").sum())
        .sort(column)
    )


def test_by_segment_hides_the_planted_companys_segment(large: dict[str, Any]) -> None:
    frame = _by_place(large["detail"], "segment")
    table = place_table(
        frame, "segment", large["detail"], large["contrib"], large["places"], _ok(totals=True)
    )
    hidden = set(table.filter(pl.col("suppressed"))["segment"].to_list())
    # two segments and a published total: the other one must go too
    assert hidden == {"cells", "packs"}
    assert table["mean"].null_count() == table.height
    without_places = place_table(
        frame, "segment", large["detail"], large["contrib"], None, _ok(totals=True)
    )
    assert without_places.filter(pl.col("segment") == "cells")["suppressed"].all()


def _survey_total(new_hires: float | None) -> pl.DataFrame:
    """A ``survey_needs`` table of one year's total, published (or suppressed when None)."""
    return pl.DataFrame(
        {
            "area": [None],
            "level": [None],
            "year": [YEAR],
            "new_hires": [new_hires],
            "suppressed": [new_hires is None],
        },
        schema={
            "area": pl.Utf8,
            "level": pl.Utf8,
            "year": pl.Int64,
            "new_hires": pl.Float64,
            "suppressed": pl.Boolean,
        },
    )


def test_coverage_withholds_the_share_where_the_survey_table_does(large: dict[str, Any]) -> None:
    frame = _by_place(large["detail"], "segment")
    ok = _ok(totals=True)
    protected = place_table(
        frame, "segment", large["detail"], large["contrib"], large["places"], ok
    )
    survey = _survey_total(None)
    table = coverage_table(
        frame, protected, large["detail"], large["contrib"], large["places"], survey, ok
    )
    assert table.columns == [
        "year",
        "segment",
        "openings",
        "supply",
        "gap",
        "reported_share",
        "suppressed",
        "share_suppressed",
    ]
    assert table["share_suppressed"].all()
    assert table["reported_share"].null_count() == table.height
    national = table.filter(pl.col("segment").is_null())
    assert not national["suppressed"].any()
    assert national["openings"][0] == pytest.approx(large["detail"]["openings"].sum())


def test_coverage_takes_the_segments_means_from_the_draws_not_the_central_run(
    large: dict[str, Any],
) -> None:
    """Issue 14: a segment's openings, supply and gap in ``coverage`` are those of the
    ``by_segment`` frame (means over the draws, which add up to the national means), even where
    the central run's ``detail`` differs, and the all-segments row is their sum."""
    frame = _by_place(large["detail"], "segment").with_columns(
        (pl.col("openings") * 2).alias("openings"), (pl.col("gap") - 7).alias("gap")
    )
    ok = _ok(totals=True)
    protected = place_table(frame, "segment", large["detail"], large["contrib"], None, ok)
    survey = _survey_total(1.0)
    table = coverage_table(frame, protected, large["detail"], large["contrib"], None, survey, ok)
    segments = frame.filter(pl.col("segment").is_not_null())
    national = table.filter(pl.col("segment").is_null()).row(0, named=True)
    assert national["openings"] == pytest.approx(segments["openings"].sum())
    assert national["gap"] == pytest.approx(segments["gap"].sum())
    published = table.filter(pl.col("segment").is_not_null() & ~pl.col("suppressed"))
    for row in published.iter_rows(named=True):
        want = segments.filter(pl.col("segment") == row["segment"]).row(0, named=True)
        assert row["openings"] == pytest.approx(want["openings"])
        assert row["gap"] == pytest.approx(want["gap"])


def test_coverage_withholds_a_share_above_one_rather_than_capping_it(
    large: dict[str, Any],
) -> None:
    """The reported share is the survey's new hires over the model's openings; where the openings
    are smaller (other employers' cuts in the same cells) the share is withheld, not shown as a
    number above 1 nor capped at 1 (openings x 1 would offer the model's openings as the answer)."""
    detail = large["detail"]
    reported = detail.filter((pl.col("kind") == "reported") & pl.col("segment").is_not_null())[
        "openings"
    ].sum()
    assert reported > 0
    base = _by_place(detail, "segment")
    ok = _ok(totals=True)
    for ratio, withheld in ((2.0, False), (0.5, True)):
        scale = ratio * reported / base["openings"].sum()
        frame = base.with_columns(pl.col("openings") * scale)
        protected = place_table(frame, "segment", detail, large["contrib"], None, ok)
        table = coverage_table(
            frame, protected, detail, large["contrib"], None, _survey_total(1.0), ok
        )
        national = table.filter(pl.col("segment").is_null()).row(0, named=True)
        assert national["openings"] == pytest.approx(ratio * reported)
        assert national["share_suppressed"] is withheld
        if withheld:
            assert national["reported_share"] is None
        else:
            assert national["reported_share"] == pytest.approx(1 / ratio)
        shares = table["reported_share"].drop_nulls()
        assert shares.is_empty() or shares.max() <= 1.0 + 1e-9


def test_a_run_without_the_new_frames_publishes_the_old_tables_only(run: dict[str, Any]) -> None:
    frames = old_frames(run)
    tables = public_tables(frames, run["contrib"], {})
    assert list(tables) == ["totals", "by_level", "by_area", "survey_needs"]
    assert set(tables) <= set(TABLES)


def test_the_rules_are_honoured(run: dict[str, Any]) -> None:
    """A looser p% (0) and threshold (1) publish the cell that the default rules suppress."""
    loose = DisclosureRules(min_contributors=1, p=0.0)
    table = area_level_table(
        run["national"],
        run["squeeze"],
        run["detail"],
        run["contrib"],
        _ok(totals=True, by_level=True, by_area=True),
        loose,
    )
    assert not table["suppressed"].any()


def test_a_cumulative_metric_stops_at_the_first_suppressed_year() -> None:
    """cumulative_gap(t+1) − gap(t+1) = cumulative_gap(t): after a suppressed year t, the
    cumulative metric of later years would give it away."""
    years = [2030, 2031, 2032]
    frame = pl.DataFrame(
        {
            "year": [y for y in years for _ in range(2)],
            "metric": ["gap", "cumulative_gap"] * 3,
            **{c: [1.0, 1.0, 2.0, 3.0, 4.0, 7.0] for c in STATS},
        }
    )
    table = model_table(frame, {2030, 2032})
    published = table.filter(~pl.col("suppressed")).select("year", "metric").rows()
    assert published == [(2030, "gap"), (2030, "cumulative_gap"), (2032, "gap")]
    assert table.filter(pl.col("suppressed"))["mean"].null_count() == 3


def test_by_areas_cumulative_metric_is_published_wherever_the_areas_yearly_cells_are(
    large: dict[str, Any],
) -> None:
    """split_table withholds a cumulative metric only for the areas with a hidden cell (from
    their first one on), not for every area: an area whose every cell up to a year is published
    has its cumulative value of that year published too."""
    later = large["detail"].filter(pl.col("kind") != "reported")
    detail = pl.concat(
        [large["detail"], later.with_columns(pl.lit(YEAR + 1, pl.Int64).alias("year"))]
    )
    sums = (
        detail.group_by("year", "area")
        .agg(pl.col("headcount", "openings", "supply", "gap").sum())
        .sort("area", "year")
        .with_columns(
            pl.col("gap").clip(lower_bound=0.0).alias("shortage"),
            pl.col("gap").cum_sum().over("area").alias("cumulative_gap"),
        )
    )
    frame = sums.unpivot(index=["year", "area"], variable_name="metric", value_name="mean")
    frame = frame.with_columns(pl.col("mean").alias(c) for c in STATS[1:])
    table, shown = split_table(frame, "area", detail, large["contrib"], {YEAR, YEAR + 1})
    hidden = {(y, a) for y in (YEAR, YEAR + 1) for a in AREAS} - shown
    assert (YEAR, "a2") in hidden  # the planted company's area
    assert len({a for _, a in hidden}) < len(AREAS)  # and not every area
    cumulative = {
        (y, a): not s
        for y, a, s in table.filter(pl.col("metric") == "cumulative_gap")
        .select("year", "area", "suppressed")
        .rows()
    }
    for year, area in cumulative:
        clean = all((y, area) not in hidden for y in (YEAR, YEAR + 1) if y <= year)
        assert cumulative[(year, area)] == clean, (year, area)
    published = table.filter((pl.col("metric") == "cumulative_gap") & ~pl.col("suppressed"))
    assert published["mean"].null_count() == 0


def test_the_tables_are_remembered_only_for_the_same_inputs(
    run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """public_tables builds once per distinct input: the same arguments again give the same
    tables without building; any change (an answer, the rules) builds anew."""
    from battkomp.analysis.publishing import snapshot

    calls: list[int] = []
    build = snapshot.build_public_tables

    def counting(*args: Any, **kwargs: Any) -> dict[str, pl.DataFrame]:
        calls.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(snapshot, "build_public_tables", counting)
    monkeypatch.setattr(snapshot, "_CACHE", type(snapshot._CACHE)())
    frames = old_frames(run)
    first = public_tables(frames, run["contrib"], {})
    again = public_tables(dict(frames), run["contrib"].clone(), {})
    assert len(calls) == 1
    assert list(again) == list(first)
    for name in first:
        assert again[name].equals(first[name])
    changed = run["contrib"].with_columns(pl.col("value") + 1.0)
    public_tables(frames, changed, {})
    public_tables(frames, run["contrib"], {}, DisclosureRules(min_contributors=1, p=0.0))
    assert len(calls) == 3


def test_a_year_whose_new_hires_two_companies_report_is_not_saved_by_others_staff() -> None:
    """Two organisations report nearly all of a year's new hires, with factors that cancel (the
    noised pair is within 1 % of the true one); ten others report one new hire each and a large
    staff. The year's openings carry the new hires, not the staff, so the year's national results
    are not published: either of the two could read the other's answer from them. Hires and
    staff added up into one value, as the test did before, the others' staff made the year look
    safe (issue 10: the national openings in ``coverage`` and ``totals`` then showed the pair's
    cell, which ``survey_needs`` suppressed)."""
    lines = [("a", 1000, 2), ("b", 1000, 2)] + [(f"o{i}", 1, 300) for i in range(10)]
    contrib = contributions(
        [
            (org, {"area": "a1", "level": "l1", "year": YEAR, "new_hires": h, "total_staff": s})
            for org, h, s in lines
        ]
    )
    detail = pl.DataFrame(
        [
            {"kind": "reported", "year": YEAR, "openings": float(h), "headcount": float(s)}
            for _, h, s in lines
        ]
        + [{"kind": "imputed", "year": YEAR, "openings": 10.0, "headcount": 50.0}]
    )
    noise = {"a": 1.15, "b": 0.86, **{f"o{i}": 1.12 for i in range(10)}}
    rules = NoisedRules(noise=noise)
    assert publishable_years(detail, contrib, None, [YEAR], rules) == set()
    # the views that mix hires and staff pass on their own: the new hires alone fail
    year = Hierarchy(parents={"year": {}})
    for view in (cumulative, yearly):
        cells = unsafe_cells(view(contrib, [YEAR]), year, rules)
        assert not cells.filter(pl.col("year") == YEAR)["unsafe"].item()
    cells = unsafe_cells(only_hires(yearly)(contrib, [YEAR]), year, rules)
    assert cells.filter(pl.col("year") == YEAR)["unsafe"].item()
    # without the pair's noise cancelling, the year is published
    apart = NoisedRules(noise={**noise, "b": 1.14})
    assert publishable_years(detail, contrib, None, [YEAR], apart) == {YEAR}
