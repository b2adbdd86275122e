"""Scenarios on the platform: who may see and change them, the engine's validation shown on the
form, and the scenarios in the bundles the platform writes."""

from __future__ import annotations

import csv
import html
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.models import Scenario, ScenarioOverride
from battkomp.analysis.runs.actions import do_load_demo_scenarios
from battkomp.analysis.runs.bundle_export import EXCLUDED_SOURCE, build_bundle
from battkomp.analysis.runs.scenarios import parse_overrides
from battkomp.demo import load_demo
from battkomp.engine.bundle import check_bundle, demo_bundle_path, load_inputs
from battkomp.organisations.models import Facility
from web.personas import OUTSIDERS, SECRETARIAT


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def demo(world: Any) -> Any:
    load_demo()
    world.mid = Scenario.objects.get(name="mid")
    return world


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "slow",
        "description": "Elinor later, fewer jobs per GWh.",
        "weight": "0.2",
        "overrides": (
            "facilities, elinor_orkland, delay_mode, 5, assumption: later\n"
            "labour_intensity, cell_manufacturing, mode, 100\n"
            "capacity_plans, elinor_orkland|2030, capacity, 10"
        ),
    }
    data.update(changes)
    return data


# --- who may see and change scenarios --------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_see_the_scenarios_and_their_forms(demo: Any, persona: str) -> None:
    client = demo.client(persona)
    listing = client.get(en("analysis:scenarios"))
    assert listing.status_code == 200
    text = listing.content.decode()
    for name in ("low", "mid", "high"):
        assert f"<code>{name}</code>" in text
    assert en("analysis:scenario_edit", demo.mid.pk) in text
    assert client.get(en("analysis:scenario_new")).status_code == 200
    edit = client.get(en("analysis:scenario_edit", demo.mid.pk))
    assert edit.status_code == 200
    assert edit.context["form"].initial["overrides"] == ""  # mid changes nothing
    low = Scenario.objects.get(name="low")
    edit = client.get(en("analysis:scenario_edit", low.pk)).content.decode()
    assert "capacity_plans,elinor_orkland|2030,capacity,20" in edit


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_create_and_change_a_scenario(demo: Any, persona: str) -> None:
    client = demo.client(persona)
    elinor = Facility.objects.get(code="elinor_orkland")
    freyr = Facility.objects.get(code="freyr_giga_arctic")
    response = client.post(en("analysis:scenario_new"), form(excluded=[str(freyr.pk)]))
    assert response.status_code == 302
    assert response["Location"] == en("analysis:scenarios")
    slow = Scenario.objects.get(name="slow")
    assert (slow.weight, slow.created_by) == (0.2, demo.users[persona])
    saved = [
        (o.position, o.table, o.key, o.column, o.value, o.source) for o in slow.overrides.all()
    ]
    assert saved == [
        (1, "facilities", "elinor_orkland", "delay_mode", "5", "assumption: later"),
        (2, "labour_intensity", "cell_manufacturing", "mode", "100", ""),
        (3, "capacity_plans", "elinor_orkland|2030", "capacity", "10", ""),
    ]
    assert list(slow.excluded_facilities.all()) == [freyr]

    response = client.post(
        en("analysis:scenario_edit", slow.pk),
        form(name="slower", weight="0.1", overrides="facilities;elinor_orkland;delay_mode;6"),
    )
    assert response.status_code == 302
    slow.refresh_from_db()
    assert (slow.name, slow.weight) == ("slower", 0.1)
    assert [(o.key, o.value) for o in slow.overrides.all()] == [(elinor.code, "6")]
    assert not slow.excluded_facilities.exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404_for_the_scenario_pages(demo: Any, persona: str) -> None:
    client = demo.client(persona)
    before = list(Scenario.objects.values_list("name", "weight"))
    assert client.get(en("analysis:scenarios")).status_code == 404
    assert client.get(en("analysis:scenario_new")).status_code == 404
    assert client.get(en("analysis:scenario_edit", demo.mid.pk)).status_code == 404
    assert client.post(en("analysis:scenario_new"), form()).status_code == 404
    response = client.post(en("analysis:scenario_edit", demo.mid.pk), form(name="mid"))
    assert response.status_code == 404
    assert list(Scenario.objects.values_list("name", "weight")) == before


