"""Invariants of the engine, checked on small generated bundles (hypothesis).

Each example writes a bundle of CSV files to a temporary folder: a few facilities with random
capacity plans, segments, regions, realisation probabilities and delay triangles, and optionally
survey answers and some education, retraining and recruitment supply.
"""

from __future__ import annotations

import multiprocessing
import re
import tempfile
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import battkomp
from battkomp.engine import run_model
from battkomp.engine.bundle import demo_bundle_path, load_inputs
from battkomp.engine.central import central_detail
from battkomp.engine.model import Compiled, compile_inputs, national_flows
from battkomp.engine.montecarlo import BLOCK_SIZE, expected_draw, run_ensemble
from bundlekit import (
    BASE_YEAR,
    END_YEAR,
    assert_results_identical,
    facility,
    plan,
    write_bundle,
)

# Random search, a bounded number of examples per run. A full run once found a negative headcount
# and replacement that the test alone did not: Hypothesis also draws constants from the modules
# loaded, and the full suite loads many more. The case (a respondent group answering zero staff
# where only its own facilities staff the cell, headcount -1.7e-18) is now an explicit example
# (NEGATIVE_BY_ROUNDING) and fixed in survey_staff.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEGMENTS = (
    "raw_materials",
    "active_materials",
    "cell_manufacturing",
    "modules_packs_systems",
    "recycling",
    "research_services",
)
REGIONS = ("03", "15", "42", "50", "SE")
#: (role, level, area) combinations for survey answers
SURVEY_CELLS = (
    ("process_operator", "nkr4", "electrode_manufacturing"),
    ("chemist", "nkr8", "electrochemistry"),
    ("process_engineer", "nkr7", "cell_design"),
    ("electrician", "nkr4", "electrical_power"),
)
# expansion is the signed net change (issue 14: Cedefop's identity), so it is not here
NON_NEGATIVE = (
    "headcount",
    "replacement",
    "openings",
    "supply_education",
    "supply_released",
    "supply_retraining",
    "supply_recruitment",
    "cumulative_gap",
)

Tables = dict[str, list[dict[str, object]]]

#: Found by random search in a full run (issue 14): org0 answers zero staff in a cell only its two
#: planned recycling plants staff, so the other units' share there, the cell's staff less the
#: group's modelled staff summed in another order, came out -1.7e-18 (headcount) and -2.7e-20
#: (replacement) before survey_staff clipped that rounding error.
NEGATIVE_BY_ROUNDING: Tables = {
    "facilities": [
        facility(
            "f0",
            segment="recycling",
            region="SE",
            start_year=2033,
            probability=0.3,
            delay=(0, 1, 3),
            organisation="org0",
            intensity=11.0,
        ),
        facility(
            "f2",
            segment="recycling",
            region="50",
            start_year=2030,
            probability=0.3,
            delay=(0, 2, 3),
            organisation="org0",
            intensity=1.5,
        ),
    ],
    "capacity_plans": [plan("f0", 2036, 1.7), plan("f2", 2033, 1.9)],
    "survey_needs": [
        {
            "organisation": "org0",
            "segment": "cell_manufacturing",
            "region": "42",
            "role": "chemist",
            "level": "nkr8",
            "area": "electrochemistry",
            "year": 2039,
            "new_hires": 15.0,
            "total_staff": 0.0,
            "source": "synthetic test data",
        }
    ],
}

capacities = st.one_of(st.just(0.0), st.floats(0.01, 60.0, allow_nan=False))
probabilities = st.one_of(st.sampled_from([0.0, 0.3, 1.0]), st.floats(0.0, 1.0))


