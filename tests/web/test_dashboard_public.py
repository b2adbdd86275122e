"""The public dashboard of a published snapshot: charts from protected tables only, suppressed
years left out, filters, CSV/XLSX downloads of every view, open to everyone, in both languages,
and never revealing a single company's planted answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.dashboards.public import VIEWS
from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import charts
from battkomp.demo import load_demo
from battkomp.survey.actions import do_invite_organisations, do_submit_response
from battkomp.survey.models import Round
from web.personas import PERSONAS
from web.shared import NEEDLE, PLANTED, download_rows, readable_bytes

DRAWS = 30


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture(autouse=True)
def _empty_charts_cache() -> Iterator[None]:
    charts.cache_clear()
    yield
    charts.cache_clear()


@pytest.fixture
def demo(world: Any) -> Any:
    load_demo()
    world.mid = Scenario.objects.get(name="mid")
    return world


@pytest.fixture
def planted(demo: Any) -> Publication:
    """The demo round plus company A's answer: PLANTED new hires in one area/level/year cell."""
    rnd = Round.objects.get(name="BattKOMP demo 2026")
    (participant,) = do_invite_organisations(rnd, [demo.company_a], demo.users["analyst"])
    demo.planted_year = rnd.years[-1]
    lines = [
        {
            "role": "chemist",
            "level": "nkr8",
            "area": "recycling_hydrometallurgy",
            "year": year,
            "new_hires": PLANTED if year == demo.planted_year else 0,
            "total_staff": 3,
        }
        for year in rnd.years
    ]
    do_submit_response(participant, demo.users["company_a"], lines=lines)
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, round=rnd, draws=DRAWS, seed=1)
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, demo.users["analyst"], title="Planted")


@pytest.fixture
def plain(demo: Any) -> Publication:
    """The demo run without a survey round: some years of ``by_area`` are published."""
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=7)
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, demo.users["analyst"], title="Demo")


def dashboard_urls(p: Publication, query: str = "") -> list[str]:
    base = en("published:dashboard", p.version)
    sep = f"?{query}&" if query else "?"
    urls = [base + (f"?{query}" if query else ""), reverse("published:dashboard", args=[p.version])]
    for view in VIEWS:
        for fmt in ("csv", "xlsx"):
            urls.append(f"{base}{sep}view={view}&format={fmt}")
    return urls


def csv_rows(response: Any) -> list[list[str]]:
    """The rows, the header as column codes (the download's headers are in its language)."""
    return download_rows(response)


# --- who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_opens_the_dashboard_and_its_downloads_without_logging_in(
    planted: Publication, demo: Any, persona: str
) -> None:
    client = demo.client(persona)
    for url in dashboard_urls(planted):
        assert client.get(url).status_code == 200, url


def test_an_unknown_version_view_or_format_is_404(planted: Publication, demo: Any) -> None:
    client = demo.client("anonymous")
    base = en("published:dashboard", planted.version)
    assert client.get(en("published:dashboard", 99)).status_code == 404
    assert client.get(base + "?view=detail&format=csv").status_code == 404
    assert client.get(base + "?view=national&format=pdf").status_code == 404
    assert client.post(base).status_code == 405


def test_the_snapshot_page_and_the_home_page_link_to_the_dashboard(
    planted: Publication, demo: Any
) -> None:
    client = demo.client("anonymous")
    url = en("published:dashboard", planted.version)
    assert url in client.get(en("published:detail", planted.version)).content.decode()
    home = client.get(en("home")).content.decode()
    assert "Latest results" in home
    assert url in home


def test_the_home_page_has_no_results_card_before_anything_is_published(world: Any) -> None:
    home = world.client("anonymous").get(en("home")).content.decode()
    assert "Latest results" not in home


# --- the charts -------------------------------------------------------------------------------


def test_each_chart_is_an_accessible_figure_with_its_table(plain: Publication, demo: Any) -> None:
    response = demo.client("anonymous").get(en("published:dashboard", plain.version))
    page = response.content.decode()
    # one snapshot: nothing to compare scenarios with; and the demo run without a round has no
    # level x area cell short of more than recommendation_min_shortage (5 a year) since the
    # facilities' status defaults, so it has no recommendations to show
    assert not plain.run.frame("recommendations").height
    shown = [v for v in VIEWS if v not in ("scenarios", "recommendations")]
    assert [v["view"] for v in response.context["views"]] == shown
    n = len(shown)
    assert page.count("<figure") == n
    assert page.count("<figcaption>") == n
    assert page.count('role="img"') == 3 * n  # drawn for a laptop, a tablet and a phone (fit.py)
    assert page.count("aria-label=") >= n
    assert page.count("<details>") == n
    assert "P10–P90" in page
    assert "largest bottlenecks" in page


def test_suppressed_years_are_left_out_of_every_chart_not_shown_as_zero(
    planted: Publication, demo: Any
) -> None:
    # which years are suppressed depends on the organisations' noise factors (keyed on their
    # ids, which differ with test order and database); whichever they are, no chart shows them
    year = demo.planted_year
    whole = bool(planted.table("by_level").filter(pl.col("year") == year)["suppressed"].all())
    response = demo.client("anonymous").get(en("published:dashboard", planted.version))
    views = {v["view"]: v["chart"] for v in response.context["views"]}
    totals = planted.table("totals")
    suppressed = {int(y) for y in totals.filter(pl.col("suppressed"))["year"].to_list()}
    for name in ("national", "levels"):
        shown = {int(header) for header, _ in views[name].rows}
        assert shown
        assert not shown & suppressed, name
    level_years = {int(header) for header, _ in views["levels"].rows}
    assert not whole or year not in level_years
    published = planted.table("by_level").filter(~pl.col("suppressed"))["year"].unique().to_list()
    assert level_years == {int(y) for y in published}
    rows = csv_rows(
        demo.client("anonymous").get(
            en("published:dashboard", planted.version) + "?view=levels&format=csv"
        )
    )
    assert rows[0][:2] == ["year", "level"]
    assert not whole or str(year) not in {r[0] for r in rows[1:]}


