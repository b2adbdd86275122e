"""The report's sections on measures, recruitment from abroad and recommendations (issue 5), from
the protected tables ``measure_effects``, ``abroad`` and ``recommendations`` (built here by hand,
as the wave-2 contract describes them): the PDF text in both languages (read back with pypdf), the
XLSX and the HTML, suppressed values never shown, and a graceful text when the tables are absent."""

from __future__ import annotations

import io
import re
from typing import Any

import polars as pl
import pytest
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from pypdf import PdfReader

from battkomp.analysis.models import Publication, PublicationTable, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report.build import build_report
from battkomp.analysis.report.common import stat
from battkomp.analysis.report.html import render_html
from battkomp.analysis.report.pdf import render_pdf
from battkomp.analysis.report.xlsx import render_xlsx
from battkomp.analysis.runs.actions import do_start_run
from battkomp.analysis.runs.queries import to_parquet
from battkomp.demo import load_demo
from battkomp.measures.models import Measure, MeasureStatus

DRAWS = 20
NEW_TABLES = ("measure_effects", "abroad", "recommendations")
#: Planted in suppressed cells of every new table: it must never be printed.
HIDDEN = 86420.0
HIDDEN_TEXT = re.compile(r"(?<![\d.])86(?:\u00a0|\u202f| |,)?420(?!\d)")


@pytest.fixture(autouse=True)
def report_dir(settings: Any, tmp_path: Any) -> Any:
    settings.DATA_DIR = tmp_path
    return tmp_path


def _publish(world: Any) -> Publication:
    load_demo()
    run = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), draws=DRAWS, seed=5
    )
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, world.users["analyst"], title="Measures")


def _copy(publication: Publication, tables: dict[str, pl.DataFrame]) -> Publication:
    """A new snapshot with the publication's tables, the new ones replaced by ``tables`` (left
    out when ``tables`` is empty)."""
    copy = Publication.objects.create(
        run=publication.run,
        version=publication.version + 1,
        title_nb=publication.title_nb,
        title_en=publication.title_en,
        published_at=publication.published_at,
        meta=publication.meta,
    )
    for table in publication.tables.exclude(name__in=NEW_TABLES):
        PublicationTable.objects.create(publication=copy, name=table.name, data=bytes(table.data))
    for name, frame in tables.items():
        PublicationTable.objects.create(publication=copy, name=name, data=to_parquet(frame))
    return copy


def _measure(title: str, status: str) -> Measure:
    return Measure.objects.create(
        title_en=title,
        commandment=6,
        horizon="long",
        lever="educate",
        status=status,
        places_per_year=10,
        start_year=2027,
    )


def _tables(first: int, public: Measure, proposed: Measure) -> dict[str, pl.DataFrame]:
    """The three tables as the contract describes them, with easy numbers and one suppressed
    row in each carrying the planted value."""
    pub, prop = public.bundle_id, proposed.bundle_id
    effects = pl.DataFrame(
        [
            *[(pub, first + i, "nkr5", "cell_assembly", 11.0, False) for i in range(3)],
            *[(pub, first + i, "nkr5", "electrode_manufacturing", 4.0, False) for i in range(3)],
            (prop, first, "nkr4", "materials_technology", 3.0, False),
            (prop, first + 1, "nkr4", "materials_technology", 3.0, False),
            (prop, first + 2, "nkr4", "materials_technology", HIDDEN, True),
        ],
        schema={
            "measure": pl.Utf8,
            "year": pl.Int64,
            "level": pl.Utf8,
            "area": pl.Utf8,
            "supply": pl.Float64,
            "suppressed": pl.Boolean,
        },
        orient="row",
    )
    abroad = pl.DataFrame(
        [
            (first, "nkr8", "cell_design", 40.0, 30.0, 10.0, 6.0, False),
            (first, "nkr7", "electrochemistry", 20.0, 20.0, 0.0, 4.0, False),
            (first + 1, "nkr8", "cell_design", HIDDEN, None, None, 6.0, True),
        ],
        schema={
            "year": pl.Int64,
            "level": pl.Utf8,
            "area": pl.Utf8,
            "need": pl.Float64,
            "recruited": pl.Float64,
            "unmet": pl.Float64,
            "lead_time_months": pl.Float64,
            "suppressed": pl.Boolean,
        },
        orient="row",
    )
    recommendations = pl.DataFrame(
        [
            (
                first + 2,
                "nkr5",
                "cell_assembly",
                "long",
                "educate",
                6,
                "fagskole_capacity",
                "Plantet grunn for fagskole.",
                "Planted reason for fagskole.",
                "",
                pub,
                12.0,
                False,
            ),
            (
                first,
                "nkr8",
                "cell_design",
                "short",
                "recruit_abroad",
                7,
                "specialists_abroad",
                "Plantet grunn for ph.d.",
                "Planted reason for PhD.",
                "",
                "",
                7.0,
                False,
            ),
            (
                first + 3,
                "nkr6",
                "hse",
                "long",
                "educate",
                6,
                "expand_capacity",
                "Skjult 86 420",
                "Hidden 86,420",
                "",
                "",
                None,
                True,
            ),
        ],
        schema={
            "year": pl.Int64,
            "level": pl.Utf8,
            "area": pl.Utf8,
            "horizon": pl.Utf8,
            "lever": pl.Utf8,
            "commandment": pl.Int64,
            "rule": pl.Utf8,
            "reason_nb": pl.Utf8,
            "reason_en": pl.Utf8,
            "offers": pl.Utf8,
            "measures": pl.Utf8,
            "shortage": pl.Float64,
            "suppressed": pl.Boolean,
        },
        orient="row",
    )
    return {"measure_effects": effects, "abroad": abroad, "recommendations": recommendations}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", re.sub(r"\s*\u00ad\s*", "", text))


