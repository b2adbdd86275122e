"""The key figures at the top of the public dashboard: the peak shortage, the year the gap opens
(or a plain 'not nationally'), the level most short and what no lever closes in time, read from
the snapshot's published rows under the filters, written in the page's language, before the
filters and the charts."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.dashboards.public_rows import published_only
from battkomp.analysis.dashboards.public_story import key_figures
from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import charts
from battkomp.demo import load_demo
from battkomp.engine.numbers import format_number


@pytest.fixture
def publication(world: Any) -> Publication:
    charts.cache_clear()
    load_demo()
    run = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), draws=10, seed=7
    )
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, world.users["analyst"], title="Demo")


def test_the_peak_and_the_gap_figures_come_from_the_published_totals(
    publication: Publication,
) -> None:
    totals = published_only(publication.table("totals"))
    shortage = totals.filter(pl.col("metric") == "shortage")
    peak = shortage.sort(["mean", "year"], descending=[True, False]).row(0, named=True)
    gap = totals.filter(pl.col("metric") == "gap")
    for lang in ("nb", "en"):
        with translation.override(lang):
            figures = {k.name: k for k in key_figures(publication, {})}
        assert {"peak", "opens", "level"} <= set(figures)
        assert figures["peak"].value.startswith(format_number(round(peak["mean"]), lang, 0))
        assert str(peak["year"]) in figures["peak"].sentence
        # a mean outside its band (as shown) is explained, with the median beside it
        if round(peak["mean"]) > round(peak["p90"]) or round(peak["mean"]) < round(peak["p10"]):
            median = format_number(round(peak["p50"]), lang, 0)
            assert re.search(
                rf"\b{re.escape(median)} (persons?|personer?) or less|"
                rf"\b{re.escape(median)} (persons?|personer?) eller mindre",
                figures["peak"].sentence,
            ), figures["peak"].sentence
        opening = gap.filter(pl.col("mean") > 0).sort("year")
        if opening.height:
            assert figures["opens"].value == str(opening["year"][0])
        else:
            assert figures["opens"].value == (
                "Ikke nasjonalt" if lang == "nb" else "Not nationally"
            )


def test_the_figures_follow_the_year_filter(publication: Publication) -> None:
    years = sorted(published_only(publication.table("totals"))["year"].unique().to_list())
    first = years[0]
    with translation.override("en"):
        figures = {k.name: k for k in key_figures(publication, {"year_to": first})}
    assert str(first) in figures["peak"].sentence


def test_the_dashboard_opens_with_the_key_figures(publication: Publication, world: Any) -> None:
    for lang, heading in (("nb", "Nøkkeltall"), ("en", "Key figures")):
        with translation.override(lang):
            url = reverse("published:dashboard", args=[publication.version])
        html = world.client("anonymous").get(url).content.decode()
        assert heading in html
        start = html.index('class="key-figures"')
        assert start < html.index('id="filters"') < html.index('class="chart')
        assert 'id="figure-peak"' in html


def test_a_recruitment_channel_is_named_never_shown_by_its_id() -> None:
    from battkomp.core.codes import channel_name

    with translation.override("en"):
        assert channel_name("rc_general_nkr6") == (
            "Recruitment from abroad: any competence area, Bachelor"
        )
        assert channel_name("rc_eea_skilled_nkr4").startswith(
            "Recruitment from abroad: skilled workers from the EEA, "
        )
        assert "Electrode" in (channel_name("rc_electrode_nkr7") or "")
        assert channel_name("rc_equipment_nkr6") == "Recruitment from abroad: Bachelor"
        assert channel_name("m12") is None
        assert channel_name("rc_general_nkr99") is None
    with translation.override("nb"):
        assert channel_name("rc_general_nkr6") == (
            "Rekruttering fra utlandet: alle fagområder, Bachelor"
        )


def test_no_channel_id_reaches_the_dashboard(publication: Publication, world: Any) -> None:
    for lang in ("nb", "en"):
        with translation.override(lang):
            url = reverse("published:dashboard", args=[publication.version])
        html = world.client("anonymous").get(url).content.decode()
        assert not re.search(r"\brc_[a-z_]+_nkr\d\b", html), lang
