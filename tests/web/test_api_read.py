"""API reads: organisations, facilities, rounds, participants and answers, for every persona,
through a bearer token and through the browser's session. The API must show exactly what the
web pages show: an outsider gets 404, an anonymous caller 401."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from battkomp.accounts.models import AccessLog
from battkomp.api.actions import do_create_token
from battkomp.organisations.actions import do_add_status, do_save_capacity_plan, do_save_facility
from battkomp.organisations.models import Facility
from battkomp.survey.actions import (
    do_close_round,
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
)
from battkomp.survey.models import Participant, ParticipantStatus, Round
from web.personas import SECRETARIAT

MODES = ("session", "token")


def api_client(world, persona: str, mode: str) -> Client:
    """A client that calls as ``persona``: logged in (session) or with a fresh bearer token."""
    if persona == "anonymous" or mode == "session":
        return world.client(persona)
    _token, key = do_create_token(world.users[persona], f"{persona} script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@dataclass
class Data:
    facility_a: Facility
    facility_b: Facility
    open_round: Round
    draft_round: Round
    closed_round: Round
    part_a: Participant
    part_b: Participant
    part_a_closed: Participant


def make_facility(org, user, code: str) -> Facility:
    return do_save_facility(
        org,
        user,
        {
            "name": f"Plant {code}",
            "code": code,
            "segment": "cell_manufacturing",
            "region": "42",
            "start_year": 2026,
            "realisation_probability": 0.5,
            "delay_min": 0,
            "delay_mode": 1,
            "delay_max": 3,
            "intensity": None,
            "source": "test",
        },
    )


def make_round(name: str, opens_on: dt.date) -> Round:
    return do_create_round(
        None,
        name=name,
        first_year=2026,
        last_year=2027,
        opens_on=opens_on,
        deadline=opens_on + dt.timedelta(days=60),
    )


@pytest.fixture
def data(world) -> Data:
    analyst = world.users["analyst"]
    fa = make_facility(world.company_a, analyst, "cellco-1")
    do_add_status(fa, analyst, "announced", dt.date(2023, 1, 1))
    do_add_status(fa, analyst, "construction", dt.date(2024, 6, 1))
    do_save_capacity_plan(fa, analyst, [(2026, 1.0), (2027, 4.0)], note="first")
    do_save_capacity_plan(fa, analyst, [(2027, 2.0), (2028, 8.0)], note="revised")
    fb = make_facility(world.company_b, analyst, "anodeco-1")

    open_round = make_round("Needs 2026", dt.date(2026, 1, 5))
    do_open_round(open_round, None)
    do_invite_organisations(open_round, [world.company_a, world.company_b], None)
    draft_round = make_round("Needs 2027 (draft)", dt.date(2027, 1, 5))
    do_invite_organisations(draft_round, [world.company_a], None)
    closed_round = make_round("Needs 2025", dt.date(2025, 1, 5))
    do_open_round(closed_round, None)
    do_invite_organisations(closed_round, [world.company_a], None)
    part_a = Participant.objects.get(round=open_round, organisation=world.company_a)
    part_b = Participant.objects.get(round=open_round, organisation=world.company_b)
    part_a_closed = Participant.objects.get(round=closed_round, organisation=world.company_a)
    do_save_response(
        part_a,
        world.users["company_a"],
        lines=[
            {
                "role": "process_operator",
                "level": "nkr4",
                "area": "cell_assembly",
                "year": 2026,
                "new_hires": 12,
                "total_staff": 40,
                "recruit_difficulty": 4,
                "share_abroad": 0.25,
                "critical_competences": "dry rooms",
                "comment": "",
            }
        ],
        general={"access_is_challenge": True, "comments": "hard to hire"},
    )
    do_close_round(closed_round, None)
    return Data(fa, fb, open_round, draft_round, closed_round, part_a, part_b, part_a_closed)


def ids(response) -> list[int]:
    return sorted(item["id"] for item in response.json()["items"])


# --- organisations ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("company_a", {"company_a"}),
        ("company_b", {"company_b"}),
        ("institution", {"institution"}),
        ("analyst", {"company_a", "company_b", "institution"}),
        ("admin", {"company_a", "company_b", "institution"}),
        ("handler", set()),
    ],
)
def test_the_organisation_list_shows_what_the_persona_may_see(world, persona, visible, mode):
    response = api_client(world, persona, mode).get("/api/organisations")
    assert response.status_code == 200
    expected = sorted(getattr(world, name).pk for name in visible)
    assert ids(response) == expected
    assert response.json()["count"] == len(expected)


def test_anonymous_callers_may_not_list_organisations(world):
    response = world.client("anonymous").get("/api/organisations")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 200),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 200),
        ("admin", 200),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_an_organisation_is_shown_to_its_members_and_analysts_only(world, persona, status, mode):
    response = api_client(world, persona, mode).get(f"/api/organisations/{world.company_a.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["name"] == "Cellco AS"
        assert body["kind"] == "company"
        assert body["segments"] == ["cell_manufacturing"]


def test_an_unknown_organisation_is_404_even_for_analysts(world):
    assert world.client("analyst").get("/api/organisations/999999").status_code == 404


def test_the_organisation_list_pages_with_limit_and_offset(world):
    client = world.client("analyst")
    first = client.get("/api/organisations?limit=2&offset=0").json()
    rest = client.get("/api/organisations?limit=2&offset=2").json()
    assert first["count"] == rest["count"] == 3
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert client.get("/api/organisations?limit=0").status_code == 422


# --- facilities -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("company_a", {"facility_a"}),
        ("company_b", {"facility_b"}),
        ("institution", set()),
        ("analyst", {"facility_a", "facility_b"}),
        ("admin", {"facility_a", "facility_b"}),
    ],
)
def test_the_facility_list_shows_what_the_persona_may_see(world, data, persona, visible, mode):
    response = api_client(world, persona, mode).get("/api/facilities")
    assert response.status_code == 200
    assert ids(response) == sorted(getattr(data, name).pk for name in visible)


def test_anonymous_callers_may_not_list_facilities(world, data):
    assert world.client("anonymous").get("/api/facilities").status_code == 401


def test_a_listed_facility_carries_its_current_plan_and_status(world, data):
    response = world.client("company_a").get("/api/facilities")
    (item,) = response.json()["items"]
    assert item["code"] == "cellco-1"
    assert item["organisation"] == {"id": world.company_a.pk, "name": "Cellco AS"}
    assert item["status"]["status"] == "construction"
    assert item["status"]["date"] == "2024-06-01"
    assert item["plan"]["version"] == 2
    assert item["plan"]["note"] == "revised"
    assert item["plan"]["years"] == [
        {"year": 2027, "capacity": 2.0},
        {"year": 2028, "capacity": 8.0},
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 200),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 200),
        ("admin", 200),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_a_facility_is_shown_to_its_organisation_and_analysts_only(
    world, data, persona, status, mode
):
    response = api_client(world, persona, mode).get(f"/api/facilities/{data.facility_a.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert [s["status"] for s in body["status_history"]] == ["construction", "announced"]
        assert body["plan_versions"] == [2, 1]
        assert body["plan"]["version"] == 2


def test_a_facility_without_plan_or_status_shows_nulls(world, data):
    body = world.client("company_b").get(f"/api/facilities/{data.facility_b.pk}").json()
    assert body["plan"] is None
    assert body["status"] is None
    assert body["status_history"] == []


# --- rounds and participants ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_analysts_list_every_round(world, data, mode):
    for persona in SECRETARIAT:
        response = api_client(world, persona, mode).get("/api/rounds")
        assert response.status_code == 200
        body = response.json()
        assert {r["id"] for r in body["items"]} == {
            data.open_round.pk,
            data.draft_round.pk,
            data.closed_round.pk,
        }
        assert all(r["participant_id"] is None for r in body["items"])


@pytest.mark.parametrize("mode", MODES)
def test_a_respondent_lists_the_open_and_closed_rounds_of_their_organisation(world, data, mode):
    body = api_client(world, "company_a", mode).get("/api/rounds").json()
    rounds = {r["id"]: r for r in body["items"]}
    assert set(rounds) == {data.open_round.pk, data.closed_round.pk}  # not the draft
    assert rounds[data.open_round.pk]["participant_id"] == data.part_a.pk
    assert rounds[data.open_round.pk]["participant_status"] == "in_progress"
    assert rounds[data.closed_round.pk]["status"] == "closed"


@pytest.mark.parametrize("mode", MODES)
def test_company_b_lists_only_its_own_participation(world, data, mode):
    body = api_client(world, "company_b", mode).get("/api/rounds").json()
    assert [(r["id"], r["participant_id"]) for r in body["items"]] == [
        (data.open_round.pk, data.part_b.pk)
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("persona", ["institution", "handler"])
def test_people_who_answer_no_survey_list_no_rounds(world, data, persona, mode):
    body = api_client(world, persona, mode).get("/api/rounds").json()
    assert body == {"count": 0, "limit": 100, "offset": 0, "items": []}


def test_anonymous_callers_may_not_list_rounds(world, data):
    assert world.client("anonymous").get("/api/rounds").status_code == 401


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 404),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 200),
        ("admin", 200),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_only_analysts_see_a_rounds_participants(world, data, persona, status, mode):
    response = api_client(world, persona, mode).get(
        f"/api/rounds/{data.open_round.pk}/participants"
    )
    assert response.status_code == status
    if status == 200:
        items = response.json()["items"]
        assert [(p["organisation"]["name"], p["status"]) for p in items] == [
            ("Anodeco AS", "invited"),
            ("Cellco AS", "in_progress"),
        ]


# --- a participant's answers ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("company_a", 200),
        ("company_b", 404),
        ("institution", 404),
        ("analyst", 200),
        ("admin", 200),
        ("handler", 404),
        ("anonymous", 401),
    ],
)
def test_answers_are_shown_to_the_organisation_and_analysts_only(
    world, data, persona, status, mode
):
    response = api_client(world, persona, mode).get(f"/api/responses/{data.part_a.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["organisation"]["name"] == "Cellco AS"
        assert body["access_is_challenge"] is True
        assert body["comments"] == "hard to hire"
        assert body["years"] == [2026, 2027]
        assert body["revision"] == 1
        (line,) = body["lines"]
        assert line["role"] == "process_operator"
        assert line["new_hires"] == 12
        assert line["share_abroad"] == 0.25
        assert body["editable"] is (persona == "company_a")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("persona", SECRETARIAT)
def test_an_analysts_read_of_answers_is_logged(world, data, persona, mode):
    before = AccessLog.objects.count()
    api_client(world, persona, mode).get(f"/api/responses/{data.part_a.pk}")
    log = AccessLog.objects.get()
    assert before == 0
    assert log.user == world.users[persona]
    assert log.action == "view_response"
    assert log.object_id == str(data.part_a.pk)
    assert log.organisation == world.company_a


@pytest.mark.parametrize("persona", ["company_a", "company_b", "institution", "anonymous"])
def test_reads_by_others_are_not_logged(world, data, persona):
    world.client(persona).get(f"/api/responses/{data.part_a.pk}")
    assert AccessLog.objects.count() == 0


def test_the_respondents_first_read_marks_the_form_opened(world, data):
    response = world.client("company_b").get(f"/api/responses/{data.part_b.pk}")
    assert response.status_code == 200
    assert response.json()["lines"] == []
    assert response.json()["revision"] is None
    data.part_b.refresh_from_db()
    assert data.part_b.status == ParticipantStatus.OPENED
    assert data.part_b.opened_at is not None


def test_an_analysts_read_does_not_mark_the_form_opened(world, data):
    world.client("analyst").get(f"/api/responses/{data.part_b.pk}")
    data.part_b.refresh_from_db()
    assert data.part_b.status == ParticipantStatus.INVITED


def test_a_respondent_reads_answers_of_a_closed_round_but_may_not_edit_them(world, data):
    body = world.client("company_a").get(f"/api/responses/{data.part_a_closed.pk}").json()
    assert body["round_status"] == "closed"
    assert body["editable"] is False


def test_a_participation_in_a_draft_round_is_404_for_the_respondent(world, data):
    draft = Participant.objects.get(round=data.draft_round)
    assert world.client("company_a").get(f"/api/responses/{draft.pk}").status_code == 404
    assert world.client("analyst").get(f"/api/responses/{draft.pk}").status_code == 200
