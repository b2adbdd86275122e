"""Respondents' pages: the rounds they are invited to and the needs form, with partial saves,
validation on submit, revisions until the round closes, and who may see whose answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from battkomp.accounts.models import AccessLog
from battkomp.survey.actions import (
    do_close_round,
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import (
    NeedLine,
    Participant,
    ParticipantStatus,
    Response,
    Revision,
    Round,
)
from web.personas import SECRETARIAT

OUTSIDERS = ("company_b", "institution", "handler")
YEARS = [2025, 2026, 2027]


def make_round(*, open_: bool = True) -> Round:
    round_ = do_create_round(
        None,
        name="Needs 2025",
        first_year=YEARS[0],
        last_year=YEARS[-1],
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    if open_:
        do_open_round(round_, None)
    return round_


@pytest.fixture
def participant(world) -> Participant:
    """Company A's participation in an open round (company B is invited too)."""
    round_ = make_round()
    do_invite_organisations(round_, [world.company_a, world.company_b], None)
    return Participant.objects.get(round=round_, organisation=world.company_a)


def url(participant: Participant) -> str:
    return reverse("survey:response", args=[participant.pk])


def form_data(
    lines: list[dict[str, Any]],
    *,
    action: str = "save",
    challenge: str = "yes",
    comments: str = "",
    count: int | None = None,
) -> dict[str, Any]:
    """What the browser posts: one block of fields per line, one input per year."""
    data: dict[str, Any] = {
        "action": action,
        "access_is_challenge": challenge,
        "comments": comments,
        "line_count": len(lines) if count is None else count,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            if key in {"new_hires", "total_staff"}:
                for year, number in zip(YEARS, value, strict=True):
                    data[f"line-{i}-{key}_{year}"] = number
            else:
                data[f"line-{i}-{key}"] = value
    return data


OPERATOR = {
    "role": "process_operator",
    "level": "nkr4",
    "area": "chemical_process",
    "new_hires": ["12", "", ""],
    "total_staff": ["40", "", ""],
    "recruit_difficulty": "4",
    "share_abroad": "25",
    "critical_competences": "Dry-room discipline",
    "comment": "Shift work",
}
CHEMIST = {
    "role": "chemist",
    "level": "nkr7",
    "area": "electrochemistry",
    "new_hires": ["2", "3", "3"],
    "total_staff": ["4", "7", "10"],
    "recruit_difficulty": "5",
    "share_abroad": "62.5",
    "critical_competences": "",
    "comment": "",
}


def complete(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "new_hires": ["12", "14", "16"], "total_staff": ["40", "54", "70"]}


def assert_login_redirect(resp) -> None:
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("accounts:login"))


# --- persona matrix ---------------------------------------------------------------------------


def test_the_respondent_opens_their_form_and_it_is_marked_opened(world, participant):
    resp = world.client("company_a").get(url(participant))
    assert resp.status_code == 200
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.OPENED
    first_opened = participant.opened_at
    assert first_opened is not None
    world.client("company_a").get(url(participant))
    participant.refresh_from_db()
    assert participant.opened_at == first_opened


def test_the_respondent_saves_their_answers(world, participant):
    resp = world.client("company_a").post(url(participant), form_data([OPERATOR]))
    assert resp.status_code == 302
    assert NeedLine.objects.filter(response__participant=participant).count() == 3
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_on_another_organisations_answers(world, participant, persona):
    client = world.client(persona)
    assert client.get(url(participant)).status_code == 404
    assert client.post(url(participant), form_data([complete(OPERATOR)])).status_code == 404
    assert not Response.objects.exists()
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.INVITED


def test_anonymous_visitors_are_sent_to_login(world, participant):
    assert_login_redirect(world.client("anonymous").get(url(participant)))
    assert_login_redirect(world.client("anonymous").post(url(participant), form_data([OPERATOR])))
    assert not Response.objects.exists()


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_read_a_companys_answers_and_the_read_is_logged(world, participant, persona):
    do_save_response(
        participant,
        world.users["company_a"],
        lines=[
            {
                "role": "chemist",
                "level": "nkr7",
                "area": "electrochemistry",
                "year": 2025,
                "new_hires": 2,
                "total_staff": 4,
            }
        ],
    )
    resp = world.client(persona).get(url(participant))
    assert resp.status_code == 200
    assert "Kjemiker" in resp.content.decode()
    log = AccessLog.objects.get()
    assert log.user == world.users[persona]
    assert log.organisation == world.company_a
    assert (log.object_type, log.object_id) == ("participant", str(participant.pk))
    participant.refresh_from_db()
    assert participant.opened_at is None  # an analyst's read does not count as opening