def _table(report: Any, start: str) -> Any:
    (table,) = [t for t in report.tables() if t.caption.startswith(start)]
    return table


def test_the_new_sections_in_pdf_html_and_xlsx_in_both_languages(world: Any) -> None:
    publication = _publish(world)
    first = min(int(y) for y in publication.table("totals")["year"].to_list())
    public = _measure("Planted public measure", MeasureStatus.AGREED)
    proposed = _measure("Secret proposed measure", MeasureStatus.PROPOSED)
    snapshot = _copy(publication, _tables(first, public, proposed))

    report = build_report(snapshot, "en")
    keys = [s.key for s in report.sections]
    assert keys.index("commandments") + 1 == keys.index("measures")
    assert keys[keys.index("measures") :][:3] == ["measures", "abroad", "recommendations"]

    # measures: the gap with and without them, from the published totals
    totals = snapshot.table("totals")
    gap = _table(report, "The national gap with and without the counted measures")
    row = gap.rows[0]
    assert row[1] == stat(totals, first, "gap_without_measures")
    assert row[2] == stat(totals, first, "gap")
    assert row[3] == pytest.approx(row[1] - row[2])
    effects = _table(report, "What each counted measure adds")
    by_name = {r[1]: r for r in effects.rows}
    assert by_name["Planted public measure"][3:] == [15.0, 15.0, 45.0]
    assert by_name[proposed.bundle_id][3:] == [3.0, None, None]  # suppressed: "·"
    assert "Secret proposed measure" not in by_name

    abroad = _table(report, "Need that only recruitment from abroad")
    assert [r[3:7] for r in abroad.rows] == [
        [20.0, 20.0, 0.0, 4.0],  # nkr7 before nkr8
        [40.0, 30.0, 10.0, 6.0],
        [None, None, None, 6.0],
    ]
    recs = _table(report, "Recommendations: the gap")
    assert [r[:2] for r in recs.rows] == [[1, first], [2, first + 2], [3, first + 3]]
    assert recs.rows[1][-1] == "Planted public measure"
    assert recs.rows[2][4] is None

    text = pdf_text(render_pdf(report))
    assert "8. Measures" in text
    assert "10. Recommendations" in text
    assert "9. Recruitment from abroad (the short term, commandment 7)" in text
    for t in (gap, effects, abroad, recs):
        assert f"Table {t.number}: {t.caption[:30]}" in text
        assert f"Table {t.number} {t.caption[:30]}" in text  # the list of tables
    assert "together the measures published in full add 45 persons" in text
    assert (
        "it leaves 60 persons to be found abroad; the channels and measures recruit 50 of them "
        "(83 per cent), and 10 stay unmet. Recruiting takes from 4 to 6 months. The largest "
        f"unmet need is 10 persons in Cell design at level PhD in {first}."
    ) in text
    assert "1 cell is suppressed and left out of these sums" in text
    assert f"Recommendation no. 1 (Cell design, PhD, from {first}): Planted reason for PhD." in text
    assert "No reason can be published for this gap." in text
    assert "Measures pointing at it: Planted public measure." in text
    # the commandments list the recommendations that name them
    account_7 = text.split("Commandment 7:")[-1].split("Commandment 8:")[0]
    assert f"no. 1 (Cell design, PhD, from {first})" in account_7
    assert "Secret proposed measure" not in text
    assert "Plantet grunn" not in text
    assert HIDDEN_TEXT.search(text) is None

    book = load_workbook(io.BytesIO(render_xlsx(report)))
    rows = list(book[abroad.sheet].iter_rows(values_only=True))
    assert rows[3][3:7] == (20, 20, 0, 4)
    assert rows[5][3:6] == ("·", "·", "·")
    assert book[effects.sheet].cell(1, 1).value.startswith(f"Table {effects.number}. What each")
    assert HIDDEN_TEXT.search(repr([list(s.values) for s in book.worksheets])) is None
    html = render_html(report).decode()
    assert f'href="#table-{recs.number}"' in html
    assert f'id="table-{recs.number}"' in html
    assert HIDDEN_TEXT.search(html) is None

    nb = pdf_text(render_pdf(build_report(snapshot, "nb")))
    with translation.override("nb"):
        titles = [gettext("Measures"), gettext("Recommendations")]
    assert f"8. {titles[0]}" in nb
    assert f"10. {titles[1]}" in nb
    assert "Plantet grunn for ph.d." in nb
    assert "Planted reason" not in nb
    assert "Planted public measure" in nb
    assert HIDDEN_TEXT.search(nb) is None


def test_without_the_new_tables_the_report_says_so_and_still_builds(world: Any) -> None:
    snapshot = _copy(_publish(world), {})
    report = build_report(snapshot, "en")
    texts = {
        s.key: " ".join(b for kind, b in s.blocks if kind == "p")
        for s in report.sections
        if s.key in ("measures", "abroad", "recommendations")
    }
    assert (
        "What each measure adds is not among this snapshot's protected tables"
        in (texts["measures"])
    )
    assert (
        "Recruitment from abroad is not among this snapshot's protected tables" in (texts["abroad"])
    )
    assert (
        "The recommendations are not among this snapshot's protected tables"
        in (texts["recommendations"])
    )
    text = pdf_text(render_pdf(report))
    assert "9. Recruitment from abroad" in text
    assert "is not among this snapshot's protected tables" in text
    assert "Recommendations that name it" not in text
