"""The layout and accessibility in a real browser (Debian's Chromium driven by Playwright), on a
phone (390 px) and a laptop (1280 px), in bokmål and in English: no page is wider than the window
(a wide table scrolls inside its own box), the dashboard's charts fit the column at a scale that
keeps their labels readable (on a tablet too: 768 and 1024 px), the header is one row on the
laptop, the menu marks the current page with ``aria-current="page"``, and axe-core finds no
violation.

axe-core comes from the ``axe-playwright-python`` package, which ships ``axe.min.js``: nothing is
fetched at test time. It runs with its default rules (WCAG 2 A/AA and best practices) on every
page, at both widths (a phone's layout has rules of its own: a box that scrolls sideways must be
reachable by keyboard, for instance), the back office included: the secretariat's own pages and
Django's admin (its lists, and forms with inline tables).

The pages are those of the demo with a published snapshot: the public pages, and the own pages of
a company respondent, an institution's editor, an analyst, an inquiry handler and the admin. The
demo and its snapshot are made once, and each page is visited once per width and language, in
one browser page per width and account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page

from battkomp.analysis.models import ModelRun, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.contact.actions import do_assign, do_submit_inquiry
from battkomp.contact.models import Inquiry
from battkomp.core import charts
from battkomp.demo import DEMO_PASSWORD, load_demo
from battkomp.measures.models import Measure
from battkomp.offers.models import Offer
from battkomp.survey.models import Participant, Round
from web.browser_support import chromium, click_and_wait, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

WIDTHS = (390, 1280)
LANGUAGES = ("nb", "en")
#: One row: the brand, the menu and the language button side by side.
HEADER_ONE_ROW = 72
#: The demo's own accounts (every password is DEMO_PASSWORD).
RESPONDENT = "respondent@fjordcell.example"
EDITOR = "editor@fagskole.example"
ANALYST = "analyst@battkomp.example"
HANDLER = "handler@battkomp.example"
ADMIN = "admin@battkomp.example"
#: Tablets: only the dashboard's charts are checked there (their drawing changes at 40rem and
#: 70rem; the pages' layout at 390 and 1280 px covers the rest).
TABLET_WIDTHS = (768, 1024)
#: The smallest size of a chart's text as shown, in CSS px.
SMALLEST_LABEL = 11
#: One axe-core for the module (it reads axe.min.js from the package once).
AXE = Axe()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def published(live_server: Any) -> Iterator[dict[str, Any]]:
    """The demo with one published snapshot (few draws: the layout, not the numbers, is tested),
    and an inquiry for the handler's pages."""
    charts.cache_clear()
    load_demo()
    user = get_user_model().objects.get(username=ANALYST)
    run = do_start_run(user, scenario=Scenario.objects.get(name="mid"), draws=10, seed=3)
    assert run.status == RunStatus.DONE, run.error
    publication = do_publish_run(run, user, title="Demo")
    inquiry = do_submit_inquiry(
        name="Kari Nordmann",
        email="kari@example.no",
        topic="results",
        message="Hvor kommer tallene fra?",
        send=False,
    )
    handler = get_user_model().objects.get(username=HANDLER)
    if inquiry.owner != handler:  # the handler's own, so that both may open it
        do_assign(inquiry, user, handler)
    yield {"publication": publication, "run": run}
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


def role_pages(email: str, lang: str) -> list[str]:
    """The own pages of a demo account: its menu and the pages one click further (a form, a
    run, an inquiry)."""
    if email == RESPONDENT:
        participant = Participant.objects.filter(organisation__members__user__email=email).first()
        assert participant is not None
        return [
            url("survey:my_rounds", lang),
            url("analysis:company_view", lang),
            url("survey:response", lang, participant.pk),
        ]
    if email == EDITOR:
        offer = Offer.objects.filter(institution__members__user__email=email).first()
        assert offer is not None
        return [
            url("offers:mine", lang),
            url("analysis:institution_view", lang),
            url("offers:new", lang),
            url("offers:edit", lang, offer.pk),
        ]
    inquiry = Inquiry.objects.order_by("pk").first()
    assert inquiry is not None
    if email == HANDLER:
        return [url("contact:queue", lang), url("contact:detail", lang, inquiry.pk)]
    run = ModelRun.objects.filter(status=RunStatus.DONE).order_by("pk").first()
    assert run is not None
    rnd = Round.objects.order_by("pk").first()
    assert rnd is not None
    if email == ADMIN:  # the secretariat's pages the analyst's list does not have
        return [
            url("accounts:invitations", lang),
            url("accounts:invite", lang),
            url("organisations:organisation_new", lang),
            url("survey:round_new", lang),
            url("measures:manage", lang),
            url("analysis:scenario_new", lang),
            url("analysis:run_dashboard", lang, run.pk),
            url("contact:rule_new", lang),
            url("api:tokens", lang),
        ]
    return [
        url("organisations:organisations", lang),
        url("survey:rounds", lang),
        url("survey:round_detail", lang, rnd.pk),
        url("analysis:home", lang),
        url("analysis:runs", lang),
        url("analysis:run_detail", lang, run.pk),
        url("analysis:scenarios", lang),
        url("contact:queue", lang),
        url("contact:detail", lang, inquiry.pk),
        url("contact:rules", lang),
    ]


