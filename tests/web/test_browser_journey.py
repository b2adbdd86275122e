"""The respondent's journey in a real browser (Debian's Chromium driven by Playwright): accept the
invitation, fill part of the needs form, save and leave, come back in a new browser session and
find the answers there, finish them and submit.

The pages are found by the names, values and classes of their elements, never by their wording,
so the test holds in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from battkomp.accounts.actions import do_invite
from battkomp.core.users import Role
from battkomp.organisations.models import Organisation, OrganisationKind
from battkomp.survey.models import (
    NeedLine,
    Participant,
    ParticipantStatus,
    Revision,
    RevisionKind,
)
from web.browser_support import (
    chromium,
    click_and_wait,
    full_page_screenshot,
    log_in,
    needs_chromium,
    on_live_server,
    open_round_with,
)

pytestmark = [pytest.mark.browser, needs_chromium]

EMAIL = "kari@cellco.test"
PASSWORD = "litium-jern-fosfat-2026"
YEARS = (2026, 2027, 2028)
# What the respondent types. Line 1 is begun before leaving and finished after coming back;
# line 2 is added at the end.
LINE_1 = {"role": "process_operator", "level": "nkr4", "area": "electrochemistry"}
LINE_1_BEFORE = {
    "new_hires_2026": "12",
    "new_hires_2027": "20",
    "total_staff_2026": "1250",
    "recruit_difficulty": "4",
    "share_abroad": "12.5",
}
# A saved share reads back as a percentage with its sign, so that reading it again gives the
# same share (format_share, d3ba7a0); "12.5" typed is 0.125 stored is "12.5 %" shown.
LINE_1_READ_BACK = {"share_abroad": "12.5 %"}
LINE_1_AFTER = {"new_hires_2028": "8", "total_staff_2027": "1270", "total_staff_2028": "1278"}
LINE_2 = {"role": "cell_assembler", "level": "nkr5", "area": "cell_design"}
LINE_2_NUMBERS = {
    "new_hires_2026": "3",
    "new_hires_2027": "0",
    "new_hires_2028": "5",
    "total_staff_2026": "40",
    "total_staff_2027": "40",
    "total_staff_2028": "45",
}
COMMENTS = "Vi trenger flere operatører før andre byggetrinn."


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def invitation(live_server) -> dict[str, object]:
    """A company in an open round, and the link an analyst's invitation e-mail gives its
    respondent (pointed at the live server)."""
    company = Organisation.objects.create(
        name="Cellco AS", kind=OrganisationKind.COMPANY, segments=["cell_manufacturing"]
    )
    analyst, participant = open_round_with(company, YEARS)
    _invitation, link = do_invite(analyst, EMAIL, Role.RESPONDENT, company)
    assert len(mail.outbox) == 1
    assert link in mail.outbox[0].body
    return {"link": on_live_server(link, live_server.url), "participant": participant}


def field(line: int, name: str) -> str:
    """The selector of a need line's field (lines are numbered from 0 in the field names)."""
    return f"[name='line-{line}-{name}']"


def reveal(page: Page, selector: str) -> None:
    """Open, as a user would by clicking their summaries, the folded sections around a field
    (the role's section, then the line's further questions)."""
    closed = page.locator(f"details:not([open]):has({selector}) > summary")
    for _ in range(3):  # at most the role's section and the line's questions
        if not closed.count():
            break
        closed.first.click()


def fill_line(page: Page, line: int, codes: dict[str, str], numbers: dict[str, str]) -> None:
    for name, code in codes.items():
        reveal(page, field(line, name))
        page.select_option(field(line, name), code)
    for name, value in numbers.items():
        reveal(page, field(line, name))
        if name == "recruit_difficulty":
            page.select_option(field(line, name), value)
        else:
            page.fill(field(line, name), value)


def expect_line(page: Page, line: int, values: dict[str, str]) -> None:
    for name, value in values.items():
        expect(page.locator(field(line, name))).to_have_value(value)


def expect_success(page: Page) -> None:
    expect(page.locator("main ul.messages li.success")).to_have_count(1)
    expect(page.locator("#errors")).to_have_count(0)


