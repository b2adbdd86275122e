"""The accounting of issue 14 §3: the stated capture share is the expected share, openings follow
Cedefop's identity per cell and draw, and the drivers are ranked by a variance-based index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from battkomp.engine.bundle import BundleError, load_inputs
from battkomp.engine.model import compile_inputs
from battkomp.engine.montecarlo import run_ensemble, sample_draws
from bundlekit import default_rows, write_bundle

# ----------------------------------------------------------------------------- capture share


def test_the_stated_capture_share_is_the_expected_value_at_every_level() -> None:
    cm = compile_inputs(load_inputs(None))
    rng = np.random.Generator(np.random.PCG64(7))
    draws, _ = sample_draws(cm, 200_000, rng)
    stated = {r["level"]: float(r["mode"]) for r in default_rows("capture_share")}
    for i, level in enumerate(cm.capture_levels):
        drawn = stated[level] * draws.capture_factor[:, i]
        # the standard error of the mean is below 0.0002 at every level
        assert drawn.mean() == pytest.approx(stated[level], abs=0.001), level
        assert drawn.min() < stated[level] < drawn.max(), level


def test_education_supply_in_monte_carlo_averages_the_central_run(tmp_path: Path) -> None:
    offer = {
        "id": "o1",
        "institution": "Test university",
        "name": "Battery bachelor",
        "kind": "programme",
        "level": "nkr6",
        "region": "42",
        "candidates": 100,
        "first_intake": 2026,
        "duration_years": 3,
        "completion_rate": 0.9,
        "capture_share": None,
        "status": "exists",
        "source": "synthetic test data",
    }
    folder = write_bundle(
        tmp_path / "b",
        {
            "education_offers": [offer],
            "offer_areas": [{"offer": "o1", "area": "electrochemistry", "weight": 1.0}],
        },
    )
    cm = compile_inputs(load_inputs(folder))
    ens = run_ensemble([cm], [4000], seed=3)
    mean = float(ens.flows["supply_education"][:, -1, :].sum(axis=1).mean())
    assert mean == pytest.approx(100 * 0.1, rel=0.02)  # 10 % stated -> 10 expected


def test_a_capture_range_that_cannot_have_the_stated_mean_is_rejected(tmp_path: Path) -> None:
    rows = default_rows("capture_share")
    for r in rows:
        if r["level"] == "nkr4":
            r["high"] = "0.25"  # a triangle on 0.03..0.25 has a mean of at least 0.103
    folder = write_bundle(tmp_path / "b", {"capture_share": rows})
    with pytest.raises(BundleError) as err:
        load_inputs(folder)
    problems = [p for p in err.value.problems if p.code == "capture_mean"]
    assert problems
    assert "0.103" in problems[0].message("en")
    assert "fangstandel" in problems[0].message("nb")


# ---------------------------------------------------------------------------------- drivers


def test_a_rare_large_plant_ranks_above_noise_and_empty_segments_are_no_drivers(
    tmp_path: Path,
) -> None:
    from battkomp.engine import run_model
    from bundlekit import facility, plan

    folder = write_bundle(
        tmp_path / "bundle",
        {
            "facilities": [
                # realised in one draw in twenty, but then it needs thousands of people
                facility("rare_giga", probability=0.05, delay=(0, 1, 3)),
                facility("steady", probability=1.0, region="15", intensity=150.0),
            ],
            "capacity_plans": [
                plan("rare_giga", 2027, 20.0),
                plan("rare_giga", 2029, 40.0),
                plan("steady", 2026, 1.0),
            ],
        },
    )
    drivers = run_model(folder, draws=2000, seed=5)["drivers"]
    names = drivers["driver"].to_list()

    assert names[0] == "facility:rare_giga"
    # its conditional effect: the shortage with the plant less the shortage without it
    top = drivers.row(0, named=True)
    assert top["effect"] > 1000
    assert top["first_order"] > 0.5
    # only cell manufacturing has facilities: no other segment's intensity or mix is a driver
    for name in names:
        if name.startswith(("labour_intensity:", "role_mix:")):
            assert name.endswith(":cell_manufacturing"), name
    # Spearman's rho would have put the rare plant low (bounded by sqrt(3p(1-p)) ≈ 0.38)
    assert abs(top["spearman"]) < 0.4


# --------------------------------------------------------------------------------- openings


def _shrinking_bundle(folder: Path) -> Path:
    from bundlekit import facility, plan

    return write_bundle(
        folder,
        {
            "facilities": [
                facility("grows", probability=0.7, delay=(0, 1, 3)),
                # staffed up early, then cut to a fifth: the cells shrink by more than they
                # replace, and the people released are supply
                facility("cut", probability=0.9, region="15", start_year=2026),
            ],
            "capacity_plans": [
                plan("grows", 2027, 10.0),
                plan("grows", 2030, 30.0),
                plan("cut", 2026, 10.0),
                plan("cut", 2031, 2.0),
            ],
        },
    )


def test_openings_are_signed_net_change_plus_replacement_per_cell_and_draw(
    tmp_path: Path,
) -> None:
    from battkomp.engine.model import national_flows

    cm = compile_inputs(load_inputs(_shrinking_bundle(tmp_path / "b")))
    draws, _ = sample_draws(cm, 300, np.random.Generator(np.random.PCG64(11)))
    fl = national_flows(cm, draws)

    # Cedefop: openings = signed net change + replacement, released workers counted as supply
    np.testing.assert_allclose(
        fl.openings - fl.supply_released,
        fl.expansion + fl.replacement,
        atol=1e-9,
    )
    # the net change is the change of the headcount the model needs (no respondents here)
    np.testing.assert_allclose(fl.expansion[:, 1:], np.diff(fl.headcount, axis=1), atol=1e-9)
    assert (fl.expansion < -1).any()  # the cut makes cells shrink...
    assert (fl.supply_released > 1).any()  # ...by more than their replacement somewhere
    assert (np.minimum(fl.openings, fl.supply_released) == 0).all()  # never both in one cell
    # and the gap is demand less supply, with the released workers among the supply
    np.testing.assert_allclose(
        fl.gap,
        fl.openings
        - fl.supply_education
        - fl.supply_released
        - fl.supply_retraining
        - fl.supply_recruitment,
        atol=1e-9,
    )


def test_replacement_is_charged_on_the_staff_in_place(tmp_path: Path) -> None:
    from battkomp.engine.model import national_flows
    from battkomp.engine.montecarlo import expected_draw

    cm = compile_inputs(load_inputs(_shrinking_bundle(tmp_path / "b")))
    dr = expected_draw(cm)
    fl = national_flows(cm, dr)
    # the replacement as if every post needed last year had been filled
    from battkomp.engine.model import _per_draw, segment_phase_jobs

    _, prev = segment_phase_jobs(cm, dr)
    exits = np.matmul(dr.mix, cm.profile_rc * cm.exit_base[:, None]) * dr.exit_factor[0]
    expat = np.matmul(dr.mix, cm.profile_rc * cm.expat_share[:, None])
    expat[:, :, 1, :] = 0.0
    full = _per_draw(prev, exits + expat / dr.stay_years[0])[0]
    needed = _per_draw(prev, np.matmul(dr.mix, cm.profile_rc))[0]
    unfilled = np.vstack([np.zeros((1, cm.n_cells)), fl.cumulative_gap[0, :-1]])
    in_place = np.where(needed > 0, np.clip(1 - unfilled / np.maximum(needed, 1e-300), 0, 1), 1)
    np.testing.assert_allclose(fl.replacement[0], full * in_place, atol=1e-9)
    # nothing is short in the first year, so staff are in place; later some posts stay empty
    assert (in_place < 1).any()
    np.testing.assert_allclose(fl.replacement[0, 0], full[0], atol=1e-12)


# ----------------------------------------------------------------------------- time squeeze


def test_the_recruit_lever_takes_its_lead_from_the_channels_and_educate_from_programmes() -> None:
    from battkomp.engine.bundle import demo_bundle_path

    cm = compile_inputs(load_inputs(demo_bundle_path(), "mid"))
    lead = dict(zip(cm.lever_codes, cm.lever_lead, strict=True))
    level = {lv: i for i, lv in enumerate(cm.tax.levels)}
    # rc_eea_skilled_nkr4 delivers after 3 months, rc_general_nkr6 after 3, nkr7's after 4
    assert lead["recruit_abroad"][level["nkr4"]] == pytest.approx(0.25)
    assert lead["recruit_abroad"][level["nkr6"]] == pytest.approx(0.25)
    assert lead["recruit_abroad"][level["nkr7"]] == pytest.approx(4 / 12)
    # no channel at nkr5: the lever's own 0.75 years (a channel would first have to be opened)
    assert lead["recruit_abroad"][level["nkr5"]] == pytest.approx(0.75)
    # the demo has 2-year masters (UiA, USN) beside the 5-year integrated ones (NTNU)
    assert lead["educate"][level["nkr7"]] == pytest.approx(1.5 + 2)
    assert lead["educate"][level["nkr4"]] == pytest.approx(1.5 + 4)


def test_a_base_year_gap_with_a_fast_channel_is_short_term_not_unclosable() -> None:
    from battkomp.engine import run_model
    from battkomp.engine.bundle import demo_bundle_path

    result = run_model(demo_bundle_path(), scenario="mid", draws=200, seed=2)
    squeeze = result["time_squeeze"]
    first = squeeze.filter(squeeze["year"] == 2026)
    horizon = dict(zip(first["level"], first["horizon"], strict=False))
    assert horizon["nkr4"] == "short"  # a 3-month EEA channel
    assert horizon["nkr5"] == "none"  # no channel at fagskole level
    # the abroad frame says what the channels would have to deliver
    abroad = result["abroad"]
    np.testing.assert_allclose(
        abroad["cap_needed"].to_numpy(), (abroad["recruited"] + abroad["unmet"]).to_numpy()
    )
