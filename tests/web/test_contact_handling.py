"""Handling inquiries: answering (stored and e-mailed in the sender's language), closing, the
audit trail of every step, the queue's filters, and the overdue flag (working days)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from battkomp.contact.actions import (
    do_answer,
    do_assign,
    do_close,
    do_submit_inquiry,
    due_on,
    is_overdue,
)
from battkomp.contact.models import (
    EventAction,
    Inquiry,
    InquiryStatus,
    MailKind,
    OutgoingMail,
)
from battkomp.contact.workdays import add_working_days, easter_sunday, is_working_day
from web.contact_support import rule, second_handler

OSLO = dt.timezone(dt.timedelta(hours=1))  # Europe/Oslo in winter


def submit(language: str = "nb", **kw) -> Inquiry:
    values = {
        "name": "Kari",
        "email": "kari@example.org",
        "topic": "education",
        "message": "Finnes det EVU i batteriproduksjon?\nHilsen Kari",
        "language": language,
    }
    values.update(kw)
    return do_submit_inquiry(**values)


def received_on(inquiry: Inquiry, when: dt.datetime) -> Inquiry:
    Inquiry.objects.filter(pk=inquiry.pk).update(created_at=when)
    inquiry.refresh_from_db()
    return inquiry


def test_a_handler_answers_through_the_page_and_the_sender_gets_it_in_english(world):
    rule(world.users["handler"], topic="education")
    inquiry = submit(language="en")
    mail.outbox.clear()
    client = world.client("handler")
    response = client.post(
        reverse("contact:answer", args=[inquiry.pk]), {"text": "Yes: see the EVU catalogue."}
    )
    assert response["Location"] == reverse("contact:detail", args=[inquiry.pk])
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert inquiry.answered_at is not None
    (answer,) = inquiry.answers.all()
    assert (answer.text, answer.author) == ("Yes: see the EVU catalogue.", world.users["handler"])
    (sent,) = mail.outbox
    assert sent.to == ["kari@example.org"]
    assert sent.reply_to == ["handler@battkomp.test"]  # replies reach the right person
    assert sent.body.startswith("Yes: see the EVU catalogue.")
    assert "> Finnes det EVU i batteriproduksjon?\n> Hilsen Kari" in sent.body
    with translation.override("en"):
        assert sent.subject == gettext("Answer to your inquiry (no. %(n)s)") % {"n": inquiry.pk}
    assert OutgoingMail.objects.get(kind=MailKind.ANSWER).language == "en"
    page = client.get(response["Location"]).content.decode()
    assert "Yes: see the EVU catalogue." in page


def test_an_empty_or_too_long_answer_is_refused_with_an_error(world):
    rule(world.users["handler"], topic="education")
    inquiry = submit()
    client = world.client("handler")
    empty = client.post(reverse("contact:answer", args=[inquiry.pk]), {"text": "   "})
    assert empty.status_code == 400
    assert "text" in empty.context["answer_form"].errors
    long = client.post(reverse("contact:answer", args=[inquiry.pk]), {"text": "x" * 10001})
    assert "10001" in long.context["answer_form"].errors["text"][0]
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ASSIGNED
    assert not inquiry.answers.exists()


def test_answering_an_unassigned_inquiry_takes_it(world):
    inquiry = submit()
    assert inquiry.owner is None
    do_answer(inquiry, world.users["handler"], "Svar")
    inquiry.refresh_from_db()
    assert inquiry.owner == world.users["handler"]
    event = inquiry.events.get(action=EventAction.ANSWERED)
    assert (event.from_owner, event.to_owner) == (None, world.users["handler"])


def test_a_closed_inquiry_cannot_be_changed(world):
    rule(world.users["handler"], topic="education")
    inquiry = submit()
    do_close(inquiry, world.users["handler"], "Spam")
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CLOSED
    assert inquiry.closed_at is not None
    client = world.client("handler")
    response = client.post(reverse("contact:answer", args=[inquiry.pk]), {"text": "Hei"})
    assert response.status_code == 400
    assert not inquiry.answers.exists()
    response = client.post(
        reverse("contact:assign", args=[inquiry.pk]), {"owner": world.users["analyst"].pk}
    )
    assert response.status_code == 400
    inquiry.refresh_from_db()
    assert inquiry.owner == world.users["handler"]
    page = client.get(reverse("contact:detail", args=[inquiry.pk])).content.decode()
    assert "answer-form" not in page


def test_every_step_is_in_the_audit_trail(world):
    handler, other = world.users["handler"], second_handler()
    rule(handler, name="EVU", topic="education")
    inquiry = submit()
    do_assign(inquiry, handler, other, "Ditt felt")
    do_answer(inquiry, other, "Svar")
    do_close(inquiry, other)
    trail = [
        (e.action, e.actor, e.from_status, e.to_status, e.from_owner, e.to_owner, e.note)
        for e in inquiry.events.all()
    ]
    assert trail == [
        (EventAction.RECEIVED, None, "", "new", None, None, ""),
        (EventAction.ROUTED, None, "new", "assigned", None, handler, "EVU"),
        (EventAction.ASSIGNED, handler, "assigned", "assigned", handler, other, "Ditt felt"),
        (EventAction.ANSWERED, other, "assigned", "answered", None, None, ""),
        (EventAction.CLOSED, other, "answered", "closed", None, None, ""),
    ]
    assert all(e.at is not None for e in inquiry.events.all())
    page = world.client("analyst").get(reverse("contact:detail", args=[inquiry.pk]))
    html = page.content.decode()
    assert html.count('class="event ') == 5
    assert "handler2@battkomp.test" in html
    assert "Ditt felt" in html


def test_the_queue_filters(world):
    handler = world.users["handler"]
    rule(handler, topic="press")
    mine = submit(topic="press")
    unassigned = submit(topic="other")
    closed = submit(topic="press")
    do_close(closed, handler)
    client = world.client("handler")

    def shown(query: str) -> set[int]:
        response = client.get(reverse("contact:queue") + query)
        return {row["inquiry"].pk for row in response.context["rows"]}

    assert shown("") == {mine.pk, unassigned.pk}  # open ones by default
    assert shown("?whose=mine") == {mine.pk}
    assert shown("?whose=unassigned") == {unassigned.pk}
    assert shown("?status=closed") == {closed.pk}
    assert shown("?status=all") == {mine.pk, unassigned.pk, closed.pk}
    assert shown("?status=nonsense") == {mine.pk, unassigned.pk}


# --- overdue --------------------------------------------------------------------------------


def test_working_days_skip_weekends_and_norwegian_public_holidays():
    assert easter_sunday(2025) == dt.date(2025, 4, 20)
    assert easter_sunday(2027) == dt.date(2027, 3, 28)
    assert not is_working_day(dt.date(2026, 5, 14))  # Ascension Day 2026
    assert not is_working_day(dt.date(2026, 5, 25))  # Whit Monday 2026
    assert not is_working_day(dt.date(2026, 5, 17))  # Constitution Day (a Sunday anyway)
    assert is_working_day(dt.date(2026, 12, 24))
    assert add_working_days(dt.date(2026, 12, 23), 2) == dt.date(2026, 12, 28)
    assert add_working_days(dt.date(2026, 11, 27), 0) == dt.date(2026, 11, 27)


def test_an_unanswered_inquiry_is_overdue_after_the_setting_s_working_days(world, settings):
    settings.BATTKOMP_INQUIRY_OVERDUE_DAYS = 2
    inquiry = received_on(submit(), dt.datetime(2026, 11, 26, 15, 0, tzinfo=OSLO))  # Thursday
    assert due_on(inquiry) == dt.date(2026, 11, 30)  # Friday, then Monday
    assert not is_overdue(inquiry, dt.datetime(2026, 11, 30, 23, 0, tzinfo=OSLO))
    assert is_overdue(inquiry, dt.datetime(2026, 12, 1, 8, 0, tzinfo=OSLO))
    settings.BATTKOMP_INQUIRY_OVERDUE_DAYS = 3
    assert not is_overdue(inquiry, dt.datetime(2026, 12, 1, 8, 0, tzinfo=OSLO))


def test_answered_and_closed_inquiries_are_never_overdue(world):
    long_ago = timezone.now() - dt.timedelta(days=60)
    answered = received_on(submit(), long_ago)
    closed = received_on(submit(), long_ago)
    waiting = received_on(submit(), long_ago)
    do_answer(answered, world.users["handler"], "Svar")
    do_close(closed, world.users["handler"])
    for inquiry in (answered, closed, waiting):
        inquiry.refresh_from_db()
    assert (is_overdue(answered), is_overdue(closed), is_overdue(waiting)) == (False, False, True)


@pytest.mark.parametrize("persona", ["handler", "analyst"])
def test_the_queue_flags_overdue_inquiries_first(world, persona):
    fresh = submit()
    old = received_on(submit(), timezone.now() - dt.timedelta(days=30))
    response = world.client(persona).get(reverse("contact:queue"))
    rows = response.context["rows"]
    assert [(r["inquiry"].pk, r["overdue"]) for r in rows] == [(old.pk, True), (fresh.pk, False)]
    assert response.context["overdue_count"] == 1
    html = response.content.decode()
    assert f'<tr class="inquiry overdue" data-inquiry="{old.pk}">' in html
    assert f'<tr class="inquiry" data-inquiry="{fresh.pk}">' in html


def test_the_inquiry_page_has_each_id_once_and_a_label_for_every_note(db: None) -> None:
    from battkomp.contact.forms import AssignForm, CloseForm, ReopenForm

    ids = [AssignForm()["note"].id_for_label, CloseForm()["note"].id_for_label]
    assert ids == ["assign_note", "close_note"]
    assert ReopenForm()["note"].id_for_label == "reopen_note"
