"""The language switch in the header, in a real browser (Debian's Chromium driven by Playwright):
the button posts to /i18n/setlang/ and the same page comes back in the other language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from web.browser_support import chromium, click_and_wait, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

SWITCH = "header form.lang[action='/i18n/setlang/'] button[name=language]"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def english(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def expect_language(page: Page, code: str, *, switch_to: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator(SWITCH)).to_have_count(1)
    expect(page.locator(SWITCH)).to_have_attribute("value", switch_to)


def test_the_header_button_switches_the_home_page_to_english(live_server, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect_language(page, "nb", switch_to="en")

    click_and_wait(page, SWITCH)
    assert page.url == live_server.url + english("home")  # /en/
    expect_language(page, "en", switch_to="nb")
    # The links of an English page lead to English pages.
    click_and_wait(page, f"header a[href='{english('accounts:login')}']")
    expect_language(page, "en", switch_to="nb")


def test_the_header_button_switches_an_english_page_back_to_bokmal(live_server, page: Page) -> None:
    page.goto(live_server.url + "/")
    click_and_wait(page, SWITCH)
    expect_language(page, "en", switch_to="nb")

    click_and_wait(page, SWITCH)
    assert page.url == live_server.url + "/", "the switch to bokmål stayed on the English page"
    expect_language(page, "nb", switch_to="en")

    # From a deeper page too: the same page, in bokmål.
    page.goto(live_server.url + english("accounts:login"))
    click_and_wait(page, SWITCH)
    assert page.url == live_server.url + reverse("accounts:login")
    expect_language(page, "nb", switch_to="en")