def test_an_anonymous_visitor_is_sent_to_log_in_for_the_scenario_pages(demo: Any) -> None:
    client = demo.client("anonymous")
    login = reverse("accounts:login")
    for url in (
        reverse("analysis:scenarios"),
        reverse("analysis:scenario_new"),
        reverse("analysis:scenario_edit", args=[demo.mid.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login)
    response = client.post(reverse("analysis:scenario_new"), form())
    assert response.status_code == 302
    assert not Scenario.objects.filter(name="slow").exists()


def test_an_unknown_scenario_is_404_for_analysts_too(demo: Any) -> None:
    assert demo.client("analyst").get(en("analysis:scenario_edit", 999)).status_code == 404


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ("facilitys, elinor_orkland, delay_mode, 5", "Line 1, table: “facilitys” is not a table"),
        ("scenarios, mid, weight, 1", "Line 1, table: “scenarios” is not a table"),
        ("facilities, elinor_orkland, colour, 5", "Line 1, column: “colour” is not a column of"),
        ("facilities, elinor_orkland, id, x", "Line 1, column: “id” is not a column"),
        ("facilities, elinor_orkland, source, x", "Line 1, column: “source” is not a column"),
        ("\n\nfacilities, no_such_plant, delay_mode, 5", "Line 3: no row with key 'no_such_plant'"),
        ("facilities, elinor_orkland, delay_mode, soon", "Line 1: 'soon' is not a whole number"),
        (
            "labour_intensity, cell_manufacturing, mode, 100\n"
            "facilities, elinor_orkland, realisation_probability, 1.5",
            "Line 2: ",
        ),
        ("facilities, elinor_orkland, delay_mode", "Line 1: write table, key, column, value"),
        (
            "facilities, elinor_orkland, delay_mode, 5\nfacilities, elinor_orkland, delay_mode, 6",
            "Line 2: the same cell is already changed on line 1.",
        ),
        ("facilities, , delay_mode, 5", "Line 1, key: give the row's key (id, joined by"),
    ],
)
def test_a_scenario_with_a_bad_change_is_shown_with_its_line_and_nothing_is_saved(
    demo: Any, overrides: str, expected: str
) -> None:
    before = Scenario.objects.count()
    response = demo.client("analyst").post(en("analysis:scenario_new"), form(overrides=overrides))
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "The scenario was not saved" in text
    assert expected in text
    assert 'id="id_overrides_errors"' in text
    assert overrides.strip().splitlines()[-1].split(",")[0] in text  # the input is kept
    assert Scenario.objects.count() == before
    assert not ScenarioOverride.objects.filter(scenario__name="slow").exists()


def test_a_change_that_breaks_a_rule_of_its_table_names_the_line(demo: Any) -> None:
    # delay_min ≤ delay_mode ≤ delay_max for Elinor; its delays are blank since 2f74470, so
    # the announced status defaults (0 ≤ mode ≤ 6) apply, and a mode of 9 breaks the rule
    response = demo.client("analyst").post(
        en("analysis:scenario_new"),
        form(overrides="labour_intensity, cell_manufacturing, mode, 100\n"
             "facilities, elinor_orkland, delay_mode, 9"),
    )  # fmt: skip
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()
    assert not Scenario.objects.filter(name="slow").exists()


def test_an_edit_with_errors_keeps_the_saved_scenario_as_it_was(demo: Any) -> None:
    low = Scenario.objects.get(name="low")
    saved = list(low.overrides.values_list("table", "key", "column", "value"))
    response = demo.client("admin").post(
        en("analysis:scenario_edit", low.pk),
        form(name="low", weight="0.9", overrides="facilities, elinor_orkland, delay_mode, x"),
    )
    assert response.status_code == 400
    low.refresh_from_db()
    assert low.weight == 0.25
    assert list(low.overrides.values_list("table", "key", "column", "value")) == saved


