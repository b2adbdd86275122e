"""The report of a published snapshot ("Last ned rapport"): PDF, HTML and XLSX in bokmål and
English, built only from the protected tables; anyone may download it."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report.build import build_report
from battkomp.analysis.report.files import report_bytes
from battkomp.analysis.report.pdf import render_pdf
from battkomp.analysis.runs.actions import do_start_run
from battkomp.demo import load_demo
from battkomp.survey.actions import do_invite_organisations, do_submit_response
from battkomp.survey.models import Round
from web.shared import NEEDLE, PLANTED

DRAWS = 30
EN_SECTIONS = (
    "Summary",
    "Method and sources",
    "Demand",
    "Supply",
    "Gaps and the time squeeze",
    "Uncertainty",
    "The ten commandments",
    "Appendix: parameters and sources",
    "Disclosure control",
)
NB_SECTIONS = (
    "Sammendrag",
    "Metode og kilder",
    "Etterspørsel",
    "Tilgang",
    "Gap og tidsklemma",
    "Usikkerhet",
    "De ti bud",
    "Vedlegg: parametere og kilder",
    "Konfidensialitetskontroll",
)


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture(autouse=True)
def report_dir(settings: Any, tmp_path: Any) -> Any:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def published(world: Any) -> Publication:
    """The demo's mid scenario, run and published."""
    load_demo()
    mid = Scenario.objects.get(name="mid")
    run = do_start_run(world.users["analyst"], scenario=mid, draws=DRAWS, seed=7)
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, world.users["analyst"], title="Needs 2026")


@pytest.fixture
def planted(world: Any) -> Publication:
    """The demo round plus company A's answer: PLANTED new hires in one cell (as in
    test_publish_snapshots.py), published."""
    load_demo()
    rnd = Round.objects.get(name="BattKOMP demo 2026")
    (participant,) = do_invite_organisations(rnd, [world.company_a], world.users["analyst"])
    lines = [
        {
            "role": "chemist",
            "level": "nkr8",
            "area": "recycling_hydrometallurgy",
            "year": year,
            "new_hires": PLANTED if year == rnd.years[0] else 0,
            "total_staff": 3,
        }
        for year in rnd.years
    ]
    do_submit_response(participant, world.users["company_a"], lines=lines)
    mid = Scenario.objects.get(name="mid")
    run = do_start_run(world.users["analyst"], scenario=mid, round=rnd, draws=DRAWS, seed=1)
    assert run.status == RunStatus.DONE, run.error
    return do_publish_run(run, world.users["analyst"], title="Planted")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_report_is_a_pdf_with_sections_numbers_and_page_numbers_in_both_languages(
    published: Publication,
) -> None:
    english = build_report(published, "en")
    content = render_pdf(english)
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 5
    text = squash(pdf_text(content))
    assert "Competence needs in the battery industry" in text
    assert "Contents" in text
    for title in EN_SECTIONS:
        assert title in text, title
    assert "Table 1" in text
    assert "Figure 1" in text
    assert "Build competence as a national team" in text
    assert "·" in text  # the published year is suppressed
    # a number from the protected totals, as printed in the summary table
    first = english.tables()[0]
    year, _, mean = first.rows[0][:3]
    assert isinstance(mean, float)
    with translation.override("en"):
        assert f"{round(mean):,}" in text
    assert str(year) in text
    # the last page carries its page number
    assert str(len(reader.pages)) in (reader.pages[-1].extract_text() or "")
    bokmal = squash(pdf_text(render_pdf(build_report(published, "nb"))))
    assert "Kompetansebehov i batteriindustrien" in bokmal
    assert "Innhold" in bokmal
    for title in NB_SECTIONS:
        assert title in bokmal, title
    assert "Tabell 1" in bokmal
    assert "Bygge kompetanse som et landslag" in bokmal
    assert "Method and sources" not in bokmal