def test_a_respondent_accepts_the_invitation_answers_in_two_sittings_and_submits(
    live_server, browser: Browser, invitation: dict[str, object], tmp_path: Path
) -> None:
    participant = invitation["participant"]
    assert isinstance(participant, Participant)
    form_url = live_server.url + reverse("survey:response", args=[participant.pk])
    my_rounds_url = live_server.url + reverse("survey:my_rounds")

    # --- First sitting: accept the invitation and begin ------------------------------------
    context = browser.new_context()
    page = context.new_page()
    page.goto(str(invitation["link"]))
    expect(page.locator("main form.stack")).to_be_visible()
    page.screenshot(path=tmp_path / "accept-invitation.png", full_page=True)
    page.fill("#id_name", "Kari Nordmann")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    click_and_wait(page, "main form.stack button[type=submit]")
    # Logged in, on the respondent's start page.
    assert page.url == my_rounds_url
    expect(page.locator("header form[action$='/accounts/logout/']")).to_have_count(1)
    expect_success(page)

    # "Our needs" in the header, then the round's form.
    click_and_wait(page, f"header nav a[href='{reverse('survey:my_rounds')}']")
    click_and_wait(page, f"main a[href='{reverse('survey:response', args=[participant.pk])}']")
    assert page.url == form_url
    expect(page.locator("form.needs")).to_be_visible()

    page.check("input[name=access_is_challenge][value=yes]")
    page.fill("textarea[name=comments]", COMMENTS)
    fill_line(page, 0, LINE_1, LINE_1_BEFORE)
    full_page_screenshot(page, tmp_path / "needs-form-partly-filled.png")
    click_and_wait(page, "form.needs button[name=action][value=save]")
    assert page.url == form_url
    expect_success(page)
    expect(page.locator("dl.facts .badge.in_progress")).to_have_count(1)
    expect(page.locator("tr.revision")).to_have_count(1)

    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS
    assert participant.opened_at is not None
    assert participant.submitted_at is None
    assert list(participant.response.revisions.values_list("kind", flat=True)) == ["save"]

    # Leave: log out, and close the browser session.
    click_and_wait(page, "header form[action$='/accounts/logout/'] button[type=submit]")
    expect(page.locator("header form[action$='/accounts/logout/']")).to_have_count(0)
    expect(page.locator(f"header a[href='{reverse('accounts:login')}']")).to_have_count(1)
    context.close()

    # --- Second sitting: a new browser session goes straight to the form -------------------
    context = browser.new_context()
    page = context.new_page()
    page.goto(form_url)
    assert page.url.startswith(live_server.url + reverse("accounts:login"))  # ?next=...
    log_in(page, EMAIL, PASSWORD)
    assert page.url == form_url

    # What was typed in the first sitting is there, and nothing else.
    expect(page.locator("input[name=access_is_challenge][value=yes]")).to_be_checked()
    expect(page.locator("textarea[name=comments]")).to_have_value(COMMENTS)
    expect_line(page, 0, LINE_1 | LINE_1_BEFORE | LINE_1_READ_BACK)
    expect_line(page, 0, dict.fromkeys(LINE_1_AFTER, ""))
    expect_line(page, 1, {"role": "", "new_hires_2026": "", "total_staff_2026": ""})

    fill_line(page, 0, {}, LINE_1_AFTER)
    fill_line(page, 1, LINE_2, LINE_2_NUMBERS)
    full_page_screenshot(page, tmp_path / "needs-form-complete.png")
    click_and_wait(page, "form.needs button[name=action][value=submit]")
    assert page.url == form_url
    expect_success(page)
    expect(page.locator("dl.facts .badge.submitted")).to_have_count(1)
    expect(page.locator("tr.revision")).to_have_count(2)
    # The submitted answers stay in the form, open for revision until the round closes.
    expect_line(page, 0, LINE_1 | LINE_1_BEFORE | LINE_1_AFTER | LINE_1_READ_BACK)
    expect_line(page, 1, LINE_2 | LINE_2_NUMBERS)
    page.screenshot(path=tmp_path / "needs-form-submitted.png", full_page=True)

    # The respondent's overview shows the round as submitted.
    click_and_wait(page, f"header nav a[href='{reverse('survey:my_rounds')}']")
    expect(page.locator("main td .badge.submitted")).to_have_count(1)
    page.screenshot(path=tmp_path / "our-needs.png", full_page=True)
    context.close()

    # --- What the database holds ----------------------------------------------------------
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED
    assert participant.submitted_at is not None
    response = participant.response
    assert response.access_is_challenge is True
    assert response.comments == COMMENTS
    assert response.updated_by is not None
    assert response.updated_by.email == EMAIL
    assert response.updated_by.get_full_name() == "Kari Nordmann"

    typed_1 = LINE_1_BEFORE | LINE_1_AFTER
    expected = {
        (LINE_1["role"], LINE_1["level"], LINE_1["area"], year): (
            int(typed_1[f"new_hires_{year}"]),
            int(typed_1[f"total_staff_{year}"]),
        )
        for year in YEARS
    } | {
        (LINE_2["role"], LINE_2["level"], LINE_2["area"], year): (
            int(LINE_2_NUMBERS[f"new_hires_{year}"]),
            int(LINE_2_NUMBERS[f"total_staff_{year}"]),
        )
        for year in YEARS
    }
    stored = {
        (n.role, n.level, n.area, n.year): (n.new_hires, n.total_staff)
        for n in NeedLine.objects.filter(response=response)
    }
    assert stored == expected
    first_line = NeedLine.objects.filter(response=response, role=LINE_1["role"])
    assert {(n.recruit_difficulty, n.share_abroad) for n in first_line} == {(4, 0.125)}

    revisions = list(Revision.objects.filter(response=response).order_by("number"))
    assert [(r.number, r.kind) for r in revisions] == [
        (1, RevisionKind.SAVE),
        (2, RevisionKind.SUBMIT),
    ]
    assert {r.created_by.email for r in revisions} == {EMAIL}
    # The first snapshot holds the partial answers (one line, blanks where nothing was typed),
    # the second the whole response as submitted.
    saved = {(n["year"], n["new_hires"], n["total_staff"]) for n in revisions[0].snapshot["lines"]}
    assert saved == {(2026, 12, 1250), (2027, 20, None), (2028, None, None)}
    assert revisions[0].snapshot["general"] == {"access_is_challenge": True, "comments": COMMENTS}
    submitted = {
        (n["role"], n["level"], n["area"], n["year"]): (n["new_hires"], n["total_staff"])
        for n in revisions[1].snapshot["lines"]
    }
    assert submitted == expected
