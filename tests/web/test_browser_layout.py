"""The layout in a real browser (Debian's Chromium driven by Playwright), on a phone (390 px) and
a laptop (1280 px), in bokmål and in English: no page is wider than the window (a wide table or
chart scrolls inside its own box), the header is one row on the laptop, and the menu marks the
current page with ``aria-current="page"``.

The pages are those of the demo with a published snapshot: the public pages, and the own pages of
a company respondent and of an analyst.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, Page

from battkomp.analysis.models import RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import charts
from battkomp.demo import DEMO_PASSWORD, load_demo
from battkomp.measures.models import Measure
from web.browser_support import chromium, click_and_wait, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

WIDTHS = (390, 1280)
LANGUAGES = ("nb", "en")
#: One row: the brand, the menu and the language button side by side.
HEADER_ONE_ROW = 72
#: The demo's own accounts (every password is DEMO_PASSWORD).
RESPONDENT = "respondent@fjordcell.example"
ANALYST = "analyst@battkomp.example"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def published(live_server: Any) -> Iterator[dict[str, Any]]:
    """The demo with one published snapshot (few draws: the layout, not the numbers, is tested)."""
    charts.cache_clear()
    load_demo()
    user = get_user_model().objects.get(username=ANALYST)
    run = do_start_run(user, scenario=Scenario.objects.get(name="mid"), draws=10, seed=3)
    assert run.status == RunStatus.DONE, run.error
    publication = do_publish_run(run, user, title="Demo")
    yield {"publication": publication}
    charts.cache_clear()


def url(name: str, lang: str, *args: Any) -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def public_pages(lang: str, version: int) -> list[str]:
    measure = Measure.objects.order_by("pk").first()
    pages = [
        url("home", lang),
        url("offers:grid", lang),
        url("pathways:index", lang),
        url("measures:catalogue", lang),
        url("infrastructure:list", lang),
        url("published:list", lang),
        url("published:detail", lang, version),
        url("published:dashboard", lang, version),
        url("published:report", lang, version),
        url("published:report", lang, version) + f"?format=html&lang={lang}",
        url("published:compare", lang),
        url("contact:contact", lang),
        url("accounts:login", lang),
    ]
    if measure is not None:
        pages.append(url("measures:detail", lang, measure.pk))
    return pages


ROLE_PAGES = {
    RESPONDENT: ("survey:my_rounds", "analysis:company_view"),
    ANALYST: ("organisations:organisations", "survey:rounds", "analysis:home", "contact:queue"),
}


def measure(page: Page) -> dict[str, float]:
    return page.evaluate(
        """() => ({
            scroll: document.scrollingElement.scrollWidth,
            inner: window.innerWidth,
            header: document.querySelector('header.site')?.getBoundingClientRect().height ?? 0,
            current: document.querySelectorAll('header nav [aria-current="page"]').length,
        })"""
    )


def widest(page: Page) -> list[str]:
    """What sticks out of the window (for the failure message)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .slice(0, 3)
            .map(e => `${e.tagName.toLowerCase()}.${e.className} `
                + `${Math.round(e.getBoundingClientRect().right)}px`)"""
    )


def check(page: Page, address: str, width: int, problems: list[str], *, in_menu: bool) -> None:
    page.goto(address)
    m = measure(page)
    where = f"{address} at {width} px"
    if m["scroll"] > m["inner"]:
        problems.append(f"{where}: {m['scroll']} px wide ({', '.join(widest(page))})")
    if width >= 1280 and m["header"] > HEADER_ONE_ROW:
        problems.append(f"{where}: the header is {m['header']} px high (more than one row)")
    if in_menu and m["current"] != 1:
        problems.append(f"{where}: {m['current']} menu links marked as the current page")


def menu_links(page: Page) -> set[str]:
    return set(
        page.evaluate("() => [...document.querySelectorAll('header nav a')].map(a => a.pathname)")
    )


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + reverse("accounts:login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    click_and_wait(page, "main form button[type=submit]")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(
    live_server: Any, published: dict[str, Any], browser: Browser, width: int
) -> None:
    """The public pages, then the own pages of a respondent and of an analyst (one test per
    width: the demo and its published run are made once for all of them)."""
    problems: list[str] = []
    version = published["publication"].version
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for lang in LANGUAGES:
        page.goto(live_server.url + url("home", lang))
        linked = menu_links(page)
        for address in public_pages(lang, version):
            check(page, live_server.url + address, width, problems, in_menu=address in linked)
        # a pathway: the first occupation listed
        page.goto(live_server.url + url("pathways:index", lang))
        pathway = page.locator("main table a").first.get_attribute("href")
        assert pathway
        check(page, live_server.url + pathway, width, problems, in_menu=False)
    context.close()

    for email, names in ROLE_PAGES.items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        log_in(page, live_server.url, email)
        for lang in LANGUAGES:
            for name in names:
                check(page, live_server.url + url(name, lang), width, problems, in_menu=True)
        context.close()
    assert not problems, "\n".join(problems)