def test_a_respondent_reading_their_own_answers_is_not_logged(world, participant):
    world.client("company_a").get(url(participant))
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_cannot_change_a_companys_answers_in_the_form(world, participant, persona):
    resp = world.client(persona).post(url(participant), form_data([complete(OPERATOR)]))
    assert resp.status_code == 302
    assert not Response.objects.exists()
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.INVITED


def test_a_draft_round_is_hidden_from_respondents(world):
    round_ = make_round(open_=False)
    do_invite_organisations(round_, [world.company_a], None)
    p = Participant.objects.get(round=round_)
    assert world.client("company_a").get(url(p)).status_code == 404
    assert world.client("analyst").get(url(p)).status_code == 200
    resp = world.client("company_a").get(reverse("survey:my_rounds"))
    assert list(resp.context["participants"]) == []


# --- my rounds --------------------------------------------------------------------------------


def test_a_respondent_sees_the_rounds_their_organisation_is_invited_to(world, participant):
    resp = world.client("company_a").get(reverse("survey:my_rounds"))
    assert resp.status_code == 200
    assert list(resp.context["participants"]) == [participant]
    assert url(participant) in resp.content.decode()


def test_company_b_sees_only_its_own_participation(world, participant):
    resp = world.client("company_b").get(reverse("survey:my_rounds"))
    assert resp.status_code == 200
    assert [p.organisation for p in resp.context["participants"]] == [world.company_b]
    assert url(participant) not in resp.content.decode()


@pytest.mark.parametrize("persona", ["institution", "handler"])
def test_my_rounds_is_404_for_people_who_answer_no_survey(world, participant, persona):
    assert world.client(persona).get(reverse("survey:my_rounds")).status_code == 404


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_are_sent_from_my_rounds_to_the_round_list(world, persona):
    resp = world.client(persona).get(reverse("survey:my_rounds"))
    assert resp.status_code == 302
    assert resp["Location"] == reverse("survey:rounds")


def test_my_rounds_needs_a_login(world):
    assert_login_redirect(world.client("anonymous").get(reverse("survey:my_rounds")))


# --- the journey: save partially, leave, come back, submit, revise -----------------------------


def test_save_leave_come_back_submit_and_see_the_revisions(world, participant):
    client = world.client("company_a")
    client.get(url(participant))

    resp = client.post(url(participant), form_data([OPERATOR, CHEMIST], comments="Growing fast"))
    assert resp.status_code == 302
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS
    answers = Response.objects.get(participant=participant)
    assert answers.access_is_challenge is True
    assert answers.comments == "Growing fast"
    operator = NeedLine.objects.get(response=answers, role="process_operator", year=2025)
    assert (operator.new_hires, operator.total_staff) == (12, 40)
    assert operator.share_abroad == pytest.approx(0.25)
    assert operator.recruit_difficulty == 4
    assert (
        NeedLine.objects.get(response=answers, role="process_operator", year=2026).new_hires is None
    )
    assert NeedLine.objects.get(response=answers, role="chemist", year=2027).total_staff == 10

    # Leave, look at the list, come back: the form shows exactly what was saved.
    assert (
        client.get(reverse("survey:my_rounds")).context["participants"][0].status == "in_progress"
    )
    resp = client.get(url(participant))
    form = resp.context["form"]
    first, second = form.lines[0], form.lines[1]
    assert first.initial["role"] == "process_operator"
    assert first.initial["new_hires_2025"] == 12
    assert first.initial["new_hires_2026"] is None
    assert first.initial["share_abroad"] == "25 %"  # with its sign: it reads back the same
    assert first.initial["critical_competences"] == "Dry-room discipline"
    assert second.initial["share_abroad"] == "62.5 %"
    assert second.initial["total_staff_2027"] == 10
    assert form.general.initial == {"access_is_challenge": "yes", "comments": "Growing fast"}
    html = resp.content.decode()
    assert 'name="line-0-new_hires_2025" value="12"' in html
    assert '<option value="process_operator" selected>' in html
    assert 'name="line-1-share_abroad" value="62.5 %"' in html
    assert len(form.lines) == 2 + 3  # the saved lines plus blank ones

    # Finish and submit.
    resp = client.post(url(participant), form_data([complete(OPERATOR), CHEMIST], action="submit"))
    assert resp.status_code == 302
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED
    assert participant.submitted_at is not None
    revisions = list(Revision.objects.filter(response=answers).order_by("number"))
    assert [(r.number, r.kind) for r in revisions] == [(1, "save"), (2, "submit")]
    assert revisions[1].created_by == world.users["company_a"]
    assert revisions[1].snapshot["status"] == "submitted"
    assert len(revisions[1].snapshot["lines"]) == 6

    # The revision history is shown to the respondent and to analysts.
    for persona in ("company_a", "analyst"):
        resp = world.client(persona).get(url(participant))
        assert [r.number for r in resp.context["revisions"]] == [2, 1]
        assert resp.content.decode().count('class="revision"') == 2


