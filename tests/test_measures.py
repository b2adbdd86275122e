"""Measures (tiltak) as supply: agreed and running measures add places or recruitment capacity to
the cells they target, proposed, done and dropped measures add nothing, and bad measures give
clear problems naming file, row and column (docs/model.md section 5.4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine import run_model
from battkomp.engine.bundle import Problem, check_bundle, load_inputs
from bundlekit import (
    BASE_YEAR,
    YEARS,
    assert_results_identical,
    cell_index,
    central,
    default_rows,
    write_bundle,
)

Row = dict[str, object]


def _measure(mid: str = "m1", **kw: object) -> Row:
    row: Row = {
        "id": mid,
        "name": "Extra battery places",
        "owner": "Test owner",
        "commandment": 6,
        "lever": "educate",
        "status": "agreed",
        "places_per_year": 40,
        "start_year": BASE_YEAR + 1,
        "end_year": None,
        "duration_years": 3,
        "completion_rate": 0.5,
        "cost_nok": 1000000,
        "url": None,
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


def _target(
    mid: str = "m1", level: str = "nkr6", area: str = "electrochemistry", w: float = 1.0
) -> Row:
    return {"measure": mid, "level": level, "area": area, "weight": w}


def _survey(cells: dict[tuple[str, str, str], float]) -> list[Row]:
    """A respondent without facilities needing ``new_hires`` every year in (role, level, area)."""
    return [
        {
            "organisation": "org_lab",
            "segment": "research_services",
            "region": "42",
            "role": role,
            "level": level,
            "area": area,
            "year": int(year),
            "new_hires": need,
            "total_staff": 50,
            "source": "synthetic test data",
        }
        for year in YEARS
        for (role, level, area), need in cells.items()
    ]


NEED = {("process_engineer", "nkr6", "electrochemistry"): 30.0}


def _bundle(folder: Path, measures: list[Row], targets: list[Row], **more: list[Row]) -> Path:
    return write_bundle(
        folder,
        {"survey_needs": _survey(NEED), "measures": measures, "measure_targets": targets, **more},
    )


def _capture(level: str) -> float:
    shares = load_inputs(None)["capture_share"]
    return float(shares.filter(pl.col("level") == level)["mode"][0])


# ------------------------------------------------------------------------------ supply and gap


def test_agreed_measures_reduce_the_gap_by_exactly_their_supply_where_nothing_else_reacts(
    tmp_path: Path,
) -> None:
    # no retraining pools and no recruitment channels: nothing else answers the need
    measures = [
        _measure("m_edu"),
        _measure(
            "m_course",
            lever="retrain",
            status="running",
            places_per_year=8,
            duration_years=0.5,
            completion_rate=None,
        ),
    ]
    targets = [
        _target("m_edu", w=0.75),
        _target("m_edu", area="cell_design", w=0.25),
        _target("m_course"),
    ]
    cm, fl = central(_bundle(tmp_path / "b", measures, targets))
    assert fl.measure_supply is not None
    assert fl.gap_without_measures is not None
    c = cell_index(cm, "nkr6", "electrochemistry")
    design = cell_index(cm, "nkr6", "cell_design")

    edu = np.where(YEARS >= BASE_YEAR + 1 + 3, 40 * 0.5 * _capture("nkr6"), 0.0)
    course = np.where(YEARS >= BASE_YEAR + 1, 8.0, 0.0)  # 0.5 years: arrives in its intake year
    np.testing.assert_allclose(fl.measure_supply[0][:, c], 0.75 * edu + course)
    np.testing.assert_allclose(fl.measure_supply[0][:, design], 0.25 * edu)
    # the gap falls by exactly what the measures add, in the needy cell and in the idle one
    reduction = fl.gap_without_measures[0] - fl.gap[0]
    np.testing.assert_array_equal(reduction, fl.measure_supply[0])
    np.testing.assert_allclose(fl.gap_without_measures[0][:, c], 30.0)
    np.testing.assert_allclose(fl.gap[0][:, c], 30.0 - 0.75 * edu - course)
    assert (fl.supply_retraining == 0).all()
    assert (fl.supply_recruitment == 0).all()
    # the pairs add up to the cells
    assert fl.measure_pairs is not None
    np.testing.assert_allclose(fl.measure_pairs[0].sum(axis=0), fl.measure_supply[0].sum(axis=1))


def test_the_run_reports_gap_and_shortage_without_measures_and_each_measures_effect(
    tmp_path: Path,
) -> None:
    folder = _bundle(
        tmp_path / "b", [_measure(capture_share=None)] if False else [_measure()], [_target()]
    )
    result = run_model(folder, draws=60, seed=3)
    totals = result["totals"]
    metrics = set(totals["metric"].to_list())
    assert {"measure_supply", "gap_without_measures", "shortage_without_measures"} <= metrics

    def series(metric: str) -> np.ndarray:
        return totals.filter(pl.col("metric") == metric).sort("year")["mean"].to_numpy()

    np.testing.assert_allclose(
        series("gap_without_measures") - series("gap"), series("measure_supply"), atol=1e-3
    )
    assert (series("shortage_without_measures") >= series("shortage") - 1e-6).all()
    effects = result["measure_effects"]
    assert effects.columns == ["measure", "year", "level", "area", "supply"]
    per_year = effects.group_by("year").agg(pl.col("supply").sum()).sort("year")["supply"]
    np.testing.assert_allclose(per_year.to_numpy(), series("measure_supply"), rtol=1e-5, atol=1e-4)
    # supply in the totals counts the measures
    np.testing.assert_allclose(
        series("supply"),
        series("supply_education")
        + series("supply_retraining")
        + series("supply_recruitment")
        + series("measure_supply"),
        rtol=1e-5,
        atol=1e-3,
    )
    for frame in ("by_level", "by_area", "national"):
        assert "gap_without_measures" in set(result[frame]["metric"].to_list()), frame


@pytest.mark.parametrize("status", ["proposed", "done", "dropped"])
def test_measures_that_are_not_agreed_or_running_add_nothing(tmp_path: Path, status: str) -> None:
    with_measure = _bundle(tmp_path / "with", [_measure(status=status)], [_target()])
    without = _bundle(tmp_path / "without", [], [])

    cm, fl = central(with_measure)
    _, plain = central(without)

    assert cm.measures.count == 0
    assert fl.measure_supply is None
    np.testing.assert_array_equal(fl.gap, plain.gap)
    a = run_model(with_measure, draws=30, seed=1)
    b = run_model(without, draws=30, seed=1)
    assert a["measure_effects"].height == 0
    assert "measure_supply" not in set(a["totals"]["metric"].to_list())
    for name in ("national", "totals", "by_level", "time_squeeze", "abroad", "recommendations"):
        assert a[name].equals(b[name]), name


def test_measures_draw_no_random_numbers_so_other_draws_stay_the_same(tmp_path: Path) -> None:
    a = run_model(_bundle(tmp_path / "a", [_measure()], [_target()]), draws=40, seed=5)
    b = run_model(_bundle(tmp_path / "b", [], []), draws=40, seed=5)

    def openings(r: object) -> pl.DataFrame:
        return r["national"].filter(pl.col("metric") == "openings")  # type: ignore[index]

    assert openings(a).equals(openings(b))
    gap_without = a["national"].filter(pl.col("metric") == "gap_without_measures")
    gap = b["national"].filter(pl.col("metric") == "gap")
    np.testing.assert_array_equal(gap_without["mean"].to_numpy(), gap["mean"].to_numpy())


def test_an_intake_window_limits_the_arrivals(tmp_path: Path) -> None:
    measure = _measure(start_year=BASE_YEAR, end_year=BASE_YEAR + 2, duration_years=2.5)
    cm, fl = central(_bundle(tmp_path / "b", [measure], [_target()]))
    assert fl.measure_supply is not None
    series = fl.measure_supply[0][:, cell_index(cm, "nkr6", "electrochemistry")]

    arrives = (YEARS >= BASE_YEAR + 2) & (YEARS <= BASE_YEAR + 4)
    np.testing.assert_allclose(series, np.where(arrives, 40 * 0.5 * _capture("nkr6"), 0.0))


def test_blank_duration_and_completion_take_the_level_defaults(tmp_path: Path) -> None:
    measure = _measure(duration_years=None, completion_rate=None, start_year=BASE_YEAR)
    cm, fl = central(
        _bundle(tmp_path / "b", [measure], [_target(level="nkr5", area="cell_assembly")])
    )
    levels = load_inputs(None)["education_levels"].filter(pl.col("code") == "nkr5")
    duration, completion = float(levels["duration_years"][0]), float(levels["completion_rate"][0])
    assert fl.measure_supply is not None
    series = fl.measure_supply[0][:, cell_index(cm, "nkr5", "cell_assembly")]

    expected = 40 * completion * _capture("nkr5")
    np.testing.assert_allclose(series, np.where(BASE_YEAR + int(duration) <= YEARS, expected, 0.0))


def _channel(cap: float) -> Row:
    return {
        "id": "rc1",
        "level": "nkr6",
        "area": "electrochemistry",
        "cap_per_year": cap,
        "lead_time_months": 0,
        "first_year": BASE_YEAR,
        "source": "synthetic test data",
    }


@pytest.mark.parametrize(("places", "extra"), [(5.0, 5.0), (50.0, 20.0)])
def test_recruit_abroad_measures_add_capacity_after_the_channels(
    tmp_path: Path, places: float, extra: float
) -> None:
    measure = _measure(
        lever="recruit_abroad",
        commandment=7,
        places_per_year=places,
        start_year=BASE_YEAR,
        duration_years=None,
        completion_rate=None,
    )
    folder = _bundle(tmp_path / "b", [measure], [_target()], recruitment_channels=[_channel(10.0)])
    cm, fl = central(folder)
    c = cell_index(cm, "nkr6", "electrochemistry")
    assert fl.measure_supply is not None
    assert fl.gap_without_measures is not None

    np.testing.assert_allclose(fl.supply_recruitment[0][:, c], 10.0)  # the channel first
    np.testing.assert_allclose(fl.measure_supply[0][:, c], extra)  # then the measure, up to need
    np.testing.assert_allclose(fl.gap[0][:, c], 30.0 - 10.0 - extra)
    np.testing.assert_allclose(fl.gap_without_measures[0][:, c], 20.0)


def test_a_measures_places_take_the_place_of_recruits_that_would_have_come(tmp_path: Path) -> None:
    measure = _measure(
        lever="retrain",
        places_per_year=12,
        start_year=BASE_YEAR,
        duration_years=0,
        completion_rate=1.0,
    )
    folder = _bundle(tmp_path / "b", [measure], [_target()], recruitment_channels=[_channel(25.0)])
    cm, fl = central(folder)
    c = cell_index(cm, "nkr6", "electrochemistry")
    assert fl.gap_without_measures is not None
    assert fl.measure_supply is not None

    # 30 needed: without the measure 25 are recruited (gap 5); with it, 12 places and 18 recruits
    np.testing.assert_allclose(fl.gap_without_measures[0][:, c], 5.0)
    np.testing.assert_allclose(fl.measure_supply[0][:, c], 12.0)
    np.testing.assert_allclose(fl.supply_recruitment[0][:, c], 18.0)
    np.testing.assert_allclose(fl.gap[0][:, c], 0.0)


def test_the_detail_table_counts_measure_supply(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path / "b", [_measure(start_year=BASE_YEAR, duration_years=0)], [_target()]
    )
    result = run_model(folder, draws=20, seed=0)
    detail = result["detail"].filter(pl.col("year") == BASE_YEAR + 1)
    _, fl = central(folder)
    national = fl.gap[0][1].sum()

    assert float(detail["gap"].sum()) == pytest.approx(float(national))


def test_results_with_measures_are_bit_identical_for_any_split_of_draws(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    folder = _bundle(
        tmp_path / "b",
        [
            _measure(),
            _measure(
                "m2", lever="recruit_abroad", commandment=7, places_per_year=3, start_year=BASE_YEAR
            ),
        ],
        [_target(), _target("m2", level="nkr8", area="cell_design")],
    )
    a = run_model(folder, draws=600, seed=9, blocks_per_task=1)
    with ThreadPoolExecutor(max_workers=3) as pool:
        b = run_model(folder, draws=600, seed=9, executor=pool, blocks_per_task=2)
    assert_results_identical(a, b)


def test_the_demo_bundle_has_counted_and_uncounted_synthetic_measures() -> None:
    inputs = load_inputs(None)
    assert inputs["measures"].height == 0  # the defaults alone have none
    from battkomp.engine.bundle import demo_bundle_path

    demo = load_inputs(demo_bundle_path())
    measures = demo["measures"]
    statuses = set(measures["status"].to_list())
    assert {"agreed", "running", "proposed"} <= statuses
    assert all(str(s).startswith("synthetic demo") for s in measures["source"].to_list())
    result = run_model(None, scenario="mid", draws=20, seed=0)
    counted = set(result["measure_effects"]["measure"].to_list())
    assert counted == set(
        measures.filter(pl.col("status").is_in(["agreed", "running"]))["id"].to_list()
    )


# ------------------------------------------------------------------------------ validation


def _one(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.message("en") for p in problems]
    return found[0]


def _where(p: Problem) -> tuple[str, int | None, str | None]:
    return (p.location.file, p.location.row, p.location.column)


def test_a_commandment_missing_from_commandments_is_named(tmp_path: Path) -> None:
    nine = [r for r in default_rows("commandments") if r["number"] != "10"]
    folder = _bundle(
        tmp_path / "b",
        [_measure(), _measure("m2", commandment=10)],
        [_target(), _target("m2")],
        commandments=nine,
    )

    problem = _one(check_bundle(folder), "unknown_commandment")

    assert _where(problem) == ("b/measures.csv", 3, "commandment")
    assert "no commandment number 10" in problem.message("en")
    assert "kompetansebud nummer 10" in problem.message("nb")


def test_a_commandment_out_of_range_is_named(tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "b", [_measure(commandment=11)], [_target()])

    problem = _one(check_bundle(folder), "above_maximum")

    assert _where(problem) == ("b/measures.csv", 2, "commandment")


def test_target_weights_must_sum_to_one_per_measure(tmp_path: Path) -> None:
    targets = [_target(w=0.5), _target(area="cell_design", w=0.3)]
    folder = _bundle(tmp_path / "b", [_measure()], targets)

    problem = _one(check_bundle(folder), "sum_not_one")

    assert _where(problem) == ("b/measure_targets.csv", 2, "weight")
    assert "measure=m1 sums to 0.8, not 1" in problem.message("en")


def test_negative_places_are_named(tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "b", [_measure(places_per_year=-5)], [_target()])

    problem = _one(check_bundle(folder), "negative")

    assert _where(problem) == ("b/measures.csv", 2, "places_per_year")
    assert "-5 is negative" in problem.message("en")


@pytest.mark.parametrize(
    ("change", "code", "column"),
    [
        ({"lever": "lobby"}, "not_a_choice", "lever"),
        ({"status": "maybe"}, "not_a_choice", "status"),
        ({"end_year": BASE_YEAR}, "measure_years", "end_year"),
        ({"completion_rate": 1.5}, "probability_range", "completion_rate"),
        ({"duration_years": 11}, "above_maximum", "duration_years"),
    ],
)
def test_bad_measure_cells_are_named(
    tmp_path: Path, change: dict[str, object], code: str, column: str
) -> None:
    folder = _bundle(tmp_path / "b", [_measure(**change)], [_target()])

    problem = _one(check_bundle(folder), code)

    assert _where(problem) == ("b/measures.csv", 2, column)
    assert problem.message("en") != problem.message("nb")


def test_a_counted_measure_needs_targets_but_a_proposed_one_does_not(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path / "b", [_measure(), _measure("m2", status="proposed")], [_target("m2")]
    )

    problem = _one(check_bundle(folder), "measure_without_targets")

    assert _where(problem) == ("b/measures.csv", 2, "id")
    assert "'m1' is agreed" in problem.message("en")
    assert check_bundle(_bundle(tmp_path / "ok", [_measure("m2", status="proposed")], [])) == []


@pytest.mark.parametrize(
    ("target", "code", "column"),
    [
        (_target(mid="m9"), "unknown_code", "measure"),
        (_target(level="evu"), "not_a_true_level", "level"),
        (_target(area="production"), "group_area", "area"),
    ],
)
def test_bad_targets_are_named(tmp_path: Path, target: Row, code: str, column: str) -> None:
    folder = _bundle(tmp_path / "b", [_measure(status="proposed")], [target])

    problem = _one(check_bundle(folder), code)

    assert _where(problem) == ("b/measure_targets.csv", 2, column)


def test_a_weighted_run_counts_a_measure_only_in_the_scenarios_where_it_is_agreed(
    tmp_path: Path,
) -> None:
    folder = _bundle(
        tmp_path / "b",
        [_measure(start_year=BASE_YEAR, duration_years=0)],
        [_target()],
        scenarios=[
            {"name": "with", "weight": 1.0},
            {"name": "without", "weight": 1.0},
        ],
        scenario_overrides=[
            {
                "scenario": "without",
                "table": "measures",
                "key": "m1",
                "column": "status",
                "value": "dropped",
                "source": "synthetic test data",
            }
        ],
    )
    alone = run_model(folder, scenario="with", draws=100, seed=4)
    weighted = run_model(folder, weighted=True, draws=200, seed=4)

    def supply(r: object) -> np.ndarray:
        effects = r["measure_effects"]  # type: ignore[index]
        return effects.sort("year")["supply"].to_numpy()

    # half the draws have the measure, with the same draws as the run of its scenario alone
    np.testing.assert_allclose(supply(weighted), supply(alone) / 2, rtol=1e-12)
    national = weighted["national"].filter(pl.col("metric") == "measure_supply")
    assert national["p10"].max() == 0.0  # draws of the scenario without it add nothing