def test_a_facility_left_out_cannot_also_get_a_realisation_probability(demo: Any) -> None:
    elinor = Facility.objects.get(code="elinor_orkland")
    response = demo.client("analyst").post(
        en("analysis:scenario_new"),
        form(
            excluded=[str(elinor.pk)],
            overrides="facilities, elinor_orkland, realisation_probability, 0.5",
        ),
    )
    assert response.status_code == 400
    assert "is left out of this scenario" in response.content.decode()
    assert not Scenario.objects.filter(name="slow").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mid", "There is already a scenario with this name."),
        ("weighted", "means something else on the run page"),
        ("base", "means something else on the run page"),
        ("not a code", "id_name_errors"),
    ],
)
def test_scenario_names_are_codes_unique_and_not_reserved(
    demo: Any, name: str, expected: str
) -> None:
    response = demo.client("analyst").post(en("analysis:scenario_new"), form(name=name))
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert Scenario.objects.count() == 3


def test_overrides_can_be_pasted_with_tabs_or_semicolons_and_a_header() -> None:
    tabs = parse_overrides("table\tkey\tcolumn\tvalue\nfacilities\tx\tdelay_mode\t2\n")
    semis = parse_overrides("facilities;x;delay_mode;2;a source, with a comma\n")
    assert [(o.line, o.table, o.value) for o in tabs.lines] == [(2, "facilities", "2")]
    assert semis.lines[0].source == "a source, with a comma"
    assert not tabs.errors
    assert not semis.errors


# --- the scenarios in the bundle ------------------------------------------------------------------


def test_the_demo_scenarios_are_loaded_once_with_all_their_changes(demo: Any) -> None:
    names = dict(Scenario.objects.values_list("name", "weight"))
    assert names == {"low": 0.25, "mid": 0.5, "high": 0.25}
    demo_rows = rows(demo_bundle_path() / "scenario_overrides.csv")
    assert ScenarioOverride.objects.count() == len(demo_rows)
    assert do_load_demo_scenarios() == 0
    Scenario.objects.exclude(name="mid").delete()
    load_demo()  # an analyst's choice of scenarios stays
    assert list(Scenario.objects.values_list("name", flat=True)) == ["mid"]


def test_the_bundle_holds_the_platforms_scenarios_and_the_facilities_left_out(
    demo: Any, tmp_path: Path
) -> None:
    freyr = Facility.objects.get(code="freyr_giga_arctic")
    client = demo.client("analyst")
    client.post(en("analysis:scenario_new"), form(excluded=[str(freyr.pk)]))
    Scenario.objects.filter(name__in=["low", "high"]).delete()
    folder = build_bundle(tmp_path / "bundle")
    assert check_bundle(folder) == []
    scenarios = rows(folder / "scenarios.csv")
    assert [(s["name"], s["weight"]) for s in scenarios] == [("mid", "0.5"), ("slow", "0.2")]
    changes = rows(folder / "scenario_overrides.csv")
    assert [(c["scenario"], c["key"], c["column"], c["value"]) for c in changes] == [
        ("slow", "elinor_orkland", "delay_mode", "5"),
        ("slow", "cell_manufacturing", "mode", "100"),
        ("slow", "elinor_orkland|2030", "capacity", "10"),
        ("slow", "freyr_giga_arctic", "realisation_probability", "0"),
    ]
    assert changes[-1]["source"] == EXCLUDED_SOURCE
    inputs = load_inputs(folder, "slow")
    facilities = inputs["facilities"].filter(inputs["facilities"]["id"] == "freyr_giga_arctic")
    assert facilities["realisation_probability"][0] == 0.0
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "scenarios: 2 (database)" in readme


def test_without_platform_scenarios_the_bundle_copies_the_demos(world: Any, tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    assert [s["name"] for s in rows(folder / "scenarios.csv")] == ["low", "mid", "high"]
    assert "scenarios: 3 (demo bundle)" in (folder / "README.txt").read_text(encoding="utf-8")


def test_the_model_page_says_where_the_scenarios_come_from(demo: Any) -> None:
    text = demo.client("analyst").get(en("analysis:home")).content.decode()
    assert en("analysis:scenarios") in text
    assert en("analysis:runs") in text
    assert "The platform has 3 scenarios." in text
