"""Supply on hand-made bundles: education offers, retraining pools and recruitment from abroad
(DOMAIN.md §5 step 4), checked in the central run where every uncertain factor is at its mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine.bundle import load_inputs
from battkomp.engine.model import Compiled, Flows, compile_inputs
from battkomp.engine.montecarlo import run_ensemble
from bundlekit import BASE_YEAR, END_YEAR, YEARS, cell_index, central, write_bundle, year_index


def _offer(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "o1",
        "institution": "Test university",
        "name": "Battery bachelor",
        "kind": "programme",
        "level": "nkr6",
        "region": "42",
        "study_places": None,
        "candidates": 100,
        "first_intake": BASE_YEAR + 2,
        "duration_years": 3,
        "completion_rate": 0.9,
        "capture_share": 0.5,
        "target_level": None,
        "status": "exists",
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


AREAS = [
    {"offer": "o1", "area": "electrochemistry", "weight": 0.6},
    {"offer": "o1", "area": "cell_design", "weight": 0.4},
]


def _education(
    tmp_path: Path, areas: list[dict[str, object]] = AREAS, **kw: object
) -> tuple[Compiled, Flows]:
    folder = write_bundle(
        tmp_path / "bundle", {"education_offers": [_offer(**kw)], "offer_areas": areas}
    )
    return central(folder)


# -------------------------------------------------------------------------------- education


def test_an_offer_delivers_candidates_times_capture_from_intake_plus_duration(
    tmp_path: Path,
) -> None:
    cm, fl = _education(tmp_path)
    edu = fl.supply_education[0]
    first = BASE_YEAR + 2 + 3

    for area, weight in (("electrochemistry", 0.6), ("cell_design", 0.4)):
        series = edu[:, cell_index(cm, "nkr6", area)]
        expected = np.where(first <= YEARS, 100 * 0.5 * weight, 0.0)
        np.testing.assert_allclose(series, expected, err_msg=area)
    np.testing.assert_allclose(edu.sum(axis=1), np.where(first <= YEARS, 50.0, 0.0))


def test_an_offer_delivers_nothing_outside_its_level_and_areas(tmp_path: Path) -> None:
    cm, fl = _education(tmp_path)
    edu = fl.supply_education[0].copy()

    for area in ("electrochemistry", "cell_design"):
        edu[:, cell_index(cm, "nkr6", area)] = 0.0

    assert (edu == 0).all()


def test_study_places_count_times_the_completion_rate_when_candidates_are_blank(
    tmp_path: Path,
) -> None:
    cm, fl = _education(tmp_path, study_places=100, candidates=None, completion_rate=0.8)

    yearly = fl.supply_education[0].sum(axis=1)

    assert yearly[year_index(cm, END_YEAR)] == pytest.approx(100 * 0.8 * 0.5)


def test_candidates_take_precedence_over_study_places(tmp_path: Path) -> None:
    _, fl = _education(tmp_path, study_places=1000, candidates=100, completion_rate=0.8)

    assert fl.supply_education[0].sum(axis=1)[-1] == pytest.approx(100 * 0.5)


def test_an_offer_under_development_counts_with_its_status_probability(tmp_path: Path) -> None:
    _, fl = _education(tmp_path, status="under_development")
    status = load_inputs(None)["offer_status"]
    p = float(status.filter(pl.col("status") == "under_development")["probability"][0])

    assert 0 < p < 1
    assert fl.supply_education[0].sum(axis=1)[-1] == pytest.approx(50 * p)


def test_a_blank_duration_takes_the_level_typical_duration(tmp_path: Path) -> None:
    cm, fl = _education(tmp_path, level="nkr7", duration_years=None)
    levels = load_inputs(None)["education_levels"]
    typical = int(levels.filter(pl.col("code") == "nkr7")["duration_years"][0])
    first = BASE_YEAR + 2 + typical

    yearly = fl.supply_education[0].sum(axis=1)

    assert yearly[year_index(cm, first - 1)] == 0
    assert yearly[year_index(cm, first)] == pytest.approx(50.0)


def test_a_blank_capture_share_takes_the_level_default(tmp_path: Path) -> None:
    _, fl = _education(tmp_path, capture_share=None)
    shares = load_inputs(None)["capture_share"]
    default = float(shares.filter(pl.col("level") == "nkr6")["mode"][0])

    assert fl.supply_education[0].sum(axis=1)[-1] == pytest.approx(100 * default)


def test_an_evu_module_counts_at_its_target_level(tmp_path: Path) -> None:
    cm, fl = _education(
        tmp_path,
        level="evu",
        target_level="nkr5",
        duration_years=0.5,
        first_intake=BASE_YEAR + 1,
        areas=[{"offer": "o1", "area": "cell_assembly", "weight": 1.0}],
    )
    series = fl.supply_education[0][:, cell_index(cm, "nkr5", "cell_assembly")]

    np.testing.assert_allclose(series, np.where(YEARS >= BASE_YEAR + 1, 50.0, 0.0))
    assert fl.supply_education[0].sum() == pytest.approx(series.sum())


def test_capture_is_uncertain_in_monte_carlo_but_never_above_all_graduates(
    tmp_path: Path,
) -> None:
    folder = write_bundle(
        tmp_path / "bundle",
        {"education_offers": [_offer(capture_share=0.9)], "offer_areas": AREAS},
    )
    cm = compile_inputs(load_inputs(folder))

    ens = run_ensemble([cm], [200], seed=2)

    yearly = ens.flows["supply_education"][:, -1, :].sum(axis=1)
    assert yearly.max() <= 100 * (1 + 1e-6)  # capture is capped at 1
    assert yearly.min() < yearly.max()  # and it does vary between draws


# ------------------------------------------------------------------------------- retraining


def _pool(
    size: float = 1000, share_available: float = 0.1, first_year: int = BASE_YEAR + 1
) -> dict[str, object]:
    return {
        "id": "pool1",
        "name": "Process operators in oil and gas",
        "source_industry": "oil and gas",
        "size": size,
        "share_available": share_available,
        "first_year": first_year,
        "source": "synthetic test data",
    }


def _path(
    role: str = "process_operator", level: str = "nkr4", share: float = 0.5, years: float = 1.0
) -> dict[str, object]:
    return {
        "pool": "pool1",
        "target_role": role,
        "level": level,
        "share": share,
        "duration_years": years,
    }


def _retraining(
    tmp_path: Path, paths: list[dict[str, object]], pool: dict[str, object], need: float
) -> tuple[Compiled, Flows]:
    """Pools and paths, and a respondent needing ``need`` new hires a year in every nkr4 area."""
    areas = load_inputs(None)["competence_areas"].filter(pl.col("parent").is_not_null())["code"]
    survey = [
        {
            "organisation": "org_plant",
            "segment": "cell_manufacturing",
            "region": "42",
            "role": "process_operator",
            "level": "nkr4",
            "area": area,
            "year": int(year),
            "new_hires": need,
            "total_staff": need,
            "source": "synthetic test data",
        }
        for year in YEARS
        for area in areas
    ]
    tables = {"retraining_pools": [pool], "retraining_paths": paths}
    if need > 0:
        tables["survey_needs"] = survey
    return central(write_bundle(tmp_path / "bundle", tables))


def test_a_retraining_pool_depletes_geometrically(tmp_path: Path) -> None:
    cm, fl = _retraining(tmp_path, [_path()], _pool(), need=1000)

    yearly = fl.supply_retraining[0].sum(axis=1)

    first = BASE_YEAR + 1 + 1  # first year people can start, plus the one-year course
    i = YEARS - first
    expected = np.where(i >= 0, 1000 * 0.1 * 0.9 ** np.clip(i, 0, None) * 0.5, 0.0)
    np.testing.assert_allclose(yearly, expected)
    assert yearly[year_index(cm, first)] == pytest.approx(50.0)
    np.testing.assert_allclose(yearly[i >= 1] / yearly[i >= 0][:-1], 0.9)
    assert yearly.sum() < 1000 * 0.5  # never more people than the path's share of the pool


def test_retrained_people_arrive_at_the_target_roles_areas_at_their_level(
    tmp_path: Path,
) -> None:
    cm, fl = _retraining(tmp_path, [_path()], _pool(), need=1000)
    profile = load_inputs(None)["role_profile"].filter(
        (pl.col("role") == "process_operator") & (pl.col("level") == "nkr4")
    )
    weights = dict(zip(profile["area"], profile["share"], strict=True))
    total = sum(weights.values())

    arrived = fl.supply_retraining[0, year_index(cm, BASE_YEAR + 2)]

    for area, share in weights.items():
        assert arrived[cell_index(cm, "nkr4", area)] == pytest.approx(50 * share / total)
    assert arrived.sum() == pytest.approx(50.0)


def test_paths_of_one_pool_split_its_available_people_by_their_shares(tmp_path: Path) -> None:
    paths = [_path(share=0.6, years=0.0), _path(role="electrician", share=0.4, years=0.0)]

    cm, fl = _retraining(tmp_path, paths, _pool(first_year=BASE_YEAR), need=1000)

    base = fl.supply_retraining[0, 0]
    expected = np.zeros_like(base)
    profiles = load_inputs(None)["role_profile"].filter(pl.col("level") == "nkr4")
    for role, share in (("process_operator", 0.6), ("electrician", 0.4)):
        own = profiles.filter(pl.col("role") == role)
        total = own["share"].sum()
        for area, weight in zip(own["area"], own["share"], strict=True):
            expected[cell_index(cm, "nkr4", area)] += 1000 * 0.1 * share * weight / total
    np.testing.assert_allclose(base, expected)
    assert base.sum() == pytest.approx(1000 * 0.1)


def test_retraining_answers_a_need_and_is_not_forced_on_cells_without_one(
    tmp_path: Path,
) -> None:
    cm, idle = _retraining(tmp_path / "idle", [_path()], _pool(), need=0)
    cm, small = _retraining(tmp_path / "small", [_path()], _pool(), need=1)

    assert (idle.supply_retraining == 0).all()
    year = year_index(cm, BASE_YEAR + 2)
    profile_areas = (small.supply_retraining[0, year] > 0).sum()
    assert small.supply_retraining[0, year].sum() == pytest.approx(profile_areas * 1.0)
    assert (small.supply_retraining <= small.openings + 1e-12).all()


# ------------------------------------------------------------------------------ recruitment


DESIGN = ("chemist", "nkr8", "cell_design")
ELECTROCHEMISTRY = ("chemist", "nkr8", "electrochemistry")


def _need(
    tmp_path: Path,
    needs: dict[tuple[str, str, str], float],
    channels: list[dict[str, object]],
) -> tuple[Compiled, Flows]:
    """A respondent without facilities needs ``needs[(role, level, area)]`` new hires every year."""
    survey = [
        {
            "organisation": "org_lab",
            "segment": "research_services",
            "region": "42",
            "role": role,
            "level": level,
            "area": area,
            "year": int(year),
            "new_hires": new_hires,
            "total_staff": 50,
            "source": "synthetic test data",
        }
        for year in YEARS
        for (role, level, area), new_hires in needs.items()
    ]
    folder = write_bundle(
        tmp_path / "bundle", {"survey_needs": survey, "recruitment_channels": channels}
    )
    return central(folder)


def _channel(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "rc1",
        "level": "nkr8",
        "area": "cell_design",
        "cap_per_year": 10,
        "lead_time_months": 12,
        "first_year": BASE_YEAR + 2,
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


def test_recruitment_is_capped_and_zero_before_first_year_and_lead_time(tmp_path: Path) -> None:
    cm, fl = _need(tmp_path, {DESIGN: 30}, [_channel()])

    series = fl.supply_recruitment[0][:, cell_index(cm, "nkr8", "cell_design")]

    # opens in BASE_YEAR + 2, delivers after 12 months: from BASE_YEAR + 3 on, 10 a year
    np.testing.assert_allclose(series, np.where(YEARS >= BASE_YEAR + 3, 10.0, 0.0))
    assert fl.supply_recruitment[0].sum() == pytest.approx(series.sum())
    np.testing.assert_allclose(fl.gap[0][:, cell_index(cm, "nkr8", "cell_design")], 30 - series)


def test_recruitment_fills_no_more_than_the_need(tmp_path: Path) -> None:
    cm, fl = _need(tmp_path, {DESIGN: 4}, [_channel(lead_time_months=0, first_year=BASE_YEAR)])

    series = fl.supply_recruitment[0][:, cell_index(cm, "nkr8", "cell_design")]

    np.testing.assert_allclose(series, 4.0)


def test_a_lead_time_inside_the_first_year_delivers_part_of_that_year(tmp_path: Path) -> None:
    cm, fl = _need(tmp_path, {DESIGN: 30}, [_channel(lead_time_months=6)])

    series = fl.supply_recruitment[0][:, cell_index(cm, "nkr8", "cell_design")]

    assert series[year_index(cm, BASE_YEAR + 1)] == 0
    assert series[year_index(cm, BASE_YEAR + 2)] == pytest.approx(5.0)
    assert series[year_index(cm, BASE_YEAR + 3)] == pytest.approx(10.0)


def test_a_channel_without_area_shares_its_cap_over_the_levels_needs(tmp_path: Path) -> None:
    channel = _channel(area="", cap_per_year=12, lead_time_months=0, first_year=BASE_YEAR)

    cm, fl = _need(tmp_path, {DESIGN: 30, ELECTROCHEMISTRY: 10}, [channel])

    rec = fl.supply_recruitment[0]
    np.testing.assert_allclose(rec[:, cell_index(cm, "nkr8", "cell_design")], 12 * 30 / 40)
    np.testing.assert_allclose(rec[:, cell_index(cm, "nkr8", "electrochemistry")], 12 * 10 / 40)
    np.testing.assert_allclose(rec.sum(axis=1), 12.0)


def test_an_area_channel_is_used_before_the_level_wide_one(tmp_path: Path) -> None:
    channels = [
        _channel(id="rc_area", cap_per_year=25, lead_time_months=0, first_year=BASE_YEAR),
        _channel(id="rc_level", area="", cap_per_year=8, lead_time_months=0, first_year=BASE_YEAR),
    ]

    cm, fl = _need(tmp_path, {DESIGN: 30, ELECTROCHEMISTRY: 5}, channels)

    rec = fl.supply_recruitment[0]
    # 25 from the area channel; the remaining needs 5 + 5 share the level-wide 8
    np.testing.assert_allclose(rec[:, cell_index(cm, "nkr8", "cell_design")], 25 + 4)
    np.testing.assert_allclose(rec[:, cell_index(cm, "nkr8", "electrochemistry")], 4)


def test_recruitment_in_every_draw_stays_under_the_highest_cap(tmp_path: Path) -> None:
    _need(tmp_path, {DESIGN: 30}, [_channel(lead_time_months=0, first_year=BASE_YEAR)])
    inputs = load_inputs(tmp_path / "bundle")
    cm = compile_inputs(inputs)
    low, _, high = inputs.parameter_range("recruitment_cap_factor")

    ens = run_ensemble([cm], [200], seed=8)

    series = ens.flows["supply_recruitment"][:, :, cell_index(cm, "nkr8", "cell_design")]
    assert series.max() <= 10 * high * (1 + 1e-6)
    assert series.min() >= 10 * low * (1 - 1e-6)
