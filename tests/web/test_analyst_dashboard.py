"""The analysts' dashboard of a model run: every unprotected result with charts and CSV/XLSX
downloads, for analysts and administrators only (others 404, anonymous visitors to the login
page, as on the run page), every view and download logged."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from battkomp.accounts.models import AccessLog
from battkomp.analysis.dashboards.analyst import (
    DOWNLOAD_ACTION,
    VIEW_ACTION,
    VIEWS,
    _named_drivers,
)
from battkomp.analysis.models import ModelRun, RunStatus, Scenario
from battkomp.analysis.runs.actions import do_start_run
from battkomp.demo import load_demo
from web.personas import OUTSIDERS, SECRETARIAT
from web.shared import download_rows


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def run(world: Any) -> ModelRun:
    load_demo()
    done = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), draws=10, seed=5
    )
    assert done.status == RunStatus.DONE, done.error
    return done


def _logs(user: Any, action: str) -> list[AccessLog]:
    return list(AccessLog.objects.filter(user=user, action=action).order_by("at", "pk"))


def test_analysts_see_every_view_with_a_chart_and_a_table_and_it_is_logged(
    run: ModelRun, world: Any
) -> None:
    for persona in SECRETARIAT:
        client = world.client(persona)
        url = en("analysis:run_dashboard", run.pk)
        for view in VIEWS:
            response = client.get(url, {"view": view})
            assert response.status_code == 200, (persona, view)
            html = response.content.decode()
            assert "<svg" in html, view
            assert "<table" in html, view
            assert f"view={view}&amp;" in html  # the download links
        logs = _logs(world.users[persona], VIEW_ACTION)
        assert [log.detail.split()[0] for log in logs] == [f"view={v}" for v in VIEWS]
        assert {(log.object_type, log.object_id) for log in logs} == {("modelrun", str(run.pk))}


def test_the_views_show_the_unprotected_numbers_of_the_run(run: ModelRun, world: Any) -> None:
    client = world.client("analyst")
    url = en("analysis:run_dashboard", run.pk)
    totals = run.frame("totals")
    openings = totals.filter(totals["metric"] == "openings")
    year, mean = int(openings["year"][0]), float(openings["mean"][0])
    html = client.get(url, {"view": "totals"}).content.decode()
    assert f"{round(mean):,}" in html
    assert str(year) in html
    squeeze = client.get(url, {"view": "time_squeeze", "year": "2030"}).content.decode()
    assert "Long term: educate" in squeeze
    assert 'value="2030" selected' in squeeze
    # the drivers by name (a facility by its registered name), never by code
    drivers = run.frame("drivers")
    with translation.override("en"):
        named = _named_drivers(drivers)
    page = client.get(url, {"view": "drivers"}).content.decode()
    assert escape(str(named["driver_name"][0])) in page
    for code in [*drivers["driver"].to_list(), *drivers["kind"].to_list()]:
        assert f">{escape(code)}<" not in page, code
    assert not set(named["driver_name"].to_list()) & set(drivers["driver"].to_list())
    header = download_rows(client.get(url, {"view": "drivers", "format": "csv"}))[0]
    assert header[:5] == ["rank", "driver", "driver_name", "kind", "kind_name"]


def test_every_view_downloads_as_csv_and_xlsx_and_each_download_is_logged(
    run: ModelRun, world: Any
) -> None:
    client = world.client("admin")
    url = en("analysis:run_dashboard", run.pk)
    for view in VIEWS:
        response = client.get(url, {"view": view, "format": "csv"})
        assert response.status_code == 200, view
        assert response["Content-Disposition"].endswith(f'-{view}.csv"')
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) > 1, view
        book = client.get(url, {"view": view, "format": "xlsx"})
        assert book.status_code == 200
        sheet = load_workbook(io.BytesIO(book.content)).active
        assert sheet is not None
        assert [c.value for c in sheet[1]] == rows[0]
    header = download_rows(client.get(url, {"view": "area_level", "format": "csv"}))[0]
    assert {"year", "level", "level_name", "area", "area_name", "metric", "mean"} <= set(header)
    logs = _logs(world.users["admin"], DOWNLOAD_ACTION)
    assert len(logs) == 2 * len(VIEWS) + 1
    assert logs[0].detail == f"view={VIEWS[0]} format=csv"
    assert logs[0].object_id == str(run.pk)


def test_everyone_else_gets_404_and_nothing_is_logged(run: ModelRun, world: Any) -> None:
    url = en("analysis:run_dashboard", run.pk)
    for persona in OUTSIDERS:
        client = world.client(persona)
        assert client.get(url).status_code == 404, persona
        assert client.get(url, {"view": "detail", "format": "csv"}).status_code == 404, persona
    assert not AccessLog.objects.filter(action__in=[VIEW_ACTION, DOWNLOAD_ACTION]).exists()


def test_anonymous_visitors_are_sent_to_log_in_like_on_the_run_page(
    run: ModelRun, world: Any
) -> None:
    client = world.client("anonymous")
    page = client.get(en("analysis:run_detail", run.pk))
    response = client.get(en("analysis:run_dashboard", run.pk))
    assert page.status_code == response.status_code == 302
    assert "login" in response["Location"]
    download = client.get(en("analysis:run_dashboard", run.pk), {"view": "totals", "format": "csv"})
    assert download.status_code == 302


def test_the_run_page_links_to_it_and_bad_input_is_404(run: ModelRun, world: Any) -> None:
    client = world.client("analyst")
    url = en("analysis:run_dashboard", run.pk)
    assert url in client.get(en("analysis:run_detail", run.pk)).content.decode()
    assert client.get(url, {"view": "nothing"}).status_code == 404
    assert client.get(url, {"view": "totals", "format": "pdf"}).status_code == 404
    assert client.get(en("analysis:run_dashboard", run.pk + 1000)).status_code == 404
    # a year that is not in the run falls back to the last year
    last = max(int(y) for y in run.frame("national")["year"].to_list())
    page = client.get(url, {"view": "area_level", "year": "1999"}).content.decode()
    assert f'value="{last}" selected' in page
    with translation.override("nb"):
        nb = client.get(reverse("analysis:run_dashboard", args=[run.pk])).content.decode()
    assert "<svg" in nb
