"""The dashboard's views of what acts on the gap (measures, recruitment from abroad,
recommendations) and the measure page's modelled effect: open to everyone, downloadable, built
from the protected tables only. One company's planted answers dominate one cell in one year and
swamp a later year: both are published with the company's noise (from the run on noised answers),
abroad numbers and recommendations follow the published cells, and neither the planted number nor
the analysts' own numbers of the cell show anywhere."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.dashboards.public import FORMATS
from battkomp.analysis.models import ModelRun, Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import charts
from battkomp.demo import load_demo
from battkomp.measures.models import Measure, MeasureStatus
from battkomp.survey.actions import do_invite_organisations, do_submit_response
from battkomp.survey.models import Round

from .test_dashboard_views import NEEDLE, PLANTED, csv_rows, readable_bytes

VIEWS = ("measures", "abroad", "recommendations")
TABLES = ("measure_effects", "abroad", "recommendations")
CELL = ("recycling_hydrometallurgy", "nkr8")
MODERATE = 25
SOME_PERSONAS = ("anonymous", "company_a", "institution", "analyst")


def _cell(table: pl.DataFrame, year: int) -> pl.DataFrame:
    return table.filter(
        (pl.col("year") == year) & (pl.col("area") == CELL[0]) & (pl.col("level") == CELL[1])
    )


def needle(value: float) -> re.Pattern[bytes]:
    n = str(round(value))
    head = len(n) % 3 or 3
    groups = [n[:head]] + [n[i : i + 3] for i in range(head, len(n), 3)]
    sep = rb"(?:\xc2\xa0|\xe2\x80\xaf| |,)?"
    return re.compile(rb"(?<![\d.])" + sep.join(g.encode() for g in groups) + rb"(?![\d])")


def _answer(world: Any, rnd: Round, hires: dict[int, int]) -> None:
    do_invite_organisations(rnd, [world.company_a], world.users["analyst"])
    participant = rnd.participants.get(organisation=world.company_a)
    lines = [
        {
            "role": "chemist",
            "level": CELL[1],
            "area": CELL[0],
            "year": y,
            "new_hires": hires.get(y, 0),
            "total_staff": 3,
        }
        for y in rnd.years
    ]
    do_submit_response(participant, world.users["company_a"], lines=lines)


def _publish(world: Any, rnd: Round, title: str) -> tuple[ModelRun, Publication]:
    run = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), round=rnd, draws=30
    )
    assert run.status == RunStatus.DONE, run.error
    return run, do_publish_run(run, world.users["analyst"], title=title)


def test_the_action_views_protect_the_planted_cell_and_render_for_everyone(world: Any) -> None:
    charts.cache_clear()
    load_demo()
    rnd = Round.objects.get(name="BattKOMP demo 2026")
    cell_year = rnd.years[1]
    _answer(world, rnd, {cell_year: MODERATE})
    run, p = _publish(world, rnd, "Actions")
    assert set(TABLES) <= set(p.table_names())

    # the moderate answer is published with its company's noise: the cell and its abroad
    # numbers come from the run on noised answers, never from the analysts' run
    totals = p.table("totals")
    assert not totals.filter(pl.col("year") == cell_year)["suppressed"].any()
    area_level = p.table("by_area_level")
    hidden = {
        (int(y), a, lv)
        for y, a, lv in area_level.filter(pl.col("suppressed"))
        .select("year", "area", "level")
        .unique()
        .rows()
    }
    abroad = p.table("abroad")
    own = run.frame("abroad")
    public = run.frame("public.abroad")
    assert _cell(own, cell_year).height == 1  # the cell needs people from abroad that year
    row = _cell(abroad, cell_year).row(0, named=True)
    if not row["suppressed"]:
        assert row["need"] == pytest.approx(_cell(public, cell_year)["need"][0])
        assert row["need"] != pytest.approx(_cell(own, cell_year)["need"][0])
    for r in abroad.iter_rows(named=True):
        assert r["suppressed"] == ((r["year"], r["area"], r["level"]) in hidden)
    recs = p.table("recommendations")
    # the recommendations are the public run's, less the suppressed cells (whether the moderate
    # answer lifts a cell over the threshold depends on its company's noise factor, which is
    # keyed on the organisation's id and so differs with the tests run before)
    cells = {(int(y), a, lv) for y, a, lv in recs.select("year", "area", "level").rows()}
    public_recs = run.frame("public.recommendations")
    public_cells = {
        (int(y), a, lv) for y, a, lv in public_recs.select("year", "area", "level").rows()
    }
    assert cells <= public_cells
    assert not cells & hidden
    assert bool(cells) == bool(public_cells - hidden)
    effects = p.table("measure_effects")

    # the same company swamps a later year
    swamped = rnd.years[3]
    _answer(world, rnd, {cell_year: MODERATE, swamped: PLANTED})
    run2, p2 = _publish(world, rnd, "Swamped")
    # the year is published, noised (the national openings are the public run's), or, where
    # the company's noise is cancelled by the others' (under the demo key company A's factor
    # points down and the other companies' up), suppressed: never the analysts' number
    swamped_totals = p2.table("totals").filter(
        (pl.col("year") == swamped) & (pl.col("metric") == "openings")
    )
    public_totals = run2.frame("public.totals").filter(
        (pl.col("year") == swamped) & (pl.col("metric") == "openings")
    )
    own_totals = run2.frame("totals").filter(
        (pl.col("year") == swamped) & (pl.col("metric") == "openings")
    )
    if swamped_totals["suppressed"][0]:
        assert swamped_totals["mean"][0] is None
    else:
        assert swamped_totals["mean"][0] == pytest.approx(public_totals["mean"][0])
        assert swamped_totals["mean"][0] != pytest.approx(own_totals["mean"][0])

    # what must not show: the planted answer and the run's own numbers of the planted cell
    secrets = [NEEDLE]
    for frame, columns in (
        (run2.frame("abroad"), ("need", "recruited", "unmet")),
        (run2.frame("recommendations"), ("shortage",)),
    ):
        for r in frame.filter((pl.col("area") == CELL[0]) & (pl.col("level") == CELL[1])).iter_rows(
            named=True
        ):
            secrets += [needle(r[c]) for c in columns if r[c] and r[c] >= 1000]
    assert len(secrets) > 1

    measure = Measure.objects.get(title_en="Retraining process operators for electrode lines")
    proposed = Measure.objects.filter(status=MeasureStatus.PROPOSED).first()
    assert proposed is not None
    for lang, version in (("nb", p.version), ("en", p.version), ("en", p2.version)):
        with translation.override(lang):
            base = reverse("published:dashboard", args=[version])
            page_of = reverse("measures:detail", args=[measure.pk])
            proposed_page = reverse("measures:detail", args=[proposed.pk])
        for persona in SOME_PERSONAS:
            client = world.client(persona)
            response = client.get(base)
            assert response.status_code == 200, persona
            page = response.content
            # the views the page shows (its content is cached after the first visitor, so the
            # template context lists them only then)
            shown = [v.decode() for v in re.findall(rb'<section[^>]* id="view-([a-z_]+)"', page)]
            if version == p.version:
                assert set(VIEWS) <= set(shown), (persona, shown)
                for view in VIEWS:
                    assert f'id="view-{view}"'.encode() in page
                assert f'href="{page_of}"'.encode() in page  # the measure's title links to it
                if any(recs["offers"].to_list()):
                    assert re.search(rb'href="(/en)?/offers/\d+/"', page)  # so do the offers
            bodies = [page]
            if persona in ("anonymous", "analyst"):
                for view in VIEWS:
                    for fmt in FORMATS:
                        download = client.get(f"{base}?view={view}&format={fmt}")
                        assert download.status_code == 200, (persona, view, fmt)
                        if fmt == "csv" and version == p.version:
                            assert csv_rows(download), view
                        bodies.append(readable_bytes(download.content))
                for query in (f"level={CELL[1]}", f"year_from={cell_year}&year_to={cell_year}"):
                    filtered = client.get(f"{base}?{query}")
                    assert filtered.status_code in (200, 400), query  # 400: a suppressed year
                    bodies.append(filtered.content)
            detail = client.get(page_of)
            assert detail.status_code == 200
            assert b'id="effect"' in detail.content
            bodies.append(detail.content)
            for body in bodies:
                for pattern in secrets:
                    found = pattern.search(body)
                    assert found is None, body[max(found.start() - 80, 0) : found.end() + 80]
    # the measure page: its supply per year in the latest publication (p2), published rows only
    effects = p2.table("measure_effects").filter(pl.col("measure") == measure.bundle_id)
    analyst = world.client("analyst")
    response = analyst.get(page_of)
    effect = response.context["effect"]
    assert effect["publication"] == p2
    expected = {
        int(y): v
        for y, v in effects.filter(~pl.col("suppressed"))
        .group_by("year")
        .agg(pl.col("supply").sum())
        .rows()
    }
    assert expected
    assert {r["year"]: r["supply"] for r in effect["rows"] if r["supply"] is not None} == (
        pytest.approx(expected)
    )
    assert f'<th scope="row">{min(expected)}</th>' in response.content.decode()
    # a proposed measure is not counted: no modelled effect
    other = analyst.get(proposed_page)
    assert other.context["effect"]["rows"] == []
    assert "has no modelled effect" in other.content.decode()


def test_the_measure_page_says_there_is_no_effect_before_anything_is_published(
    world: Any,
) -> None:
    load_demo()
    measure = Measure.objects.get(title_en="Retraining process operators for electrode lines")
    with translation.override("en"):
        url = reverse("measures:detail", args=[measure.pk])
    response = world.client("anonymous").get(url)
    assert response.status_code == 200
    assert response.context["effect"] == {"publication": None, "rows": []}
    assert "nothing has been published" in response.content.decode()
