"""API writes: capacity plans, answers (save and submit) and education offers, for every
persona, through a bearer token and through the session, with the database checked after each
call. Invalid input gives 422 naming the field; nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from battkomp.api.actions import do_create_token
from battkomp.offers.actions import do_save_offer
from battkomp.offers.models import Offer, OfferArea
from battkomp.organisations.actions import do_save_capacity_plan, do_save_facility
from battkomp.organisations.models import CapacityPlan, Facility, Organisation, OrganisationKind
from battkomp.survey.actions import (
    do_close_round,
    do_create_round,
    do_invite_organisations,
    do_open_round,
)
from battkomp.survey.models import (
    NeedLine,
    Participant,
    ParticipantStatus,
    Response,
    Revision,
    RevisionKind,
)
from web.personas import PERSONAS

MODES = ("session", "token")
OUTSIDERS_404 = ("company_a", "company_b", "handler")


def api_client(world, persona: str, mode: str) -> Client:
    """A client that calls as ``persona``: logged in (session) or with a fresh bearer token."""
    if persona == "anonymous" or mode == "session":
        return world.client(persona)
    _token, key = do_create_token(world.users[persona], f"{persona} script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def send(client: Client, method: str, path: str, body: Any = None):
    """A JSON request; in English, so assertions on messages do not depend on translations."""
    return getattr(client, method)(
        path, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


# --- capacity plans ---------------------------------------------------------------------------


@pytest.fixture
def facility(world) -> Facility:
    fac = do_save_facility(
        world.company_a,
        world.users["analyst"],
        {
            "name": "Cellco plant",
            "code": "cellco-1",
            "segment": "cell_manufacturing",
            "region": "42",
            "start_year": 2026,
            "realisation_probability": 0.5,
            "delay_min": 0,
            "delay_mode": 1,
            "delay_max": 2,
            "source": "test",
        },
    )
    do_save_capacity_plan(fac, world.users["analyst"], [(2026, 1.0)], note="first")
    return fac


PLAN = {"years": [{"year": 2026, "capacity": 2.0}, {"year": 2027, "capacity": 6.5}], "note": "up"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 404),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 201),
        ("admin", 201),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_only_analysts_add_a_capacity_plan_version(world, facility, persona, status, mode):
    response = send(
        api_client(world, persona, mode), "post", f"/api/facilities/{facility.pk}/plans", PLAN
    )
    assert response.status_code == status
    versions = list(facility.plans.order_by("version").values_list("version", "note"))
    if status == 201:
        assert response.json()["version"] == 2
        assert response.json()["years"] == PLAN["years"]
        assert versions == [(1, "first"), (2, "up")]  # the earlier version is kept
        plan = facility.current_plan()
        assert [(y.year, y.capacity) for y in plan.years.all()] == [(2026, 2.0), (2027, 6.5)]
        assert plan.created_by == world.users[persona]
    else:
        assert versions == [(1, "first")]


def test_a_plan_of_an_unknown_facility_is_404(world):
    assert send(world.client("analyst"), "post", "/api/facilities/999/plans", PLAN).status_code == (
        404
    )


def test_a_plan_with_a_repeated_year_is_422_naming_the_row(world, facility):
    body = {"years": [{"year": 2026, "capacity": 1}, {"year": 2026, "capacity": 2}]}
    response = send(world.client("analyst"), "post", f"/api/facilities/{facility.pk}/plans", body)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "years"]
    assert "Row 2" in problem["msg"]
    assert CapacityPlan.objects.filter(facility=facility).count() == 1


def test_a_plan_with_a_negative_capacity_is_422_naming_the_field(world, facility):
    body = {"years": [{"year": 2026, "capacity": -1}]}
    response = send(world.client("analyst"), "post", f"/api/facilities/{facility.pk}/plans", body)
    assert response.status_code == 422
    locs = [p["loc"] for p in response.json()["detail"]]
    assert any(loc[-1] == "capacity" and "years" in loc for loc in locs)
    assert CapacityPlan.objects.filter(facility=facility).count() == 1


def test_an_empty_plan_is_422(world, facility):
    response = send(
        world.client("analyst"), "post", f"/api/facilities/{facility.pk}/plans", {"years": []}
    )
    assert response.status_code == 422
    assert "at least one year" in response.json()["detail"][0]["msg"]


# --- answers ----------------------------------------------------------------------------------

YEARS = (2026, 2027)


def line(year: int, **overrides: Any) -> dict[str, Any]:
    data = {
        "role": "process_operator",
        "level": "nkr4",
        "area": "cell_assembly",
        "year": year,
        "new_hires": 10,
        "total_staff": 30,
        "recruit_difficulty": 3,
        "share_abroad": 0.1,
        "critical_competences": "formation",
        "comment": "",
    }
    data.update(overrides)
    return data


COMPLETE = {
    "access_is_challenge": True,
    "comments": "we need operators",
    "lines": [line(y) for y in YEARS],
}


def open_participants(world) -> tuple[Participant, Participant]:
    round_ = do_create_round(
        None,
        name="Needs 2026",
        first_year=YEARS[0],
        last_year=YEARS[-1],
        opens_on=dt.date(2026, 1, 5),
        deadline=dt.date(2026, 3, 1),
    )
    do_open_round(round_, None)
    do_invite_organisations(round_, [world.company_a, world.company_b], None)
    return (
        Participant.objects.get(round=round_, organisation=world.company_a),
        Participant.objects.get(round=round_, organisation=world.company_b),
    )


@pytest.fixture
def participant(world) -> Participant:
    return open_participants(world)[0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 200),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 403),
        ("admin", 403),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_organisations_respondents_save_its_answers(
    world, participant, persona, status, mode
):
    response = send(
        api_client(world, persona, mode), "put", f"/api/responses/{participant.pk}", COMPLETE
    )
    assert response.status_code == status
    participant.refresh_from_db()
    if status == 200:
        body = response.json()
        assert body["revision"] == 1
        assert len(body["lines"]) == 2
        answers = Response.objects.get(participant=participant)
        assert answers.access_is_challenge is True
        assert answers.comments == "we need operators"
        assert answers.updated_by == world.users["company_a"]
        assert sorted(NeedLine.objects.values_list("year", "new_hires", "total_staff")) == [
            (2026, 10, 30),
            (2027, 10, 30),
        ]
        revision = Revision.objects.get()
        assert revision.kind == RevisionKind.SAVE
        assert participant.status == ParticipantStatus.IN_PROGRESS
    else:
        assert not Response.objects.exists()
        assert participant.status == ParticipantStatus.INVITED


def test_a_save_may_be_partial_and_replaces_the_lines(world, participant):
    client = world.client("company_a")
    send(client, "put", f"/api/responses/{participant.pk}", COMPLETE)
    partial = {"lines": [line(2026, area="electrochemistry", new_hires=None)]}
    response = send(client, "put", f"/api/responses/{participant.pk}", partial)
    assert response.status_code == 200
    assert list(NeedLine.objects.values_list("area", "year", "new_hires")) == [
        ("electrochemistry", 2026, None)
    ]
    answers = Response.objects.get()
    # General answers left out keep their stored values.
    assert answers.access_is_challenge is True
    assert answers.comments == "we need operators"
    assert Revision.objects.count() == 2


def test_an_invalid_line_is_422_naming_line_and_field_and_changes_nothing(world, participant):
    client = world.client("company_a")
    send(client, "put", f"/api/responses/{participant.pk}", COMPLETE)
    bad = {"lines": [line(2026), line(2027, role="astronaut"), line(2031)]}
    response = send(client, "put", f"/api/responses/{participant.pk}", bad)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert all(p["loc"] == ["body", "lines"] for p in problems)
    messages = " ".join(p["msg"] for p in problems)
    assert "Line 2" in messages
    assert "astronaut" in messages
    assert "Line 3" in messages
    assert NeedLine.objects.count() == 2
    assert Revision.objects.count() == 1


def test_a_line_of_the_wrong_type_is_422_from_the_schema(world, participant):
    bad = {"lines": [line(2026, new_hires="many")]}
    response = send(world.client("company_a"), "put", f"/api/responses/{participant.pk}", bad)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "new_hires"
    assert not Response.objects.exists()


def test_answers_of_a_closed_round_cannot_be_saved(world, participant):
    do_close_round(participant.round, None)
    response = send(world.client("company_a"), "put", f"/api/responses/{participant.pk}", COMPLETE)
    assert response.status_code == 409
    assert "not open" in response.json()["detail"]
    assert not Response.objects.exists()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 200),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 403),
        ("admin", 403),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_organisations_respondents_submit_its_answers(
    world, participant, persona, status, mode
):
    send(world.client("company_a"), "put", f"/api/responses/{participant.pk}", COMPLETE)
    response = api_client(world, persona, mode).post(f"/api/responses/{participant.pk}/submit")
    assert response.status_code == status
    participant.refresh_from_db()
    if status == 200:
        assert response.json()["status"] == "submitted"
        assert participant.status == ParticipantStatus.SUBMITTED
        assert participant.submitted_at is not None
        assert Revision.objects.latest("number").kind == RevisionKind.SUBMIT
    else:
        assert participant.status == ParticipantStatus.IN_PROGRESS
        assert not Revision.objects.filter(kind=RevisionKind.SUBMIT).exists()


def test_incomplete_answers_cannot_be_submitted(world, participant):
    client = world.client("company_a")
    send(client, "put", f"/api/responses/{participant.pk}", {"lines": [line(2026)]})
    response = client.post(f"/api/responses/{participant.pk}/submit", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    messages = " ".join(p["msg"] for p in response.json()["detail"])
    assert "2027" in messages
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS


def test_submitted_answers_may_be_revised_while_the_round_is_open(world, participant):
    client = world.client("company_a")
    send(client, "put", f"/api/responses/{participant.pk}", COMPLETE)
    client.post(f"/api/responses/{participant.pk}/submit")
    revised = {**COMPLETE, "lines": [line(y, new_hires=20) for y in YEARS]}
    response = send(client, "put", f"/api/responses/{participant.pk}", revised)
    assert response.status_code == 200
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED
    assert set(NeedLine.objects.values_list("new_hires", flat=True)) == {20}


# --- education offers -------------------------------------------------------------------------


def offer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "fagskolen-battery",
        "name": "Battery production technology",
        "kind": "programme",
        "level": "nkr5",
        "target_level": "",
        "study_places": 40,
        "candidates": None,
        "first_intake": 2024,
        "duration_years": 2,
        "ects": 120,
        "region": "32",
        "mode": "campus",
        "status": "exists",
        "completion_rate": 0.8,
        "capture_share": None,
        "source": "test",
        "areas": [
            {"area": "electrochemistry", "weight": 0.5},
            {"area": "cell_assembly", "weight": 0.5},
        ],
    }
    body.update(overrides)
    return body


def make_offer(world, institution=None, code: str = "fagskolen-battery") -> Offer:
    body = offer_body(code=code)
    areas = [(a["area"], a["weight"]) for a in body.pop("areas")]
    return do_save_offer(institution or world.institution, world.users["institution"], body, areas)


@pytest.fixture
def offer(world) -> Offer:
    return make_offer(world)


@pytest.fixture
def other_institution() -> Organisation:
    return Organisation.objects.create(name="Other University", kind=OrganisationKind.EDUCATION)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_anyone_lists_and_reads_offers(world, offer, persona, mode):
    client = api_client(world, persona, mode)
    listing = client.get("/api/offers")
    assert listing.status_code == 200
    assert [o["id"] for o in listing.json()["items"]] == [offer.pk]
    detail = client.get(f"/api/offers/{offer.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["institution"] == {"id": world.institution.pk, "name": "Fagskolen Demo"}
    assert [(a["area"], a["weight"]) for a in body["areas"]] == [
        ("cell_assembly", 0.5),
        ("electrochemistry", 0.5),
    ]
    assert body["completion_rate"] == 0.8


def test_an_unknown_offer_is_404_for_anyone(world):
    assert world.client("anonymous").get("/api/offers/424242").status_code == 404


def test_offers_can_be_filtered(world, offer, other_institution):
    other = make_offer(world, other_institution, code="other-battery")
    client = world.client("anonymous")
    by_institution = client.get(f"/api/offers?institution={other_institution.pk}").json()
    assert [o["id"] for o in by_institution["items"]] == [other.pk]
    assert client.get("/api/offers?area=electrochemistry").json()["count"] == 2
    assert client.get("/api/offers?area=recycling_hydrometallurgy").json()["count"] == 0
    assert client.get("/api/offers?level=nkr5&status=exists").json()["count"] == 2
    assert client.get("/api/offers?status=planned").json()["count"] == 0


def test_a_public_read_ignores_a_revoked_token(world, offer):
    """Offers are public: a bad key does not stop anyone reading them."""
    client = Client(HTTP_AUTHORIZATION="Bearer bk_nonsense")
    assert client.get("/api/offers").status_code == 200


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 404),
        ("company_b", 404),
        ("institution", 201),
        ("analyst", 201),
        ("admin", 201),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_institution_editors_and_analysts_register_offers(world, persona, status, mode):
    body = offer_body(institution=world.institution.pk)
    response = send(api_client(world, persona, mode), "post", "/api/offers", body)
    assert response.status_code == status
    if status == 201:
        offer = Offer.objects.get()
        assert response.json()["id"] == offer.pk
        assert offer.institution == world.institution
        assert offer.updated_by == world.users[persona]
        assert offer.study_places == 40
        assert sorted(OfferArea.objects.values_list("area", "weight")) == [
            ("cell_assembly", 0.5),
            ("electrochemistry", 0.5),
        ]
    else:
        assert not Offer.objects.exists()


def test_an_editor_may_leave_out_their_own_institution(world):
    response = send(world.client("institution"), "post", "/api/offers", offer_body())
    assert response.status_code == 201
    assert Offer.objects.get().institution == world.institution


def test_an_analyst_must_say_which_institution(world):
    response = send(world.client("analyst"), "post", "/api/offers", offer_body())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "institution"]
    assert not Offer.objects.exists()


def test_an_editor_cannot_register_offers_for_another_institution(world, other_institution):
    body = offer_body(institution=other_institution.pk)
    response = send(world.client("institution"), "post", "/api/offers", body)
    assert response.status_code == 404
    assert not Offer.objects.exists()


def test_offers_cannot_be_registered_for_a_company(world):
    body = offer_body(institution=world.company_a.pk)
    assert send(world.client("analyst"), "post", "/api/offers", body).status_code == 404


def test_weights_that_do_not_add_up_are_422_naming_the_areas(world):
    body = offer_body(
        areas=[
            {"area": "electrochemistry", "weight": 0.5},
            {"area": "cell_assembly", "weight": 0.2},
        ]
    )
    response = send(world.client("institution"), "post", "/api/offers", body)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [p["loc"] for p in problems] == [["body", "areas"]]
    assert "add up" in problems[0]["msg"]
    assert not Offer.objects.exists()


def test_a_missing_field_is_422_naming_the_field(world):
    body = offer_body()
    del body["kind"]
    response = send(world.client("institution"), "post", "/api/offers", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "kind"
    # the name may come in either language (or as an older client's `name`): none is named
    body = offer_body()
    del body["name"]
    response = send(world.client("institution"), "post", "/api/offers", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "name_nb"


def test_a_wrong_code_is_422_naming_the_field(world):
    response = send(world.client("institution"), "post", "/api/offers", offer_body(level="nkr9"))
    assert response.status_code == 422
    assert ["body", "level"] in [p["loc"] for p in response.json()["detail"]]


def test_a_duplicate_offer_code_is_422(world, offer):
    response = send(world.client("institution"), "post", "/api/offers", offer_body())
    assert response.status_code == 422
    assert ["body", "code"] in [p["loc"] for p in response.json()["detail"]]
    assert Offer.objects.count() == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 404),
        ("company_b", 404),
        ("institution", 200),
        ("analyst", 200),
        ("admin", 200),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_institution_editors_and_analysts_change_offers(world, offer, persona, status, mode):
    body = offer_body(
        name="Battery technology, renewed",
        study_places=60,
        areas=[{"area": "electrochemistry", "weight": 1}],
    )
    response = send(api_client(world, persona, mode), "put", f"/api/offers/{offer.pk}", body)
    assert response.status_code == status
    offer.refresh_from_db()
    if status == 200:
        assert response.json()["name"] == "Battery technology, renewed"
        assert offer.name == "Battery technology, renewed"
        assert offer.study_places == 60
        assert offer.updated_by == world.users[persona]
        assert list(offer.areas.values_list("area", "weight")) == [("electrochemistry", 1.0)]
    else:
        assert offer.name == "Battery production technology"
        assert offer.areas.count() == 2


def test_an_editor_cannot_change_another_institutions_offer(world, other_institution):
    other = make_offer(world, other_institution, code="other-battery")
    response = send(world.client("institution"), "put", f"/api/offers/{other.pk}", offer_body())
    assert response.status_code == 404
    assert send(world.client("institution"), "delete", f"/api/offers/{other.pk}").status_code == (
        404
    )
    assert Offer.objects.filter(pk=other.pk).exists()


def test_an_invalid_change_is_422_and_keeps_the_offer(world, offer):
    body = offer_body(study_places=None, candidates=None)
    response = send(world.client("institution"), "put", f"/api/offers/{offer.pk}", body)
    assert response.status_code == 422
    assert ["body", "study_places"] in [p["loc"] for p in response.json()["detail"]]
    offer.refresh_from_db()
    assert offer.study_places == 40


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 404),
        ("company_b", 404),
        ("institution", 204),
        ("analyst", 204),
        ("admin", 204),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_institution_editors_and_analysts_delete_offers(world, offer, persona, status, mode):
    response = api_client(world, persona, mode).delete(f"/api/offers/{offer.pk}")
    assert response.status_code == status
    assert Offer.objects.filter(pk=offer.pk).exists() is (status != 204)
    if status == 204:
        assert not OfferArea.objects.exists()