def test_a_submitted_response_can_be_revised_and_resubmitted_while_the_round_is_open(
    world, participant
):
    client = world.client("company_a")
    client.post(url(participant), form_data([complete(OPERATOR)], action="submit"))
    first_snapshot = Revision.objects.get().snapshot

    changed = {**complete(OPERATOR), "new_hires": ["20", "14", "16"]}
    assert client.post(url(participant), form_data([changed])).status_code == 302
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED  # saving does not withdraw it
    resp = client.get(url(participant))
    assert resp.context["changed_since_submit"] is True
    # What was handed in is still the first submission.
    assert Response.objects.get().submitted_revision().snapshot == first_snapshot
    # Issue 13: the round list and the form said only "submitted" while changes were unsent.
    assert "Endringer ikke sendt inn" in resp.content.decode()  # the bokmål page
    with translation.override("en"):
        rounds = client.get(reverse("survey:my_rounds")).content.decode()
        analyst = world.client("analyst").get(
            reverse("survey:round_detail", args=[participant.round_id])
        )
    assert "Changes not submitted" in rounds
    assert "Continue and submit the changes" in rounds
    assert "Changes not submitted" in analyst.content.decode()

    assert client.post(url(participant), form_data([changed], action="submit")).status_code == 302
    with translation.override("en"):
        rounds = client.get(reverse("survey:my_rounds")).content.decode()
        assert "Changes not submitted" not in rounds
        assert "Changes not submitted" not in client.get(url(participant)).content.decode()
    kinds = list(Revision.objects.order_by("number").values_list("number", "kind"))
    assert kinds == [(1, "submit"), (2, "save"), (3, "submit")]
    # Revisions are snapshots: the first still holds the first answer.
    assert Revision.objects.get(number=1).snapshot == first_snapshot
    assert first_snapshot["lines"][0]["new_hires"] == 12
    assert Revision.objects.get(number=3).snapshot["lines"][0]["new_hires"] == 20


def test_add_more_lines_keeps_the_input_and_saves_nothing(world, participant):
    data = form_data([OPERATOR], action="add_lines", count=4)
    resp = world.client("company_a").post(url(participant), data)
    assert resp.status_code == 200
    form = resp.context["form"]
    assert len(form.lines) == 7
    html = resp.content.decode()
    assert 'name="line-0-new_hires_2025" value="12"' in html
    assert 'name="line-6-role"' in html
    assert not Response.objects.exists()
    assert 'class="errors"' not in html


# --- validation -------------------------------------------------------------------------------


def test_an_invalid_submit_names_line_and_field_and_stores_nothing_new(world, participant):
    client = world.client("company_a")
    client.post(url(participant), form_data([OPERATOR]))  # a partial save first
    before = list(NeedLine.objects.values_list("role", "year", "new_hires").order_by("id"))

    duplicate = {**complete(OPERATOR)}
    # The English pages live under /en/; the block keeps the language from leaking into other tests.
    with translation.override("en"):
        english_url = url(participant)
        assert english_url.startswith("/en/")
        resp = client.post(
            english_url,
            form_data(
                [complete(OPERATOR), CHEMIST | {"total_staff": ["4", "", "10"]}, duplicate],
                action="submit",
            ),
        )
    assert resp.status_code == 200
    messages = [message for message, _target in resp.context["form"].top_errors]
    assert "Line 2, Total staff 2026: This field is required." in messages
    assert any(m.startswith("Line 3: Repeats line 1") for m in messages)
    html = resp.content.decode()
    assert 'role="alert"' in html
    assert 'href="#id_line-1-total_staff_2026"' in html
    # Beside the field as well, and the user's input is kept.
    line_two = resp.context["form"].lines[1]
    assert line_two.errors["total_staff_2026"] == ["This field is required."]
    assert 'name="line-1-total_staff_2027" value="10"' in html

    assert list(NeedLine.objects.values_list("role", "year", "new_hires").order_by("id")) == before
    assert list(Revision.objects.values_list("kind", flat=True)) == ["save"]
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS


