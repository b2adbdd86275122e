"""The report's "Gaps and the time squeeze" section (from the protected ``squeeze`` table) and its
account of the ten commandments with the gaps each addresses: in the PDF (its text read back with
pypdf), the HTML and the XLSX, with suppressed cells never shown."""

from __future__ import annotations

import io
import re
from typing import Any

import polars as pl
import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from battkomp.analysis.models import Publication, PublicationTable, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report.build import build_report
from battkomp.analysis.report.html import render_html
from battkomp.analysis.report.pdf import render_pdf
from battkomp.analysis.report.sections.squeeze import squeeze_by_year
from battkomp.analysis.report.structure import Table
from battkomp.analysis.report.xlsx import render_xlsx
from battkomp.analysis.runs.actions import do_start_run
from battkomp.analysis.runs.queries import to_parquet
from battkomp.demo import load_demo

DRAWS = 20
#: A planted value of a suppressed squeeze cell: it must never be printed.
HIDDEN = 97531.0
HIDDEN_TEXT = re.compile(r"(?<![\d.])97(?:\u00a0|\u202f| |,)?531(?!\d)")
#: Per horizon, the expected shortage each published year (easy to check sums)
PER_YEAR = {"short": 10.0, "medium": 20.0, "long": 30.0, "none": 5.0}


@pytest.fixture(autouse=True)
def report_dir(settings: Any, tmp_path: Any) -> Any:
    settings.DATA_DIR = tmp_path
    return tmp_path


def _publish(world: Any) -> Publication:
    load_demo()
    run = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), draws=DRAWS, seed=3
    )
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, world.users["analyst"], title="Squeeze")


def _with_squeeze(publication: Publication, squeeze: pl.DataFrame) -> Publication:
    """A new snapshot with the publication's tables and ``squeeze`` as its squeeze table."""
    copy = Publication.objects.create(
        run=publication.run,
        version=publication.version + 1,
        title_nb=publication.title_nb,
        title_en=publication.title_en,
        published_at=publication.published_at,
        meta=publication.meta,
    )
    for table in publication.tables.exclude(name="squeeze"):
        PublicationTable.objects.create(publication=copy, name=table.name, data=bytes(table.data))
    PublicationTable.objects.create(publication=copy, name="squeeze", data=to_parquet(squeeze))
    return copy


def _planted_squeeze(years: list[int]) -> pl.DataFrame:
    """Every horizon every year; the second year suppressed (its cells null), with a planted
    value left in one suppressed cell to prove that suppressed cells are never read."""
    rows = []
    for i, year in enumerate(years):
        for horizon, value in PER_YEAR.items():
            hidden = i == 1
            shown: float | None = value
            if hidden:
                shown = HIDDEN if horizon == "long" else None
            rows.append(
                {"year": year, "horizon": horizon, "shortage_mean": shown, "suppressed": hidden}
            )
    return pl.DataFrame(
        rows,
        schema={
            "year": pl.Int64,
            "horizon": pl.Utf8,
            "shortage_mean": pl.Float64,
            "suppressed": pl.Boolean,
        },
    )


@pytest.fixture
def squeezed(world: Any) -> Publication:
    publication = _publish(world)
    years = sorted({int(y) for y in publication.table("totals")["year"].to_list()})
    return _with_squeeze(publication, _planted_squeeze(years))


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def _table(report: Any, start: str) -> Table:
    (table,) = [t for t in report.tables() if t.caption.startswith(start)]
    return table


def _n(value: float) -> str:
    with translation.override("en"):
        return f"{round(value):,}"


def test_the_squeeze_section_has_a_numbered_table_and_figure_in_the_pdf(
    squeezed: Publication,
) -> None:
    report = build_report(squeezed, "en")
    years = sorted(squeeze_by_year(squeezed.table("squeeze")))
    full = [y for i, y in enumerate(years) if i != 1]
    table = _table(report, "The time squeeze: the expected shortage each horizon")
    assert table.columns[1:5] == [
        "Short term: recruit",
        "Medium term: retrain",
        "Long term: educate",
        "No lever in time",
    ]
    first, second = table.rows[0], table.rows[1]
    assert first[1:6] == [10.0, 20.0, 30.0, 5.0, 65.0]
    assert first[6] == "Long term: educate"
    assert second[1:7] == [None, None, None, None, None, None]  # suppressed: "·"
    figure_captions = [f.caption for f in report.figures()]
    assert any(
        c.startswith("The time squeeze: the expected shortage per year") for c in figure_captions
    )

    text = pdf_text(render_pdf(report))
    assert f"Table {table.number}: The time squeeze" in text
    squeeze_figure = next(f for f in report.figures() if f.caption.startswith("The time squeeze"))
    assert f"Figure {squeeze_figure.number}: The time squeeze" in text
    assert "5.1. The time squeeze" in text  # numbered in the contents and the body
    total = 65 * len(full)
    assert (
        f"the expected shortage adds up to {_n(total)} persons: {_n(10 * len(full))} must be "
        f"recruited from abroad, {_n(20 * len(full))} retrained or given modules, and "
        f"{_n(30 * len(full))} educated"
    ) in text
    assert f"No lever closes {_n(5 * len(full))} persons of it (8 per cent) in time" in text
    assert HIDDEN_TEXT.search(text) is None
    assert "97531" not in text


