"""The public dashboard's further views: the heatmap by competence area × level, the time
squeeze, value-chain coverage, the gap by segment and by county, the planned plants' risk and the
scenario comparison.
Open to everyone, built from protected tables only, downloadable, filterable by segment and
county, never showing a suppressed cell as a number, and never revealing a planted answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from battkomp.analysis.dashboards.public import VIEWS
from battkomp.analysis.models import Publication, PublicationTable, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.publishing.draws import stored_factors
from battkomp.analysis.publishing.noise import noise_key
from battkomp.analysis.publishing.tables import area_level_frame
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import charts
from battkomp.demo import load_demo
from battkomp.survey.actions import do_invite_organisations, do_submit_response
from battkomp.survey.models import Round
from web.personas import PERSONAS
from web.shared import NEEDLE, PLANTED, download_dicts, readable_bytes

NEW_VIEWS = ("heatmap", "squeeze", "coverage", "segments", "regions", "scenarios")
NEW_TABLES = (
    "by_area_level",
    "squeeze",
    "by_segment",
    "by_region",
    "coverage",
    "measure_effects",
    "abroad",
    "recommendations",
    "conditional",
    "exceedance",
)
DRAWS = 30
CELL = ("recycling_hydrometallurgy", "nkr8")


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


#: Downloads round figures to one decimal.
ROUNDED = 0.05 + 1e-9


def csv_rows(response: Any) -> list[dict[str, str]]:
    """The rows by column code (the download's headers are in the reader's language)."""
    return download_dicts(response)


def views_of(response: Any) -> dict[str, dict[str, Any]]:
    """The dashboard's views as the page lists them, by name."""
    return {v["view"]: v for v in response.context["views"]}


def heatmap_year(views: dict[str, dict[str, Any]]) -> int:
    """The year the heatmap shows (its caption says "... in 2031")."""
    found = re.search(r"in (\d{4})", views["heatmap"]["caption"])
    assert found, views["heatmap"]["caption"]
    return int(found.group(1))


def anonymous_dashboard(demo: Any, p: Publication) -> tuple[Any, str]:
    """A visitor who has not logged in, and the address of the snapshot's dashboard."""
    return demo.client("anonymous"), en("published:dashboard", p.version)


def _key(row: dict[str, str], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(int(row[k]) if k == "year" else row[k] for k in keys)


def assert_download_holds_published_cells(
    rows: list[dict[str, str]],
    table: pl.DataFrame,
    keys: tuple[str, ...],
    column: str,
    value: str = "mean",
) -> dict[tuple[Any, ...], float]:
    """Each row of a view's download is a published cell of the protected ``table`` (found by
    its ``keys``; a year as a number), never a suppressed one, and its ``column`` is the cell's
    ``value`` as downloads round it. Returns the published cells' values by their keys."""
    published = {
        tuple(r[:-1]): r[-1]
        for r in table.filter(~pl.col("suppressed")).select(*keys, value).rows()
    }
    hidden = set(table.filter(pl.col("suppressed")).select(*keys).rows())
    assert rows
    for r in rows:
        key = _key(r, keys)
        assert key not in hidden, key
        assert float(r[column]) == pytest.approx(published[key], abs=ROUNDED), key
    return published


@pytest.fixture(autouse=True)
def _empty_charts_cache() -> Iterator[None]:
    charts.cache_clear()
    yield
    charts.cache_clear()


@pytest.fixture
def demo(world: Any) -> Any:
    load_demo()
    world.mid = Scenario.objects.get(name="mid")
    world.high = Scenario.objects.get(name="high")
    world.round = Round.objects.get(name="BattKOMP demo 2026")
    return world


def plant(demo: Any, hires: int, year: int) -> None:
    """Company A's answer: ``hires`` new hires in one area/level cell in ``year``."""
    (participant,) = do_invite_organisations(demo.round, [demo.company_a], demo.users["analyst"])
    lines = [
        {
            "role": "chemist",
            "level": CELL[1],
            "area": CELL[0],
            "year": y,
            "new_hires": hires if y == year else 0,
            "total_staff": 3,
        }
        for y in demo.round.years
    ]
    do_submit_response(participant, demo.users["company_a"], lines=lines)


def publish(demo: Any, scenario: Scenario, title: str, seed: int = 1) -> Publication:
    run = do_start_run(
        demo.users["analyst"], scenario=scenario, round=demo.round, draws=DRAWS, seed=seed
    )
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, demo.users["analyst"], title=title)


