"""The model on the platform's data: build_bundle writes an engine bundle from the database."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from battkomp.accounts.models import AccessLog
from battkomp.analysis.runs.bundle_export import DEMO_TABLES, build_bundle, collect_bundle, org_id
from battkomp.engine import run_model
from battkomp.engine.bundle import check_bundle, demo_bundle_path, load_inputs
from battkomp.offers.actions import do_save_offer
from battkomp.organisations.actions import (
    do_add_status,
    do_save_capacity_plan,
    do_save_facility,
    do_save_organisation,
)
from battkomp.survey.actions import (
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
    do_submit_response,
)

YEARS = (2026, 2027, 2028)


def _lines(new_hires: int) -> list[dict[str, Any]]:
    return [
        {
            "role": "process_operator",
            "level": "nkr4",
            "area": "electrode_manufacturing",
            "year": year,
            "new_hires": new_hires,
            "total_staff": new_hires * (i + 1),
        }
        for i, year in enumerate(YEARS)
    ]


@pytest.fixture
def small(world: Any) -> dict[str, Any]:
    """Two companies, one facility with two plan versions, one offer, and a round in which
    company A has submitted and company B has only saved a draft."""
    analyst = world.users["analyst"]
    facility = do_save_facility(
        world.company_a,
        analyst,
        {
            "name": "Cellco plant 1",
            "code": "cellco_plant_1",
            "segment": "cell_manufacturing",
            "region": "42",
            "start_year": 2027,
            "realisation_probability": 0.6,
            "delay_min": 0,
            "delay_mode": 1,
            "delay_max": 3,
            "source": "test data",
        },
    )
    do_add_status(facility, analyst, "announced", dt.date(2025, 1, 10))
    do_add_status(facility, analyst, "fid", dt.date(2026, 3, 1))
    do_save_capacity_plan(facility, analyst, [(2027, 2.0)], "first plan")
    do_save_capacity_plan(facility, analyst, [(2027, 4.0), (2029, 8.0)], "bigger plan")
    offer = do_save_offer(
        world.institution,
        world.users["institution"],
        {
            "code": "fagskole_battery",
            "name": "Battery production technology",
            "kind": "programme",
            "level": "nkr5",
            "study_places": 30,
            "first_intake": 2026,
            "region": "32",
            "status": "exists",
        },
        [("electrode_manufacturing", 0.6), ("cell_assembly", 0.4)],
    )
    rnd = do_create_round(
        analyst,
        name="Needs 2026",
        first_year=YEARS[0],
        last_year=YEARS[-1],
        opens_on=dt.date(2026, 1, 1),
        deadline=dt.date(2026, 12, 31),
    )
    do_open_round(rnd, analyst)
    part_a, part_b = do_invite_organisations(rnd, [world.company_a, world.company_b], analyst)
    do_save_response(part_a, world.users["company_a"], lines=_lines(10))
    do_submit_response(part_a, world.users["company_a"])
    do_save_response(part_b, world.users["company_b"], lines=_lines(99))
    return {"facility": facility, "offer": offer, "round": rnd, "world": world}


def read(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_bundle_passes_the_models_own_validation(small: dict[str, Any], tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    assert folder == tmp_path / "bundle"
    assert check_bundle(folder) == []


def test_the_model_runs_on_the_bundle(small: dict[str, Any], tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    result = run_model(folder, draws=20, seed=0)
    assert result.meta["draws"] == 20
    assert result["totals"].height > 0
    weighted = run_model(folder, weighted=True, draws=20, seed=0)
    assert weighted.meta["scenario"] == "weighted"


def test_every_table_has_the_engines_columns_in_order(
    small: dict[str, Any], tmp_path: Path
) -> None:
    from battkomp.engine.schema import BUNDLE_TABLES, TABLES

    folder = build_bundle(tmp_path / "bundle")
    for name in BUNDLE_TABLES:
        with open(folder / f"{name}.csv", encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert tuple(header) == TABLES[name].column_names


def test_it_exports_only_the_current_capacity_plan(small: dict[str, Any], tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    plans = read(folder, "capacity_plans")
    assert [(p["facility"], p["year"], p["capacity"]) for p in plans] == [
        ("cellco_plant_1", "2027", "4"),
        ("cellco_plant_1", "2029", "8"),
    ]
    assert all("version 2" in p["source"] for p in plans)


def test_a_facility_carries_its_current_status_and_owner(
    small: dict[str, Any], tmp_path: Path
) -> None:
    folder = build_bundle(tmp_path / "bundle")
    (fac,) = read(folder, "facilities")
    assert fac["status"] == "fid"
    assert fac["status_date"] == "2026-03-01"
    assert fac["organisation"] == org_id(small["world"].company_a)
    assert (fac["realisation_probability"], fac["delay_mode"], fac["intensity"]) == ("0.6", "1", "")


def test_it_exports_only_submitted_answers(small: dict[str, Any], tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    needs = read(folder, "survey_needs")
    world = small["world"]
    assert {n["organisation"] for n in needs} == {org_id(world.company_a)}
    assert [n["new_hires"] for n in needs] == ["10", "10", "10"]
    # the organisation's first segment and its county say where the need counts
    assert {(n["segment"], n["region"]) for n in needs} == {("cell_manufacturing", "42")}


def test_it_exports_what_was_submitted_not_changes_saved_since(
    small: dict[str, Any], tmp_path: Path
) -> None:
    world = small["world"]
    part_a = small["round"].participants.get(organisation=world.company_a)
    # after submitting, company A saves a half-finished revision with a number left blank
    changed = _lines(55)
    changed[0]["new_hires"] = None
    do_save_response(part_a, world.users["company_a"], lines=changed)
    folder = build_bundle(tmp_path / "bundle")
    needs = read(folder, "survey_needs")
    assert [n["new_hires"] for n in needs] == ["10", "10", "10"]
    assert check_bundle(folder) == []


def test_organisations_get_stable_ids(small: dict[str, Any], tmp_path: Path) -> None:
    world = small["world"]
    folder = build_bundle(tmp_path / "bundle")
    ids = {o["id"]: o["name"] for o in read(folder, "organisations")}
    assert ids[f"org-{world.company_a.pk}"] == "Cellco AS"
    assert ids[f"org-{world.institution.pk}"] == "Fagskolen Demo"
    again = build_bundle(tmp_path / "again")
    assert read(again, "organisations") == read(folder, "organisations")


def test_offers_and_their_areas_map_directly(small: dict[str, Any], tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    (offer,) = read(folder, "education_offers")
    assert offer["id"] == "fagskole_battery"
    assert offer["institution"] == "Fagskolen Demo"
    assert (offer["kind"], offer["level"], offer["status"]) == ("programme", "nkr5", "exists")
    areas = {(a["offer"], a["area"]): float(a["weight"]) for a in read(folder, "offer_areas")}
    assert areas == {
        ("fagskole_battery", "electrode_manufacturing"): pytest.approx(0.6),
        ("fagskole_battery", "cell_assembly"): pytest.approx(0.4),
    }


def test_tables_the_platform_lacks_come_from_the_demo_bundle(
    small: dict[str, Any], tmp_path: Path
) -> None:
    folder = build_bundle(tmp_path / "bundle")
    demo = load_inputs(demo_bundle_path(), scenario=None)
    ours = load_inputs(folder, scenario=None)
    for name in ("retraining_pools", "retraining_paths", "recruitment_channels", "scenarios"):
        assert ours[name].equals(demo[name]), name
    # scenario changes to demo facilities this database does not have are left out, and said so
    targets = {(r["table"], r["key"]) for r in read(folder, "scenario_overrides")}
    assert ("labour_intensity", "cell_manufacturing") in targets
    assert not any(table == "facilities" for table, _key in targets)
    assert any("scenario_overrides" in note for note in collect_bundle().notes)
    assert "README.txt" in {p.name for p in folder.iterdir()}


def test_an_older_round_can_be_chosen(small: dict[str, Any], tmp_path: Path) -> None:
    analyst = small["world"].users["analyst"]
    newer = do_create_round(
        analyst,
        name="Needs 2027",
        first_year=2027,
        last_year=2028,
        opens_on=dt.date(2027, 1, 1),
        deadline=dt.date(2027, 6, 1),
    )
    do_open_round(newer, analyst)
    assert collect_bundle().round == newer
    assert read(build_bundle(tmp_path / "latest"), "survey_needs") == []
    chosen = build_bundle(tmp_path / "chosen", round=small["round"].pk)
    assert len(read(chosen, "survey_needs")) == 3


def test_an_analysts_export_is_logged_per_company(small: dict[str, Any], tmp_path: Path) -> None:
    world = small["world"]
    build_bundle(tmp_path / "bundle", user=world.users["analyst"])
    logs = list(AccessLog.objects.all())
    assert [(log.user, log.organisation, log.action) for log in logs] == [
        (world.users["analyst"], world.company_a, "export_bundle")
    ]
    build_bundle(tmp_path / "other")  # no user: a command, nothing to log
    assert AccessLog.objects.count() == 1


def test_formula_like_text_is_escaped_in_the_csv_files(
    small: dict[str, Any], tmp_path: Path
) -> None:
    do_save_organisation(None, {"name": "=HYPERLINK(1)", "kind": "cluster"})
    folder = build_bundle(tmp_path / "bundle")
    names = [o["name"] for o in read(folder, "organisations")]
    assert "'=HYPERLINK(1)" in names
    assert check_bundle(folder) == []


def test_the_export_bundle_command_writes_a_checked_bundle(
    small: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("export_bundle", output=str(tmp_path / "out"), round=small["round"].pk)
    out = capsys.readouterr().out
    assert "no problems" in out
    assert len(read(tmp_path / "out", "survey_needs")) == 3
    assert {f"{t}.csv" for t in DEMO_TABLES} <= {p.name for p in (tmp_path / "out").iterdir()}


def test_the_export_bundle_command_rejects_an_unknown_round(
    small: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="no survey round"):
        call_command("export_bundle", output=str(tmp_path / "out"), round=999999)
    assert not (tmp_path / "out").exists()


def test_an_empty_database_gives_a_valid_bundle(db: None, tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    assert check_bundle(folder) == []
    assert read(folder, "survey_needs") == []


def test_a_parent_answering_for_its_group_and_the_frame_size_are_exported(
    small: dict[str, Any], tmp_path: Path
) -> None:
    world = small["world"]
    analyst = world.users["analyst"]
    do_save_organisation(analyst, {"parent": world.company_a, "battery_staff": 40}, world.company_b)
    folder = build_bundle(tmp_path / "bundle")
    rows = {o["id"]: o for o in read(folder, "organisations")}
    child = rows[org_id(world.company_b)]
    assert child["parent"] == org_id(world.company_a)
    assert child["size"] == "40"
    assert rows[org_id(world.company_a)]["parent"] == ""
    # the engine reads the group: company A answers for company B
    frame = run_model(folder, draws=20, seed=1)["survey_frame"]
    group = dict(zip(frame["organisation"], frame["group"], strict=True))
    assert group[org_id(world.company_b)] == org_id(world.company_a)


def test_an_organisation_cannot_be_its_own_parent(small: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    world = small["world"]
    analyst = world.users["analyst"]
    do_save_organisation(analyst, {"parent": world.company_a}, world.company_b)
    with pytest.raises(ValidationError) as err:
        do_save_organisation(analyst, {"parent": world.company_b}, world.company_a)
    assert "parent" in err.value.message_dict