@st.composite
def plants(draw: st.DrawFn, fid: str, organisation: str) -> tuple[dict[str, object], list[Any]]:
    """A facility and its capacity plan (1–3 steps, which may also cut capacity)."""
    start = draw(st.integers(BASE_YEAR - 8, END_YEAR))
    dmin = draw(st.integers(0, 2))
    dmode = dmin + draw(st.integers(0, 2))
    dmax = dmode + draw(st.integers(0, 3))
    years = sorted(draw(st.sets(st.integers(start, start + 8), min_size=1, max_size=3)))
    row = facility(
        fid,
        segment=draw(st.sampled_from(SEGMENTS)),
        region=draw(st.sampled_from(REGIONS)),
        start_year=start,
        probability=draw(probabilities),
        delay=(dmin, dmode, dmax),
        organisation=organisation,
        intensity=draw(st.one_of(st.none(), st.floats(1.0, 200.0))),
    )
    return row, [plan(fid, y, draw(capacities)) for y in years]


@st.composite
def bundles(draw: st.DrawFn, survey: bool = True, supply: bool = True) -> Tables:
    """A small bundle: 1–4 facilities, perhaps survey answers and supply."""
    n = draw(st.integers(1, 4))
    facilities, plans = [], []
    for i in range(n):
        row, steps = draw(plants(f"f{i}", f"org{i % 2}"))
        facilities.append(row)
        plans.extend(steps)
    tables: Tables = {"facilities": facilities, "capacity_plans": plans}
    if survey and draw(st.booleans()):
        # org0 owns facilities (its answers replace the model); org_s owns none (carried forward)
        organisation = draw(st.sampled_from(["org0", "org_s"]))
        role, level, area = draw(st.sampled_from(SURVEY_CELLS))
        years = draw(st.sets(st.integers(BASE_YEAR, END_YEAR), min_size=1, max_size=4))
        tables["survey_needs"] = [
            {
                "organisation": organisation,
                "segment": "cell_manufacturing",
                "region": "42",
                "role": role,
                "level": level,
                "area": area,
                "year": y,
                "new_hires": draw(st.floats(0, 50)),
                "total_staff": draw(st.floats(0, 200)),
                "source": "synthetic test data",
            }
            for y in sorted(years)
        ]
    if supply and draw(st.booleans()):
        level = draw(st.sampled_from(["nkr4", "nkr5", "nkr6", "nkr7"]))
        tables["education_offers"] = [
            {
                "id": "offer1",
                "institution": "Test school",
                "name": "Test programme",
                "kind": "programme",
                "level": level,
                "region": "42",
                "candidates": draw(st.floats(0, 200)),
                "first_intake": draw(st.integers(BASE_YEAR - 5, END_YEAR)),
                "capture_share": draw(st.one_of(st.none(), st.floats(0, 1))),
                "status": draw(st.sampled_from(["exists", "under_development", "planned"])),
                "source": "synthetic test data",
            }
        ]
        tables["offer_areas"] = [
            {"offer": "offer1", "area": "chemical_process", "weight": 0.5},
            {"offer": "offer1", "area": "electrode_manufacturing", "weight": 0.5},
        ]
        tables["retraining_pools"] = [
            {
                "id": "pool1",
                "name": "Test pool",
                "size": draw(st.floats(0, 5000)),
                "share_available": draw(st.floats(0, 1)),
                "first_year": draw(st.integers(BASE_YEAR - 3, END_YEAR)),
                "source": "synthetic test data",
            }
        ]
        tables["retraining_paths"] = [
            {
                "pool": "pool1",
                "target_role": "process_operator",
                "level": "nkr4",
                "share": draw(st.floats(0, 1)),
                "duration_years": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
            }
        ]
        tables["recruitment_channels"] = [
            {
                "id": "rc1",
                "level": "nkr7",
                "area": draw(st.sampled_from(["", "cell_design"])),
                "cap_per_year": draw(st.floats(0, 100)),
                "lead_time_months": draw(st.floats(0, 24)),
                "first_year": draw(st.integers(BASE_YEAR - 2, END_YEAR)),
                "source": "synthetic test data",
            }
        ]
    return tables


def _compile(tables: Tables) -> Compiled:
    with tempfile.TemporaryDirectory() as tmp:
        return compile_inputs(load_inputs(write_bundle(Path(tmp) / "bundle", tables)))


