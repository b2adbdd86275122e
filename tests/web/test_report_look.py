"""The report as a publication: the PDF's cover (titles in both languages, the snapshot, its date
in Oslo, the partners and their logos from the settings), its type family from a fonts package,
running header and page numbers, PDF/UA-1 tagging; and the site's finishing touches around it:
the download line of a snapshot's page, and the site's icon on every kind of page (the admin,
the HTML report, and ``/favicon.ico`` for what the browser shows by itself, such as the PDF
report in its viewer).

The snapshot and its report files are built once for the module (see shared.py): the bokmål PDF
without partners or logos, the English one with both."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report import branding
from battkomp.analysis.report.build import build_report
from battkomp.analysis.report.files import _path
from battkomp.analysis.report.html import render_html, site_css
from battkomp.analysis.report.pdf import font_dirs, render_pdf
from battkomp.analysis.runs.actions import do_start_run
from web.shared import fresh_world, refetch

DRAWS = 30


def url(name: str, lang: str, *args: Any) -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def text_of(html: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, white space squashed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


@pytest.fixture(scope="module")
def _published(module_transaction: Any, module_demo: Any) -> Publication:
    def publish() -> Publication:
        mid = Scenario.objects.get(name="mid")
        run = do_start_run(module_demo.users["analyst"], scenario=mid, draws=DRAWS, seed=7)
        assert run.status == RunStatus.DONE, run.error
        return do_publish_run(run, module_demo.users["analyst"], title="Needs 2026")

    return module_transaction(publish)


PARTNERS = ["Norsk Industri", "LO", "Prosess21"]


@pytest.fixture(scope="module")
def logo_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A PNG logo with a name and an SVG one without."""
    folder = tmp_path_factory.mktemp("logos")
    png = folder / "norsk-industri.png"
    shutil.copy(str(finders.find("battkomp/favicon-180.png")), png)
    svg = folder / "lo.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 60" width="60" height="60">'
        '<circle cx="30" cy="30" r="28" fill="#d52b1e"/></svg>',
        encoding="utf-8",
    )
    return [f"Norsk Industri={png}", str(svg)]


@pytest.fixture(scope="module")
def pdfs(
    _published: Publication, module_transaction: Any, logo_files: list[str]
) -> dict[str, bytes]:
    """The report's PDF in bokmål (no partners, no logos) and in English (both), rendered once."""

    def render() -> dict[str, bytes]:
        plain = render_pdf(build_report(_published, "nb"))
        with override_settings(BATTKOMP_REPORT_PARTNERS=PARTNERS, BATTKOMP_REPORT_LOGOS=logo_files):
            branded = render_pdf(build_report(_published, "en"))
        return {"nb": plain, "en": branded}

    return module_transaction(render)


@pytest.fixture(scope="module")
def htmls(
    _published: Publication, module_transaction: Any, logo_files: list[str]
) -> dict[str, str]:
    """The HTML report in bokmål (no partners, no logos) and in English (both)."""

    def render() -> dict[str, str]:
        plain = render_html(build_report(_published, "nb")).decode()
        with override_settings(BATTKOMP_REPORT_PARTNERS=PARTNERS, BATTKOMP_REPORT_LOGOS=logo_files):
            branded = render_html(build_report(_published, "en")).decode()
        return {"nb": plain, "en": branded}

    return module_transaction(render)


def pages_text(content: bytes) -> list[str]:
    return [
        re.sub(r"\s+", " ", page.extract_text() or "")
        for page in PdfReader(io.BytesIO(content)).pages
    ]