ROLES = (RESPONDENT, EDITOR, ANALYST, HANDLER, ADMIN)


def admin_pages() -> list[str]:
    """Django's admin (in its one language): the index, lists, and forms with inline tables
    (a round's participants, an offer's areas) and the user form."""
    rnd = Round.objects.order_by("pk").first()
    offer = Offer.objects.order_by("pk").first()
    user = get_user_model().objects.get(username=ANALYST)
    assert rnd is not None
    assert offer is not None
    return [
        "/admin/",
        "/admin/survey/round/",
        "/admin/auth/user/",
        "/admin/survey/round/add/",
        f"/admin/survey/round/{rnd.pk}/change/",
        f"/admin/offers/offer/{offer.pk}/change/",
        f"/admin/auth/user/{user.pk}/change/",
    ]


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


def check(page: Page, address: str, width: int, problems: list[str], *, in_menu: bool) -> bool:
    """Overflow, header and menu checks of the page at ``address``; whether it is an HTML page
    (the PDF report opens in the browser's viewer: neither overflow nor axe apply to it)."""
    response = page.goto(address)
    if response is not None and "text/html" not in response.headers.get("content-type", ""):
        return False
    m = measure(page)
    where = f"{address} at {width} px"
    if response is None or response.status >= 400:
        problems.append(f"{where}: status {response.status if response else None}")
    if m["scroll"] > m["inner"]:
        problems.append(f"{where}: {m['scroll']} px wide ({', '.join(widest(page))})")
    if width >= 1280 and m["header"] > HEADER_ONE_ROW:
        problems.append(f"{where}: the header is {m['header']} px high (more than one row)")
    if in_menu and m["current"] != 1:
        problems.append(f"{where}: {m['current']} menu links marked as the current page")
    return True


def accessible(page: Page, where: str, problems: list[str]) -> None:
    """axe-core's violations on the page as it is (one line per rule, with its first element)."""
    for violation in AXE.run(page).response["violations"]:
        nodes = violation["nodes"]
        problems.append(
            f"{where}: {violation['id']} ({violation['impact']}) ×{len(nodes)}: "
            f"{violation['help']}; first: {nodes[0]['target'] if nodes else '?'}"
        )


def more_menu_closes_on_a_click_outside(page: Page, where: str, problems: list[str]) -> None:
    """The header's "More" menu (a <details>) opens on its summary and closes again on a click
    anywhere outside it (no script: see site.css)."""
    menu = page.locator("header details.more")
    menu.locator("summary").click()
    if not menu.evaluate("d => d.open"):
        problems.append(f"{where}: the More menu does not open")
        return
    page.mouse.click(5, 600)  # in the page's body, far from the menu
    if menu.evaluate("d => d.open"):
        problems.append(f"{where}: the More menu stays open after a click outside it")


def save_and_submit_stay_in_reach(page: Page, base: str, where: str, problems: list[str]) -> None:
    """On the needs form, scrolled to its top (the bar's place in the page is far below), the
    save and submit buttons are inside the window: the action bar sticks to its bottom."""
    participant = Participant.objects.filter(organisation__members__user__email=RESPONDENT).first()
    assert participant is not None
    page.goto(base + url("survey:response", "en", participant.pk))
    page.evaluate("() => document.querySelector('form.needs').scrollIntoView()")
    for action in ("save", "submit"):
        box = page.locator(f"form.needs button[value={action}]").bounding_box()
        inner = page.evaluate("() => window.innerHeight")
        if box is None or box["y"] < 0 or box["y"] + box["height"] > inner:
            problems.append(f"{where}: the {action} button is out of the window ({box})")


#: The smallest scale a chart may be drawn at: its 11 px labels stay 10 px or more.
SMALLEST_SCALE = 0.95
#: The largest: a drawing much narrower than its column is blown up, labels and all (a chart of
#: two parts was drawn 400 px wide for a tablet and shown at 1.84 times, its labels 20 px).
LARGEST_SCALE = 1.3


