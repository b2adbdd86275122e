"""The survey as a statistical survey (issue 14 §4): frame, response status, parent answering for
its group, masking per group and cell, interpolation and hand-over, planned capacity at its
realisation, ratio imputation of non-respondents with bootstrap uncertainty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from battkomp.engine.bundle import BundleError, load_inputs
from battkomp.engine.model import compile_inputs, national_flows
from battkomp.engine.montecarlo import expected_draw, run_ensemble, sample_draws
from bundlekit import cell_index, facility, plan, write_bundle, year_index

CELL = ("nkr4", "electrode_manufacturing")


def _org(oid: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": oid,
        "name": f"Org {oid}",
        "kind": "company",
        "synthetic": True,
        "parent": None,
        "size": None,
        "segment": None,
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


def _answer(org: str, year: int, staff: float, hires: float, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "organisation": org,
        "segment": "cell_manufacturing",
        "region": "42",
        "role": "process_operator",
        "level": CELL[0],
        "area": CELL[1],
        "year": year,
        "new_hires": hires,
        "total_staff": staff,
        "facility": None,
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


def _central(folder: Path) -> tuple[object, object]:
    cm = compile_inputs(load_inputs(folder))
    return cm, national_flows(cm, expected_draw(cm))


def test_staff_is_interpolated_between_answered_years_and_carried_after(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "organisations": [_org("resp", size=40)],
            "survey_needs": [_answer("resp", 2026, 40, 10), _answer("resp", 2030, 80, 12)],
        },
    )
    cm, fl = _central(folder)
    c = cell_index(cm, *CELL)
    staff = fl.headcount[0, :, c]
    assert staff[year_index(cm, 2028)] == pytest.approx(60.0)  # halfway, not zero
    assert staff[year_index(cm, 2035)] == pytest.approx(80.0)  # held after the last answer
    # in answered years the openings are the reported new hires
    assert fl.openings[0, year_index(cm, 2030), c] == pytest.approx(12.0)
    # between them: the growth plus replacement on the staff in place
    assert fl.openings[0, year_index(cm, 2028), c] > 10.0 - 1e-9


def test_the_answers_hand_over_to_the_capacity_model_without_a_jump(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "organisations": [_org("owner", size=100)],
            "facilities": [facility("plant", organisation="owner", status="operating")],
            "capacity_plans": [plan("plant", 2026, 1.0), plan("plant", 2032, 3.0)],
            "survey_needs": [_answer("owner", 2026, 30, 5), _answer("owner", 2028, 50, 8)],
        },
    )
    cm, fl = _central(folder)
    c = cell_index(cm, *CELL)
    # the model alone: the same bundle without the answers
    alone = write_bundle(
        tmp_path / "alone",
        {
            "organisations": [_org("owner", size=100)],
            "facilities": [facility("plant", organisation="owner", status="operating")],
            "capacity_plans": [plan("plant", 2026, 1.0), plan("plant", 2032, 3.0)],
        },
    )
    _, model = _central(alone)
    staff, own = fl.headcount[0, :, c], model.headcount[0, :, c]
    assert staff[year_index(cm, 2028)] == pytest.approx(50.0)  # the answer itself
    # after the last answer: the answered level moved by the model's own change
    after = year_index(cm, 2029)
    assert staff[after] - staff[after - 1] == pytest.approx(own[after] - own[after - 1])
    late = year_index(cm, 2034)
    assert staff[late] == pytest.approx(50.0 + own[late] - own[year_index(cm, 2028)])
    # a cell the owner did not answer keeps the capacity model
    other = cell_index(cm, "nkr4", "cell_assembly")
    np.testing.assert_allclose(fl.headcount[0, :, other], model.headcount[0, :, other])


def test_a_parent_answering_for_its_group_does_not_double_count(tmp_path: Path) -> None:
    tables = {
        "organisations": [_org("hydro", size=0), _org("hydrovolt", parent="hydro", size=60)],
        "facilities": [facility("recycler", organisation="hydrovolt", status="operating")],
        "capacity_plans": [plan("recycler", 2026, 1.0)],
        "survey_needs": [
            _answer("hydro", 2026, 50, 5),  # the parent answers for the group...
            _answer("hydrovolt", 2026, 50, 5),  # ...and the subsidiary for itself
        ],
    }
    cm, fl = _central(write_bundle(tmp_path / "b", tables))
    c = cell_index(cm, *CELL)
    assert fl.headcount[0, year_index(cm, 2026), c] == pytest.approx(50.0)
    assert cm.survey.groups == ("hydro",)
    status = dict(zip(cm.survey.frame["organisation"], cm.survey.frame["status"], strict=True))
    assert status == {"hydro": "respondent", "hydrovolt": "respondent"}


def test_a_parent_cycle_is_refused(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {"organisations": [_org("a", parent="b"), _org("b", parent="a")]},
    )
    with pytest.raises(BundleError) as err:
        load_inputs(folder)
    codes = {p.code for p in err.value.problems}
    assert "parent_cycle" in codes


def test_answers_for_a_planned_plant_count_at_its_realisation(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "organisations": [_org("newco", size=10)],
            "facilities": [
                facility("planned", organisation="newco", probability=0.25, status="announced")
            ],
            "capacity_plans": [plan("planned", 2030, 1.0)],
            "survey_needs": [_answer("newco", 2026, 40, 40, facility="planned")],
        },
    )
    cm, fl = _central(folder)
    c = cell_index(cm, *CELL)
    assert fl.headcount[0, year_index(cm, 2026), c] == pytest.approx(0.25 * 40)
    # in the draws: all of it where the plant is realised, nothing where it is not
    draws, _ = sample_draws(cm, 400, np.random.Generator(np.random.PCG64(1)))
    drawn = national_flows(cm, draws).headcount[:, year_index(cm, 2026), c]
    realised = draws.realised[:, 0] > 0
    np.testing.assert_allclose(drawn[realised], 40.0)
    np.testing.assert_allclose(drawn[~realised], 0.0)


def test_non_respondents_are_imputed_by_size_and_segment_with_sampling_uncertainty(
    tmp_path: Path,
) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "organisations": [
                _org("big", size=100, segment="cell_manufacturing"),
                _org("small", size=50, segment="cell_manufacturing"),
                _org("quiet", size=50, segment="cell_manufacturing"),
                _org("elsewhere", size=50, segment="recycling"),
            ],
            "survey_needs": [_answer("big", 2026, 40, 4), _answer("small", 2026, 30, 3)],
        },
    )
    cm, fl = _central(folder)
    c = cell_index(cm, *CELL)
    # 'quiet' (50, 20-99) has one donor of its class: 'small', 30 staff per 50 → 30
    # 'elsewhere' (recycling) has no donor in its segment: all respondents, 70 per 150 → 23.3
    y = year_index(cm, 2026)
    assert fl.headcount[0, y, c] == pytest.approx(70 + 30 + 50 * 70 / 150)
    status = dict(zip(cm.survey.frame["organisation"], cm.survey.frame["status"], strict=True))
    assert status["quiet"] == "imputed"
    assert status["big"] == "respondent"
    # the bootstrap over donors puts the survey's sampling uncertainty in the draws
    ens = run_ensemble([cm], [300], seed=4)
    drawn = ens.flows["headcount"][:, y, c]
    assert drawn.std() > 1.0
    # the bootstrap mean of a ratio is close to, not exactly, the ratio (ratio-estimator bias)
    assert drawn.mean() == pytest.approx(fl.headcount[0, y, c], rel=0.03)


def test_the_identity_holds_per_draw_with_a_survey(tmp_path: Path) -> None:
    from battkomp.engine.bundle import demo_bundle_path

    cm = compile_inputs(load_inputs(demo_bundle_path(), "mid"))
    draws, _ = sample_draws(cm, 200, np.random.Generator(np.random.PCG64(9)))
    fl = national_flows(cm, draws)
    np.testing.assert_allclose(
        fl.openings - fl.supply_released, fl.expansion + fl.replacement, atol=1e-8
    )
    np.testing.assert_allclose(fl.expansion[:, 1:], np.diff(fl.headcount, axis=1), atol=1e-8)
    # the demo's frame: two fictional non-respondents imputed, the parents' groups linked
    frame = cm.survey.frame
    status = dict(zip(frame["organisation"], frame["status"], strict=True))
    assert status["demo_modulverk"] == "imputed"
    group = dict(zip(frame["organisation"], frame["group"], strict=True))
    assert group["hydrovolt"] == "hydro"
    assert group["vianode"] == "elkem"
