"""Realisation risk: status defaults, partial realisation, the common shock, breakdowns that add
up per draw, and the conditional and exceedance views (issue 14, sections 1 and 2)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine import run_model
from battkomp.engine.breakdown import UNIT_METRICS, unit_sums
from battkomp.engine.bundle import BundleError, demo_bundle_path, load_inputs
from battkomp.engine.model import compile_inputs, national_flows
from battkomp.engine.montecarlo import expected_draw, sample_draws
from bundlekit import BASE_YEAR, default_rows, facility, plan, plant_bundle

TOL = 1e-3  # float32 sums of a few thousand people


def _compiled(folder: Path | None, scenario: str | None = None):  # type: ignore[no-untyped-def]
    return compile_inputs(load_inputs(folder, scenario))


def _params(**values: float) -> list[dict[str, object]]:
    return [
        {"table": "parameters", "key": k, "column": "value", "value": v, "source": "test"}
        for k, v in values.items()
    ]


# ------------------------------------------------------------------------- status defaults


def test_blank_risk_columns_take_the_status_default_and_given_ones_override(
    tmp_path: Path,
) -> None:
    blank = facility(
        "a", status="announced", probability=None, delay=(None, None, None), share=None
    )
    own = facility("b", status="announced", probability=0.9, delay=(0, 0, 0), share=(1, 1, 1))
    folder = plant_bundle(
        tmp_path, [blank, own], [plan("a", BASE_YEAR, 10), plan("b", BASE_YEAR, 10)]
    )
    cm = _compiled(folder)
    default = next(r for r in default_rows("facility_status") if r["status"] == "announced")
    a, b = cm.facility_ids.index("a"), cm.facility_ids.index("b")
    assert cm.fac_prob[a] == pytest.approx(float(default["realisation_probability"]))
    assert cm.fac_share_tri[a].tolist() == [
        float(default[k]) for k in ("share_low", "share_mode", "share_high")
    ]
    assert np.flatnonzero(cm.delay_pmf[a] > 0).max() == int(default["delay_max"])
    assert cm.fac_prob[b] == 0.9
    assert cm.fac_share_tri[b].tolist() == [1.0, 1.0, 1.0]
    assert "realisation_probability" in cm.fac_defaulted[a]
    assert cm.fac_defaulted[b] == ()


def test_an_operating_plant_is_not_discounted_by_default(tmp_path: Path) -> None:
    op = facility("op", status="operating", probability=None, delay=(None, None, None), share=None)
    folder = plant_bundle(tmp_path, [op], [plan("op", BASE_YEAR - 3, 2.0)])
    cm = _compiled(folder)
    assert cm.fac_prob.tolist() == [1.0]
    assert cm.fac_share_tri.tolist() == [[1.0, 1.0, 1.0]]
    assert cm.delay_pmf[0, 0] == 1.0
    rng = np.random.default_rng(3)
    dr, _ = sample_draws(cm, 50, rng)
    assert dr.realised is not None
    assert dr.realised.all()
    assert dr.facility_capacity is not None
    assert np.allclose(dr.facility_capacity[:, 0, 1:], 2.0)


def test_a_segment_row_of_facility_status_wins_over_the_general_row(tmp_path: Path) -> None:
    rows = default_rows("facility_status")
    special = dict(next(r for r in rows if r["status"] == "announced"))
    special.update(segment="recycling", realisation_probability="0.77")
    fac = [
        facility("r", segment="recycling", status="announced", probability=None),
        facility("c", status="announced", probability=None),
    ]
    folder = plant_bundle(
        tmp_path,
        fac,
        [plan("r", BASE_YEAR, 1), plan("c", BASE_YEAR, 1)],
        facility_status=[*rows, special],
    )
    cm = _compiled(folder)
    general = next(r for r in rows if r["status"] == "announced")
    assert cm.fac_prob[cm.facility_ids.index("r")] == pytest.approx(0.77)
    assert cm.fac_prob[cm.facility_ids.index("c")] == pytest.approx(
        float(general["realisation_probability"])
    )


def test_a_status_without_a_default_names_the_facility_row_and_column(tmp_path: Path) -> None:
    rows = [r for r in default_rows("facility_status") if r["status"] != "paused"]
    folder = plant_bundle(
        tmp_path,
        [facility("p", status="paused", probability=None)],
        [plan("p", BASE_YEAR, 1)],
        facility_status=rows,
    )
    with pytest.raises(BundleError) as err:
        load_inputs(folder)
    (problem,) = [p for p in err.value.problems if p.code == "no_status_default"]
    en, nb = problem.message("en"), problem.message("nb")
    assert "facilities" in en
    assert "row 2" in en
    assert "realisation_probability" in en
    assert "paused" in en
    assert "standardverdi" in nb
    assert "rad 2" in nb


def test_a_built_share_out_of_order_is_an_error(tmp_path: Path) -> None:
    folder = plant_bundle(
        tmp_path, [facility("x", share=(0.8, 0.5, 1.0))], [plan("x", BASE_YEAR, 1)]
    )
    with pytest.raises(BundleError) as err:
        load_inputs(folder)
    assert [p.code for p in err.value.problems] == ["share_order"]
    assert "share_mode" in err.value.problems[0].message("en")


def test_the_status_defaults_fall_with_the_status_and_cite_the_reference_class() -> None:
    rows = {r["status"]: r for r in default_rows("facility_status") if not r["segment"]}
    order = ["operating", "construction", "fid", "announced", "paused", "cancelled"]
    probs = [float(rows[s]["realisation_probability"]) for s in order]
    assert probs == sorted(probs, reverse=True)
    assert probs[0] == 1.0
    for status in ("announced", "construction", "paused", "cancelled"):
        # estimated from plants outside Norway: the source cites them, not Norwegian outcomes
        src = rows[status]["source"]
        assert "reference class" in src
        assert not re.search(r"Freyr|Morrow|Beyonder|Elinor", src)


# -------------------------------------------------------------------- partial realisation


def test_a_built_share_stops_the_plan_at_that_share_of_its_largest_capacity(
    tmp_path: Path,
) -> None:
    folder = plant_bundle(
        tmp_path,
        [facility("half", share=(0.5, 0.5, 0.5), start_year=BASE_YEAR)],
        [plan("half", BASE_YEAR, 4.0), plan("half", BASE_YEAR + 2, 10.0)],
    )
    cm = _compiled(folder)
    dr, _ = sample_draws(cm, 20, np.random.default_rng(0))
    assert dr.facility_capacity is not None
    cap = dr.facility_capacity[:, 0, 1:]
    # first phase built in full (4 GWh), the plan stops at 5 of its 10 GWh
    assert np.allclose(cap[:, 0], 4.0)
    assert np.allclose(cap[:, 2:], 5.0)
    central = expected_draw(cm).facility_jobs[0, 0, -1]
    full = float(cm.fac_intensity[0]) * 5.0  # fully ramped at the end of the horizon
    assert central == pytest.approx(full, rel=1e-6)


def test_realised_capacity_averages_probability_times_mean_share(tmp_path: Path) -> None:
    folder = plant_bundle(
        tmp_path,
        [facility("p", probability=0.4, share=(0.2, 0.5, 0.8))],
        [plan("p", BASE_YEAR, 10.0)],
        overrides=_params(common_shock_correlation=0.0),
    )
    cm = _compiled(folder)
    dr, _ = sample_draws(cm, 20000, np.random.default_rng(5))
    assert dr.facility_capacity is not None
    mean = dr.facility_capacity[:, 0, -1].mean()
    assert mean == pytest.approx(10.0 * 0.4 * 0.5, rel=0.03)


# ------------------------------------------------------------------------- common shock


def _two_plants(tmp_path: Path, rho: float) -> np.ndarray:
    folder = plant_bundle(
        tmp_path,
        [facility("a", probability=0.3), facility("b", probability=0.3)],
        [plan("a", BASE_YEAR, 10.0), plan("b", BASE_YEAR, 10.0)],
        overrides=_params(common_shock_correlation=rho),
    )
    dr, _ = sample_draws(_compiled(folder), 20000, np.random.default_rng(11))
    assert dr.realised is not None
    return dr.realised.astype(float)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_the_common_shock_keeps_each_plants_probability(tmp_path: Path, rho: float) -> None:
    real = _two_plants(tmp_path, rho)
    assert real.mean(axis=0) == pytest.approx([0.3, 0.3], abs=0.015)


def test_the_common_shock_makes_plants_fail_together(tmp_path: Path) -> None:
    independent = np.corrcoef(_two_plants(tmp_path / "a", 0.0).T)[0, 1]
    joint = np.corrcoef(_two_plants(tmp_path / "b", 0.9).T)[0, 1]
    assert abs(independent) < 0.03
    assert joint > 0.5


def test_the_shock_moves_delay_share_recruitment_and_capture_with_realisation() -> None:
    cm = _compiled(demo_bundle_path(), "mid")
    _, drivers = sample_draws(cm, 4000, np.random.default_rng(2))
    from battkomp.engine.montecarlo import driver_names, spearman

    names = driver_names(cm)
    z = drivers[:, names.index("common_shock")]
    assert spearman(drivers[:, names.index("recruitment_caps")], z) > 0.2
    assert spearman(drivers[:, names.index("capture_share:nkr6")], z) > 0.2
    # realised capacity-years of a risky plant rise with the market
    assert spearman(drivers[:, names.index("facility:elinor_orkland")], z) > 0.05


# ----------------------------------------------------------- breakdowns that add up per draw


def test_segment_and_region_breakdowns_add_up_to_the_national_figure_in_every_draw() -> None:
    cm = _compiled(demo_bundle_path(), "mid")
    dr, _ = sample_draws(cm, 300, np.random.default_rng(7))
    fl = national_flows(cm, dr)
    units = unit_sums(cm, dr, fl).astype(np.float64).sum(axis=1)  # (D, T, M)
    national = {
        "headcount": fl.headcount.sum(axis=2),
        "openings": fl.openings.sum(axis=2),
        "gap": fl.gap.sum(axis=2),
        "shortage": np.maximum(fl.gap, 0.0).sum(axis=2),
        "supply": (fl.openings - fl.gap).sum(axis=2),
    }
    for metric, value in national.items():
        got = units[:, :, UNIT_METRICS.index(metric)]
        assert np.allclose(got, value, atol=TOL * max(1.0, np.abs(value).max()) / 100), metric


@pytest.fixture(scope="module")
def demo_run() -> dict[str, pl.DataFrame]:
    return dict(run_model(None, scenario="mid", draws=500, seed=4).frames)


def test_the_breakdown_frames_means_add_up_to_the_totals_means(
    demo_run: dict[str, pl.DataFrame],
) -> None:
    totals = demo_run["totals"]
    for frame in ("by_segment", "by_region"):
        sums = (
            demo_run[frame]
            .group_by("year")
            .agg(pl.col("headcount", "openings", "supply", "gap", "shortage").sum())
        )
        for metric in ("headcount", "openings", "supply", "gap", "shortage"):
            joined = sums.join(
                totals.filter(pl.col("metric") == metric).select("year", "mean"), on="year"
            )
            assert np.allclose(joined[metric], joined["mean"], rtol=1e-4, atol=0.05), (
                frame,
                metric,
            )


def test_a_segments_gap_sign_follows_its_own_cells_not_the_central_run(
    demo_run: dict[str, pl.DataFrame],
) -> None:
    seg = demo_run["by_segment"]
    # supply = openings − gap row by row, and shortage is never below the gap's positive part
    assert np.allclose(seg["supply"], seg["openings"] - seg["gap"], atol=1e-6)
    assert (seg["shortage"] >= seg["gap"].clip(lower_bound=0) - 1e-6).all()
    assert (seg["headcount_p10"] <= seg["headcount_p90"] + 1e-9).all()


def test_coverage_shares_are_read_off_the_draws(demo_run: dict[str, pl.DataFrame]) -> None:
    cov = demo_run["coverage"]
    openings = demo_run["totals"].filter(pl.col("metric") == "openings").sort("year")
    total = cov["reported_openings"] + cov["carried_forward_openings"] + cov["imputed_openings"]
    assert np.allclose(total, openings["mean"], rtol=1e-4, atol=0.05)
    assert ((cov["coverage"] >= 0) & (cov["coverage"] <= 1)).all()


# ---------------------------------------------------------------- conditional and exceedance


def test_each_conditional_view_adds_up_to_the_mixture(demo_run: dict[str, pl.DataFrame]) -> None:
    cond = demo_run["conditional"]
    mixture = cond.filter(pl.col("view") == "all")["shortage_mean"][0]
    for row in cond.filter(pl.col("view") == "with_facility").iter_rows(named=True):
        p = row["probability"]
        if 0 < p < 1:
            back = p * row["shortage_mean"] + (1 - p) * row["shortage_mean_without"]
            assert back == pytest.approx(mixture, rel=1e-9)
            assert row["effect"] == pytest.approx(
                row["shortage_mean"] - row["shortage_mean_without"]
            )
    firm = cond.filter(pl.col("view") == "firm_base").row(0, named=True)
    assert 0 < firm["probability"] < 1
    assert firm["shortage_mean"] <= mixture
    # only facilities beyond the firm base are conditioned on
    firm_ids = demo_run["facilities"].filter(pl.col("firm"))["facility"].to_list()
    assert not set(cond["facility"].drop_nulls()) & set(firm_ids)


def test_exceedance_probabilities_fall_with_the_threshold(
    demo_run: dict[str, pl.DataFrame],
) -> None:
    ex = demo_run["exceedance"]
    for _, group in ex.group_by("year"):
        probs = group.sort("threshold")["probability"].to_list()
        assert probs == sorted(probs, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probs)


def test_the_facilities_frame_shows_announced_jobs_beside_full_staffing(
    demo_run: dict[str, pl.DataFrame],
) -> None:
    fac = demo_run["facilities"].filter(pl.col("announced_jobs").is_not_null())
    assert fac.height >= 4
    freyr = fac.filter(pl.col("facility") == "freyr_giga_arctic").row(0, named=True)
    assert freyr["announced_jobs"] == 2500
    assert freyr["full_staffing_jobs"] == pytest.approx(43 * freyr["intensity"])
    # the announced figure is far below what realised plants need per GWh (issue 14, §2)
    assert freyr["announced_per_capacity"] < 0.5 * freyr["intensity"]


def test_a_mean_outside_its_band_is_flagged(demo_run: dict[str, pl.DataFrame]) -> None:
    totals = demo_run["totals"]
    flagged = totals.filter(
        (pl.col("mean") < pl.col("p10") - 1e-9) | (pl.col("mean") > pl.col("p90") + 1e-9)
    )
    assert flagged["mean_outside_band"].all()
    assert totals.filter(pl.col("mean_outside_band")).height == flagged.height
