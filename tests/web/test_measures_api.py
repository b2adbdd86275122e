"""The API of measures and infrastructure for every persona, by bearer token and by session:
public lists, a partner's proposed measure, an analyst's status change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from battkomp.api.actions import do_create_token
from battkomp.measures.actions import do_save_infrastructure, do_save_measure
from battkomp.measures.models import Infrastructure, Measure, MeasureStatusChange
from web.personas import PERSONAS

MODES = ("session", "token")

BODY = {
    "title": "Bransjeprogram module in cell assembly",
    "commandment": 4,
    "lever": "evu_module",
    "places_per_year": 20,
    "start_year": 2027,
    "targets": [{"level": "nkr4", "area": "cell_assembly", "weight": 1}],
}


def api_client(world: Any, persona: str, mode: str) -> Client:
    if persona == "anonymous" or mode == "session":
        return world.client(persona)
    _token, key = do_create_token(world.users[persona], f"{persona} script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(
        path, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.fixture
def measures(world: Any) -> dict[str, Measure]:
    return {
        status: do_save_measure(
            world.users["analyst"],
            {**BODY, "title": f"{status} measure"},
            [("nkr4", "cell_assembly", 1)],
            owner=world.company_a,
            status=status,
        )
        for status in ("proposed", "agreed", "running", "done", "dropped")
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_public_list_holds_agreed_running_and_done_measures_only(
    world: Any, persona: str, measures: Any
) -> None:
    response = send(world.client(persona), "get", "/api/measures")
    assert response.status_code == 200
    titles = sorted(i["title"] for i in response.json()["items"])
    assert titles == ["agreed measure", "done measure", "running measure"]
    item = response.json()["items"][0]
    assert item["bundle_id"] == f"m{item['id']}"
    assert [(t["level"], t["area"], t["weight"]) for t in item["targets"]] == [
        ("nkr4", "cell_assembly", 1.0)
    ]


def test_the_public_list_filters(world: Any, measures: Any) -> None:
    client = world.client("anonymous")
    assert send(client, "get", "/api/measures?status=running").json()["count"] == 1
    assert send(client, "get", "/api/measures?status=proposed").json()["count"] == 0
    assert send(client, "get", "/api/measures?commandment=5").json()["count"] == 0
    owner = world.company_a.pk
    assert send(client, "get", f"/api/measures?owner={owner}").json()["count"] == 3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_read_a_proposed_measure(
    world: Any, persona: str, mode: str, measures: Any
) -> None:
    response = send(
        api_client(world, persona, mode), "get", f"/api/measures/{measures['proposed'].pk}"
    )
    expected = {"anonymous": 401, "company_a": 200, "analyst": 200, "admin": 200}
    assert response.status_code == expected.get(persona, 404)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_register_a_measure(world: Any, persona: str, mode: str) -> None:
    response = send(api_client(world, persona, mode), "post", "/api/measures", BODY)
    if persona == "anonymous":
        assert response.status_code == 401
    elif persona == "handler":
        assert response.status_code == 404
    else:
        assert response.status_code == 201, response.content
        m = Measure.objects.get(pk=response.json()["id"])
        assert m.status == "proposed"
        if persona in ("analyst", "admin"):
            assert m.owner is None
        else:
            assert m.owner == getattr(world, persona)
            assert response.json()["owner"]["id"] == m.owner.pk
        return
    assert not Measure.objects.exists()


def test_a_partner_cannot_propose_for_another_organisation_or_agree_its_own(world: Any) -> None:
    client = api_client(world, "company_a", "token")
    other = send(client, "post", "/api/measures", {**BODY, "owner": world.company_b.pk})
    assert other.status_code == 404
    agreed = send(client, "post", "/api/measures", {**BODY, "status": "agreed"})
    assert agreed.status_code == 422
    assert agreed.json()["detail"][0]["loc"] == ["body", "status"]
    assert not Measure.objects.exists()


def test_an_analyst_registers_for_an_owner_with_a_status(world: Any) -> None:
    client = api_client(world, "analyst", "token")
    body = {**BODY, "owner": world.institution.pk, "status": "running"}
    response = send(client, "post", "/api/measures", body)
    assert response.status_code == 201
    assert response.json()["status"] == "running"
    assert response.json()["owner"] == {"id": world.institution.pk, "name": "Fagskolen Demo"}
    assert send(client, "post", "/api/measures", {**BODY, "owner": 999999}).status_code == 404


def test_bad_weights_are_422_naming_the_targets(world: Any) -> None:
    client = api_client(world, "institution", "token")
    body = {
        **BODY,
        "targets": [
            {"level": "nkr4", "area": "cell_assembly", "weight": 0.5},
            {"level": "nkr4", "area": "hse", "weight": 0.2},
        ],
    }
    response = send(client, "post", "/api/measures", body)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "targets"]
    assert "The weights sum to 0.7" in problem["msg"]
    assert not Measure.objects.exists()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_change_a_status(world: Any, persona: str, mode: str, measures: Any) -> None:
    m = measures["proposed"]
    client = api_client(world, persona, mode)
    response = send(client, "post", f"/api/measures/{m.pk}/status", {"status": "agreed"})
    m.refresh_from_db()
    if persona in ("analyst", "admin"):
        assert response.status_code == 200
        assert response.json()["from_status"] == "proposed"
        assert response.json()["to_status"] == "agreed"
        change = MeasureStatusChange.objects.filter(measure=m).last()
        assert change.changed_by == world.users[persona]
        assert m.status == "agreed"
    else:
        assert response.status_code == (401 if persona == "anonymous" else 404)
        assert m.status == "proposed"


def test_a_status_change_the_workflow_does_not_allow_is_422(world: Any, measures: Any) -> None:
    client = api_client(world, "analyst", "token")
    response = send(
        client, "post", f"/api/measures/{measures['done'].pk}/status", {"status": "proposed"}
    )
    assert response.status_code == 422
    assert "cannot become" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_infrastructure_list_is_public_and_shows_approved_public_entries_only(
    world: Any, persona: str
) -> None:
    analyst = world.users["analyst"]
    base = {"kind": "lab", "region": "50", "areas": ["cell_assembly"], "public": True}
    do_save_infrastructure(analyst, {**base, "name": "Open lab", "owner_name": "SINTEF"})
    do_save_infrastructure(
        analyst, {**base, "name": "Closed lab", "owner_name": "X", "public": False}
    )
    do_save_infrastructure(world.users["company_a"], {**base, "name": "Pending lab"})
    assert Infrastructure.objects.count() == 3
    response = send(world.client(persona), "get", "/api/infrastructure")
    assert response.status_code == 200
    assert [i["name"] for i in response.json()["items"]] == ["Open lab"]
    assert response.json()["items"][0]["largest_gap"] is None
    filtered = send(world.client(persona), "get", "/api/infrastructure?region=03")
    assert filtered.json()["count"] == 0
