"""The public API of published snapshots: everyone reads the list, a snapshot and its protected
tables; unknown versions and tables are 404; no answer reveals a single company's planted
number."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.publishing.tables import TABLES
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core.terms import CODE_KIND
from battkomp.demo import load_demo
from battkomp.survey.actions import do_invite_organisations, do_submit_response
from battkomp.survey.models import Round
from web.personas import PERSONAS
from web.shared import NEEDLE, PLANTED

DRAWS = 30


@pytest.fixture
def planted(world: Any) -> Publication:
    """The demo round plus company A's answer: PLANTED new hires in one area/level/year cell."""
    load_demo()
    rnd = Round.objects.get(name="BattKOMP demo 2026")
    (participant,) = do_invite_organisations(rnd, [world.company_a], world.users["analyst"])
    years = rnd.years
    lines = [
        {
            "role": "chemist",
            "level": "nkr8",
            "area": "recycling_hydrometallurgy",
            "year": year,
            "new_hires": PLANTED if year == years[0] else 0,
            "total_staff": 3,
        }
        for year in years
    ]
    do_submit_response(participant, world.users["company_a"], lines=lines)
    mid = Scenario.objects.get(name="mid")
    run = do_start_run(world.users["analyst"], scenario=mid, round=rnd, draws=DRAWS, seed=1)
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, world.users["analyst"], title_nb="Planted")


def api_urls(p: Publication) -> list[str]:
    base = f"/api/publications/{p.version}"
    return ["/api/publications", base, *(f"{base}/tables/{n}" for n in p.table_names())]


def test_everyone_reads_the_snapshots_and_their_tables(planted: Publication, world: Any) -> None:
    for persona in PERSONAS:
        client = world.client(persona)
        for url in api_urls(planted):
            response = client.get(url)
            assert response.status_code == 200, (persona, url)
            assert response["Content-Type"].startswith("application/json")
    listing = world.client("anonymous").get("/api/publications").json()
    assert listing == [
        {
            "version": 1,
            "title": "Planted",
            "title_lang": "nb",
            "title_nb": "Planted",
            "title_en": "",
            "note_nb": "",
            "note_en": "",
            "published_at": listing[0]["published_at"],
            "input_hash": planted.run.input_hash,
            "seed": 1,
            "draws": DRAWS,
            "scenario": "mid",
            "scenario_title": "Utbygging som planlagt",
            "round": "BattKOMP demo 2026",
        }
    ]
    detail = world.client("anonymous").get("/api/publications/1").json()
    assert detail["tables"] == list(TABLES)
    assert detail["input_hash"] == planted.run.input_hash


def test_a_table_has_its_columns_and_rows_as_the_downloads_with_suppressed_rows_keyed(
    planted: Publication, world: Any
) -> None:
    client = world.client("anonymous")
    for name in TABLES:
        body = client.get(f"/api/publications/1/tables/{name}").json()
        stored = planted.table(name)
        assert body["version"] == 1
        assert body["name"] == name
        assert "suppression" not in body["columns"]
        assert "suppressed" in body["columns"]
        assert "quality" in body["columns"]
        # the stored columns in order, each column of codes with its names beside it
        assert [c for c in body["columns"] if c not in stored.columns] == [
            f"{c}_name" for c in stored.columns if c in CODE_KIND
        ]
        assert [c for c in body["columns"] if c in stored.columns] == stored.columns
        for c in stored.columns:
            if c in CODE_KIND:
                assert body["columns"].index(f"{c}_name") == body["columns"].index(c) + 1
        assert len(body["rows"]) == stored.height
        keys = [c for c, t in stored.schema.items() if t == pl.Utf8 and c != "quality"]
        for row, kept in zip(body["rows"], stored.iter_rows(named=True), strict=True):
            assert set(row) == set(body["columns"])
            for column in keys:  # a suppressed row keeps its keys (segment, metric, measure...)
                assert row[column] == kept[column], (name, column, row)
            if row["suppressed"]:
                assert row["quality"] is None, (name, row)
                numbers = [c for c, t in stored.schema.items() if t.is_float()]
                assert all(row[c] == kept[c] for c in numbers), (name, row)
    # the planted answer is never shown as given; where its cell is published, it is noised by
    # company A's factor and flagged J; it is suppressed only where the contributors' noise
    # cancels (which factors the organisations get depends on their ids)
    survey = client.get("/api/publications/1/tables/survey_needs").json()["rows"]
    assert all(r["new_hires"] != PLANTED for r in survey)
    cells = [
        r
        for r in survey
        if (r["area"], r["level"]) == ("recycling_hydrometallurgy", "nkr8")
        and r["year"] is not None
    ]
    assert cells
    shown = [r for r in cells if (r["new_hires"] or 0) > PLANTED / 2]
    if shown:
        (cell,) = shown
        assert abs(cell["new_hires"] / PLANTED - 1) >= 0.11
        assert cell["quality"] == "J"
    else:
        assert any(r["suppressed"] for r in cells)


def test_unknown_versions_and_tables_are_404(planted: Publication, world: Any) -> None:
    client = world.client("anonymous")
    for url in (
        "/api/publications/2",
        "/api/publications/2/tables/totals",
        "/api/publications/1/tables/detail",
        "/api/publications/1/tables/nothing",
    ):
        assert client.get(url).status_code == 404, url


def test_the_list_is_empty_when_nothing_is_published(world: Any) -> None:
    response = world.client("anonymous").get("/api/publications")
    assert response.status_code == 200
    assert response.json() == []


def test_no_api_answer_contains_a_single_companys_planted_answer(
    planted: Publication, world: Any
) -> None:
    reported = planted.run.frame("detail").filter(pl.col("kind") == "reported")
    assert PLANTED in reported["openings"].to_list()  # the run itself holds the answer
    urls = api_urls(planted)
    assert len(urls) == 2 + len(TABLES)
    for persona in ("anonymous", "analyst"):
        client = world.client(persona)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content
            json.loads(body)
            found = NEEDLE.search(body)
            assert found is None, (url, body[max(found.start() - 80, 0) : found.end() + 80])
