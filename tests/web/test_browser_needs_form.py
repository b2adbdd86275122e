"""The needs form's sticky action bar in a real browser (Debian's Chromium driven by Playwright),
on a phone (390 px) and a laptop (1280 px):

- a field that the browser scrolls into view, by typing in it or by Tab, stops above the bar
  instead of under it (WCAG 2.4.11, focus not obscured; the bar is up to 159 px high on a phone);
- a mouse click at the submit button's place on the screen, made while the last field typed in
  still has the focus, submits the answers.

The second is the regression test of a click that once sent no request (2026-12-06). Its cause was
the test's own full-page screenshot, taken between the typing and the click: Chromium makes the
viewport as tall as the page for it, the page comes back scrolled away from the focused field,
and the click's mouse-down, moving the focus, scrolled the field back into view, so the mouse-up
landed on another element (see ``browser_support.full_page_screenshot``). The form itself was
never at fault: here the click is made as a user makes it, with no screenshot in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.organisations.models import Organisation, OrganisationKind
from battkomp.survey.models import NeedLine, Participant, ParticipantStatus
from web.browser_support import chromium, log_in, needs_chromium, open_round_with

pytestmark = [pytest.mark.browser, needs_chromium]

EMAIL = "ola@anodeco.test"
PASSWORD = "nikkel-mangan-kobolt-2026"
YEARS = (2026, 2027, 2028, 2029, 2030)
#: Low enough that the need lines run below the window's bottom edge at both widths.
HEIGHT = 600
LINE = {"role": "process_operator", "level": "nkr4", "area": "electrochemistry"}


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def participant(live_server: Any) -> Participant:
    company = Organisation.objects.create(
        name="Anodeco AS", kind=OrganisationKind.COMPANY, segments=["cell_manufacturing"]
    )
    do_create_user(EMAIL, PASSWORD, Role.RESPONDENT, company, name="Ola Nordmann")
    return open_round_with(company, YEARS)[1]


def obscured(page: Page) -> str | None:
    """What is wrong with the focused element's place, if anything: under the sticky bar, or
    outside the window."""
    return page.evaluate(
        """() => {
            const focused = document.activeElement;
            const field = focused.getBoundingClientRect();
            const bar = document.querySelector('form.needs .sticky-actions')
                .getBoundingClientRect();
            const where = `${focused.name || focused.tagName} (${field.top}-${field.bottom} px)`;
            if (field.bottom > bar.top + 1 && field.top < bar.bottom)
                return `${where} is under the bar (from ${bar.top} px)`;
            if (field.top < 0 || field.bottom > innerHeight)
                return `${where} is out of the window`;
            return null;
        }"""
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_fields_stay_clear_of_the_sticky_bar_and_a_mouse_click_submits(
    live_server: Any, browser: Browser, participant: Participant, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": HEIGHT})
    page = context.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    log_in(page, EMAIL, PASSWORD)
    form_url = live_server.url + reverse("survey:response", args=[participant.pk])
    page.goto(form_url)
    page.check("input[name=access_is_challenge][value=yes]")

    # Typed in: each field, scrolled into view by the browser, is clear of the bar.
    problems: list[str] = []
    for name, code in LINE.items():
        page.select_option(f"[name='line-0-{name}']", code)
    for year in YEARS:
        for name, value in (("new_hires", "4"), ("total_staff", "40")):
            page.fill(f"[name='line-0-{name}_{year}']", value)
            if problem := obscured(page):
                problems.append(f"typing: {problem}")
    # Tabbed through: the next line's fields, which start below the window.
    page.focus("[name='line-1-role']")
    for _ in range(8):
        page.keyboard.press("Tab")
        if problem := obscured(page):
            problems.append(f"Tab: {problem}")
    assert not problems, "\n".join(problems)

    # The last field typed in has the focus again; the mouse goes to the submit button's place
    # on the screen (the bar sticks to the window's bottom) and clicks there.
    page.focus(f"[name='line-0-total_staff_{YEARS[-1]}']")
    submit = page.locator("form.needs button[name=action][value=submit]")
    box = submit.bounding_box()
    assert box is not None
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= HEIGHT, box
    with (
        page.expect_request(lambda r: r.method == "POST" and r.url == form_url) as request,
        page.expect_navigation(wait_until="load"),
    ):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "action=submit" in (request.value.post_data or "")
    expect(page.locator("main ul.messages li.success")).to_have_count(1)
    expect(page.locator("dl.facts .badge.submitted")).to_have_count(1)
    context.close()

    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED
    assert NeedLine.objects.filter(response=participant.response).count() == len(YEARS)