def _detail(tables: Tables) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        inputs = load_inputs(write_bundle(Path(tmp) / "bundle", tables))
    return central_detail(compile_inputs(inputs), inputs["survey_needs"])


def _doubled(tables: Tables) -> Tables:
    out = dict(tables)
    out["capacity_plans"] = [
        {**row, "capacity": 2 * float(row["capacity"])}  # type: ignore[arg-type]
        for row in tables["capacity_plans"]
    ]
    return out


# ------------------------------------------------------------------------------------ signs


@SETTINGS
@given(tables=bundles())
@example(tables=NEGATIVE_BY_ROUNDING)
def test_it_never_produces_negative_headcount_openings_or_supply(tables: Tables) -> None:
    cm = _compile(tables)
    ens = run_ensemble([cm], [30], seed=11)
    central = national_flows(cm, expected_draw(cm))

    for metric in NON_NEGATIVE:
        assert (ens.flows[metric] >= 0).all(), metric
        assert (getattr(central, metric) >= 0).all(), metric
    for kind, jobs in ens.jobs.items():
        assert (jobs >= 0).all(), kind


@SETTINGS
@given(tables=bundles())
def test_openings_are_at_least_expansion_in_every_draw_and_cell(tables: Tables) -> None:
    cm = _compile(tables)
    ens = run_ensemble([cm], [30], seed=12)
    central = national_flows(cm, expected_draw(cm))

    assert (ens.flows["openings"] >= ens.flows["expansion"]).all()
    assert (central.openings >= central.expansion).all()


@SETTINGS
@given(tables=bundles())
def test_recruitment_never_exceeds_the_shortfall_it_fills(tables: Tables) -> None:
    cm = _compile(tables)
    fl = national_flows(cm, expected_draw(cm))

    domestic = fl.supply_education + fl.supply_released + fl.supply_retraining
    shortfall = np.maximum(fl.openings - domestic, 0.0)

    assert (fl.supply_recruitment <= shortfall + 1e-9).all()
    assert np.allclose(fl.gap, fl.openings - domestic - fl.supply_recruitment)


@SETTINGS
@given(tables=bundles())
def test_the_detail_rows_are_never_negative(tables: Tables) -> None:
    detail = _detail(tables)

    # expansion and a row's net requirement (openings) are signed: a row that shrinks releases
    # staff (issue 14); replacement on the staff in place and the supply are never negative
    for column in ("headcount", "replacement", "supply"):
        assert (detail[column].fill_null(0.0) >= -1e-9).all(), column
    reported = detail.filter(pl.col("kind") == "reported")
    assert (reported["openings"] >= 0).all()


# ------------------------------------------------------------------------------ linearity