def check_charts(page: Page, address: str, width: int, problems: list[str]) -> None:
    """Every chart shown on the page fits its column without scrolling sideways, at a scale
    that keeps its labels readable (core/charts/fit.py draws one for a phone, one for a
    tablet and one for a laptop): on a tablet or a laptop no axis or legend label is shown
    smaller than 11 px (a phone's drawing may cut long names and shows the rest at 10 px or
    more)."""
    page.goto(address)
    shown = page.evaluate(
        """() => [...document.querySelectorAll('figure.chart svg')]
            .filter(s => s.getBoundingClientRect().width > 0)
            .map(s => {
                const scale = s.getBoundingClientRect().width / s.width.baseVal.value;
                const sizes = [...s.querySelectorAll('text')]
                    .filter(t => t.textContent.trim())
                    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
                return {
                    id: s.closest('figure').id,
                    scale: scale,
                    label: sizes.length ? Math.min(...sizes) : 99,
                    sideways: s.closest('figure').scrollWidth - s.closest('figure').clientWidth,
                };
            })"""
    )
    assert shown, f"{address}: no chart shown"
    key_figures_fill_their_rows(page, f"{address} at {width} px", problems)
    for chart in shown:
        where = f"{address} at {width} px, {chart['id']}"
        if not SMALLEST_SCALE <= chart["scale"] <= LARGEST_SCALE:
            problems.append(f"{where}: drawn at {chart['scale']:.2f} of its size")
        if width > WIDTHS[0] and chart["label"] < SMALLEST_LABEL - 0.05:
            problems.append(f"{where}: labels of {chart['label']:.1f} px")
        if chart["sideways"] > 1:
            problems.append(f"{where}: scrolls {chart['sideways']} px sideways")


def key_figures_fill_their_rows(page: Page, where: str, problems: list[str]) -> None:
    """The dashboard's key figures stand in balanced rows: every row of cards reaches the right
    edge of their box (five cards at 1280 px stood four and one, the fifth alone beside an
    empty space)."""
    rows = page.evaluate(
        """() => {
            const box = document.querySelector('.key-figures .figures');
            if (!box) return [];
            const rows = new Map();
            for (const card of box.querySelectorAll(':scope > .figure')) {
                const r = card.getBoundingClientRect();
                const top = Math.round(r.top);
                const row = rows.get(top) ?? {cards: 0, right: 0};
                rows.set(top, {cards: row.cards + 1, right: Math.max(row.right, r.right)});
            }
            const right = box.getBoundingClientRect().right;
            return [...rows.values()].map(row => [row.cards, Math.round(right - row.right)]);
        }"""
    )
    if any(empty > 1 for _, empty in rows):
        shape = " + ".join(str(cards) for cards, _ in rows)
        problems.append(f"{where}: key figures in rows of {shape}, a row short of the edge")


#: How long a page may take to load, in ms: a dashboard on a cold cache draws each of its charts
#: three times (phone, tablet, laptop), which takes a while on a busy machine.
LOAD_TIMEOUT = 180_000


def new_context(browser: Browser, width: int) -> BrowserContext:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(LOAD_TIMEOUT)
    return context


def menu_links(page: Page) -> set[str]:
    return set(
        page.evaluate("() => [...document.querySelectorAll('header nav a')].map(a => a.pathname)")
    )


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + reverse("accounts:login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    click_and_wait(page, "main form button[type=submit]")


def test_no_page_is_wider_than_the_window_and_axe_finds_nothing(
    live_server: Any, published: dict[str, Any], browser: Browser
) -> None:
    """The public pages, then the own pages of a respondent, an editor, an analyst, a handler
    and the admin (with Django's admin), at both widths in both languages, axe on each; the
    dashboard's charts on tablets too."""
    overflow: list[str] = []
    a11y: list[str] = []
    version = published["publication"].version
    base = live_server.url
    for width in WIDTHS:
        context = new_context(browser, width)
        page = context.new_page()
        for lang in LANGUAGES:
            page.goto(base + url("home", lang))
            linked = menu_links(page)
            pages = public_pages(lang, version)
            # a pathway: the first occupation listed
            page.goto(base + url("pathways:index", lang))
            pathway = page.locator("main table a").first.get_attribute("href")
            assert pathway
            for address in [*pages, pathway]:
                if check(page, base + address, width, overflow, in_menu=address in linked):
                    accessible(page, f"{address} at {width} px", a11y)
            check_charts(page, base + url("published:dashboard", lang, version), width, overflow)
        context.close()

        for email in ROLES:
            context = new_context(browser, width)
            page = context.new_page()
            log_in(page, base, email)
            if email == RESPONDENT:
                more_menu_closes_on_a_click_outside(page, f"{width} px", overflow)
                save_and_submit_stay_in_reach(page, base, f"{width} px", overflow)
            for lang in LANGUAGES:
                page.goto(base + url("home", lang))
                linked = menu_links(page)
                addresses = role_pages(email, lang)
                if email == ADMIN and lang == LANGUAGES[0]:  # the admin has one language
                    addresses += admin_pages()
                for address in addresses:
                    in_menu = address in linked and not address.startswith("/admin/")
                    if check(page, base + address, width, overflow, in_menu=in_menu):
                        accessible(page, f"{address} ({email}) at {width} px", a11y)
            context.close()

    context = new_context(browser, TABLET_WIDTHS[0])
    page = context.new_page()
    for width in TABLET_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        check_charts(page, base + url("published:dashboard", "nb", version), width, overflow)
    context.close()
    assert not overflow, "pages wider than the window:\n" + "\n".join(overflow)
    assert not a11y, "axe-core violations:\n" + "\n".join(a11y)