def test_the_bottlenecks_are_the_ten_largest_summed_shortages(
    plain: Publication, demo: Any
) -> None:
    by_area = plain.table("by_area").filter(
        ~pl.col("suppressed") & (pl.col("metric") == "shortage")
    )
    expected = (
        by_area.group_by("area")
        .agg(pl.col("mean").sum())
        .sort(["mean", "area"], descending=[True, False])
        .head(10)
    )
    response = demo.client("anonymous").get(
        en("published:dashboard", plain.version) + "?view=bottlenecks&format=csv"
    )
    rows = csv_rows(response)
    assert rows[0] == [
        "rank",
        "area",
        "area_name",
        "group",
        "group_name",
        "shortage_mean_summed",
        "years",
    ]
    assert [r[1] for r in rows[1:]] == expected["area"].to_list()
    assert [float(r[5]) for r in rows[1:]] == pytest.approx(
        expected["mean"].to_list(), abs=0.05 + 1e-9
    )  # rounded


# --- filters ----------------------------------------------------------------------------------


def test_the_filters_narrow_every_view(plain: Publication, demo: Any) -> None:
    client = demo.client("anonymous")
    base = en("published:dashboard", plain.version)
    totals = plain.table("totals").filter(~pl.col("suppressed"))
    years = sorted({int(y) for y in totals["year"].to_list()})
    lo, hi = years[1], years[3]
    query = f"year_from={lo}&year_to={hi}&level=nkr6"
    response = client.get(f"{base}?{query}")
    assert response.status_code == 200
    views = {v["view"]: v["chart"] for v in response.context["views"]}
    assert {int(h) for h, _ in views["national"].rows} == set(range(lo, hi + 1)) & set(years)
    national = csv_rows(client.get(f"{base}?{query}&view=national&format=csv"))
    assert {int(r[0]) for r in national[1:]} <= set(range(lo, hi + 1))
    levels = csv_rows(client.get(f"{base}?{query}&view=levels&format=csv"))
    assert levels[1:]
    assert {r[1] for r in levels[1:]} == {"nkr6"}
    assert {int(r[0]) for r in levels[1:]} <= set(range(lo, hi + 1))
    everything = csv_rows(client.get(f"{base}?view=bottlenecks&format=csv"))
    assert {r[3] for r in everything[1:]} != {"chemistry_materials"}
    grouped = csv_rows(client.get(f"{base}?group=chemistry_materials&view=bottlenecks&format=csv"))
    assert grouped[1:]
    assert {r[3] for r in grouped[1:]} == {"chemistry_materials"}
    # one competence area instead of a group
    one = grouped[1][1]
    single = csv_rows(client.get(f"{base}?group={one}&view=bottlenecks&format=csv"))
    assert [r[1] for r in single[1:]] == [one]
    link = f"level=nkr6&amp;year_from={lo}&amp;year_to={hi}&amp;view=national&amp;format=csv"
    assert link in response.content.decode()


def test_a_reversed_year_range_is_an_error_on_the_field(planted: Publication, demo: Any) -> None:
    totals = planted.table("totals").filter(~pl.col("suppressed"))
    years = sorted({int(y) for y in totals["year"].to_list()})
    url = en("published:dashboard", planted.version) + f"?year_from={years[3]}&year_to={years[1]}"
    response = demo.client("anonymous").get(url)
    assert response.status_code == 400
    assert 'id="id_year_to_errors"' in response.content.decode()
    assert demo.client("anonymous").get(url + "&view=national&format=csv").status_code == 404


# --- the planted answer -----------------------------------------------------------------------


def test_no_dashboard_page_chart_or_download_contains_the_planted_answer(
    planted: Publication, demo: Any
) -> None:
    assert planted.table("totals").filter(~pl.col("suppressed")).height  # some years shown
    client = demo.client("anonymous")
    year = demo.planted_year
    queries = [
        "",
        f"year_from={year}&year_to={year}",
        "year_from=2027",
        "level=nkr8",
        "group=circular",
    ]
    for query in queries:
        for url in dashboard_urls(planted, query):
            response = client.get(url)
            assert response.status_code in (200, 400, 404), url
            body = readable_bytes(response.content)
            found = NEEDLE.search(body)
            assert found is None, (url, body[max(found.start() - 80, 0) : found.end() + 80])
    for lang in ("nb", "en"):
        with translation.override(lang):
            page = client.get(reverse("published:dashboard", args=[planted.version]))
        assert b"<svg" in page.content
        assert NEEDLE.search(page.content) is None


# --- languages --------------------------------------------------------------------------------


def test_the_dashboard_speaks_bokmal_and_english(planted: Publication, demo: Any) -> None:
    client = demo.client("anonymous")
    english = client.get(en("published:dashboard", planted.version)).content.decode()
    assert "Filters" in english
    assert "Mean shortage per year by education level" in english
    with translation.override("nb"):
        url = reverse("published:dashboard", args=[planted.version])
    assert not url.startswith("/en/")
    bokmal = client.get(url).content.decode()
    assert "Filtre" in bokmal
    assert "Mean shortage per year by education level" not in bokmal
    assert 'lang="nb"' in bokmal
