"""Shared set-up of the browser tests: Debian's Chromium, driven by Playwright's sync API, against
pytest-django's live server.

Playwright never downloads a browser here: it launches the system's ``/usr/bin/chromium`` (CI
installs it with apt). Without that file the browser tests are skipped, saying why.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from playwright.sync_api import Browser, Page, sync_playwright

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.survey.actions import do_create_round, do_invite_organisations, do_open_round
from battkomp.survey.models import Participant

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet: without the background-networking flags Chromium keeps calling home,
# which floods a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Mark for a whole browser test module: ``pytestmark = [browser, needs_chromium]``.
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing (Debian's chromium package; .ci/run installs it)",
)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for one test, closed afterwards.

    Playwright's sync API keeps an asyncio event loop running in the test's thread while the
    browser lives. Three consequences are taken care of here, and undone afterwards:

    - Django refuses database queries from a thread with a running loop. The test itself talks
      to the database (set-up and checks) while the browser is open, so that check is switched
      off (DJANGO_ALLOW_ASYNC_UNSAFE).
    - With a loop running, Django keeps the thread's database connections apart from the ones it
      had before (asgiref's Local turns into a context variable), so the test's queries open a
      second connection. It is closed before the loop stops; left open, PostgreSQL refuses to
      drop the test database at the end of the session ("is being accessed by other users").
    - The live server answers each browser connection in a thread of its own, kept alive between
      requests and never joined. With persistent database connections (``conn_max_age`` for
      PostgreSQL) such a thread could still hold a connection when the test database is
      dropped, so the server closes its database connection after every request instead.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    database = connections.settings[DEFAULT_DB_ALIAS]
    max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()  # the ones opened while the loop was running
    finally:
        database["CONN_MAX_AGE"] = max_age
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def open_round_with(company: Any, years: Sequence[int]) -> tuple[Any, Participant]:
    """An analyst, and a survey round over ``years`` that the analyst has opened and invited
    ``company`` to: the analyst and the company's participant in it (what a respondent's
    browser test starts from)."""
    analyst = do_create_user("analyst@battkomp.test", "analytiker-passord-1", Role.ANALYST)
    round_ = do_create_round(
        analyst,
        name="Behov 2026",
        first_year=years[0],
        last_year=years[-1],
        opens_on=dt.date(2026, 1, 5),
        deadline=dt.date(2026, 3, 1),
    )
    do_open_round(round_, analyst)
    do_invite_organisations(round_, [company], analyst)
    return analyst, Participant.objects.get(round=round_, organisation=company)


def log_in(page: Page, email: str, password: str) -> None:
    """On the login page the browser shows (gone to, or sent to by a page that needs an
    account), log in; the browser is then where the login sends it."""
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    click_and_wait(page, "main form button[type=submit]")


def on_live_server(link: str, live_server_url: str) -> str:
    """An absolute link from the site (made with SITE_URL) pointed at the live server instead."""
    parts = urlsplit(link)
    return live_server_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def click_and_wait(page: Page, selector: str) -> None:
    """Click a button that submits a form (or a link) and wait until the next page has loaded.

    A form that redirects back to its own address leaves the URL unchanged, so waiting for a URL
    is not enough: wait for the navigation itself.
    """
    with page.expect_navigation(wait_until="load"):
        page.locator(selector).click()


def full_page_screenshot(page: Page, path: Path) -> None:
    """A screenshot of the whole page that leaves the page fit for the next click.

    Chromium takes a full-page screenshot by making the viewport as tall as the page for a moment.
    If a field still has the focus then, the page comes back scrolled elsewhere (to its bottom),
    and the next change of focus scrolls the field back into view: the mouse-down of the next
    click moves the focus, the page jumps, and the mouse-up lands on whatever is under the pointer
    now, so the click goes nowhere. That is how a click on the needs form's submit button once
    sent no request (the issue-13 journey, 2026-12-06). The focus is taken off the field first,
    as a user who has finished typing and reaches for the mouse does in effect.
    """
    page.evaluate("() => document.activeElement?.blur()")
    page.screenshot(path=path, full_page=True)
