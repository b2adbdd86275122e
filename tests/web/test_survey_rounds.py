"""Analysts' survey pages: rounds, invitations, opening and closing, statistics, interview notes.

Every page is checked for every persona: analysts and administrators are let in, everyone else
gets 404, and an anonymous visitor is sent to the login page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from battkomp.organisations.models import Organisation, OrganisationKind
from battkomp.survey.actions import (
    do_close_round,
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_record_note,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import (
    InterviewNote,
    Participant,
    ParticipantStatus,
    Round,
    RoundStatus,
)
from battkomp.survey.stats import round_statistics
from web.personas import OUTSIDERS, SECRETARIAT


def make_round(*, open_: bool = True, name: str = "Needs 2025") -> Round:
    round_ = do_create_round(
        None,
        name=name,
        first_year=2025,
        last_year=2027,
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    if open_:
        do_open_round(round_, None)
    return round_


def complete_lines(round_: Round, role: str = "process_operator") -> list[dict]:
    return [
        {
            "role": role,
            "level": "nkr4",
            "area": "chemical_process",
            "year": year,
            "new_hires": 10,
            "total_staff": 40,
        }
        for year in round_.years
    ]


def assert_login_redirect(resp) -> None:
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("accounts:login"))


@pytest.fixture
def round_(world) -> Round:
    round_ = make_round()
    do_invite_organisations(round_, [world.company_a, world.company_b], world.users["analyst"])
    return round_


def analyst_pages(round_: Round, world) -> list[str]:
    return [
        reverse("survey:rounds"),
        reverse("survey:round_new"),
        reverse("survey:round_detail", args=[round_.pk]),
        reverse("survey:round_stats", args=[round_.pk]),
        reverse("survey:round_invite", args=[round_.pk]),
        reverse("survey:organisation_notes", args=[world.company_a.pk]),
        reverse("survey:note_new", args=[world.company_a.pk]),
    ]


# --- persona matrix for the pages analysts read -----------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_see_every_round_page(world, round_, persona):
    for url in analyst_pages(round_, world):
        assert world.client(persona).get(url).status_code == 200, url


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404_on_round_pages(world, round_, persona):
    for url in analyst_pages(round_, world):
        assert world.client(persona).get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_login_from_round_pages(world, round_):
    for url in analyst_pages(round_, world):
        assert_login_redirect(world.client("anonymous").get(url))


def test_an_unknown_round_is_404_even_for_analysts(world):
    assert (
        world.client("analyst").get(reverse("survey:round_detail", args=[999])).status_code == 404
    )


def test_the_round_list_shows_counts(world, round_):
    resp = world.client("analyst").get(reverse("survey:rounds"))
    assert round_.name in resp.content.decode()
    listed = list(resp.context["rounds"])
    assert listed[0].invited == 2
    assert listed[0].submitted == 0


# --- creating a round -------------------------------------------------------------------------


ROUND_DATA = {
    "name": "Needs 2026",
    "first_year": "2026",
    "last_year": "2030",
    "opens_on": "2026-01-05",
    "deadline": "2026-02-28",
    "questionnaire_version": "2",
}


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_an_analyst_creates_a_round_as_a_draft(world, persona):
    resp = world.client(persona).post(reverse("survey:round_new"), ROUND_DATA)
    round_ = Round.objects.get(name="Needs 2026")
    assert resp.status_code == 302
    assert resp["Location"] == reverse("survey:round_detail", args=[round_.pk])
    assert round_.status == RoundStatus.DRAFT
    assert round_.years == [2026, 2027, 2028, 2029, 2030]
    assert round_.questionnaire_version == "2"
    assert round_.created_by == world.users[persona]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_others_cannot_create_a_round(world, persona):
    assert world.client(persona).post(reverse("survey:round_new"), ROUND_DATA).status_code == 404
    assert not Round.objects.exists()


def test_anonymous_cannot_create_a_round(world):
    assert_login_redirect(world.client("anonymous").post(reverse("survey:round_new"), ROUND_DATA))
    assert not Round.objects.exists()


def test_it_rejects_a_last_year_before_the_first_and_a_deadline_before_opening(world):
    data = {**ROUND_DATA, "last_year": "2025", "deadline": "2025-12-01"}
    resp = world.client("analyst").post(reverse("survey:round_new"), data)
    assert resp.status_code == 200
    assert "last_year" in resp.context["form"].errors
    assert "deadline" in resp.context["form"].errors
    assert not Round.objects.exists()


# --- inviting, opening and closing ------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_inviting_organisations_is_idempotent(world, persona):
    round_ = make_round()
    url = reverse("survey:round_invite", args=[round_.pk])
    data = {"organisations": [world.company_a.pk, world.company_b.pk]}
    assert world.client(persona).post(url, data).status_code == 302
    assert world.client(persona).post(url, data).status_code == 302
    invited = Participant.objects.filter(round=round_)
    assert sorted(p.organisation.name for p in invited) == ["Anodeco AS", "Cellco AS"]
    assert {p.status for p in invited} == {ParticipantStatus.INVITED}


def test_the_invite_page_offers_companies_and_research_institutes_only(world):
    research = Organisation.objects.create(name="Forskning AS", kind=OrganisationKind.RESEARCH)
    round_ = make_round()
    resp = world.client("analyst").get(reverse("survey:round_invite", args=[round_.pk]))
    offered = set(resp.context["form"].fields["organisations"].queryset)
    assert offered == {world.company_a, world.company_b, research}
    resp = world.client("analyst").post(
        reverse("survey:round_invite", args=[round_.pk]),
        {"organisations": [world.institution.pk]},
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors
    assert not Participant.objects.exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_others_cannot_invite(world, persona):
    round_ = make_round()
    resp = world.client(persona).post(
        reverse("survey:round_invite", args=[round_.pk]), {"organisations": [world.company_a.pk]}
    )
    assert resp.status_code == 404
    assert not Participant.objects.exists()


def test_anonymous_cannot_invite(world):
    round_ = make_round()
    resp = world.client("anonymous").post(
        reverse("survey:round_invite", args=[round_.pk]), {"organisations": [world.company_a.pk]}
    )
    assert_login_redirect(resp)
    assert not Participant.objects.exists()


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_an_analyst_opens_and_closes_a_round(world, persona):
    round_ = make_round(open_=False)
    client = world.client(persona)
    assert client.post(reverse("survey:round_open", args=[round_.pk])).status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN
    assert client.post(reverse("survey:round_close", args=[round_.pk])).status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED


def test_opening_and_closing_need_a_post(world):
    round_ = make_round(open_=False)
    assert (
        world.client("analyst").get(reverse("survey:round_open", args=[round_.pk])).status_code
        == 405
    )
    assert (
        world.client("analyst").get(reverse("survey:round_close", args=[round_.pk])).status_code
        == 405
    )
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT


def test_closing_a_draft_round_is_refused_with_a_message(world):
    round_ = make_round(open_=False)
    resp = world.client("analyst").post(
        "/en" + reverse("survey:round_close", args=[round_.pk]), follow=True
    )
    assert "Only an open round can be closed." in resp.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_others_cannot_open_or_close_a_round(world, persona):
    round_ = make_round(open_=False)
    assert (
        world.client(persona).post(reverse("survey:round_open", args=[round_.pk])).status_code
        == 404
    )
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT
    do_open_round(round_, None)
    assert (
        world.client(persona).post(reverse("survey:round_close", args=[round_.pk])).status_code
        == 404
    )
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN


def test_anonymous_cannot_open_a_round(world):
    round_ = make_round(open_=False)
    assert_login_redirect(
        world.client("anonymous").post(reverse("survey:round_open", args=[round_.pk]))
    )
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT


def test_the_round_page_shows_status_per_organisation_with_dates(world, round_):
    do_submit_response(
        Participant.objects.get(round=round_, organisation=world.company_a),
        world.users["company_a"],
        lines=complete_lines(round_),
        general={"access_is_challenge": True},
    )
    resp = world.client("analyst").get(reverse("survey:round_detail", args=[round_.pk]))
    html = resp.content.decode()
    assert "Cellco AS" in html
    assert "Anodeco AS" in html
    counts = {row["code"]: row["count"] for row in resp.context["status_counts"]}
    assert counts == {"invited": 1, "opened": 0, "in_progress": 0, "reminded": 0, "submitted": 1}
    statuses = {p.organisation.name: p.status for p in resp.context["participants"]}
    assert statuses == {"Cellco AS": "submitted", "Anodeco AS": "invited"}


# --- headline statistics ----------------------------------------------------------------------


@pytest.fixture
def stats_round(world) -> Round:
    """4 invited, 3 submitted, 2 of the 3 say access to competence is a challenge."""
    round_ = make_round()
    a, b = world.company_a, world.company_b
    a.segments = ["cell_manufacturing", "active_materials"]
    a.save()
    c = Organisation.objects.create(
        name="Celltwo AS", kind=OrganisationKind.COMPANY, segments=["cell_manufacturing"]
    )
    d = Organisation.objects.create(
        name="Recyclo AS", kind=OrganisationKind.COMPANY, segments=["recycling"]
    )
    do_invite_organisations(round_, [a, b, c, d], None)
    for org, says in ((a, True), (b, False), (c, True)):
        do_submit_response(
            Participant.objects.get(round=round_, organisation=org),
            world.users["analyst"],
            lines=complete_lines(round_),
            general={"access_is_challenge": says},
        )
    return round_


def test_headline_statistics_give_the_response_rate_and_the_challenge_share(stats_round):
    stats = round_statistics(stats_round)
    assert (stats.overall.invited, stats.overall.submitted) == (4, 3)
    assert stats.overall.response_rate == pytest.approx(0.75)
    assert stats.overall.challenge_share == pytest.approx(2 / 3)


def test_an_organisation_counts_in_each_of_its_segments(stats_round):
    by_code = {h.code: h for h in round_statistics(stats_round).segments}
    assert list(by_code) == ["active_materials", "cell_manufacturing", "recycling"]
    cell = by_code["cell_manufacturing"]
    assert (cell.invited, cell.submitted, cell.answered, cell.challenge) == (2, 2, 2, 2)
    assert cell.challenge_share == 1.0
    active = by_code["active_materials"]
    assert (active.invited, active.submitted, active.challenge_share) == (2, 2, 0.5)
    recycling = by_code["recycling"]
    assert recycling.response_rate == 0.0
    assert recycling.challenge_share is None


def test_those_who_did_not_answer_the_question_are_left_out_of_the_share(world, stats_round):
    org = Organisation.objects.create(name="Quiet AS", kind=OrganisationKind.COMPANY)
    do_invite_organisations(stats_round, [org], None)
    do_submit_response(
        Participant.objects.get(organisation=org), None, lines=complete_lines(stats_round)
    )
    stats = round_statistics(stats_round)
    assert (stats.overall.invited, stats.overall.submitted, stats.overall.answered) == (5, 4, 3)
    assert stats.overall.challenge_share == pytest.approx(2 / 3)


def test_statistics_count_what_was_submitted_not_changes_saved_since(world, stats_round):
    participant = Participant.objects.get(round=stats_round, organisation=world.company_a)
    do_save_response(
        participant,
        world.users["company_a"],
        lines=complete_lines(stats_round),
        general={"access_is_challenge": False},
    )
    assert round_statistics(stats_round).overall.challenge == 2
    do_submit_response(participant, world.users["company_a"])
    assert round_statistics(stats_round).overall.challenge == 1


@pytest.mark.parametrize("name", ["survey:round_stats", "survey:round_detail"])
def test_the_statistics_pages_show_the_percentages(world, stats_round, name):
    resp = world.client("analyst").get(reverse(name, args=[stats_round.pk]))
    html = resp.content.decode()
    assert "75 %" in html
    assert "67 %" in html


def test_a_round_without_invitations_has_no_rates(db):
    stats = round_statistics(make_round())
    assert stats.overall.response_rate is None
    assert stats.overall.challenge_share is None
    assert stats.segments == []


# --- interview notes --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_an_analyst_records_a_note_tagged_with_competence_areas(world, round_, persona):
    url = reverse("survey:note_new", args=[world.company_a.pk]) + f"?round={round_.pk}"
    resp = world.client(persona).post(
        url,
        {
            "text": "Needs cell designers from Asia.",
            "areas": ["cell_design", "electrochemistry"],
            "round": round_.pk,
        },
    )
    assert resp.status_code == 302
    note = InterviewNote.objects.get()
    assert note.organisation == world.company_a
    assert note.round == round_
    assert note.author == world.users[persona]
    assert note.areas == ["electrochemistry", "cell_design"]
    for url in (
        reverse("survey:round_detail", args=[round_.pk]),
        reverse("survey:organisation_notes", args=[world.company_a.pk]),
    ):
        assert (
            "Needs cell designers from Asia." in world.client("analyst").get(url).content.decode()
        )


def test_a_note_without_a_round_goes_to_the_organisation_page(world):
    resp = world.client("analyst").post(
        reverse("survey:note_new", args=[world.company_b.pk]), {"text": "Short call."}
    )
    assert resp["Location"] == reverse("survey:organisation_notes", args=[world.company_b.pk])
    assert InterviewNote.objects.get().round is None


def test_an_empty_note_is_refused(world):
    resp = world.client("analyst").post(
        reverse("survey:note_new", args=[world.company_a.pk]), {"text": "  "}
    )
    assert resp.status_code == 200
    assert "text" in resp.context["form"].errors
    assert not InterviewNote.objects.exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_nobody_but_analysts_records_or_reads_notes(world, round_, persona):
    do_record_note(world.company_a, world.users["analyst"], text="Confidential remark")
    client = world.client(persona)
    resp = client.post(reverse("survey:note_new", args=[world.company_a.pk]), {"text": "sneaky"})
    assert resp.status_code == 404
    assert InterviewNote.objects.count() == 1
    assert (
        client.get(reverse("survey:organisation_notes", args=[world.company_a.pk])).status_code
        == 404
    )
    assert client.get(reverse("survey:round_detail", args=[round_.pk])).status_code == 404


def test_anonymous_cannot_record_a_note(world):
    resp = world.client("anonymous").post(
        reverse("survey:note_new", args=[world.company_a.pk]), {"text": "sneaky"}
    )
    assert_login_redirect(resp)
    assert not InterviewNote.objects.exists()


def test_the_note_action_refuses_non_analysts(world):
    with pytest.raises(PermissionError):
        do_record_note(world.company_a, world.users["company_a"], text="self-note")
    assert not InterviewNote.objects.exists()


def test_a_closed_round_takes_no_more_invitations(world, round_):
    do_close_round(round_, None)
    org = Organisation.objects.create(name="Late AS", kind=OrganisationKind.COMPANY)
    resp = world.client("analyst").post(
        reverse("survey:round_invite", args=[round_.pk]), {"organisations": [org.pk]}
    )
    assert resp.status_code == 302
    assert not Participant.objects.filter(organisation=org).exists()
    with pytest.raises(PermissionError):
        do_invite_organisations(round_, [org], None)


# --- back office ------------------------------------------------------------------------------


def test_the_admin_lists_and_shows_every_survey_model(world, round_):
    participant = Participant.objects.get(round=round_, organisation=world.company_a)
    do_submit_response(participant, world.users["company_a"], lines=complete_lines(round_))
    do_record_note(world.company_a, world.users["analyst"], text="Note")
    client = world.client("admin")
    for model, obj in (
        ("round", round_),
        ("participant", participant),
        ("response", participant.response),
        ("revision", participant.response.revisions.get()),
        ("interviewnote", InterviewNote.objects.get()),
    ):
        assert client.get(reverse(f"admin:survey_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:survey_{model}_change", args=[obj.pk])).status_code == 200