def test_errors_come_in_the_users_language(world, participant):
    data = form_data([CHEMIST | {"total_staff": ["4", "", "10"]}], action="submit")
    resp = world.client("company_a").post(url(participant), data)  # bokmål, the default
    messages = [message for message, _target in resp.context["form"].top_errors]
    assert any(m.endswith("Feltet er påkrevet.") for m in messages)


def test_submitting_without_any_line_is_refused(world, participant):
    resp = world.client("company_a").post(
        "/en" + url(participant), form_data([], action="submit", count=3)
    )
    assert resp.status_code == 200
    assert any("at least one line" in m for m, _t in resp.context["form"].top_errors)
    assert not Revision.objects.exists()


def test_a_partial_save_keeps_a_line_with_wrong_values_as_typed_and_flags_it(world, participant):
    bad = {
        **OPERATOR,
        "new_hires": ["-1", "many", ""],
        "share_abroad": "140",
        "recruit_difficulty": "9",
    }
    client = world.client("company_a")
    resp = client.post(url(participant), form_data([bad, CHEMIST]))
    assert resp.status_code == 302  # saved: a draft is never refused for a line's problem
    # The clean line is stored; the flagged one is kept in the revision's draft, as typed.
    assert set(NeedLine.objects.values_list("role", flat=True)) == {"chemist"}
    revision = Revision.objects.get()
    assert revision.snapshot["draft"][0]["new_hires_2026"] == "many"
    assert revision.snapshot["draft"][1]["role"] == "chemist"
    # Back on the form: both lines as typed, the problems marked beside the fields.
    page = client.get(url(participant))
    errors = page.context["form"].lines[0].errors
    assert set(errors) == {"new_hires_2025", "new_hires_2026", "share_abroad", "recruit_difficulty"}
    html = page.content.decode()
    assert (
        'name="line-0-new_hires_2026" type="number" value="many"' in html or 'value="many"' in html
    )
    assert 'class="warnings"' in html
    assert 'role="alert"' not in html
    # Submitting is what they block.
    resp = client.post(url(participant), form_data([bad, complete(CHEMIST)], action="submit"))
    assert resp.status_code == 200
    assert list(Revision.objects.values_list("kind", flat=True)) == ["save"]


def test_a_line_without_role_level_or_area_is_kept_in_the_draft(world, participant):
    client = world.client("company_a")
    resp = client.post(
        url(participant), form_data([{"role": "chemist", "comment": "to be decided"}])
    )
    assert resp.status_code == 302
    assert not NeedLine.objects.exists()
    page = client.get(url(participant))
    assert set(page.context["form"].lines[0].errors) == {"level", "area"}
    assert "to be decided" in page.content.decode()


def test_a_repeated_line_does_not_stop_save_and_continue_later(world, participant):
    """Issue 13: a duplicate line blocked even saving, so nothing was saved."""
    client = world.client("company_a")
    with translation.override("en"):
        english_url = url(participant)
    resp = client.post(
        english_url,
        form_data([OPERATOR, CHEMIST, OPERATOR | {"comment": "Counted twice by mistake"}]),
    )
    assert resp.status_code == 302
    assert set(NeedLine.objects.values_list("role", flat=True)) == {"process_operator", "chemist"}
    page = client.get(english_url)
    html = page.content.decode()
    assert "Line 3: Repeats line 1" in html
    assert "Counted twice by mistake" in html  # the repeated line as typed
    # A save that fixes it drops the draft: the form shows the stored lines again.
    fixed = client.post(english_url, form_data([OPERATOR, CHEMIST], count=3) | {"based_on": 1})
    assert fixed.status_code == 302
    assert "draft" not in Revision.objects.order_by("-number").first().snapshot
    html = client.get(english_url).content.decode()
    assert "Repeats line" not in html
    assert "Counted twice by mistake" not in html