def alt_texts(content: bytes) -> list[str]:
    """The text alternatives in the PDF's structure tree, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    walk(PdfReader(io.BytesIO(content)).trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.fixture
def world(module_demo: Any, db: None) -> Any:
    return fresh_world(module_demo)


@pytest.fixture
def published(_published: Publication, world: Any) -> Publication:
    return refetch(_published)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "Last ned rapport: PDF · HTML · XLSX"), ("en", "Download report: PDF · HTML · XLSX")],
)
def test_the_download_line_reads_as_a_sentence_with_one_link_per_format(
    published: Publication, world: Any, lang: str, expected: str
) -> None:
    page = world.client("anonymous").get(url("published:detail", lang, published.version))
    assert page.status_code == 200
    (line,) = re.findall(r'<p class="downloads">(.*?)</p>', page.content.decode(), re.S)
    assert text_of(line) == expected
    report = url("published:report", lang, published.version)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', line)
    assert links == [
        (report, "PDF"),
        (f"{report}?format=html", "HTML"),
        (f"{report}?format=xlsx", "XLSX"),
    ]


def test_the_admin_pages_carry_the_site_icon(world: Any) -> None:
    login = world.client("anonymous").get(url("admin:login", "nb"))
    index = world.client("admin").get(url("admin:index", "en"))
    change_list = world.client("admin").get(reverse("admin:analysis_publication_changelist"))
    for page in (login, index, change_list):
        assert page.status_code == 200
        html = page.content.decode()
        assert re.search(r'<link rel="icon" href="/static/battkomp/favicon\.svg"', html), html[:600]


def test_favicon_ico_answers_with_the_site_icon_for_pages_that_name_none(world: Any) -> None:
    response = world.client("anonymous").get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/battkomp/favicon.ico"
    found = finders.find("battkomp/favicon.ico")
    assert found, "static/battkomp/favicon.ico is missing (tools/favicon.py writes it)"
    icon = Path(found).read_bytes()
    assert icon[:6] == b"\x00\x00\x01\x00\x01\x00"  # an ICO with one image
    assert icon[22:30] == b"\x89PNG\r\n\x1a\n"  # which is a PNG
    for name in ("favicon-32.png", "favicon-180.png"):
        png = finders.find(f"battkomp/{name}")
        assert png, name
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


@pytest.mark.parametrize(
    ("lang", "title", "other", "facts"),
    [
        (
            "nb",
            "Kompetansebehov i batteriindustrien",
            "Competence needs in the battery industry",
            ("Versjon 1", "Publisert", "Scenario", "Trekninger 30"),
        ),
        (
            "en",
            "Competence needs in the battery industry",
            "Kompetansebehov i batteriindustrien",
            ("Version 1", "Published", "Scenario", "Draws 30"),
        ),
    ],
)
def test_the_cover_names_the_report_in_both_languages_the_snapshot_and_its_day(
    pdfs: dict[str, bytes], published: Publication, lang: str, title: str, other: str, facts: Any
) -> None:
    cover = pages_text(pdfs[lang])[0]
    assert title in cover
    assert other in cover
    assert "Needs 2026" in cover
    for fact in facts:
        assert fact in cover, (fact, cover)
    with translation.override(lang):
        assert f"Scenario {published.scenario_label.marked}" in cover
    # the day in Oslo, written out as the language does
    day = build_report(published, lang).day
    assert day is not None
    with translation.override(lang):
        from django.utils import formats

        assert formats.date_format(day, "DATE_FORMAT") in cover
    # the cover carries no running header or page number
    assert not re.search(r"(Side|Page) 1 (av|of)", cover)


@pytest.mark.parametrize(("lang", "word", "of"), [("nb", "Side", "av"), ("en", "Page", "of")])
def test_every_page_after_the_cover_has_the_running_header_and_its_page_number(
    pdfs: dict[str, bytes], lang: str, word: str, of: str
) -> None:
    pages = pages_text(pdfs[lang])
    assert len(pages) >= 10
    title = (
        "Kompetansebehov i batteriindustrien"
        if lang == "nb"
        else "Competence needs in the battery industry"
    )
    for number, text in enumerate(pages[1:], start=2):
        assert f"{word} {number} {of} {len(pages)}" in text, (number, text[:200])
        assert text.startswith(title), (number, text[:200])
    # the header names the chapter a page belongs to, also on a page where it does not begin
    chapter = "3. Etterspørsel" if lang == "nb" else "3. Demand"
    pages_of_chapter = [n for n, text in enumerate(pages) if chapter in text]
    assert len(pages_of_chapter) >= 2, pages_of_chapter
    # a page is named by the heading its first line belongs to: a page that goes on with the
    # list of tables and then starts the list of figures is "Tables", not "Figures"
    figures, figure = ("Figurer", "Figur") if lang == "nb" else ("Figures", "Figure")
    assert any(f"{figures} {figure} 1 " in text for text in pages[1:4])
    for text in pages[1:]:
        rest = text[len(title) :].strip()
        if rest.startswith(f"{figures} "):
            after = rest[len(figures) + 1 :]
            assert after.startswith((f"{figures} {figure} 1 ", f"{figure} ")), rest[:120]


def test_the_pdf_is_set_in_the_fonts_package_type_and_no_font_file_is_in_the_repository(
    pdfs: dict[str, bytes],
) -> None:
    (folder,) = font_dirs()
    files = sorted(p.name for p in Path(folder).iterdir())
    assert any(name.startswith("SourceSans3") and name.endswith(".ttf") for name in files)
    assert (Path(folder).parent / "LICENSE").read_text().count("SIL Open Font License") >= 1
    for content in pdfs.values():
        fonts = set()
        for page in PdfReader(io.BytesIO(content)).pages:
            for font in (page["/Resources"].get("/Font") or {}).values():
                fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
        assert fonts, "no fonts found"
        assert all(name.startswith("SourceSans3") for name in fonts), fonts
    repo = Path(__file__).resolve().parents[2]
    shipped = [
        p for ext in ("ttf", "otf", "woff", "woff2") for p in (repo / "src").rglob(f"*.{ext}")
    ]
    assert shipped == []


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_pdf_is_tagged_and_declares_pdf_ua_1(pdfs: dict[str, bytes], lang: str) -> None:
    reader = PdfReader(io.BytesIO(pdfs[lang]))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == lang
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfuaid:part>\s*1\s*<", xmp), xmp[:500]
    assert reader.metadata is not None
    assert reader.metadata.title == build_title(lang)
    # every chart has its text alternative (its caption)
    alts = alt_texts(pdfs[lang])
    assert len([a for a in alts if a not in ("Norsk Industri", "Partner logo")]) >= 5


def build_title(lang: str) -> str:
    with translation.override(lang):
        return translation.gettext("Competence needs in the battery industry")


def test_the_partners_and_their_logos_are_on_the_cover_only_when_set(
    pdfs: dict[str, bytes],
) -> None:
    branded = PdfReader(io.BytesIO(pdfs["en"]))
    cover = pages_text(pdfs["en"])[0]
    assert "PARTNERS" in cover
    assert "Norsk Industri · LO · Prosess21" in cover
    # the PNG logo is an image on the cover; each logo has its text alternative
    images = [
        x
        for x in (branded.pages[0]["/Resources"].get("/XObject") or {}).values()
        if x.get_object()["/Subtype"] == "/Image"
    ]
    assert len(images) == 1
    assert alt_texts(pdfs["en"])[:2] == ["Norsk Industri", "Partner logo"]
    # unset: no partner row, no image, no empty box
    plain = PdfReader(io.BytesIO(pdfs["nb"]))
    cover = pages_text(pdfs["nb"])[0]
    assert "SAMARBEIDSPARTNERE" not in cover.upper()
    assert not plain.pages[0]["/Resources"].get("/XObject")
    assert "Partnerlogo" not in alt_texts(pdfs["nb"])


def test_a_logo_of_another_kind_is_refused_naming_the_entry(tmp_path: Path) -> None:
    text = tmp_path / "logo.txt"
    text.write_text("not an image")
    with override_settings(BATTKOMP_REPORT_LOGOS=[str(text)]):
        with pytest.raises(ImproperlyConfigured) as error:
            branding.logos()
        assert "BATTKOMP_REPORT_LOGOS, entry 1" in str(error.value)
        assert "PNG, JPEG, GIF or SVG" in str(error.value)
        (message,) = branding.check_logos()
        assert message.id == "battkomp.E101"
    with override_settings(BATTKOMP_REPORT_LOGOS=[]):
        assert branding.check_logos() == []


def test_a_deleted_logo_is_left_out_with_a_warning_and_the_report_still_served(
    published: Publication,
    world: Any,
    logo_files: list[str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A logo file deleted after the site started: the report leaves it out (no 500), the log
    says which entry once, and the system check warns (it does not stop the site)."""
    gone = tmp_path / "gone.png"
    shutil.copy(logo_files[0].partition("=")[2], gone)
    kept = logo_files[1]
    setting = [f"LO={gone}", f"Norsk Industri={kept}"]
    address = url("published:report", "en", published.version) + "?format=html&lang=en"
    with override_settings(BATTKOMP_REPORT_LOGOS=setting):
        assert [logo.name for logo in branding.logos()] == ["LO", "Norsk Industri"]
        assert branding.check_logos() == []
        gone.unlink()
        with caplog.at_level("WARNING", logger="battkomp.analysis.report.branding"):
            assert [logo.name for logo in branding.logos()] == ["Norsk Industri"]
            response = world.client("anonymous").get(address)
        assert response.status_code == 200
        shown = re.findall(r'<img src="(data:[^;]+);base64,[^"]+" alt="([^"]*)">', response.text)
        assert shown == [("data:image/svg+xml", "Norsk Industri")]
        warnings = [r.getMessage() for r in caplog.records if "no such file" in r.getMessage()]
        assert len(warnings) == 1  # once, not on every request
        assert warnings[0].startswith("BATTKOMP_REPORT_LOGOS, entry 1 ('LO=")
        assert "made without this logo" in warnings[0]
        (message,) = branding.check_logos()
        assert message.id == "battkomp.W101"
        assert isinstance(message, checks.Warning)
        assert "entry 1" in message.msg


