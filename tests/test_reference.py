"""Reference results the model must reproduce (DOMAIN.md §7).

* Linear intensity (JRC via T&E): 131 GWh × 140 (90–180) jobs per GWh/yr = 18 340 (11 790–23 580).
* Role mix and ramp (Tesla Giga Nevada plan): 6 500 FTE at full staffing, staffing 300, 2 000,
  4 000 and 6 500 in years 1, 3, 5 and 8, and 4 550 / 200 / 460 / 360 / 930 by role group.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine import run_model
from battkomp.engine.bundle import load_inputs
from battkomp.engine.central import central_detail
from battkomp.engine.model import compile_inputs
from battkomp.engine.montecarlo import run_ensemble
from bundlekit import BASE_YEAR, central, facility, plan, plant_bundle, write_bundle, year_index

EU_CELL_CAPACITY_GWH = 131
TESLA_FTE = 6500
#: The Tesla plan's published staffing by production year (year 1 = first year of production).
TESLA_RAMP = {1: 300, 3: 2000, 5: 4000, 8: 6500}
TESLA_ROLE_GROUPS = {
    "production": 4550,
    "material_handling": 200,
    "equipment_technician": 460,
    "quality_technician": 360,
    "engineer_senior": 930,
}
#: Year 8 of production: the ramp is complete and the start-up phase (3 years) long over.
FULL_STAFFING_YEAR = BASE_YEAR + 7


def _cell_intensity() -> dict[str, float]:
    li = load_inputs(None)["labour_intensity"].filter(pl.col("segment") == "cell_manufacturing")
    assert li.height == 1
    row = li.row(0, named=True)
    return {k: float(row[k]) for k in ("low", "mode", "high")}


# ------------------------------------------------------------------------------ linear intensity


def test_the_shipped_cell_intensity_gives_the_published_eu_jobs_figure() -> None:
    intensity = _cell_intensity()

    jobs = {k: EU_CELL_CAPACITY_GWH * v for k, v in intensity.items()}

    assert jobs["mode"] == pytest.approx(18340)
    assert jobs["low"] == pytest.approx(11790)
    assert jobs["high"] == pytest.approx(23580)


def _eu_plant(folder: Path, mode: float | None = None) -> Path:
    """One 131 GWh cell plant at full staffing from the base year on, optionally another mode."""
    more = {}
    if mode is not None:
        more["overrides"] = [
            {
                "table": "labour_intensity",
                "key": "cell_manufacturing",
                "column": "mode",
                "value": mode,
                "source": "test: reference range",
            }
        ]
    return plant_bundle(
        folder,
        [facility("eu", start_year=BASE_YEAR - 7)],
        [plan("eu", BASE_YEAR - 7, EU_CELL_CAPACITY_GWH)],
        **more,
    )


@pytest.mark.parametrize(
    ("end", "expected"), [("mode", 18340), ("low", 11790), ("high", 23580)], ids=str
)
def test_the_model_staffs_131_gwh_at_full_staffing_with_the_published_headcount(
    tmp_path: Path, end: str, expected: int
) -> None:
    intensity = _cell_intensity()
    folder = _eu_plant(tmp_path / "eu", None if end == "mode" else intensity[end])

    _, flows = central(folder)

    headcount = flows.headcount[0].sum(axis=1)
    assert np.round(headcount[0]) == expected
    assert np.allclose(headcount, headcount[0])  # full staffing holds over the horizon


def test_every_monte_carlo_draw_of_131_gwh_stays_inside_the_published_range(
    tmp_path: Path,
) -> None:
    cm = compile_inputs(load_inputs(_eu_plant(tmp_path / "eu")))

    ens = run_ensemble([cm], [300], seed=7)

    direct = ens.jobs["direct"].astype(np.float64)
    assert direct.min() >= 11790 * (1 - 1e-5)
    assert direct.max() <= 23580 * (1 + 1e-5)
    assert direct.min() < 18340 < direct.max()  # the draws do spread over the range


# ------------------------------------------------------------------------------------ Tesla plan


@pytest.fixture(scope="module")
def tesla(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, dict[str, str]]:
    """The central detail of one cell plant of 6 500 / 140 GWh starting in the base year."""
    folder = tmp_path_factory.mktemp("tesla") / "bundle"
    write_bundle(
        folder,
        {
            "facilities": [facility("giga_nevada", start_year=BASE_YEAR, probability=1.0)],
            "capacity_plans": [plan("giga_nevada", BASE_YEAR, TESLA_FTE / 140)],
        },
    )
    inputs = load_inputs(folder)
    assert inputs.parameter("startup_years") < 8
    detail = central_detail(compile_inputs(inputs), inputs["survey_needs"])
    role_group = dict(
        zip(inputs["roles"]["code"].to_list(), inputs["roles"]["role_group"].to_list(), strict=True)
    )
    return detail, role_group


def test_the_tesla_plan_ramps_up_to_300_2000_4000_and_6500_staff(
    tesla: tuple[pl.DataFrame, dict[str, str]],
) -> None:
    detail, _ = tesla
    by_year = dict(
        detail.filter(pl.col("kind") == "imputed")
        .group_by("year")
        .agg(pl.col("headcount").sum())
        .iter_rows()
    )

    staffed = {ramp_year: round(by_year[BASE_YEAR + ramp_year - 1]) for ramp_year in TESLA_RAMP}

    assert staffed == TESLA_RAMP


def test_the_tesla_plan_at_full_staffing_splits_into_the_published_role_groups(
    tesla: tuple[pl.DataFrame, dict[str, str]],
) -> None:
    detail, role_group = tesla
    mature = detail.filter((pl.col("kind") == "imputed") & (pl.col("year") == FULL_STAFFING_YEAR))

    by_group = (
        mature.with_columns(pl.col("role").replace_strict(role_group).alias("role_group"))
        .group_by("role_group")
        .agg(pl.col("headcount").sum())
    )

    assert {g: round(h) for g, h in by_group.iter_rows()} == TESLA_ROLE_GROUPS


def test_the_tesla_plan_uses_the_start_up_mix_in_its_first_year(
    tesla: tuple[pl.DataFrame, dict[str, str]],
) -> None:
    detail, role_group = tesla
    startup_mix = load_inputs(None)["role_mix"].filter(
        (pl.col("segment") == "cell_manufacturing") & (pl.col("phase") == "startup")
    )
    engineer_share = sum(
        share
        for role, share in zip(startup_mix["role"], startup_mix["share"], strict=True)
        if role_group[role] == "engineer_senior"
    )
    first = detail.filter((pl.col("kind") == "imputed") & (pl.col("year") == BASE_YEAR))

    engineers = first.filter(pl.col("role").replace_strict(role_group) == "engineer_senior")[
        "headcount"
    ].sum()

    assert engineers == pytest.approx(300 * engineer_share, rel=1e-4)
    assert engineer_share > TESLA_ROLE_GROUPS["engineer_senior"] / TESLA_FTE


def test_the_detail_of_the_tesla_plan_adds_up_to_the_national_central_run(
    tmp_path: Path,
) -> None:
    folder = plant_bundle(
        tmp_path / "tesla",
        [facility("giga_nevada", start_year=BASE_YEAR)],
        [plan("giga_nevada", BASE_YEAR, TESLA_FTE / 140)],
    )
    cm, flows = central(folder)

    detail = run_model(folder, draws=5, seed=0)["detail"]

    for year in (BASE_YEAR, FULL_STAFFING_YEAR):
        in_detail = detail.filter(pl.col("year") == year)
        t = year_index(cm, year)
        assert in_detail["headcount"].sum() == pytest.approx(flows.headcount[0, t].sum())
        assert in_detail["openings"].sum() == pytest.approx(flows.openings[0, t].sum())
