"""No lost updates on the needs form: a save names the revision it was based on, and a save on a
stale revision is refused (409) with what changed, writing nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.survey.actions import (
    StaleRevision,
    describe_changes,
    do_save_response,
    revision_number,
)
from battkomp.survey.models import NeedLine, Participant, Revision

from .test_survey_response import CHEMIST, OPERATOR, complete, form_data, participant, url

__all__ = ["participant"]  # the fixture, used by the tests below


@pytest.fixture
def colleague(world) -> Client:
    """A second respondent of company A, logged in."""
    user = do_create_user(
        "second@cellco.test",
        "correct-horse-battery-staple",
        Role.RESPONDENT,
        world.company_a,
        name="Kari Nordmann",
    )
    client = Client()
    client.force_login(user)
    return client


def based_on_in(html: str) -> int:
    match = re.search(r'name="based_on" value="(\d+)"', html)
    assert match, "the form carries the revision it shows"
    return int(match.group(1))


def test_the_form_carries_the_revision_it_was_filled_from(world, participant):
    html = world.client("company_a").get(url(participant)).content.decode()
    assert based_on_in(html) == 0
    do_save_response(participant, world.users["company_a"], lines=[])
    html = world.client("company_a").get(url(participant)).content.decode()
    assert based_on_in(html) == 1


def test_a_save_on_a_stale_form_is_refused_and_shows_what_changed(world, participant, colleague):
    first = world.client("company_a")
    base = based_on_in(first.get(url(participant)).content.decode())
    base_b = based_on_in(colleague.get(url(participant)).content.decode())
    assert base == base_b == 0

    # The first respondent saves new hires.
    saved = first.post(url(participant), {**form_data([OPERATOR]), "based_on": base})
    assert saved.status_code == 302
    lines_after_first = list(
        NeedLine.objects.filter(response__participant=participant).values_list("role", "new_hires")
    )

    # The second saves the form they opened before that: refused, nothing overwritten.
    with translation.override("en"):
        stale = colleague.post(url(participant), {**form_data([CHEMIST]), "based_on": base_b})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Someone else changed these answers" in page
    assert "Nothing of yours was saved" in page
    assert "Added: Process operator" in page  # what the first respondent added
    assert "Your answers are saved" not in page
    assert (
        list(
            NeedLine.objects.filter(response__participant=participant).values_list(
                "role", "new_hires"
            )
        )
        == lines_after_first
    )
    assert Revision.objects.filter(response__participant=participant).count() == 1
    # What the second respondent typed is still in the form, now based on the stored revision.
    assert 'value="electrochemistry" selected' in page
    assert based_on_in(page) == 1

    # Saving again, knowingly, on the current revision replaces the answers.
    again = colleague.post(url(participant), {**form_data([CHEMIST]), "based_on": 1})
    assert again.status_code == 302
    assert set(
        NeedLine.objects.filter(response__participant=participant).values_list("role", flat=True)
    ) == {"chemist"}


def test_a_submission_on_a_stale_form_is_refused_too(world, participant, colleague):
    colleague_base = based_on_in(colleague.get(url(participant)).content.decode())
    world.client("company_a").post(url(participant), {**form_data([OPERATOR]), "based_on": 0})
    resp = colleague.post(
        url(participant),
        {**form_data([complete(CHEMIST)], action="submit"), "based_on": colleague_base},
    )
    assert resp.status_code == 409
    participant.refresh_from_db()
    assert participant.status != "submitted"
    assert Revision.objects.filter(response__participant=participant).count() == 1


def test_the_refusal_is_in_bokmaal_on_the_bokmaal_page(world, participant, colleague):
    world.client("company_a").post(url(participant), {**form_data([OPERATOR]), "based_on": 0})
    resp = colleague.post(url(participant), {**form_data([CHEMIST]), "based_on": 0})
    assert resp.status_code == 409
    assert "Noen andre har endret disse svarene" in resp.content.decode()


def test_two_saves_on_the_same_revision_cannot_both_pass(world, participant):
    user = world.users["company_a"]
    do_save_response(participant, user, lines=[], based_on=0)
    with pytest.raises(StaleRevision) as caught:
        do_save_response(participant, user, lines=[], based_on=0)
    assert caught.value.current_number == 1
    assert revision_number(participant) == 1


def test_describe_changes_names_lines_fields_and_values() -> None:
    line = {
        "role": "chemist",
        "level": "nkr7",
        "area": "electrochemistry",
        "year": 2026,
        "new_hires": 2,
        "total_staff": 4,
        "recruit_difficulty": None,
        "share_abroad": None,
        "critical_competences": "",
        "comment": "",
    }
    before = {"general": {"comments": ""}, "lines": [line]}
    after = {"general": {"comments": "More later"}, "lines": [{**line, "new_hires": 5}]}
    with translation.override("en"):
        changes = describe_changes(before, after)
    assert changes[0] == "comments: – → More later"
    assert changes[1].endswith("2026, new hires needed: 2 → 5")
    assert describe_changes(after, after) == []
    with translation.override("en"):
        assert describe_changes(before, {"general": before["general"], "lines": []})[0].startswith(
            "Removed: Chemist"
        )


def test_a_stale_save_through_the_action_writes_nothing(world, participant):
    user = world.users["company_a"]
    do_save_response(participant, user, lines=[], based_on=0)
    before = Revision.objects.count()
    with pytest.raises(StaleRevision):
        do_save_response(participant, user, lines=[], general={"comments": "x"}, based_on=0)
    assert Revision.objects.count() == before
    assert Participant.objects.get(pk=participant.pk).response.comments == ""


def test_a_draft_with_flagged_lines_is_protected_the_same_way(world, participant, colleague):
    """A save that keeps a repeated line as a draft still names its revision: a stale one is
    refused, and the form read back from a draft carries the draft's revision."""
    first = world.client("company_a")
    base_b = based_on_in(colleague.get(url(participant)).content.decode())
    repeated = form_data([OPERATOR, OPERATOR])
    assert first.post(url(participant), {**repeated, "based_on": 0}).status_code == 302
    assert based_on_in(first.get(url(participant)).content.decode()) == 1
    stale = colleague.post(url(participant), {**form_data([CHEMIST, CHEMIST]), "based_on": base_b})
    assert stale.status_code == 409
    assert Revision.objects.filter(response__participant=participant).count() == 1
    assert Revision.objects.get().snapshot["draft"][1]["role"] == "process_operator"
