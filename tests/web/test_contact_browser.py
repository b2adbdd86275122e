"""A visitor sends an inquiry from the English contact page in a real browser (Debian's Chromium
driven by Playwright); the handler it is routed to follows the link in the notice e-mail, logs
in, answers, and the answer reaches the visitor by e-mail, in English.

Elements are found by names, ids and classes, never by their wording, so the test holds in both
languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, expect

from battkomp.accounts.actions import do_create_user
from battkomp.contact.models import EventAction, Inquiry, InquiryStatus, RoutingRule
from battkomp.core.users import Role
from web.browser_support import chromium, click_and_wait, needs_chromium, on_live_server

pytestmark = [pytest.mark.browser, needs_chromium]

HANDLER = "hanne@battkomp.test"
PASSWORD = "natrium-ion-katode-2026"
MESSAGE = "Which vocational colleges offer battery cell assembly modules in Agder?"
ANSWER = "Fagskolen i Agder starts a module in cell assembly next autumn."


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_a_visitor_sends_an_inquiry_and_the_handler_answers_it(
    live_server, browser: Browser, tmp_path: Path
) -> None:
    handler = do_create_user(HANDLER, PASSWORD, Role.HANDLER, name="Hanne Handler")
    RoutingRule.objects.create(
        name_en="Education in Agder",
        priority=10,
        region="42",
        keywords="fagskole, college*",
        owner=handler,
    )
    with translation.override("en"):
        home_en = live_server.url + reverse("home")
        contact_en = reverse("contact:contact")

    # --- The visitor, on the English pages -----------------------------------------------
    context = browser.new_context()
    page = context.new_page()
    page.goto(home_en)
    click_and_wait(page, f"header nav a[href='{contact_en}']")
    expect(page.locator("main form.contact")).to_be_visible()
    expect(page.locator("#id_website")).not_to_be_visible()  # the honeypot
    page.fill("#id_name", "Jane Visitor")
    page.fill("#id_email", "jane@example.org")
    page.fill("#id_organisation", "Example Recruiting")
    page.select_option("#id_topic", "education")
    page.select_option("#id_region", "42")
    page.fill("#id_message", MESSAGE)
    page.screenshot(path=tmp_path / "contact-form.png", full_page=True)
    click_and_wait(page, "main form.contact button[type=submit]")
    with translation.override("en"):
        assert page.url == live_server.url + reverse("contact:sent")
    expect(page.locator("#sent")).to_be_visible()
    context.close()

    inquiry = Inquiry.objects.get()
    assert (inquiry.language, inquiry.owner, inquiry.status) == (
        "en",
        handler,
        InquiryStatus.ASSIGNED,
    )
    acknowledgement = next(m for m in mail.outbox if m.to == ["jane@example.org"])
    assert str(inquiry.pk) in acknowledgement.subject
    notice = next(m for m in mail.outbox if m.to == [HANDLER])
    link = next(line for line in notice.body.splitlines() if "/contact/inquiries/" in line)

    # --- The handler follows the link, logs in and answers -------------------------------
    context = browser.new_context()
    page = context.new_page()
    page.goto(on_live_server(link.strip(), live_server.url))
    assert page.url.startswith(live_server.url + reverse("accounts:login"))
    page.fill("#id_email", HANDLER)
    page.fill("#id_password", PASSWORD)
    click_and_wait(page, "main form.stack button[type=submit]")
    detail = live_server.url + reverse("contact:detail", args=[inquiry.pk])
    assert page.url == detail
    expect(page.locator("blockquote.message")).to_have_text(MESSAGE)
    expect(page.locator("#status.badge.assigned")).to_have_count(1)
    # The inquiry styles come from site.css (no inline <style> on the page).
    expect(page.locator("#status.badge.assigned")).to_have_css("color", "rgb(11, 93, 140)")
    expect(page.locator("blockquote.message")).to_have_css("white-space", "pre-wrap")

    # The queue lists it, and the nav leads there.
    click_and_wait(page, f"header nav a[href='{reverse('contact:queue')}']")
    expect(page.locator(f"tr.inquiry[data-inquiry='{inquiry.pk}']")).to_have_count(1)
    click_and_wait(page, f"tr.inquiry[data-inquiry='{inquiry.pk}'] td.num a")
    assert page.url == detail

    page.fill("form.answer-form textarea[name=text]", ANSWER)
    click_and_wait(page, "form.answer-form button[type=submit]")
    assert page.url == detail
    expect(page.locator("main ul.messages li.success")).to_have_count(1)
    expect(page.locator("#status.badge.answered")).to_have_count(1)
    expect(page.locator("#status.badge.answered")).to_have_css("color", "rgb(31, 122, 58)")
    expect(page.locator(".card.answer blockquote.message")).to_have_text(ANSWER)
    expect(page.locator("tr.event.answered")).to_have_count(1)
    page.screenshot(path=tmp_path / "inquiry-answered.png", full_page=True)
    context.close()

    # --- What the database and the visitor's mailbox hold --------------------------------
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert [a.text for a in inquiry.answers.all()] == [ANSWER]
    assert list(inquiry.events.values_list("action", flat=True)) == [
        EventAction.RECEIVED,
        EventAction.ROUTED,
        EventAction.ANSWERED,
    ]
    answer_mail = next(m for m in mail.outbox if m.to == ["jane@example.org"] and ANSWER in m.body)
    assert answer_mail.reply_to == [HANDLER]
    assert "Answer to your inquiry" in answer_mail.subject  # English, like the visitor's page
