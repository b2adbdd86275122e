"""The frames that read the gap for action: recruitment from abroad (``abroad``) and recommended
levers and commandments (``recommendations``, rules as data), on hand-made bundles with the
shipped levers (base year 2026: recruiting abroad takes 0.75 years, retraining and modules 1,
education 1.5 plus the programme; docs/model.md section 7)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine import ModelResult, run_model
from battkomp.engine.bundle import check_bundle, load_inputs
from bundlekit import BASE_YEAR, default_rows, write_bundle

Row = dict[str, object]

FIXED_RECRUITMENT = [
    {"table": "parameters", "key": "recruitment_cap_factor", "column": c, "value": 1}
    for c in ("low", "high")
]


def _needs(role: str, level: str, area: str, by_year: dict[int, float]) -> list[Row]:
    """Survey rows of a respondent without facilities: new hires in the given years only (its
    total staff is 0, so nothing is carried forward)."""
    return [
        {
            "organisation": f"org_{level}_{area}",
            "segment": "research_services",
            "region": "42",
            "role": role,
            "level": level,
            "area": area,
            "year": year,
            "new_hires": need,
            "total_staff": 0,
            "source": "synthetic test data",
        }
        for year, need in by_year.items()
    ]


def _run(folder: Path) -> ModelResult:
    return run_model(folder, draws=40, seed=2)


# ------------------------------------------------------------------------------------ abroad


def _channel(**kw: object) -> Row:
    row: Row = {
        "id": "rc1",
        "level": "nkr8",
        "area": "cell_design",
        "cap_per_year": 10,
        "lead_time_months": 6,
        "first_year": BASE_YEAR,
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def abroad_frame(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    years = range(BASE_YEAR, BASE_YEAR + 8)
    folder = write_bundle(
        tmp_path_factory.mktemp("abroad"),
        {
            "survey_needs": _needs("chemist", "nkr8", "cell_design", dict.fromkeys(years, 30))
            + _needs("process_engineer", "nkr7", "cell_design", dict.fromkeys(years, 12)),
            "recruitment_channels": [_channel()],
            "measures": [
                {
                    "id": "m1",
                    "name": "Fast track",
                    "commandment": 7,
                    "lever": "recruit_abroad",
                    "status": "agreed",
                    "places_per_year": 4,
                    "start_year": BASE_YEAR + 1,
                    "source": "synthetic test data",
                }
            ],
            "measure_targets": [
                {"measure": "m1", "level": "nkr8", "area": "cell_design", "weight": 1.0}
            ],
            "overrides": FIXED_RECRUITMENT,
        },
    )
    return _run(folder)["abroad"]


def test_abroad_covers_the_years_no_domestic_lever_can_reach(abroad_frame: pl.DataFrame) -> None:
    design = abroad_frame.filter((pl.col("level") == "nkr8") & (pl.col("area") == "cell_design"))
    # at nkr8 only education is domestic: 1.5 + 4 years, in time from 2031 (5.5 available)
    assert design["year"].to_list() == list(range(BASE_YEAR, BASE_YEAR + 5))
    assert set(design["domestic_lead_years"].to_list()) == {5.5}
    # at nkr7 retraining is in time from the second year: only the base year is left
    master = abroad_frame.filter(pl.col("level") == "nkr7")
    assert master["year"].to_list() == [BASE_YEAR]
    assert master["domestic_lead_years"].to_list() == [1.0]


def test_abroad_splits_the_need_into_recruited_and_unmet(abroad_frame: pl.DataFrame) -> None:
    design = abroad_frame.filter(
        (pl.col("level") == "nkr8") & (pl.col("area") == "cell_design")
    ).sort("year")

    np.testing.assert_allclose(design["need"].to_numpy(), 30.0)
    # the channel opens after six months (half of 10 in the base year); the measure adds 4 from
    # the second year, after the channel
    recruited = np.array([5.0, 14.0, 14.0, 14.0, 14.0])
    np.testing.assert_allclose(design["recruited"].to_numpy(), recruited)
    np.testing.assert_allclose(design["unmet"].to_numpy(), 30.0 - recruited)
    assert design["lead_time_months"].to_list() == [6.0] * 5
    assert design["channels"].to_list() == ["rc1"] + ["rc1;m1"] * 4


def test_abroad_falls_back_to_the_levers_lead_time_without_a_channel(
    abroad_frame: pl.DataFrame,
) -> None:
    master = abroad_frame.filter(pl.col("level") == "nkr7").row(0, named=True)
    lead = load_inputs(None)["levers"].filter(pl.col("code") == "recruit_abroad")
    assert master["need"] == pytest.approx(12.0)
    assert master["recruited"] == 0.0
    assert master["unmet"] == pytest.approx(12.0)
    assert master["lead_time_months"] == pytest.approx(float(lead["lead_time_years"][0]) * 12)
    assert master["channels"] == ""


# ------------------------------------------------------------------------------ recommendations


def _offer() -> Row:
    return {
        "id": "o_master",
        "institution": "Test university",
        "name": "Materials master",
        "kind": "programme",
        "level": "nkr7",
        "region": "50",
        "candidates": 100,
        "first_intake": 2015,
        "duration_years": 5,
        "capture_share": 0.5,
        "status": "exists",
        "source": "synthetic test data",
    }


#: (role, level, area, new hires by year) and the rule expected to fire
CASES: dict[str, tuple[str, str, str, dict[int, float]]] = {
    "unclosable": ("process_engineer", "nkr6", "data_mes", {2026: 20}),
    "specialists_abroad": ("chemist", "nkr8", "cell_design", {2027: 20, 2028: 20}),
    "phd_environment": ("chemist", "nkr8", "electrochemistry", {2032: 20}),
    "fagskole_modules": ("process_technician", "nkr5", "chemical_process", {2027: 20}),
    "retrain_medium": ("process_operator", "nkr4", "electrode_manufacturing", {2027: 20}),
    "fagskole_capacity": ("process_technician", "nkr5", "formation_testing", {2030: 20}),
    "new_pathway": ("process_engineer", "nkr6", "cell_assembly", {2031: 20}),
    "expand_capacity": ("process_engineer", "nkr7", "materials_technology", {2033: 80}),
}


def _advice_bundle(folder: Path, *overrides: Row) -> Path:
    survey: list[Row] = []
    for role, level, area, by_year in CASES.values():
        survey += _needs(role, level, area, by_year)
    # below the threshold (5 a year) in 2030; above it only in 2032
    survey += _needs("process_engineer", "nkr6", "hse", {2030: 3, 2032: 12})
    survey += _needs("process_engineer", "nkr6", "quality_lab", {2030: 3})
    measure = {
        "name": "A master specialisation",
        "commandment": 5,
        "lever": "educate",
        "places_per_year": 10,
        "start_year": 2039,  # arrives after the horizon: points at the cell, adds nothing
        "source": "synthetic test data",
    }
    return write_bundle(
        folder,
        {
            "survey_needs": survey,
            "education_offers": [_offer()],
            "offer_areas": [{"offer": "o_master", "area": "materials_technology", "weight": 1.0}],
            "measures": [
                {"id": "m_agreed", "status": "agreed", **measure},
                {"id": "m_proposed", "status": "proposed", **measure},
            ],
            "measure_targets": [
                {"measure": m, "level": "nkr7", "area": "materials_technology", "weight": 1.0}
                for m in ("m_agreed", "m_proposed")
            ],
            "overrides": [
                # capture fixed at its mode: the master offer delivers 50 a year
                *(
                    {"table": "capture_share", "key": "nkr7", "column": c, "value": 0.1}
                    for c in ("low", "high")
                ),
                *overrides,
            ],
        },
    )


@pytest.fixture(scope="module")
def advice(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    return _run(_advice_bundle(tmp_path_factory.mktemp("advice")))["recommendations"]


def _row(frame: pl.DataFrame, level: str, area: str) -> dict[str, object]:
    rows = frame.filter((pl.col("level") == level) & (pl.col("area") == area))
    assert rows.height == 1, rows
    return rows.row(0, named=True)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_shipped_rule_fires_on_its_case(advice: pl.DataFrame, rule: str) -> None:
    _, level, area, by_year = CASES[rule]
    row = _row(advice, level, area)
    shipped = {r["id"]: r for r in default_rows("recommendation_rules")}[rule]

    assert row["rule"] == rule
    assert row["year"] == min(by_year)
    assert row["lever"] == shipped["lever"]
    assert row["commandment"] == int(shipped["commandment"])
    for lang in ("nb", "en"):
        reason = str(row[f"reason_{lang}"])
        assert "{" not in reason, reason
        assert "}" not in reason, reason
        assert str(min(by_year)) in reason or "{year}" not in shipped[f"reason_{lang}"]


def test_every_shipped_rule_has_a_case_here() -> None:
    shipped = {r["id"] for r in default_rows("recommendation_rules")}
    assert shipped - set(CASES) == {"fallback"}


def test_a_recommendation_states_the_gap_and_fills_the_reason(advice: pl.DataFrame) -> None:
    row = _row(advice, "nkr7", "materials_technology")

    assert row["shortage"] == pytest.approx(30.0)
    assert row["share"] == pytest.approx(30.0 / 80.0)
    assert row["horizon"] == "long"
    assert row["available_years"] == 7.5
    assert str(row["reason_en"]).startswith(
        "At level Master in Materials technology about 30 people a year are missing from 2033."
    )
    assert "(6.5 of 7.5 years)" in str(row["reason_en"])
    assert "(6,5 av 7,5 år)" in str(row["reason_nb"])


def test_a_recommendation_lists_the_offers_and_counted_measures_at_the_cell(
    advice: pl.DataFrame,
) -> None:
    row = _row(advice, "nkr7", "materials_technology")
    assert row["offers"] == "o_master"
    assert row["measures"] == "m_agreed"  # the proposed measure is not counted
    other = _row(advice, "nkr6", "cell_assembly")
    assert (other["offers"], other["measures"]) == ("", "")


def test_a_gap_opens_in_the_first_year_above_the_threshold(advice: pl.DataFrame) -> None:
    assert _row(advice, "nkr6", "hse")["year"] == 2032
    assert advice.filter(pl.col("area") == "quality_lab").height == 0
    assert advice.height == len(CASES) + 1


def test_the_fallback_rule_fires_when_no_other_rule_matches(tmp_path: Path) -> None:
    stricter = {
        "table": "recommendation_rules",
        "key": "expand_capacity",
        "column": "min_shortage",
        "value": 1000,
    }
    frame = _run(_advice_bundle(tmp_path / "b", stricter))["recommendations"]

    row = _row(frame, "nkr7", "materials_technology")
    assert (row["rule"], row["lever"], row["commandment"]) == ("fallback", "retrain", 1)
    assert "(horizon: long term)" in str(row["reason_en"])
    assert "(horisont: lang sikt)" in str(row["reason_nb"])


def test_no_row_gets_a_rule_when_no_rule_matches(tmp_path: Path) -> None:
    rules = [dict(r, horizons="short") for r in default_rows("recommendation_rules")]
    folder = _advice_bundle(tmp_path / "b")
    write_bundle(folder, {"recommendation_rules": rules})
    frame = _run(folder)["recommendations"]

    row = _row(frame, "nkr7", "materials_technology")
    assert (row["rule"], row["lever"], row["reason_en"]) == (None, None, None)
    assert _row(frame, "nkr8", "cell_design")["rule"] == "unclosable"  # priority 10, now short


def test_the_threshold_is_a_parameter(tmp_path: Path) -> None:
    higher = {
        "table": "parameters",
        "key": "recommendation_min_shortage",
        "column": "value",
        "value": 25,
    }
    frame = _run(_advice_bundle(tmp_path / "b", higher))["recommendations"]

    assert frame.select("level", "area").rows() == [("nkr7", "materials_technology")]


@pytest.mark.parametrize(
    ("change", "code", "column"),
    [
        ({"reason_en": "Missing {shortge} people"}, "unknown_placeholder", "reason_en"),
        ({"horizons": "soon"}, "unknown_horizon", "horizons"),
        ({"commandment": 12}, "above_maximum", "commandment"),
        ({"lever": "lobby"}, "unknown_code", "lever"),
    ],
)
def test_bad_rules_are_named(
    tmp_path: Path, change: dict[str, object], code: str, column: str
) -> None:
    rules = default_rows("recommendation_rules")
    rules[0] = {**rules[0], **change}
    folder = write_bundle(tmp_path / "b", {"recommendation_rules": rules})

    problems = [p for p in check_bundle(folder) if p.code == code]

    assert [(p.location.file, p.location.row, p.location.column) for p in problems] == [
        ("b/recommendation_rules.csv", 2, column)
    ]
