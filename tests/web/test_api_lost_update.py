"""No lost updates through the API: a save or submission names the revision it was based on
(``based_on``, as the needs form's hidden field does); when another respondent of the company
saved in between it is refused with 409, who saved, the stored revision and what changed, and
nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from battkomp.accounts.actions import do_create_user
from battkomp.api.actions import do_create_token
from battkomp.core.users import Role
from battkomp.survey.models import NeedLine, Participant, ParticipantStatus, Response, Revision

from .personas import PASSWORD
from .test_api_write import COMPLETE, YEARS, line, open_participants, send


@pytest.fixture
def participant(world) -> Participant:
    return open_participants(world)[0]


@pytest.fixture
def colleague(world) -> Any:
    """A second respondent of company A: the other person with the same answers open."""
    user = do_create_user("b@cellco.test", PASSWORD, Role.RESPONDENT, world.company_a)
    user.first_name, user.last_name = "Kari", "Kollega"
    user.save()
    return user


def token_client(user: Any) -> Client:
    _token, key = do_create_token(user, "script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def session_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_hires() -> list[int | None]:
    return sorted(NeedLine.objects.values_list("new_hires", flat=True))


@pytest.mark.parametrize("make_client", [session_client, token_client])
def test_the_second_of_two_stale_saves_is_refused_and_nothing_is_overwritten(
    world, participant, colleague, make_client
):
    path = f"/api/responses/{participant.pk}"
    first = make_client(world.users["company_a"])
    second = make_client(colleague)
    assert send(first, "put", path, COMPLETE).status_code == 200

    # Both read the answers at revision 1.
    read_first = send(first, "get", path).json()
    read_second = send(second, "get", path).json()
    assert read_first["revision"] == read_second["revision"] == 1

    # The colleague saves first: new hires 12.
    theirs = {**COMPLETE, "based_on": 1, "lines": [line(y, new_hires=12) for y in YEARS]}
    saved = send(second, "put", path, theirs)
    assert saved.status_code == 200
    assert saved.json()["revision"] == 2

    # The first respondent saves on the stale revision: refused, nothing written.
    mine = {**COMPLETE, "based_on": 1, "lines": [line(y, new_hires=99) for y in YEARS]}
    refused = send(first, "put", path, mine)
    assert refused.status_code == 409
    body = refused.json()
    assert body["revision"] == 2
    assert "Kari Kollega" in body["detail"]
    assert "revision 1" in body["detail"]
    assert "Nothing of yours was saved" in body["detail"]
    assert any("10 → 12" in change for change in body["changes"]), body["changes"]
    assert new_hires() == [12, 12]
    assert Revision.objects.count() == 2
    assert Response.objects.get().updated_by == colleague

    # Based on the stored revision, the save replaces it deliberately.
    again = send(first, "put", path, {**mine, "based_on": 2})
    assert again.status_code == 200
    assert again.json()["revision"] == 3
    assert new_hires() == [99, 99]


def test_a_first_save_based_on_nothing_is_refused_when_someone_saved(world, participant, colleague):
    path = f"/api/responses/{participant.pk}"
    theirs = send(session_client(colleague), "put", path, {**COMPLETE, "based_on": 0})
    assert theirs.status_code == 200
    refused = send(world.client("company_a"), "put", path, {**COMPLETE, "based_on": 0})
    assert refused.status_code == 409
    assert refused.json()["revision"] == 1
    assert Revision.objects.count() == 1


def test_the_refusal_is_in_bokmal_by_default(world, participant, colleague):
    path = f"/api/responses/{participant.pk}"
    send(session_client(colleague), "put", path, COMPLETE)
    refused = world.client("company_a").put(
        path, data={**COMPLETE, "based_on": 0}, content_type="application/json"
    )
    assert refused.status_code == 409
    assert "Ingenting av deres ble lagret" in refused.json()["detail"]


def test_a_stale_submission_is_refused_and_the_participant_stays_in_progress(
    world, participant, colleague
):
    path = f"/api/responses/{participant.pk}"
    client = world.client("company_a")
    send(client, "put", path, COMPLETE)
    send(session_client(colleague), "put", path, {**COMPLETE, "based_on": 1, "comments": "x"})
    refused = client.post(f"{path}/submit?based_on=1", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert refused.json()["revision"] == 2
    assert any("comments" in change for change in refused.json()["changes"])
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS
    submitted = client.post(f"{path}/submit?based_on=2")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"


@pytest.mark.parametrize("based_on", [True, -1, 2**31, 9223372036854775808, "one"])
def test_a_based_on_that_is_not_a_revision_number_is_422(world, participant, based_on):
    response = send(
        world.client("company_a"),
        "put",
        f"/api/responses/{participant.pk}",
        {**COMPLETE, "based_on": based_on},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "based_on"
    assert not Response.objects.exists()


def test_the_schema_declares_based_on_and_the_409(world):
    schema = world.client("anonymous").get("/api/openapi.json").json()
    put = schema["paths"]["/api/responses/{participant_id}"]["put"]
    assert "409" in put["responses"]
    body = schema["components"]["schemas"]["ResponseIn"]["properties"]
    assert "based_on" in body
    submit = schema["paths"]["/api/responses/{participant_id}/submit"]["post"]
    assert any(p["name"] == "based_on" for p in submit["parameters"])