@pytest.fixture
def two(demo: Any) -> tuple[Publication, Publication]:
    """Company A's planted answer in the round; the mid and the high scenario published."""
    demo.planted_year = demo.round.years[-1]
    plant(demo, PLANTED, demo.planted_year)
    return publish(demo, demo.mid, "Mid"), publish(demo, demo.high, "High", seed=2)


def urls(p: Publication, query: str = "") -> list[str]:
    base = en("published:dashboard", p.version)
    sep = f"?{query}&" if query else "?"
    out = [base + (f"?{query}" if query else ""), reverse("published:dashboard", args=[p.version])]
    for view in VIEWS:
        for fmt in ("csv", "xlsx"):
            out.append(f"{base}{sep}view={view}&format={fmt}")
    return out


# --- who sees it ------------------------------------------------------------------------------


def test_every_view_renders_and_downloads_for_everyone_without_logging_in(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, _high = two
    base = en("published:dashboard", mid.version)
    for persona in PERSONAS:
        client = demo.client(persona)
        response = client.get(base)
        assert response.status_code == 200, persona
        page = response.content.decode()
        # the views the page shows (after the first visitor, its content comes from the cache,
        # so the template context no longer lists them)
        shown = re.findall(r'<section[^>]* id="view-([a-z_]+)"', page)
        assert set(NEW_VIEWS) <= set(shown), persona
        assert shown == [v for v in VIEWS if v in shown]
        assert page.count("<figure") == len(shown)
        assert page.count('role="img"') == 3 * len(shown)  # a laptop's, a tablet's, a phone's
        for view in NEW_VIEWS:
            assert f'id="view-{view}"' in page
            csv_response = client.get(f"{base}?view={view}&format=csv")
            assert csv_response.status_code == 200, (persona, view)
            assert csv_response["Content-Type"].startswith("text/csv")
            assert len(csv_rows(csv_response)) > 0, view
            xlsx = client.get(f"{base}?view={view}&format=xlsx")
            assert xlsx.status_code == 200, (persona, view)
            assert xlsx.content[:2] == b"PK"
    assert demo.client("anonymous").post(base).status_code == 405


# --- the planted answer -----------------------------------------------------------------------


def test_no_view_or_download_contains_the_planted_answer(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, high = two
    year = demo.planted_year
    queries = [
        "",
        f"year_from={year}&year_to={year}",
        "level=nkr8",
        "group=circular",
        "segment=cell_manufacturing",
        f"region={demo.company_a.county}",
        f"segment=cell_manufacturing&region={demo.company_a.county}&level=nkr8",
    ]
    client = demo.client("anonymous")
    for p in (mid, high):
        for query in queries:
            for url in urls(p, query):
                response = client.get(url)
                # a suppressed year is no choice of the year filters: 400, and 404 to download
                assert response.status_code in (200, 400, 404), url
                body = readable_bytes(response.content)
                found = NEEDLE.search(body)
                assert found is None, (url, body[max(found.start() - 80, 0) : found.end() + 80])
        for name in NEW_TABLES:
            table = p.table(name)
            for column in table.columns:
                if table.schema[column].is_numeric():
                    assert float(PLANTED) not in table[column].drop_nulls().to_list(), name


def test_a_moderate_planted_cell_is_published_with_its_company_s_noise(demo: Any) -> None:
    """25 new hires from one company dominate one area × level cell: the cell is published (no
    longer suppressed), from the run on noised answers, so its openings differ from the analysts'
    run by exactly the company's noise on its answer."""
    year = demo.round.years[1]
    plant(demo, 25, year)
    p = publish(demo, demo.mid, "Moderate")
    table = p.table("by_area_level").filter(pl.col("year") == year)
    cell = table.filter(
        (pl.col("area") == CELL[0])
        & (pl.col("level") == CELL[1])
        & (pl.col("metric") == "openings")
    )
    if cell["suppressed"].any():  # the noise of the cell's companies cancels: suppressed
        assert cell["mean"].null_count() == cell.height
        return
    assert cell["quality"][0] in ("G", "H", "J")
    truth = area_level_frame(p.run.frame("national"), p.run.frame("time_squeeze"))
    raw = truth.filter(
        (pl.col("year") == year)
        & (pl.col("area") == CELL[0])
        & (pl.col("level") == CELL[1])
        & (pl.col("metric") == "openings")
    )["mean"][0]
    key = noise_key()
    assert key is not None
    # the company's factor with its stored draw (balanced noise, analysis.publishing.draws)
    f = stored_factors(key, [f"org-{demo.company_a.pk}"])[f"org-{demo.company_a.pk}"]
    assert cell["mean"][0] - raw == pytest.approx(25 * (f - 1), rel=1e-3)
    assert abs(f - 1) >= 0.11


def test_the_heatmap_shows_the_year_where_the_published_shortage_peaks(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, _ = two
    client, base = anonymous_dashboard(demo, mid)
    year = heatmap_year(views_of(client.get(base)))
    shown = mid.table("by_area_level").filter(
        (pl.col("metric") == "shortage") & ~pl.col("suppressed")
    )
    totals = dict(shown.group_by("year").agg(pl.col("mean").fill_null(0).sum()).rows())
    assert totals[year] == max(totals.values())
    assert totals[year] > 0
    # a one-year range shows that year, whatever its shortage
    quiet = min(totals, key=lambda y: (totals[y], y))
    one = client.get(f"{base}?year_from={quiet}&year_to={quiet}")
    assert heatmap_year(views_of(one)) == quiet


# --- suppressed cells are never numbers -------------------------------------------------------


def test_the_heatmap_marks_suppressed_cells_and_downloads_only_published_ones(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, _ = two
    client, base = anonymous_dashboard(demo, mid)
    views = views_of(client.get(base))
    chart = views["heatmap"]["chart"]
    year = heatmap_year(views)
    table = mid.table("by_area_level").filter(
        (pl.col("year") == year) & (pl.col("metric") == "shortage")
    )
    hidden = table.filter(pl.col("suppressed"))
    blanks = sum(v is None for _, values in chart.rows for v in values)
    assert blanks == hidden.height  # noise leaves few or none: only where it cancels
    rows = csv_rows(client.get(f"{base}?view=heatmap&format=csv"))
    published = assert_download_holds_published_cells(
        rows, table, ("area", "level"), "shortage_mean"
    )
    assert {(r["area"], r["level"]) for r in rows} == set(published)
    assert {int(r["year"]) for r in rows} == {year}


def test_every_download_holds_published_numbers_only(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, high = two
    client, base = anonymous_dashboard(demo, mid)

    rows = csv_rows(client.get(f"{base}?view=squeeze&format=csv"))
    assert {"none", "short"} & {r["horizon"] for r in rows}
    assert_download_holds_published_cells(
        rows, mid.table("squeeze"), ("year", "horizon"), "shortage_mean", "shortage_mean"
    )

    for view, name, column in (
        ("segments", "by_segment", "segment"),
        ("regions", "by_region", "region"),
    ):
        table = mid.table(name).filter(pl.col("metric") == "gap")
        rows = csv_rows(client.get(f"{base}?view={view}&format=csv"))
        assert_download_holds_published_cells(rows, table, ("year", column), "gap")

    coverage = mid.table("coverage")
    rows = csv_rows(client.get(f"{base}?view=coverage&format=csv"))
    assert rows
    for r in rows:
        segment = pl.col("segment") == r["segment"] if r["segment"] else pl.col("segment").is_null()
        match = coverage.filter((pl.col("year") == int(r["year"])) & segment)
        assert match.height == 1
        assert not match["suppressed"][0]
        assert float(r["openings"]) == pytest.approx(match["openings"][0], abs=ROUNDED)
        if match["share_suppressed"][0]:
            assert r["reported_share"] == ""
    # a segment's openings in coverage are by_segment's means over the draws (not the central run)
    segment_openings = mid.table("by_segment").filter(
        (pl.col("metric") == "openings") & ~pl.col("suppressed")
    )
    compared = 0
    for year, code, mean in segment_openings.select("year", "segment", "mean").rows():
        row = coverage.filter((pl.col("year") == year) & (pl.col("segment") == code))
        if row.height and not row["suppressed"][0]:
            assert row["openings"][0] == pytest.approx(mean)
            compared += 1
    assert compared
    # a share above 1 is withheld (test_publishing_tables); here the planted answer suppresses
    # every year's survey total, so every share may be withheld
    shares = coverage["reported_share"].drop_nulls()
    assert shares.is_empty() or shares.max() <= 1.0 + 1e-9

    rows = csv_rows(client.get(f"{base}?view=scenarios&format=csv"))
    assert {(r["scenario"], int(r["version"])) for r in rows} == {
        ("mid", mid.version),
        ("high", high.version),
    }
    for p in (mid, high):
        gap = p.table("totals").filter(pl.col("metric") == "gap")
        own = [r for r in rows if int(r["version"]) == p.version]
        means = assert_download_holds_published_cells(own, gap, ("year",), "gap_mean")
        assert {int(r["year"]) for r in own} == {year for (year,) in means}


# --- filters ----------------------------------------------------------------------------------


def test_the_segment_and_county_filters_narrow_their_views(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, _ = two
    client, base = anonymous_dashboard(demo, mid)
    segments = mid.table("by_segment").filter(~pl.col("suppressed"))
    segment = segments["segment"][0]
    regions = mid.table("by_region").filter(~pl.col("suppressed"))
    region = regions["region"][0]
    query = f"segment={segment}&region={region}"
    response = client.get(f"{base}?{query}")
    assert response.status_code == 200
    views = {v["view"]: v["chart"] for v in response.context["views"]}
    assert len(views["segments"].columns) == 2  # the year and the one segment
    assert len(views["regions"].columns) == 2
    for view, column, code in (("segments", "segment", segment), ("regions", "region", region)):
        rows = csv_rows(client.get(f"{base}?{query}&view={view}&format=csv"))
        assert rows
        assert {r[column] for r in rows} == {code}
    covered = csv_rows(client.get(f"{base}?{query}&view=coverage&format=csv"))
    assert {r["segment"] for r in covered} <= {segment}
    everything = csv_rows(client.get(f"{base}?view=regions&format=csv"))
    assert len({r["region"] for r in everything}) > 1
    link = f"region={region}&amp;segment={segment}&amp;view=segments&amp;format=csv"
    assert link in response.content.decode()
    bad = client.get(f"{base}?segment=nowhere")
    assert bad.status_code == 400
    assert 'id="id_segment_errors"' in bad.content.decode()
    assert client.get(f"{base}?segment=nowhere&view=segments&format=csv").status_code == 404


# --- scenarios --------------------------------------------------------------------------------


def test_the_scenario_comparison_takes_the_latest_snapshot_of_each_scenario(demo: Any) -> None:
    first = publish(demo, demo.mid, "Mid 1")
    high = publish(demo, demo.high, "High", seed=2)
    latest = publish(demo, demo.mid, "Mid 2", seed=3)
    client = demo.client("anonymous")

    def versions(p: Publication) -> set[tuple[str, int]]:
        url = en("published:dashboard", p.version) + "?view=scenarios&format=csv"
        return {(r["scenario"], int(r["version"])) for r in csv_rows(client.get(url))}

    assert versions(high) == {("high", high.version), ("mid", latest.version)}
    assert versions(first) == {("mid", first.version), ("high", high.version)}
    page = client.get(en("published:dashboard", high.version))
    chart = {v["view"]: v["chart"] for v in page.context["views"]}["scenarios"]
    # each scenario by its title in the page's language (bilingual titles), not by its code
    name = demo.high.title_en or "high"
    assert chart.columns[1:4] == (f"{name}: mean", f"{name}: P10", f"{name}: P90")
    mid_name = escape(demo.mid.title_en or "mid")
    assert f"{mid_name}: version 3" in page.content.decode()


def test_a_single_scenario_has_nothing_to_compare(demo: Any) -> None:
    p = publish(demo, demo.mid, "Alone")
    response = demo.client("anonymous").get(en("published:dashboard", p.version))
    assert "scenarios" not in [v["view"] for v in response.context["views"]]
    rows = csv_rows(
        demo.client("anonymous").get(
            en("published:dashboard", p.version) + "?view=scenarios&format=csv"
        )
    )
    assert rows == []


# --- older snapshots --------------------------------------------------------------------------


def test_a_snapshot_published_before_the_new_tables_still_works(demo: Any) -> None:
    p = publish(demo, demo.mid, "Old")
    PublicationTable.objects.filter(publication=p, name__in=NEW_TABLES).delete()
    client, base = anonymous_dashboard(demo, p)
    response = client.get(base)
    assert response.status_code == 200
    assert [v["view"] for v in response.context["views"]] == ["national", "levels", "bottlenecks"]
    for view in ("heatmap", "squeeze", "coverage", "segments", "regions"):
        assert client.get(f"{base}?view={view}&format=csv").status_code == 404
    assert client.get(f"{base}?view=national&format=csv").status_code == 200
    assert client.get(en("published:detail", p.version)).status_code == 200


# --- languages --------------------------------------------------------------------------------


def test_the_new_views_render_in_bokmal_and_english(
    two: tuple[Publication, Publication], demo: Any
) -> None:
    mid, _ = two
    client = demo.client("anonymous")
    english = client.get(en("published:dashboard", mid.version)).content.decode()
    assert "The time squeeze" in english
    assert "Value-chain coverage in" in english
    assert "Scenarios side by side" in english
    assert "All counties" in english
    with translation.override("nb"):
        url = reverse("published:dashboard", args=[mid.version])
        response = client.get(url)
    assert not url.startswith("/en/")
    assert response.status_code == 200
    bokmal = response.content.decode()
    assert 'lang="nb"' in bokmal
    assert bokmal.count('role="img"') == english.count('role="img"') >= len(NEW_VIEWS)
    assert re.search(r'<td class="num">-?\d+,\d</td>', bokmal)  # decimal comma


# --- the chart specs --------------------------------------------------------------------------


def test_the_public_heatmap_greys_out_suppressed_cells_and_leaves_no_shortage_white() -> None:
    cells = pl.DataFrame(
        {
            "area": ["cell_design", "cell_design", "hse", "hse"],
            "level": ["nkr4", "nkr6", "nkr4", "nkr6"],
            "shortage_mean": [12.5, None, 3.25, 0.0],
        }
    )
    with translation.override("en"):
        spec, levels, rows = charts.public_heatmap_spec(cells)
    assert len(levels) == 2
    shown, states, text = spec["layer"]
    # Only a shortage is painted in the shortage colours; no shortage (0.0) is white and a
    # suppressed cell grey, both named in a legend of their own.
    assert [v["shortage"] for v in shown["data"]["values"]] == [12.5, 3.25]
    assert sorted(v["state"] for v in states["data"]["values"]) == [
        "No shortage (0)",
        "Suppressed (–)",
    ]
    assert all("shortage" not in v for v in states["data"]["values"])
    assert states["encoding"]["color"]["scale"]["range"] == [
        charts.NO_SHORTAGE_COLOUR,
        charts.SUPPRESSED_COLOUR,
    ]
    assert [v["mark"] for v in text["data"]["values"]] == ["–"]
    assert text["encoding"]["text"] == {"field": "mark"}
    assert [values for _, values in rows] == [[12.5, None], [3.25, 0.0]]
    chart = charts.public_heatmap_chart(cells, 2030)
    assert "<svg" in chart.svg
    assert "2030" in chart.description


def test_the_coverage_chart_marks_suppressed_segments() -> None:
    rows = pl.DataFrame(
        {
            "segment": ["recycling", "cell_manufacturing"],
            "openings": [None, 40.0],
            "supply": [None, 30.0],
            "gap": [None, 10.0],
            "reported_share": [None, 0.25],
        }
    )
    spec, table = charts.segment_coverage_spec(rows)
    bars, marks = spec["layer"]
    assert {v["value"] for v in bars["data"]["values"]} == {40.0, 30.0}
    assert [v["mark"] for v in marks["data"]["values"]] == ["–"]
    assert table[0][1] == [40.0, 30.0, 10.0, 25.0]  # cell manufacturing first, share in %
    assert table[1][1] == [None, None, None, None]
    everything = pl.DataFrame(
        {"segment": [None], "openings": [90.0], "supply": [80.0], "gap": [10.0]},
        schema={
            "segment": pl.Utf8,
            "openings": pl.Float64,
            "supply": pl.Float64,
            "gap": pl.Float64,
        },
    ).with_columns(pl.lit(0.5).alias("reported_share"))
    with translation.override("en"):
        _, table = charts.segment_coverage_spec(pl.concat([rows, everything]))
    assert table[-1] == ("All segments", [90.0, 80.0, 10.0, 50.0])


def test_the_scenario_chart_has_a_mean_and_band_per_scenario() -> None:
    rows = pl.DataFrame(
        {
            "scenario": ["mid", "mid", "high"],
            "year": [2030, 2031, 2030],
            "mean": [1.0, 2.0, 3.0],
            "p10": [0.5, 1.5, 2.0],
            "p90": [1.5, 2.5, 4.0],
        }
    )
    spec, scenarios, table = charts.scenario_gap_spec(rows)
    assert scenarios == ("mid", "high")
    assert table == (
        ("2030", [1.0, 0.5, 1.5, 3.0, 2.0, 4.0]),
        ("2031", [2.0, 1.5, 2.5, None, None, None]),
    )
    band, lines = spec["layer"]
    # high has no 2031: its line and band get an empty point there (broken, not joined)
    drawn = [v for v in band["data"]["values"] if v["p10"] is not None]
    assert len(drawn) == 3
    assert [v for v in lines["data"]["values"] if v["gap"] is not None] == [
        {"year": "2030", "scenario": "mid", "gap": 1.0},
        {"year": "2031", "scenario": "mid", "gap": 2.0},
        {"year": "2030", "scenario": "high", "gap": 3.0},
    ]
    assert {"year": "2031", "scenario": "high", "gap": None} in lines["data"]["values"]


# --- the planned plants' risk -----------------------------------------------------------------


def test_the_risk_view_shows_the_conditional_views_in_both_languages(demo: Any) -> None:
    p = publish(demo, demo.mid, "Risk")
    conditional = p.table("conditional")
    assert conditional.height
    assert not conditional["suppressed"].any()
    client = demo.client("anonymous")
    english = client.get(en("published:dashboard", p.version))
    assert "risk" in [v["view"] for v in english.context["views"]]
    assert "What if the planned plants are built, or not" in english.content.decode()
    with translation.override("nb"):
        bokmal = client.get(reverse("published:dashboard", args=[p.version])).content.decode()
    assert "Hva om de planlagte fabrikkene bygges, eller ikke" in bokmal
    assert "Bare det sikre grunnlaget" in bokmal
    # on the page, not only in the download: each plant's probability and effect on the mean,
    # and P(shortage over the horizon > x) (issue 14: the dashboard shows the conditional views)
    risk = next(v for v in english.context["views"] if v["view"] == "risk")
    plants_table, exceed_table = risk["details"]
    assert (
        exceed_table["caption"] == "Probability that the shortage over the horizon exceeds a level"
    )
    effects = [r[4]["value"] for r in plants_table["rows"]]
    assert effects == conditional["effect"].to_list()
    published = p.table("exceedance").filter(pl.col("year").is_null() & ~pl.col("suppressed"))
    assert [r[0]["value"] for r in exceed_table["rows"]] == sorted(published["threshold"])
    assert "Mer enn (personer)" in bokmal
    assert "Effekt på gjennomsnittet" in bokmal
    rows = csv_rows(client.get(en("published:dashboard", p.version) + "?view=risk&format=csv"))
    views = [r["view"] for r in rows]
    assert views[:2] == ["all", "firm_base"]
    assert views.count("exceedance") == p.table("exceedance").filter(~pl.col("suppressed")).height
    firm = rows[1]
    assert float(firm["shortage_p10"]) <= float(firm["shortage_p50"]) <= float(firm["shortage_p90"])
    assert all(0.0 <= float(r["exceedance_probability"]) <= 1.0 for r in rows if r["year"])
    # plants are labelled by their names, in the chart's table and the download
    plants = conditional.filter(pl.col("view") == "with_facility")
    assert plants.height
    page = english.content.decode()
    for code, name in plants.select("facility", "facility_name").rows():
        assert name
        assert name != code
        assert escape(f"With {name}") in page
        assert f"With {code}" not in page
    assert [r["facility_name"] for r in rows if r["view"] == "with_facility"] == plants[
        "facility_name"
    ].to_list()


def test_the_conditional_chart_labels_a_plant_by_its_name_else_its_code() -> None:
    rows = pl.DataFrame(
        {
            "view": ["with_facility", "with_facility"],
            "facility": ["plant_a", "plant_b"],
            "facility_name": ["Plant A, Mo i Rana", None],
            "probability": [0.25, 0.5],
            "shortage_p10": [100.0, 0.0],
            "shortage_p50": [900.0, 10.0],
            "shortage_p90": [3000.0, 50.0],
        }
    )
    with translation.override("en"):
        spec, _ = charts.conditional_spec(rows)
    assert [v["view"] for v in spec["data"]["values"]] == [
        "With Plant A, Mo i Rana (25%)",
        "With plant_b (50%)",
    ]


def test_the_conditional_chart_has_a_band_and_median_per_view() -> None:
    rows = pl.DataFrame(
        {
            "view": ["all", "firm_base", "facility"],
            "facility": [None, None, "Plant A"],
            "probability": [1.0, 0.6, 0.25],
            "shortage_p10": [0.0, 0.0, 100.0],
            "shortage_p50": [20.0, 5.0, 900.0],
            "shortage_p90": [1500.0, 60.0, 3000.0],
        }
    )
    with translation.override("en"):
        spec, table = charts.conditional_spec(rows)
        chart = charts.conditional_chart(rows)
    band, tick = spec["layer"]
    assert band["encoding"]["x2"] == {"field": "p90"}
    assert [v["view"] for v in spec["data"]["values"]] == [
        "All draws (100%)",
        "Firm base only (60%)",
        "With Plant A (25%)",
    ]
    assert table[2] == ("With Plant A (25%)", [900.0, 100.0, 3000.0])
    assert tick["encoding"]["x"]["field"] == "p50"
    assert "<svg" in chart.svg
