"""A model run's page follows the run in a real browser (Debian's Chromium driven by Playwright),
without a meta refresh: the site's progress script (static/battkomp/run-progress.js) asks the
run's status, moves the progress bar, says in the page's live region when the run starts, and
loads the page again once the run has finished; the CSP lets it run on that page (no violation
is reported), and the page it loads then has no script left.

The run's progress is moved by the test in the database, as the worker would; the browser waits
for the page to show it (no timing is asserted)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from battkomp.accounts.actions import do_create_user
from battkomp.analysis.models import ModelRun, RunStatus
from battkomp.core.users import Role
from web.browser_support import chromium, click_and_wait, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

ANALYST = "ane@battkomp.test"
PASSWORD = "litium-jern-fosfat-2026"


def test_the_run_page_follows_the_run_and_loads_its_results_when_done(live_server: Any) -> None:
    analyst = do_create_user(ANALYST, PASSWORD, Role.ANALYST, name="Ane Analytiker")
    run = ModelRun.objects.create(
        scenario_name="mid",
        draws=200,
        seed=1,
        status=RunStatus.QUEUED,
        progress_total=200,
        created_by=analyst,
    )
    with translation.override("en"):
        login = live_server.url + reverse("accounts:login")
        page_url = live_server.url + reverse("analysis:run_detail", args=[run.pk])
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(login)
        page.fill("input[name=email]", ANALYST)
        page.fill("input[name=password]", PASSWORD)
        click_and_wait(page, "main form button[type=submit]")
        page.goto(page_url)
        assert page.locator("#run-progress").get_attribute("value") == "0"
        expect(page.locator("a.button", has_text="Refresh")).to_be_visible()

        # the worker takes the run and gets on with it
        ModelRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress_done=120)
        page.wait_for_function("() => document.getElementById('run-progress').value === 120")
        expect(page.locator("#run-progress-text")).to_have_text("120 of 200 draws done")
        expect(page.locator("#run-status")).to_have_text("Running")
        expect(page.locator("#run-live")).to_have_text("Running")  # announced once

        # done: the page loads again by itself, with the run's results and no script
        with page.expect_navigation(url=page_url):
            ModelRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, progress_done=200)
        expect(page.locator("#run-status")).to_have_text("Done")
        assert page.locator("#run-progress").count() == 0
        assert page.locator("script").count() == 0
        context.close()
    assert not refused, refused
