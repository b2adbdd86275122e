"""The send_reminders command: e-mail the respondents of organisations that have not submitted,
at most once every --min-days days; a dry run sends and changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.organisations.models import Organisation, OrganisationKind
from battkomp.survey.actions import (
    do_close_round,
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_submit_response,
)
from battkomp.survey.models import Participant, ParticipantStatus, Round


def make_round(name: str, *, open_: bool = True) -> Round:
    round_ = do_create_round(
        None,
        name=name,
        first_year=2025,
        last_year=2025,
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    if open_:
        do_open_round(round_, None)
    return round_


@pytest.fixture
def round_(world) -> Round:
    """Company A has not answered, company B has submitted, Silent AS has no accounts."""
    round_ = make_round("Needs 2025")
    silent = Organisation.objects.create(name="Silent AS", kind=OrganisationKind.COMPANY)
    do_invite_organisations(round_, [world.company_a, world.company_b, silent], None)
    do_submit_response(
        Participant.objects.get(round=round_, organisation=world.company_b),
        world.users["company_b"],
        lines=[
            {
                "role": "chemist",
                "level": "nkr7",
                "area": "electrochemistry",
                "year": 2025,
                "new_hires": 1,
                "total_staff": 2,
            }
        ],
    )
    return round_


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def company_a(round_: Round, world) -> Participant:
    return Participant.objects.get(round=round_, organisation=world.company_a)


def test_it_reminds_the_respondents_of_organisations_that_have_not_submitted(world, round_):
    output = run()
    assert [m.to for m in mail.outbox] == [["a@cellco.test"]]
    message = mail.outbox[0]
    assert "Needs 2025" in message.subject
    assert f"/survey/answers/{company_a(round_, world).pk}/" in message.body
    p = company_a(round_, world)
    assert p.status == ParticipantStatus.REMINDED
    assert p.reminders_sent == 1
    assert p.last_reminded_at is not None
    b = Participant.objects.get(round=round_, organisation=world.company_b)
    assert (b.status, b.reminders_sent) == (ParticipantStatus.SUBMITTED, 0)
    assert "reminded  Needs 2025: Cellco AS -> a@cellco.test" in output
    assert "Silent AS" in output  # skipped: nobody to write to
    assert Participant.objects.get(organisation__name="Silent AS").reminders_sent == 0


def test_it_writes_to_every_respondent_in_their_own_language(world, round_):
    do_create_user(
        "b2@cellco.test", "x-very-long-password", Role.RESPONDENT, world.company_a, language="en"
    )
    run()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@cellco.test", "b2@cellco.test"]
    english = next(m for m in mail.outbox if m.to == ["b2@cellco.test"])
    assert "/en/survey/answers/" in english.body
    assert company_a(round_, world).reminders_sent == 1


def test_it_does_not_remind_twice_within_min_days(world, round_):
    run()
    run()
    assert len(mail.outbox) == 1
    assert company_a(round_, world).reminders_sent == 1
    Participant.objects.filter(pk=company_a(round_, world).pk).update(
        last_reminded_at=timezone.now() - dt.timedelta(days=8)
    )
    run()
    assert len(mail.outbox) == 2
    assert company_a(round_, world).reminders_sent == 2
    run("--min-days", "0")
    assert len(mail.outbox) == 3


def test_a_dry_run_sends_and_changes_nothing(world, round_):
    output = run("--dry-run")
    assert mail.outbox == []
    p = company_a(round_, world)
    assert (p.status, p.reminders_sent, p.last_reminded_at) == (ParticipantStatus.INVITED, 0, None)
    assert "would remind  Needs 2025: Cellco AS -> a@cellco.test" in output


def test_draft_and_closed_rounds_are_left_alone(world, round_):
    draft = make_round("Draft round", open_=False)
    closed = make_round("Closed round")
    do_invite_organisations(draft, [world.company_a], None)
    do_invite_organisations(closed, [world.company_a], None)
    do_close_round(closed, None)
    run()
    assert len(mail.outbox) == 1
    assert Participant.objects.filter(reminders_sent__gt=0).count() == 1


def test_round_option_limits_the_reminders_to_one_round(world, round_):
    other = make_round("Other round")
    do_invite_organisations(other, [world.company_a], None)
    run("--round", str(other.pk))
    assert len(mail.outbox) == 1
    assert "Other round" in mail.outbox[0].subject
    assert company_a(round_, world).reminders_sent == 0


def test_round_option_refuses_a_round_that_is_not_open(world, round_):
    do_close_round(round_, None)
    with pytest.raises(CommandError, match="not open"):
        run("--round", str(round_.pk))
    with pytest.raises(CommandError, match="no round"):
        run("--round", "9999")
    assert mail.outbox == []
