"""The time squeeze (batteritidsklemma): which lever can still deliver by the year a gap opens.

Most tests replace the shipped ``levers`` table by one with known lead times (a bundle file
``levers.csv``), so that they do not move when the shipped assumptions are revised: recruiting from
abroad takes half a year, retraining and modules a year, and education 1.5 years plus the
programme (bachelor 3 years, so 4.5 in all; PhD 4, so 5.5). A gap in year ``t`` has
``t − base_year + 0.5`` years to be closed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine import run_model
from battkomp.engine.bundle import load_inputs
from battkomp.engine.horizons import horizon_for, horizon_rank, time_squeeze
from battkomp.engine.model import compile_inputs
from battkomp.engine.montecarlo import run_ensemble
from bundlekit import BASE_YEAR, END_YEAR, default_rows, facility, plan, plant_bundle

LEAD_TIMES = {"recruit_abroad": 0.5, "retrain": 1.0, "evu_module": 1.0, "educate": 1.5}
#: the shipped levers (codes, horizons, levels) with the lead times above
LEVERS = [
    {**row, "lead_time_years": LEAD_TIMES[row["code"]], "source": "test: fixed lead times"}
    for row in default_rows("levers")
]
#: the same, with recruitment from abroad unable to deliver PhDs
LEVERS_WITHOUT_PHD_RECRUITMENT = [
    {
        **row,
        "levels": "nkr4;nkr5;nkr6;nkr7" if row["code"] == "recruit_abroad" else row["levels"],
    }
    for row in LEVERS
]


def _plant(
    folder: Path, levers: list[dict[str, object]] | None = LEVERS, **more: list[dict[str, object]]
) -> Path:
    """A cell plant that starts in the base year, so gaps open at every level from year one."""
    if levers is not None:
        more["levers"] = levers
    return plant_bundle(
        folder,
        [facility("plant", start_year=BASE_YEAR)],
        [plan("plant", BASE_YEAR, 20.0)],
        **more,
    )


def _squeeze(folder: Path) -> pl.DataFrame:
    return run_model(folder, draws=30, seed=1)["time_squeeze"]


def _horizons(squeeze: pl.DataFrame, level: str) -> dict[int, str]:
    rows = squeeze.filter(pl.col("level") == level).select("year", "horizon").unique()
    by_year = dict(rows.iter_rows())
    assert len(by_year) == rows.height  # one horizon per level and year, whatever the area
    return by_year


@pytest.fixture(scope="module")
def default_squeeze(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    return _squeeze(_plant(tmp_path_factory.mktemp("squeeze") / "bundle"))


def test_a_far_bachelor_gap_falls_to_education(default_squeeze: pl.DataFrame) -> None:
    horizons = _horizons(default_squeeze, "nkr6")

    assert horizons[END_YEAR] == "long"
    assert horizons[BASE_YEAR + 4] == "long"  # 4.5 years: education just makes it


def test_a_bachelor_gap_before_education_can_deliver_falls_to_retraining(
    default_squeeze: pl.DataFrame,
) -> None:
    horizons = _horizons(default_squeeze, "nkr6")

    assert horizons[BASE_YEAR + 3] == "medium"  # 3.5 years: too early for a new bachelor
    assert horizons[BASE_YEAR + 1] == "medium"


def test_a_gap_in_the_base_year_falls_to_a_fast_lever(default_squeeze: pl.DataFrame) -> None:
    for level in ("nkr4", "nkr5", "nkr6", "nkr7", "nkr8"):
        assert _horizons(default_squeeze, level)[BASE_YEAR] == "short", level
    in_time = default_squeeze.filter((pl.col("year") == BASE_YEAR) & (pl.col("level") == "nkr6"))[
        "levers_in_time"
    ]
    assert all(levers == ["recruit_abroad"] for levers in in_time.to_list())


def test_the_horizon_never_moves_to_a_faster_lever_as_time_passes(
    default_squeeze: pl.DataFrame,
) -> None:
    for level in ("nkr4", "nkr5", "nkr6", "nkr7", "nkr8"):
        horizons = _horizons(default_squeeze, level)
        order = [horizon_rank(horizons[y]) for y in sorted(horizons)]
        assert order == sorted(order), level


def test_no_gap_is_unclosable_when_recruitment_reaches_every_level(
    default_squeeze: pl.DataFrame,
) -> None:
    assert (default_squeeze["horizon"] != "none").all()
    assert (default_squeeze["unclosable_mean"] == 0).all()
    assert default_squeeze["shortage_mean"].sum() > 0  # there are gaps to place


def test_the_summary_adds_up_the_shortage_per_year_and_horizon(
    default_squeeze: pl.DataFrame, tmp_path: Path
) -> None:
    result = run_model(_plant(tmp_path / "bundle"), draws=30, seed=1)
    cells, summary = result["time_squeeze"], result["squeeze_summary"]

    for year, horizon, total in summary.iter_rows():
        own = cells.filter((pl.col("year") == year) & (pl.col("horizon") == horizon))
        assert total == pytest.approx(own["shortage_mean"].sum())
    assert summary["shortage_mean"].sum() == pytest.approx(cells["shortage_mean"].sum())


# ------------------------------------------------------------------------ replaced levers


@pytest.fixture(scope="module")
def squeeze_without_phd_recruitment(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    folder = _plant(tmp_path_factory.mktemp("levers") / "bundle", LEVERS_WITHOUT_PHD_RECRUITMENT)
    assert load_inputs(folder)["levers"].height == len(LEVERS_WITHOUT_PHD_RECRUITMENT)
    return _squeeze(folder)


def test_a_gap_no_lever_can_reach_in_time_is_marked_none(
    squeeze_without_phd_recruitment: pl.DataFrame,
) -> None:
    phd = squeeze_without_phd_recruitment.filter(pl.col("level") == "nkr8")
    first = phd.filter(pl.col("year") == BASE_YEAR)

    assert (first["horizon"] == "none").all()
    assert all(levers == [] for levers in first["levers_in_time"].to_list())
    np.testing.assert_allclose(first["unclosable_mean"], first["shortage_mean"])
    assert first["unclosable_mean"].sum() > 0


def test_the_missing_lever_leaves_phd_gaps_unclosable_until_education_arrives(
    squeeze_without_phd_recruitment: pl.DataFrame,
) -> None:
    horizons = _horizons(squeeze_without_phd_recruitment, "nkr8")
    # a PhD needs 1.5 + 4 = 5.5 years of education: in time from base year + 5
    assert {horizons[y] for y in range(BASE_YEAR, BASE_YEAR + 5)} == {"none"}
    assert {horizons[y] for y in range(BASE_YEAR + 5, END_YEAR + 1)} == {"long"}


def test_other_levels_keep_their_levers(
    squeeze_without_phd_recruitment: pl.DataFrame, default_squeeze: pl.DataFrame
) -> None:
    for level in ("nkr4", "nkr5", "nkr6", "nkr7"):
        assert _horizons(squeeze_without_phd_recruitment, level) == _horizons(
            default_squeeze, level
        )


def test_a_slower_education_lever_moves_the_long_horizon_later(tmp_path: Path) -> None:
    slow = [{**row, "lead_time_years": 3.5} if row["code"] == "educate" else row for row in LEVERS]
    folder = _plant(tmp_path / "bundle", slow)

    horizons = _horizons(_squeeze(folder), "nkr6")

    # 3.5 + 3 = 6.5 years: long from base year + 6, medium before
    assert horizons[BASE_YEAR + 5] == "medium"
    assert horizons[BASE_YEAR + 6] == "long"


# --------------------------------------------------------------------------- shipped levers


def test_with_the_shipped_levers_a_far_gap_falls_to_education_and_an_early_one_does_not(
    tmp_path: Path,
) -> None:
    squeeze = _squeeze(_plant(tmp_path / "bundle", levers=None))

    for level in ("nkr4", "nkr5", "nkr6", "nkr7", "nkr8"):
        horizons = _horizons(squeeze, level)
        assert horizons[END_YEAR] == "long", level
        assert horizons[BASE_YEAR] != "long", level


# --------------------------------------------------------------------------------- directly


def test_the_slowest_lever_in_time_decides_the_horizon() -> None:
    leads = np.array([0.5, 1.0, 4.5])
    horizons = ("short", "medium", "long")

    assert horizon_for(leads, horizons, 0.4) == "none"
    assert horizon_for(leads, horizons, 0.5) == "short"
    assert horizon_for(leads, horizons, 1.5) == "medium"
    assert horizon_for(leads, horizons, 4.5) == "long"
    assert horizon_for(np.array([np.inf, 1.0]), ("long", "medium"), 30.0) == "medium"


def test_time_squeeze_reports_the_expected_shortage_and_its_probability(
    tmp_path: Path,
) -> None:
    cm = compile_inputs(load_inputs(_plant(tmp_path / "bundle")))
    gap = run_ensemble([cm], [40], seed=4).flows["gap"]

    cells, _ = time_squeeze(cm, gap)

    expected = np.maximum(gap, 0.0).mean(axis=0, dtype=np.float64).reshape(-1)
    np.testing.assert_allclose(cells["shortage_mean"].to_numpy(), expected, rtol=1e-12)
    probability = cells["shortage_probability"].to_numpy()
    assert ((probability >= 0) & (probability <= 1)).all()
    assert ((cells["shortage_mean"] > 0) == (cells["shortage_probability"] > 0)).all()