@SETTINGS
@given(tables=bundles(survey=False))
def test_doubling_every_capacity_doubles_direct_demand_in_the_central_run(
    tables: Tables,
) -> None:
    single, double = _compile(tables), _compile(_doubled(tables))

    fs = national_flows(single, expected_draw(single))
    fd = national_flows(double, expected_draw(double))

    np.testing.assert_allclose(fd.headcount, 2 * fs.headcount, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(fd.expansion, 2 * fs.expansion, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(fd.direct_jobs, 2 * fs.direct_jobs, rtol=1e-12, atol=1e-9)
    # Replacement is charged on the staff in place, which depends on how much of last year's
    # openings the (undoubled) supply filled, so it is not linear in capacity (issue 14).


@SETTINGS
@given(tables=bundles(survey=False), seed=st.integers(0, 2**32 - 1))
def test_doubling_every_capacity_doubles_direct_demand_in_every_draw(
    tables: Tables, seed: int
) -> None:
    single, double = _compile(tables), _compile(_doubled(tables))

    es = run_ensemble([single], [20], seed=seed)
    ed = run_ensemble([double], [20], seed=seed)

    # replacement and so openings depend on the staff in place, which the undoubled supply
    # fills less of: only the staff needed and its net change are linear (issue 14)
    for metric in ("headcount", "expansion"):
        np.testing.assert_allclose(
            ed.flows[metric], 2 * es.flows[metric], rtol=1e-6, atol=1e-4, err_msg=metric
        )


@SETTINGS
@given(tables=bundles(), extra=plants("never_built", "org_never"))
def test_a_facility_that_is_never_realised_adds_nothing(
    tables: Tables, extra: tuple[dict[str, object], list[Any]]
) -> None:
    row, steps = extra
    row["realisation_probability"] = 0.0
    with_it = dict(tables)
    with_it["facilities"] = [*tables["facilities"], row]
    with_it["capacity_plans"] = [*tables["capacity_plans"], *steps]

    base_cm, more_cm = _compile(tables), _compile(with_it)
    base = national_flows(base_cm, expected_draw(base_cm))
    more = national_flows(more_cm, expected_draw(more_cm))

    for metric in ("headcount", "expansion", "replacement", "openings", "gap"):
        np.testing.assert_array_equal(getattr(more, metric), getattr(base, metric), metric)
    assert_frame_equal(_detail(with_it), _detail(tables))


def test_a_facility_that_is_never_realised_drives_nothing(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "bundle",
        {
            "facilities": [
                facility("likely", probability=0.5, delay=(0, 1, 3)),
                facility("never", probability=0.0, region="15"),
            ],
            "capacity_plans": [plan("likely", BASE_YEAR, 10.0), plan("never", BASE_YEAR, 40.0)],
        },
    )

    drivers = run_model(folder, draws=200, seed=3)["drivers"]["driver"].to_list()

    assert "facility:likely" in drivers
    assert "facility:never" not in drivers


# --------------------------------------------------------------------- reproducibility


def _spawn_pool() -> ProcessPoolExecutor:
    # spawn, not fork: forking a process that runs polars' thread pool can deadlock the child
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


@pytest.fixture(scope="module")
def sequential_weighted() -> Any:
    # one thread: the blocks one after another, the statistics too
    return run_model(None, weighted=True, draws=2 * BLOCK_SIZE + 120, seed=5, threads=1)


@pytest.mark.parametrize(
    ("executor_kind", "blocks_per_task", "threads"),
    [
        ("none", 1, None),
        ("none", 2, 1),
        ("none", 1, 3),
        ("threads", 1, 1),
        ("threads", 3, None),
        ("processes", 1, None),
        ("processes", 2, 2),
    ],
)
def test_the_executor_the_threads_and_the_grouping_of_blocks_do_not_change_a_single_bit(
    sequential_weighted: Any, executor_kind: str, blocks_per_task: int, threads: int | None
) -> None:
    kwargs: dict[str, Any] = {
        "weighted": True,
        "draws": 2 * BLOCK_SIZE + 120,
        "seed": 5,
        "threads": threads,
    }
    if executor_kind == "none":
        result = run_model(None, executor=None, blocks_per_task=blocks_per_task, **kwargs)
    elif executor_kind == "threads":
        with ThreadPoolExecutor(max_workers=2) as ex:
            result = run_model(None, executor=ex, blocks_per_task=blocks_per_task, **kwargs)
    else:
        with _spawn_pool() as ex:
            result = run_model(None, executor=ex, blocks_per_task=blocks_per_task, **kwargs)

    assert_results_identical(result, sequential_weighted)


@settings(max_examples=8, deadline=None)
@given(draws=st.integers(1, 3 * BLOCK_SIZE), blocks_per_task=st.integers(1, 4))
def test_any_split_of_the_draws_over_threads_gives_the_same_result(
    draws: int, blocks_per_task: int
) -> None:
    folder = demo_bundle_path()
    reference = run_model(folder, scenario="mid", draws=draws, seed=21)

    with ThreadPoolExecutor(max_workers=2) as ex:
        split = run_model(
            folder,
            scenario="mid",
            draws=draws,
            seed=21,
            executor=ex,
            blocks_per_task=blocks_per_task,
        )

    assert_results_identical(split, reference)


def test_the_same_seed_gives_the_same_results() -> None:
    first = run_model(None, scenario="high", draws=60, seed=42)
    second = run_model(None, scenario="high", draws=60, seed=42)

    assert_results_identical(first, second)


def test_a_different_seed_gives_different_draws() -> None:
    first = run_model(None, scenario="high", draws=60, seed=42)
    other = run_model(None, scenario="high", draws=60, seed=43)

    a, b = first["national"], other["national"]
    assert not np.array_equal(a["mean"].to_numpy(), b["mean"].to_numpy())
    assert not np.array_equal(first["totals"]["p90"].to_numpy(), other["totals"]["p90"].to_numpy())
    # the central detail does not depend on the seed
    assert_frame_equal(first["detail"], other["detail"])


def test_results_carry_the_input_hash_the_seed_and_the_version() -> None:
    result = run_model(None, scenario="mid", draws=20, seed=9)

    assert re.fullmatch(r"[0-9a-f]{64}", str(result.meta["input_hash"]))
    assert result.meta["input_hash"] == load_inputs(demo_bundle_path(), "mid").input_hash
    assert result.meta["seed"] == 9
    assert result.meta["draws"] == 20
    assert result.meta["battkomp_version"] == battkomp.__version__


def test_the_input_hash_changes_with_the_scenario_and_the_inputs(tmp_path: Path) -> None:
    one = write_bundle(
        tmp_path / "one",
        {"facilities": [facility("a")], "capacity_plans": [plan("a", BASE_YEAR, 5.0)]},
    )
    two = write_bundle(
        tmp_path / "two",
        {"facilities": [facility("a")], "capacity_plans": [plan("a", BASE_YEAR, 6.0)]},
    )

    hashes = {
        load_inputs(one).input_hash,
        load_inputs(two).input_hash,
        load_inputs(demo_bundle_path(), "low").input_hash,
        load_inputs(demo_bundle_path(), "high").input_hash,
    }

    assert len(hashes) == 4
    assert load_inputs(one).input_hash == load_inputs(one).input_hash


# ------------------------------------------------------------------------------- bands


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=bundles(), seed=st.integers(0, 1000))
def test_p10_p50_and_p90_are_in_order_everywhere(tables: Tables, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = run_model(write_bundle(Path(tmp) / "bundle", tables), draws=25, seed=seed)

    for name in ("national", "totals", "by_level", "by_area"):
        frame = result[name]
        assert frame.height > 0
        p10, p50, p90 = (frame[c].to_numpy() for c in ("p10", "p50", "p90"))
        assert (p10 <= p50).all(), name
        assert (p50 <= p90).all(), name


class _Recording(Executor):
    """Runs each task when it is submitted; notes how many tasks had been submitted whenever a
    result is taken."""

    def __init__(self) -> None:
        self.submitted = 0
        self.seen: list[int] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        value = fn(*args, **kwargs)
        owner = self

        class _Done(Future[Any]):
            def result(self, timeout: float | None = None) -> Any:
                owner.seen.append(owner.submitted)
                return value

        return _Done()


def test_an_executor_gets_only_a_few_tasks_ahead_of_the_blocks_taken() -> None:
    from battkomp.engine import montecarlo

    executor = _Recording()
    blocks = montecarlo.IN_FLIGHT + 5
    result = run_model(
        None,
        scenario="mid",
        draws=blocks * BLOCK_SIZE,
        seed=3,
        executor=executor,
        blocks_per_task=1,
    )

    assert executor.submitted == blocks
    # task k's result is taken when at most IN_FLIGHT tasks after it have been submitted
    assert executor.seen == [min(k + montecarlo.IN_FLIGHT, blocks) for k in range(blocks)]
    reference = run_model(None, scenario="mid", draws=blocks * BLOCK_SIZE, seed=3, threads=1)
    assert_results_identical(result, reference)