def test_the_commandments_carry_the_shortage_of_their_horizons_and_levels(
    squeezed: Publication,
) -> None:
    report = build_report(squeezed, "en")
    years = sorted(squeeze_by_year(squeezed.table("squeeze")))
    n = len(years) - 1
    gaps = _table(report, "The gaps each commandment addresses")
    rows = {r[0]: r for r in gaps.rows}
    assert len(rows) == 10
    # 7: recruit from abroad (short term); 4: modules and retraining (medium); 1: all three
    assert rows[7][1] == 10.0 * n
    assert rows[7][2] == round(100 * 10 / 65)
    assert rows[4][1] == 20.0 * n
    assert rows[1][1] == 60.0 * n
    assert rows[5][1] == 30.0 * n  # long term only
    # the levels: all five reached by 1, nkr4-nkr7 by 4 (no PhD through modules or retraining)
    by_level = squeezed.table("by_level").filter(pl.col("metric") == "shortage")
    hidden = by_level.filter(pl.col("suppressed"))["year"].unique().to_list()
    full = by_level.filter(~pl.col("year").is_in(hidden))
    everything = float(full["mean"].sum())
    no_phd = float(full.filter(pl.col("level") != "nkr8")["mean"].sum())
    assert rows[1][3] == pytest.approx(everything)
    assert rows[4][3] == pytest.approx(no_phd)
    overview = _table(report, "The ten commandments: their horizons")
    assert overview.rows[6][2] == "Short term: recruit"
    assert overview.rows[2][3] == "Educate more people"  # no lever of its own: its horizon's

    text = pdf_text(render_pdf(report))
    assert "7.1. Commandment 1: Build competence as a national team" in text
    assert "7.10. Commandment 10: Strengthen Nordic cooperation on battery competence" in text
    assert f"{_n(10 * n)} persons (15 per cent) fall to the horizons it serves" in text
    assert "The largest bottlenecks it speaks to" in text
    assert f"Table {gaps.number}: The gaps each commandment addresses" in text
    assert HIDDEN_TEXT.search(text) is None


def test_html_and_xlsx_hold_the_new_tables_and_bokmal_reads_them(squeezed: Publication) -> None:
    report = build_report(squeezed, "en")
    html = render_html(report).decode()
    assert "The time squeeze" in html
    assert "Commandment 7:" in html
    assert html.count("<svg") >= 4
    assert HIDDEN_TEXT.search(html) is None
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    table = _table(report, "The time squeeze: the expected shortage each horizon")
    rows = list(book[table.sheet].iter_rows(values_only=True))
    assert rows[3][1:6] == (10, 20, 30, 5, 65)
    assert rows[4][1] == "·"
    assert HIDDEN_TEXT.search(repr(rows)) is None

    bokmal = pdf_text(render_pdf(build_report(squeezed, "nb")))
    assert "Gap og tidsklemma" in bokmal
    assert "De ti bud" in bokmal


def test_without_a_squeeze_table_the_report_says_so_and_still_counts_levels(
    world: Any,
) -> None:
    publication = _publish(world)
    if "squeeze" in publication.table_names():  # the platform publishes it: leave it out here
        copy = Publication.objects.create(
            run=publication.run,
            version=publication.version + 1,
            title_nb="No squeeze",
            published_at=publication.published_at,
            meta=publication.meta,
        )
        for t in publication.tables.exclude(name="squeeze"):
            PublicationTable.objects.create(publication=copy, name=t.name, data=bytes(t.data))
        publication = copy
    report = build_report(publication, "en")
    gaps = next(s for s in report.sections if s.key == "gaps")
    texts = [b for kind, b in gaps.blocks if kind == "p"]
    assert any("is not among this snapshot's protected tables" in t for t in texts)
    rows = {r[0]: r for r in _table(report, "The gaps each commandment addresses").rows}
    assert rows[7][1] == ""  # no squeeze: left empty, never a guess
    assert isinstance(rows[1][3], float)
    assert pdf_text(render_pdf(report)).count("Commandment ") >= 10
