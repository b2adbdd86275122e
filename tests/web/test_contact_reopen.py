"""Reopening a closed inquiry: who may (whoever may close it), the status it goes back to, the
audit trail, and that it is a POST with a CSRF token only. The pages' styles live in site.css."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import battkomp
from battkomp.contact.actions import (
    do_answer,
    do_close,
    do_reopen,
    do_submit_inquiry,
    is_overdue,
)
from battkomp.contact.models import EventAction, Inquiry, InquiryStatus
from web.contact_support import rule, second_handler

SITE_CSS = Path(battkomp.__file__).parent / "static" / "battkomp" / "site.css"


def submit(**kw) -> Inquiry:
    values = {
        "name": "Kari",
        "email": "kari@example.org",
        "topic": "education",
        "message": "Finnes det EVU i batteriproduksjon?",
    }
    values.update(kw)
    return do_submit_inquiry(**values)


@pytest.fixture
def closed(world) -> Inquiry:
    """An inquiry routed to the handler and closed unanswered."""
    rule(world.users["handler"], topic="education")
    inquiry = submit()
    do_close(inquiry, world.users["handler"], "Lukket ved en feil")
    return inquiry


def test_a_handler_reopens_a_closed_inquiry_and_the_history_says_so(world, closed):
    client = world.client("handler")
    url = reverse("contact:reopen", args=[closed.pk])
    response = client.post(url, {"note": "Avsenderen skrev igjen"}, follow=True)
    assert response.redirect_chain == [(reverse("contact:detail", args=[closed.pk]), 302)]
    closed.refresh_from_db()
    assert (closed.status, closed.owner) == (InquiryStatus.ASSIGNED, world.users["handler"])
    assert closed.closed_at is None
    event = closed.events.last()
    assert (event.action, event.actor, event.from_status, event.to_status, event.note) == (
        EventAction.REOPENED,
        world.users["handler"],
        InquiryStatus.CLOSED,
        InquiryStatus.ASSIGNED,
        "Avsenderen skrev igjen",
    )
    html = response.content.decode()
    assert "Henvendelsen er gjenåpnet." in html  # the success message, in bokmål
    assert '<tr class="event reopened">' in html
    assert "gjenåpnet" in html  # the event's name in the history
    assert "answer-form" in html  # it can be answered again
    assert "reopen-form" not in html


def test_an_answered_inquiry_reopens_as_answered_and_is_not_overdue(world):
    rule(world.users["handler"], topic="education")
    inquiry = submit()
    Inquiry.objects.filter(pk=inquiry.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    do_answer(inquiry, world.users["handler"], "Svar")
    first_answer = Inquiry.objects.get(pk=inquiry.pk).answered_at
    do_close(inquiry, world.users["handler"])
    do_reopen(inquiry, world.users["handler"])
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert inquiry.answered_at == first_answer
    assert not is_overdue(inquiry)
    # ... and it can be answered and closed again.
    do_answer(inquiry, world.users["handler"], "Et svar til")
    do_close(inquiry, world.users["handler"])
    assert [e.action for e in inquiry.events.all()][-4:] == [
        EventAction.CLOSED,
        EventAction.REOPENED,
        EventAction.ANSWERED,
        EventAction.CLOSED,
    ]


def test_an_unassigned_inquiry_reopens_as_new(world):
    inquiry = submit(topic="other")  # no rule: nobody is responsible
    do_close(inquiry, world.users["handler"])
    do_reopen(inquiry, world.users["handler"])
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.owner) == (InquiryStatus.NEW, None)


def test_an_open_inquiry_cannot_be_reopened(world):
    rule(world.users["handler"], topic="education")
    inquiry = submit()
    with pytest.raises(ValidationError):
        do_reopen(inquiry, world.users["handler"])
    response = world.client("handler").post(reverse("contact:reopen", args=[inquiry.pk]))
    assert response.status_code == 400
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ASSIGNED
    assert not inquiry.events.filter(action=EventAction.REOPENED).exists()


def test_an_outsider_cannot_reopen_through_the_action_either(world, closed):
    with pytest.raises(PermissionError):  # a handler who does not see it
        do_reopen(closed, second_handler())
    with pytest.raises(Http404):  # anyone who is no inquiry staff at all
        do_reopen(closed, world.users["company_a"])
    closed.refresh_from_db()
    assert closed.status == InquiryStatus.CLOSED


@pytest.mark.parametrize("persona", ["handler", "analyst", "company_a"])
def test_get_is_refused(world, closed, persona):
    response = world.client(persona).get(reverse("contact:reopen", args=[closed.pk]))
    assert response.status_code == 405
    closed.refresh_from_db()
    assert closed.status == InquiryStatus.CLOSED


def test_a_post_without_the_csrf_token_is_refused(world, closed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["handler"])
    response = client.post(reverse("contact:reopen", args=[closed.pk]))
    assert response.status_code == 403
    closed.refresh_from_db()
    assert closed.status == InquiryStatus.CLOSED


def test_the_reopen_button_is_on_a_closed_inquiry_s_page_only(world, closed):
    client = world.client("handler")
    html = client.get(reverse("contact:detail", args=[closed.pk])).content.decode()
    form = html[html.index('class="stack card reopen-form"') :]
    form = form[: form.index("</form>")]
    assert f'action="{reverse("contact:reopen", args=[closed.pk])}"' in html
    assert 'name="csrfmiddlewaretoken"' in form
    assert "Gjenåpne henvendelsen" in form
    do_reopen(closed, world.users["handler"])
    html = client.get(reverse("contact:detail", args=[closed.pk])).content.decode()
    assert "reopen-form" not in html


# --- styles -------------------------------------------------------------------------------------


def test_the_inquiry_pages_take_their_styles_from_site_css(world, closed):
    client = world.client("analyst")
    for url in (
        reverse("contact:queue") + "?status=all",
        reverse("contact:detail", args=[closed.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<style" not in html
        assert "battkomp/site.css" in html
    css = SITE_CSS.read_text(encoding="utf-8")
    for selector in (
        ".badge.new",
        ".badge.assigned",
        ".badge.answered",
        ".badge.sent",
        ".badge.overdue",
        ".badge.failed",
        "blockquote.message",
    ):
        assert selector in css
