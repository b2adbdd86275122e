"""The report's method section carries the backtest (issue 14 §6): its table, its chart, and an
honest count of the outcomes inside the band, the same as the engine's backtest gives."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from battkomp.analysis.models import RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report.build import build_report
from battkomp.analysis.report.html import render_html
from battkomp.analysis.report.sections.backtest import _backtest
from battkomp.analysis.runs.actions import do_start_run
from battkomp.demo import load_demo


@pytest.fixture(autouse=True)
def report_dir(settings: Any, tmp_path: Any) -> Any:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_the_method_section_has_the_backtest_table_chart_and_count_inside_the_band(
    world: Any,
) -> None:
    load_demo()
    run = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), draws=20, seed=3
    )
    assert run.status == RunStatus.DONE, run.error
    publication = do_publish_run(run, world.users["analyst"], title="Backtest")
    report = build_report(publication, "en")
    (table,) = [
        t
        for t in report.tables()
        if t.caption == "Backtest: forecast from October 2021 against the outcome"
    ]
    result = _backtest().table
    assert len(table.rows) == result.height
    (figure,) = [f for f in report.figures() if f.caption.startswith("Backtest of the October")]
    assert "<svg" in figure.svg
    last = result.filter(pl.col("year") == result["year"].max())
    inside, n = int(last["inside_band"].sum()), last.height
    html = render_html(report).decode()
    assert f"{inside} of {n} outcomes that year fall inside the P10–P90 band" in html
    assert "The defaults were not adjusted to the Norwegian outcome." in html