def test_the_report_files_are_made_anew_when_the_partners_change(published: Publication) -> None:
    before = _path(published, "pdf", "nb")
    with override_settings(BATTKOMP_REPORT_PARTNERS=PARTNERS):
        after = _path(published, "pdf", "nb")
    assert before != after
    assert before.parent == after.parent


@pytest.mark.parametrize(
    ("lang", "back"),
    [
        ("nb", "Tilbake til publikasjonen på nettstedet"),
        ("en", "Back to the publication on the site"),
    ],
)
def test_the_html_report_wears_the_sites_stylesheet_and_links_back_to_the_publication(
    htmls: dict[str, str], published: Publication, lang: str, back: str
) -> None:
    html = htmls[lang]
    # the site's own stylesheet, inlined whole (a downloaded copy looks the same, fetches nothing)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert site_css().strip() in style
    assert "--accent: #0b5d8c" in style
    # the site's header with its brand, and a way back in the header and the footer
    home = url("published:detail", lang, published.version)
    header = re.search(r'<header class="site">(.*?)</header>', html, re.S)
    assert header is not None
    assert f'<a class="brand" href="{home}">battkomp</a>' in header[1]
    assert f'<a href="{home}">{back}</a>' in header[1]
    footer = re.search(r'<footer class="site">(.*?)</footer>', html, re.S)
    assert footer is not None
    assert f'<a href="{home}">{back}</a>' in footer[1]
    # its icon travels inside the file
    assert re.search(r'<link rel="icon" href="data:image/svg\+xml;base64,', html)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_html_report_shows_the_partners_and_logos_only_when_set(
    htmls: dict[str, str],
) -> None:
    branded = htmls["en"]
    logos = re.findall(r'<img src="(data:[^;]+);base64,[^"]+" alt="([^"]*)">', branded)
    assert logos == [("data:image/png", "Norsk Industri"), ("data:image/svg+xml", "Partner logo")]
    assert "Norsk Industri · LO · Prosess21" in branded
    plain = htmls["nb"]
    assert "<img" not in plain
    assert 'class="partners"' not in plain
    assert "Samarbeidspartnere" not in plain


def test_the_html_report_response_allows_exactly_its_own_style(
    published: Publication, world: Any
) -> None:
    response = world.client("anonymous").get(
        url("published:report", "en", published.version) + "?format=html&lang=en"
    )
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "'sha256-" in policy
    assert "img-src 'self' data:" in policy
