"""The API's list filters by id are bounded (422 naming the parameter, never a database error
or a misleading 404), and a number in a request body must be a JSON number: ``true``/``false``
(which pydantic's lax mode takes as 1/0) are 422 naming the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from battkomp.measures.models import Measure
from battkomp.offers.models import Offer
from battkomp.organisations.models import CapacityPlan
from battkomp.survey.models import Response

from .test_api_write import COMPLETE, facility, line, offer_body, open_participants, send
from .test_measures_api import BODY as MEASURE

__all__ = ["facility"]  # a fixture used below

TOO_BIG = "9223372036854775808"  # one beyond the largest 64-bit id

FILTERS = [
    ("/api/offers", "institution"),
    ("/api/measures", "owner"),
    ("/api/measures", "commandment"),
]


@pytest.mark.parametrize(("path", "name"), FILTERS)
@pytest.mark.parametrize("value", [TOO_BIG, "99999999999999999999999999", "0", "-1", "abc"])
def test_an_id_filter_out_of_range_is_422_naming_the_parameter(world, path, name, value):
    response = send(world.client("anonymous"), "get", f"{path}?{name}={value}")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["query", name]


@pytest.mark.parametrize(("path", "name"), FILTERS[:2])
def test_the_largest_id_is_a_valid_filter_that_finds_nothing(world, path, name):
    response = send(world.client("anonymous"), "get", f"{path}?{name}=9223372036854775807")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_commandment_filter_of_eleven_is_422(world):
    response = send(world.client("anonymous"), "get", "/api/measures?commandment=11")
    assert response.status_code == 422


def test_the_schema_declares_the_bounds(world):
    schema = world.client("anonymous").get("/api/openapi.json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/offers"]["get"]["parameters"]}
    institution = params["institution"]
    bounds = institution.get("anyOf", [institution])[0]
    assert bounds["minimum"] == 1
    assert bounds["maximum"] == 2**63 - 1


def list_endpoints() -> list[str]:
    """Every GET operation of the API that pages (has ``offset``), from its own schema, so a
    new list is covered without being named here."""
    from battkomp.api.api import api

    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        names = [p["name"] for p in operations.get("get", {}).get("parameters", [])]
        if "offset" in names:
            found.append(path)
    return sorted(found)


def test_every_list_endpoint_refuses_an_offset_or_limit_out_of_range_with_a_json_422(world):
    """Issue 11: ``offset=9223372036854775808`` gave Django's HTML 500 on every list."""
    participant, _other = open_participants(world)
    round_ = participant.round  # not the participant's id: they coincide only on a fresh SQLite
    paths = [p.replace("{round_id}", str(round_.pk)) for p in list_endpoints()]
    assert "/api/organisations" in paths
    assert f"/api/rounds/{round_.pk}/participants" in paths
    assert len(paths) >= 7
    client = world.client("analyst")
    for path in paths:
        for query in (f"offset={TOO_BIG}", f"limit={TOO_BIG}", "offset=-1", "offset=false"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 422, (path, query, response.content[:200])
            assert response["Content-Type"].startswith("application/json"), (path, query)
            (problem,) = response.json()["detail"]
            assert problem["loc"][-1] == query.split("=")[0], (path, query, problem)
        # the largest offset the schema allows is an empty page, not an error
        response = client.get(f"{path}?offset=1000000000")
        assert response.status_code == 200, (path, response.content[:200])
        assert response.json()["items"] == []


def only_problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.content
    (problem,) = response.json()["detail"]
    return problem


@pytest.mark.parametrize("flag", [True, False])
def test_a_capacity_of_true_or_false_is_422(world, facility, flag):
    body = {"years": [{"year": 2026, "capacity": flag}]}
    response = send(world.client("analyst"), "post", f"/api/facilities/{facility.pk}/plans", body)
    assert only_problem(response)["loc"][-1] == "capacity"
    assert CapacityPlan.objects.filter(facility=facility).count() == 1


@pytest.mark.parametrize("flag", [True, False])
def test_a_plan_year_of_true_or_false_is_422(world, facility, flag):
    body = {"years": [{"year": flag, "capacity": 1.0}]}
    response = send(world.client("analyst"), "post", f"/api/facilities/{facility.pk}/plans", body)
    assert only_problem(response)["loc"][-1] == "year"


@pytest.mark.parametrize("field", ["candidates", "study_places", "first_intake", "ects"])
@pytest.mark.parametrize("flag", [True, False])
def test_an_offer_number_of_true_or_false_is_422(world, field, flag):
    response = send(world.client("institution"), "post", "/api/offers", offer_body(**{field: flag}))
    assert only_problem(response)["loc"][-1] == field
    assert not Offer.objects.exists()


def test_an_area_weight_of_true_is_422(world):
    body = offer_body(areas=[{"area": "electrochemistry", "weight": True}])
    response = send(world.client("institution"), "post", "/api/offers", body)
    assert only_problem(response)["loc"][-1] == "weight"


@pytest.mark.parametrize(
    "field", ["new_hires", "total_staff", "recruit_difficulty", "share_abroad"]
)
def test_a_need_line_number_of_true_or_false_is_422(world, field):
    participant = open_participants(world)[0]
    body = {**COMPLETE, "lines": [line(2026, **{field: False})]}
    response = send(world.client("company_a"), "put", f"/api/responses/{participant.pk}", body)
    assert only_problem(response)["loc"][-1] == field
    assert not Response.objects.exists()


@pytest.mark.parametrize("field", ["places_per_year", "commandment", "start_year"])
def test_a_measure_number_of_true_is_422(world, field):
    response = send(world.client("analyst"), "post", "/api/measures", {**MEASURE, field: True})
    assert only_problem(response)["loc"][-1] == field
    assert not Measure.objects.exists()


def test_numbers_are_still_numbers(world, facility):
    """An integer where a decimal belongs is fine; the strictness is about booleans (and
    strings)."""
    body = {"years": [{"year": 2026, "capacity": 3}]}
    response = send(world.client("analyst"), "post", f"/api/facilities/{facility.pk}/plans", body)
    assert response.status_code == 201
    assert response.json()["years"] == [{"year": 2026, "capacity": 3.0}]