def test_the_lines_are_grouped_in_sections_per_role_with_their_state(world, participant):
    client = world.client("company_a")
    client.post(url(participant), form_data([complete(OPERATOR), CHEMIST]))
    with translation.override("en"):
        html = client.get(url(participant)).content.decode()
    assert html.count('<details class="role-section') == 3  # two roles, then the new lines
    operator = html[html.index('id="role-process_operator"') : html.index('id="role-chemist"')]
    assert "complete" in operator
    assert "numbers missing" not in operator
    chemist = html[html.index('id="role-chemist"') : html.index('id="role-new"')]
    assert "numbers missing in 0 lines" not in chemist
    assert "Numbers missing for" not in chemist  # the chemist line has every number
    # Nothing flagged and more than one role: the role sections start closed, new lines open.
    assert '<details class="role-section" id="role-chemist">' in html
    assert 'id="role-new" open>' in html
    # Save and submit sit in one bar that stays at the bottom of the window.
    assert 'class="actions sticky-actions"' in html


def test_a_line_with_missing_years_says_which(world, participant):
    client = world.client("company_a")
    client.post(url(participant), form_data([OPERATOR]))
    with translation.override("en"):
        html = client.get(url(participant)).content.decode()
    assert "Numbers missing for 2026, 2027: needed before you submit." in html


def test_blank_lines_are_ignored(world, participant):
    resp = world.client("company_a").post(url(participant), form_data([OPERATOR], count=4))
    assert resp.status_code == 302
    assert NeedLine.objects.count() == 3


# --- closed rounds ----------------------------------------------------------------------------


def test_a_closed_round_is_read_only(world, participant):
    client = world.client("company_a")
    client.post(url(participant), form_data([complete(OPERATOR)], action="submit"))
    do_close_round(participant.round, world.users["analyst"])

    resp = client.get(url(participant))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'name="action"' not in html
    assert "Prosessoperatør" in html
    assert resp.context["display_lines"][0]["years"][0] == (2025, 12, 40)

    resp = client.post("/en" + url(participant), form_data([CHEMIST]), follow=True)
    assert resp.redirect_chain[-1][1] == 302
    assert "The round is closed" in resp.content.decode()
    assert set(NeedLine.objects.values_list("role", flat=True)) == {"process_operator"}
    assert Revision.objects.count() == 1


# --- the action contract (the Excel importer calls it) -----------------------------------------


def line(year: int, **kw: Any) -> dict[str, Any]:
    return {
        "role": "chemist",
        "level": "nkr7",
        "area": "electrochemistry",
        "year": year,
        "new_hires": 1,
        "total_staff": 3,
        **kw,
    }


def test_an_import_replaces_the_lines_and_records_an_import_revision(world, participant):
    user = world.users["company_a"]
    do_save_response(participant, user, lines=[line(2025), line(2026)])
    revision = do_save_response(
        participant,
        user,
        lines=[line(y, new_hires=5) for y in YEARS],
        general={"access_is_challenge": False},
        kind="import",
    )
    assert (revision.number, revision.kind) == (2, "import")
    assert list(NeedLine.objects.values_list("year", "new_hires").order_by("year")) == [
        (2025, 5),
        (2026, 5),
        (2027, 5),
    ]
    assert Response.objects.get().access_is_challenge is False
    assert participant.status == ParticipantStatus.IN_PROGRESS


def test_the_save_action_names_line_and_field_and_is_all_or_nothing(world, participant):
    user = world.users["company_a"]
    do_save_response(participant, user, lines=[line(2025)])
    bad = [line(2025), line(2031), line(2026, role="astronaut", share_abroad=1.5), line(2025)]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        do_save_response(participant, user, lines=bad, kind="import")
    text = "\n".join(caught.value.messages)
    assert "Line 2, year" in text
    assert "Line 3, role" in text
    assert "Line 3, share expected from abroad" in text
    assert "Line 4 repeats line 1" in text
    assert NeedLine.objects.count() == 1
    assert Revision.objects.count() == 1


def test_the_save_action_refuses_a_round_that_is_not_open(world, participant):
    do_close_round(participant.round, None)
    with pytest.raises(PermissionError):
        do_save_response(participant, world.users["company_a"], lines=[line(2025)])
    with pytest.raises(PermissionError):
        do_submit_response(participant, world.users["company_a"])
    assert not Response.objects.exists()


def test_submitting_checks_every_year_of_every_line(world, participant):
    user = world.users["company_a"]
    do_save_response(participant, user, lines=[line(2025), line(2026)])
    with pytest.raises(ValidationError) as caught:
        do_submit_response(participant, user)
    assert any("2027" in m for m in caught.value.messages)
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS
    do_save_response(participant, user, lines=[line(y) for y in YEARS])
    revision = do_submit_response(participant, user)
    assert revision.kind == "submit"
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED
