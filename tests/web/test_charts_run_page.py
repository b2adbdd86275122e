"""The charts on the analysts' run page: three figures with an inline SVG and a data table each,
for analysts and admins only; captions and axes in the page's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.models import ModelRun, RunStatus, Scenario
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import charts
from battkomp.demo import load_demo
from web.personas import OUTSIDERS, SECRETARIAT


def url(run: ModelRun, lang: str = "en", query: str = "") -> str:
    with translation.override(lang):
        return reverse("analysis:run_detail", args=[run.pk]) + query


@pytest.fixture(autouse=True)
def _empty_charts_cache() -> Iterator[None]:
    charts.cache_clear()
    yield
    charts.cache_clear()


@pytest.fixture
def demo(world: Any) -> Any:
    load_demo()
    return world


@pytest.fixture
def done_run(demo: Any) -> ModelRun:
    mid = Scenario.objects.get(name="mid")
    run = do_start_run(demo.users["analyst"], scenario=mid, draws=30, seed=5)
    assert run.status == RunStatus.DONE, run.error
    return run


def figures(text: str) -> list[str]:
    return re.findall(r"<figure class=\"chart[^\"]*\".*?</figure>", text, flags=re.S)


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_see_three_figures_each_with_an_svg_image_and_a_data_table(
    done_run: ModelRun, demo: Any, persona: str
) -> None:
    response = demo.client(persona).get(url(done_run))
    assert response.status_code == 200
    text = response.content.decode()
    found = figures(text)
    assert len(found) == 3
    for figure in found:
        assert "<figcaption>" in figure
        assert re.search(r'<svg role="img" aria-label="[^"]+"', figure)
        assert "<details>" in figure
        assert "<summary>" in figure
        assert '<th scope="row">' in figure
    assert 'id="chart-gap"' in text
    assert 'id="chart-heatmap"' in text
    assert 'id="chart-squeeze"' in text
    assert "Mean shortage in 2040 by competence area and education level" in text


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404_and_no_chart(done_run: ModelRun, demo: Any, persona: str) -> None:
    response = demo.client(persona).get(url(done_run))
    assert response.status_code == 404
    assert "<svg" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(done_run: ModelRun, demo: Any) -> None:
    response = demo.client("anonymous").get(url(done_run, "nb"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_heatmap_year_is_chosen_on_the_page_and_bad_years_fall_back(
    done_run: ModelRun, demo: Any
) -> None:
    client = demo.client("analyst")
    text = client.get(url(done_run, query="?year=2030")).content.decode()
    assert "Mean shortage in 2030 by competence area" in text
    assert '<option value="2030" selected>' in text
    for bad in ("?year=1999", "?year=abc"):
        text = client.get(url(done_run, query=bad)).content.decode()
        assert "Mean shortage in 2040 by competence area" in text


def test_the_page_table_shows_the_charts_numbers(done_run: ModelRun, demo: Any) -> None:
    text = demo.client("analyst").get(url(done_run)).content.decode()
    with translation.override("en"):
        chart = charts.cached(
            ("run", done_run.pk, done_run.finished_at, "squeeze"),
            lambda: pytest.fail("the page should have rendered the chart"),
        )
    header, values = chart.rows[-1]
    assert f'<th scope="row">{header}</th>' in text
    last = next(v for v in values if v is not None)
    assert f"{last:,.1f}" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Year", "Persons", "Education level", "Expected shortage", "Gap"]),
        ("nb", ["År", "Personer", "Utdanningsnivå", "Forventet mangel"]),
    ],
)
def test_the_axes_and_captions_are_in_the_pages_language(
    done_run: ModelRun, demo: Any, lang: str, words: list[str]
) -> None:
    text = demo.client("analyst").get(url(done_run, lang)).content.decode()
    svgs = "".join(re.findall(r"<svg .*?</svg>", text, flags=re.S))
    for word in words:
        assert f">{word}</text>" in svgs, word
    if lang == "nb":
        assert "Expected shortage" not in text
        assert "The chart's numbers as a table" not in text


def test_a_run_that_is_not_done_shows_no_chart(demo: Any) -> None:
    from battkomp.analysis.runs.actions import do_create_run

    run = do_create_run(demo.users["analyst"], scenario=None, weighted=False, draws=10, seed=1)
    text = demo.client("analyst").get(url(run)).content.decode()
    assert "<figure" not in text


@pytest.mark.parametrize(
    ("lang", "source"), [("en", "Released by cuts"), ("nb", "Frigjort ved nedbemanning")]
)
def test_the_supply_table_has_every_source_the_total_counts(
    done_run: ModelRun, demo: Any, lang: str, source: str
) -> None:
    """The supply table names each source the model adds into supply, released workers
    included, so its columns are what the national total is the sum of."""
    text = demo.client("analyst").get(url(done_run, lang)).content.decode()
    assert f'<th scope="colgroup" colspan="2">{source}</th>' in text
    assert text.count('<th scope="colgroup" colspan="2">') >= 4  # education, released, ...
