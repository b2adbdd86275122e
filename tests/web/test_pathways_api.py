"""The retraining pathways in the API: public reads for everyone, a clear 404 for an unknown
occupation, and the platform's registered offers in the answer."""

from __future__ import annotations

from typing import Any

from battkomp.demo import load_demo
from battkomp.engine.bundle import load_inputs
from battkomp.offers.actions import do_save_offer
from web.personas import PERSONAS


def test_everyone_lists_the_source_occupations(world: Any) -> None:
    expected = load_inputs(None)["source_occupations"]
    for persona in PERSONAS:
        response = world.client(persona).get("/api/pathways")
        assert response.status_code == 200, persona
        items = response.json()
        assert [i["code"] for i in items] == expected["code"].to_list()
    first = world.client("anonymous").get("/api/pathways").json()[0]
    assert first == {
        "code": "3134",
        "name_nb": "Prosessoperatør, olje og gass",
        "name_en": "Process operator, oil and gas",
        "usual_level": "nkr4",
        "usual_level_name": "Fagbrev / videregående yrkesfag",
    }


def test_everyone_reads_the_pathways_of_an_occupation(world: Any) -> None:
    for persona in PERSONAS:
        response = world.client(persona).get("/api/pathways/3134")
        assert response.status_code == 200, persona
    body = world.client("anonymous").get("/api/pathways/3134").json()
    assert body["occupation"]["code"] == "3134"
    pathways = body["pathways"]
    assert len(pathways) == 5
    assert pathways[0]["role"] == "process_controller"
    assert pathways[0]["role_name_nb"] == "Prosesskontrollør"
    assert pathways[0]["overlap"] == 0.55
    overlaps = [p["overlap"] for p in pathways]
    assert overlaps == sorted(overlaps, reverse=True)
    assert [m["area"] for m in pathways[0]["missing"]] == [
        "chemical_process",
        "electrode_manufacturing",
    ]
    assert pathways[0]["offers"] == []  # nothing registered yet
    assert pathways[0]["uncovered"] == ["chemical_process", "electrode_manufacturing"]
    # nothing covers them: their shortfall (0.3 + 0.15) of the 4-year fagbrev
    assert pathways[0]["duration_years"] == 1.8


def test_the_limit_chooses_how_many_roles_and_is_checked(world: Any) -> None:
    client = world.client("anonymous")
    assert len(client.get("/api/pathways/3134?limit=2").json()["pathways"]) == 2
    assert client.get("/api/pathways/3134?limit=0").status_code == 422
    assert client.get("/api/pathways/3134?limit=51").status_code == 422


def test_an_unknown_occupation_is_404_with_a_clear_message(world: Any) -> None:
    for persona in PERSONAS:
        response = world.client(persona).get("/api/pathways/9999", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404, persona
        assert response.json() == {
            "detail": "Unknown occupation 9999: use a STYRK-08 code from /api/pathways."
        }


def test_registered_offers_cover_the_missing_areas(world: Any) -> None:
    data: dict[str, object] = {
        "name": "Electrode and process module",
        "code": "electrode-module",
        "kind": "bransjeprogram",
        "level": "evu",
        "target_level": "nkr4",
        "study_places": 20,
        "candidates": None,
        "first_intake": 2025,
        "duration_years": 0.75,
        "ects": 15,
        "region": "32",
        "mode": "online",
        "status": "under_development",
        "completion_rate": None,
        "capture_share": None,
        "source": "test",
    }
    areas = [("electrode_manufacturing", 0.6), ("chemical_process", 0.4)]
    offer = do_save_offer(world.institution, world.users["institution"], data, areas)

    first = world.client("company_a").get("/api/pathways/3134").json()["pathways"][0]

    assert first["offers"] == [
        {
            "id": offer.pk,
            "code": "electrode-module",
            "name": "Electrode and process module",
            "institution": "Fagskolen Demo",
            "kind": "bransjeprogram",
            "kind_name": "Bransjeprogrammodul",
            "level": "evu",
            "level_name": "EVU / kort modul",
            "status": "under_development",
            "status_name": "Under utvikling",
            "duration_years": 0.75,
            "covers": ["chemical_process", "electrode_manufacturing"],
            "covers_names": [
                "Kjemisk prosess og prosessdrift",
                "Elektrodeproduksjon (blanding, belegging, kalandrering, kutting)",
            ],
        }
    ]
    assert first["uncovered"] == []
    assert first["offer_years"] == 0.75
    assert first["duration_years"] == 0.75


def test_the_pathway_reads_are_public_in_the_schema(world: Any) -> None:
    paths = world.client("anonymous").get("/api/openapi.json").json()["paths"]
    for path in ("/api/pathways", "/api/pathways/{code}"):
        assert "security" not in paths[path]["get"], path


def test_the_demo_offers_cover_an_oil_and_gas_operator_and_link_to_the_offers_api(
    world: Any,
) -> None:
    load_demo()
    client = world.client("anonymous")
    pathways = client.get("/api/pathways/3134").json()["pathways"]
    offers = [o for p in pathways for o in p["offers"]]
    assert offers, "the demo's Batterifagskolen covers electrode manufacturing"
    for o in offers:
        assert o["kind"] in {"module", "course", "bransjeprogram"} or o["level"] == "evu"
        detail = client.get(f"/api/offers/{o['id']}")
        assert detail.status_code == 200
        assert detail.json()["name"] == o["name"]