def test_the_html_report_is_self_contained_with_inline_svg_and_the_xlsx_has_numbers(
    published: Publication, world: Any
) -> None:
    client = world.client("anonymous")
    response = client.get(en("published:report", published.version) + "?format=html&lang=en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for title in EN_SECTIONS:
        assert title in html, title
    assert html.count("<svg") >= 3
    assert "<style>" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "url(http" not in html
    # the only link element is the site's icon, inside the file
    assert re.findall(r"<link[^>]*>", html) == [
        re.search(r'<link rel="icon" href="data:image/svg\+xml;base64,[^"]+" [^>]*>', html)[0]
    ]
    assert "<script" not in html
    with translation.override("nb"):
        nb = client.get(reverse("published:report", args=[published.version]) + "?format=html")
    assert "Kompetansebehov i batteriindustrien" in nb.content.decode()

    xlsx = client.get(en("published:report", published.version) + "?format=xlsx&lang=en")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    report = build_report(published, "en")
    assert book.sheetnames == ["Contents", *[t.sheet for t in report.tables()]]
    sheet = book["Table 1"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:3] == ("Year", "Indicator", "Median (P50)")
    numbers = [r[2] for r in rows[3:] if r[2] != "·"]
    assert numbers
    assert all(isinstance(v, int | float) for v in numbers)
    assert isinstance(rows[3][0], int | float)


def test_no_report_format_contains_the_planted_answer_and_anyone_downloads_it(
    planted: Publication, world: Any
) -> None:
    for persona in ("anonymous", "company_b", "analyst"):
        client = world.client(persona)
        response = client.get(en("published:report", planted.version))
        assert response.status_code == 200, persona
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    client = world.client("anonymous")
    for fmt in ("pdf", "html", "xlsx"):
        for lang in ("nb", "en"):
            content = report_bytes(planted, fmt, lang)
            if fmt == "pdf":
                body = pdf_text(content).encode()
            elif fmt == "xlsx":
                book = load_workbook(io.BytesIO(content))
                body = repr(
                    [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
                ).encode()
            else:
                body = content
            found = NEEDLE.search(body)
            assert found is None, (fmt, lang, body[max(found.start() - 80, 0) : found.end() + 80])
            assert str(float(PLANTED)).encode() not in body


def test_the_report_is_cached_on_disk_and_links_are_on_the_public_pages(
    published: Publication, world: Any, report_dir: Any
) -> None:
    client = world.client("anonymous")
    first = client.get(en("published:report", published.version) + "?format=xlsx&lang=nb")
    cached = list((report_dir / "reports").iterdir())
    assert [p.suffix for p in cached] == [".xlsx"]
    again = client.get(en("published:report", published.version) + "?format=xlsx&lang=nb")
    assert again.content == first.content
    url = en("published:report", published.version)
    assert url in client.get(en("published:detail", published.version)).content.decode()
    listing = client.get(en("published:list")).content.decode()
    assert url in listing
    assert "Download report" in listing
    with translation.override("nb"):
        nb = client.get(reverse("published:list")).content.decode()
    assert "Last ned rapport" in nb


def test_unknown_versions_formats_and_languages_are_404(world: Any) -> None:
    client = world.client("anonymous")
    assert client.get(en("published:report", 99)).status_code == 404


def test_a_bad_format_or_language_is_404(published: Publication, world: Any) -> None:
    client = world.client("anonymous")
    url = en("published:report", published.version)
    assert client.get(url + "?format=docx").status_code == 404
    assert client.get(url + "?lang=de").status_code == 404


def test_the_report_is_dated_by_the_day_in_oslo_and_in_british_order(
    published: Publication,
) -> None:
    # 23:30 UTC on 5 December is 00:30 on 6 December in Oslo, the day the site shows
    published.published_at = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)
    assert "06.12.2026" in build_report(published, "nb").subtitle
    english = build_report(published, "en").subtitle
    assert "06/12/2026" in english
    assert "12/05/2026" not in english


def test_the_html_report_links_back_to_the_publication(published: Publication) -> None:
    for lang in ("nb", "en"):
        report = build_report(published, lang)
        with translation.override(lang):
            assert report.home_url == reverse("published:detail", args=[published.version])


def test_the_supply_sources_add_up_to_the_total_supply_in_every_year(
    published: Publication,
) -> None:
    """Every source the model counts in supply is a column (workers released by cuts and the
    measures' places included), so the columns add up to the total, as they do in the draws."""
    report = build_report(published, "en")
    (table,) = [t for t in report.tables() if t.caption.startswith("Supply per year by source")]
    assert table.columns[0] == "Year"
    assert table.columns[-1] == "Total"
    assert "Released by cuts" in table.columns
    assert "Education" in table.columns
    assert "Recruitment" in table.columns
    checked = 0
    for row in table.rows:
        parts, total = row[1:-1], row[-1]
        if total is None or any(p is None for p in parts):
            continue
        assert sum(parts) == pytest.approx(total, abs=1e-6), row  # type: ignore[arg-type]
        checked += 1
    assert checked >= 10
    nb = build_report(published, "nb")
    (nb_table,) = [t for t in nb.tables() if t.number == table.number]
    assert "Frigjort ved nedbemanning" in nb_table.columns
