"""No raw code and no untranslated term reaches a reader: the public pages (home, glossary, the
snapshot's page and dashboard, offers grid, pathways, measures), every download of the dashboard
and of the snapshot's tables (CSV and XLSX) and the report (HTML, and the XLSX's headers), in
bokmål and in English.

A machine code is any code of the terminology source with an underscore (``shortage_without_
measures``, ``automation_technician``, ``rc_general_nkr6``) or a level code (``nkr5``); they
may appear only where a machine reads them: a download's code columns (headed "… (code)"), the
glossary's and the API's code cells (``<code>``), and in attributes and scripts, which are not
text. On a bokmål page, no English name of a term that has a bokmål one may appear.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

import battkomp.engine as engine_package
from battkomp.analysis.dashboards.public import VIEWS
from battkomp.analysis.models import ModelRun, Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core import terms
from battkomp.core.codes import codes, label, taxonomy
from battkomp.engine.backtest import NORWAY_2021
from web.shared import fresh_world, refetch

DRAWS = 20
DEMO = Path(engine_package.__file__).parent / "demo"
LANGS = ("nb", "en")


# --- what counts as a raw code, and as an English term -------------------------------------------


def machine_codes() -> frozenset[str]:
    """Every code with an underscore or a level code: metrics, roles, areas and groups,
    segments, levers, statuses, the recruitment channels of the default bundle."""
    tax = taxonomy()
    found: set[str] = set()
    for kind in ("role", "area", "segment", "lever", "level_or_evu"):
        found.update(codes(kind))
    found.update(tax.area_parent.values())
    for kind in terms.kinds():
        found.update(terms._gettext_terms()[kind])
    with open(DEMO / "recruitment_channels.csv", encoding="utf-8") as f:
        found.update(r["id"] for r in csv.DictReader(f))
    found.update(terms.PARAMETERS)  # the model's parameters, named in the report's appendix
    # the facilities of the demo and of the backtest's vintage, named in the report
    for bundle in (DEMO, NORWAY_2021):
        with open(bundle / "facilities.csv", encoding="utf-8") as f:
            found.update(r["id"] for r in csv.DictReader(f))
    return frozenset(c for c in found if "_" in c or re.fullmatch(r"nkr\d", c))


CODES = machine_codes()
CODE_RE = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")(?![\w-])"
)


def english_terms() -> list[str]:
    """The English names of terms whose bokmål differs, of two words or more (one word, such as
    "Retraining", may begin a name of the content, which is not a term)."""
    names: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for kind in terms.kinds():
        for code in terms._gettext_terms()[kind]:
            pairs.append((label(kind, code, "en"), label(kind, code, "nb")))
    for kind in ("role", "area", "level", "segment", "lever"):
        for code in codes(kind):
            pairs.append((label(kind, code, "en"), label(kind, code, "nb")))
    for en, nb in pairs:
        if en.lower() != nb.lower() and " " in en and en.lower() not in nb.lower():
            names.add(en)
    return sorted(names, key=len, reverse=True)


ENGLISH = english_terms()
ENGLISH_RE = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, ENGLISH)) + r")(?!\w)")


class _Text(HTMLParser):
    """The text a reader sees in the page's language: text nodes and the title/aria-label/alt
    attributes, without ``<code>``, ``<pre>``, ``<script>`` and ``<style>``, and without the
    elements marked as another language (``lang="en"`` inside a bokmål page)."""

    SKIP = ("code", "pre", "script", "style")
    VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: whether it is skipped
        self.page_lang = ""

    @property
    def depth(self) -> int:
        return sum(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.page_lang = values.get("lang") or ""
            return
        other = bool(values.get("lang")) and values.get("lang") != self.page_lang
        if tag not in self.VOID:
            self.stack.append(tag in self.SKIP or other)
        if not self.depth:
            for name, value in attrs:
                if name in ("title", "aria-label", "alt") and value:
                    self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag != "html" and tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p for p in parser.parts if p.strip())


def rounded(value: float) -> bool:
    """Rounded as people read it: to three decimals (a share), or to four significant digits
    (the report's parameter tables); 540.5287986527607 is not."""
    return abs(value - round(value, 3)) < 1e-9 or value == float(f"{value:.4g}")


def raw_codes(text: str) -> list[str]:
    return sorted({m.group(1) for m in CODE_RE.finditer(text)})


def in_context(regex: re.Pattern[str], text: str, most: int = 8) -> list[str]:
    """Where ``regex`` matches ``text``: each match with the text around it."""
    return [
        " ".join(text[max(0, m.start() - 50) : m.end() + 30].split())
        for m in list(regex.finditer(text))[:most]
    ]


def english_in(text: str) -> list[str]:
    return sorted({m.group(1) for m in ENGLISH_RE.finditer(text)})


def test_the_checks_find_a_raw_code_and_an_english_term() -> None:
    assert raw_codes("Kanaler: rc_general_nkr6 og shortage_without_measures, nkr5.") == [
        "nkr5",
        "rc_general_nkr6",
        "shortage_without_measures",
    ]
    assert raw_codes("a code in a word: xrc_general_nkr6, a-nkr5") == []
    assert "Automation technician" in english_in("Rolle: Automation technician")
    assert english_in("Rekrutteringsbehov og tilgang") == []
    assert "Cumulative gap" in ENGLISH
    assert "automation_technician" in CODES
    assert "freyr_giga_arctic" in CODES  # a facility of the backtest's vintage
    assert visible_text("<p>A <code>nkr5</code><script>x_y</script></p>") == "A "


# --- the published snapshot, built once ---------------------------------------------------------


@pytest.fixture(scope="module")
def _published(module_transaction: Any, module_demo: Any) -> Publication:
    def build() -> Publication:
        mid = Scenario.objects.get(name="mid")
        run: ModelRun = do_start_run(
            module_demo.users["analyst"], scenario=mid, draws=DRAWS, seed=3
        )
        assert run.status == RunStatus.DONE, run.error
        return do_publish_run(run, module_demo.users["analyst"], title="Behov 2026")

    return module_transaction(build)


@pytest.fixture
def world(module_demo: Any, db: None) -> Any:
    return fresh_world(module_demo)


@pytest.fixture
def published(_published: Publication, world: Any) -> Publication:
    return refetch(_published)


def _url(name: str, lang: str, *args: Any) -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def public_pages(p: Publication, lang: str) -> Iterator[str]:
    yield _url("home", lang)
    yield _url("glossary", lang)
    yield _url("published:list", lang)
    yield _url("published:detail", lang, p.version)
    yield _url("published:dashboard", lang, p.version)
    yield _url("offers:grid", lang)
    yield _url("pathways:index", lang)
    yield _url("pathways:detail", lang, "3134")
    yield _url("measures:catalogue", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_no_public_page_shows_a_raw_code_or_an_english_term_in_bokmal(
    world: Any, published: Publication, lang: str
) -> None:
    client = world.client("anonymous")
    problems: list[str] = []
    for path in public_pages(published, lang):
        response = client.get(path)
        assert response.status_code == 200, path
        text = visible_text(response.content.decode())
        if raw_codes(text):
            problems.append(f"{path}: codes {in_context(CODE_RE, text)}")
        if lang == "nb" and english_in(text):
            problems.append(f"{path}: English {in_context(ENGLISH_RE, text)}")
    assert not problems, "\n".join(problems)


# --- downloads ----------------------------------------------------------------------------------


def _cells(content: bytes, fmt: str) -> list[list[Any]]:
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        return [list(r) for r in csv.reader(io.StringIO(text))]
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


CODE_HEADER = re.compile(r"\((code|kode)\)$")


def download_problems(where: str, content: bytes, fmt: str, lang: str) -> list[str]:
    """Headers that are codes or English on a bokmål file, codes outside the code columns, and
    numbers that are not rounded."""
    rows = _cells(content, fmt)
    if not rows:
        return []
    header, body = [str(h) for h in rows[0]], rows[1:]
    problems = [
        f"{where}: header {h!r}" for h in header if raw_codes(h) or re.fullmatch(r"[a-z_0-9]+", h)
    ]
    if lang == "nb":
        problems += [f"{where}: English header {h!r}" for h in header if english_in(h)]
    for j, h in enumerate(header):
        if CODE_HEADER.search(h):
            continue
        for row in body:
            value = row[j] if j < len(row) else None
            if isinstance(value, float) and not rounded(value):
                problems.append(f"{where}: {h!r} not rounded: {value!r}")
                break
            if isinstance(value, str):
                if found := raw_codes(value):
                    problems.append(f"{where}: {h!r} holds codes {found}")
                    break
                if fmt == "csv" and re.fullmatch(r"-?\d+\.\d{4,}", value):
                    problems.append(f"{where}: {h!r} not rounded: {value!r}")
                    break
                if value in ("True", "False"):
                    problems.append(f"{where}: {h!r} holds {value!r} as text")
                    break
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_every_download_has_readable_headers_named_codes_and_rounded_figures(
    world: Any, published: Publication, lang: str
) -> None:
    client = world.client("anonymous")
    problems: list[str] = []
    dashboard = _url("published:dashboard", lang, published.version)
    for view in VIEWS:
        for fmt in ("csv", "xlsx"):
            response = client.get(dashboard, {"view": view, "format": fmt})
            if response.status_code == 404:  # a view without data in this snapshot
                continue
            assert response.status_code == 200, (view, fmt)
            problems += download_problems(f"dashboard {view}.{fmt}", response.content, fmt, lang)
    for name in published.table_names():
        for fmt in ("csv", "xlsx"):
            response = client.get(_url("published:download", lang, published.version, name, fmt))
            assert response.status_code == 200, (name, fmt)
            problems += download_problems(f"table {name}.{fmt}", response.content, fmt, lang)
    assert not problems, "\n".join(problems)


def test_a_download_keeps_a_code_column_beside_each_name_column(
    world: Any, published: Publication
) -> None:
    response = world.client("anonymous").get(
        _url("published:download", "nb", published.version, "by_level", "xlsx")
    )
    header, *body = _cells(response.content, "xlsx")
    assert header[:3] == ["År", "Utdanningsnivå (kode)", "Utdanningsnivå"]
    assert {r[1] for r in body} <= set(codes("level"))
    assert {r[2] for r in body} <= {label("level", c, "nb") for c in codes("level")}
    suppressed = header.index("Skjult")
    assert {type(r[suppressed]) for r in body} == {bool}  # real booleans


# --- the report ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_shows_no_raw_code_or_english_term_in_bokmal(
    world: Any, published: Publication, lang: str
) -> None:
    client = world.client("anonymous")
    url = _url("published:report", lang, published.version)
    response = client.get(url, {"format": "html", "lang": lang})
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert not raw_codes(text), in_context(CODE_RE, text)
    if lang == "nb":
        assert not english_in(text), in_context(ENGLISH_RE, text)
    xlsx = client.get(url, {"format": "xlsx", "lang": lang})
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    problems = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str) and (found := raw_codes(value)):
                    problems.append(f"{sheet.title}: {found}")
                if isinstance(value, float) and not rounded(value):
                    problems.append(f"{sheet.title}: not rounded {value!r}")
    book.close()
    assert not problems, "\n".join(sorted(set(problems))[:30])


# --- the minus sign and the PDF -----------------------------------------------------------------

#: A hyphen-minus written as a negative number's sign (not inside a date, a range or a word).
HYPHEN_MINUS = re.compile(r"(?<![\w\-–/.:])-\d")


def test_the_minus_check_finds_a_hyphen_sign_only() -> None:
    assert HYPHEN_MINUS.search("gapet er -91 – -55")
    assert HYPHEN_MINUS.search("(-3)")
    for fine in ("2026-2030", "2026-12-06", "−91 – −55", "NKR-5", "P10–P90", "a-1"):
        assert not HYPHEN_MINUS.search(fine), fine


@pytest.mark.parametrize("lang", LANGS)
def test_negative_numbers_are_written_with_the_minus_sign(
    world: Any, published: Publication, lang: str
) -> None:
    client = world.client("anonymous")
    problems: list[str] = []
    pages = [*public_pages(published, lang)]
    for path in pages:
        text = visible_text(client.get(path).content.decode())
        if HYPHEN_MINUS.search(text):
            problems.append(f"{path}: {in_context(HYPHEN_MINUS, text)}")
    report = client.get(
        _url("published:report", lang, published.version), {"format": "html", "lang": lang}
    )
    text = visible_text(report.content.decode())
    if HYPHEN_MINUS.search(text):
        problems.append(f"report: {in_context(HYPHEN_MINUS, text)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_report_shows_no_raw_code(world: Any, published: Publication, lang: str) -> None:
    from pypdf import PdfReader

    response = world.client("anonymous").get(
        _url("published:report", lang, published.version), {"format": "pdf", "lang": lang}
    )
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert not raw_codes(text), in_context(CODE_RE, text)


# --- e-mails and the API's labels ------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_emails_name_their_terms_from_the_terminology_source(world: Any, lang: str) -> None:
    """Every e-mail the platform sends (an invitation for each role, an inquiry's acknowledgement
    and the handler's notification) in each language: no raw code, no English term in a bokmål
    e-mail, and the segment and region named as the terminology source names them."""
    from django.contrib.auth import get_user_model
    from django.core import mail

    from battkomp.accounts.actions import do_invite
    from battkomp.accounts.models import Profile
    from battkomp.contact.actions import do_submit_inquiry
    from battkomp.core.users import Role

    Profile.objects.filter(user__in=get_user_model().objects.all()).update(language=lang)
    mail.outbox.clear()
    for role in Role.values:
        organisation = (
            world.company_a
            if role == Role.RESPONDENT
            else world.institution
            if role == Role.EDITOR
            else None
        )
        do_invite(None, f"{role}@example.org", role, organisation, language=lang)
    segment, region = codes("segment")[0], "46"
    do_submit_inquiry(
        name="Kari Nordmann",
        email="kari@example.org",
        topic="results",
        message="Hvor kommer tallene fra?",
        segment=segment,
        region=region,
        language=lang,
    )
    assert len(mail.outbox) >= len(Role.values) + 2
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert raw_codes(text) == [], (message.subject, in_context(CODE_RE, text))
        if lang == "nb":
            assert english_in(text) == [], (message.subject, in_context(ENGLISH_RE, text))
    notices = [m.body for m in mail.outbox if "kari@example.org" in m.body]
    assert notices, [m.subject for m in mail.outbox]
    for body in notices:
        assert label("segment", segment, lang) in body
        assert label("region", region, lang) in body


#: The fields of the public API's answers that hold a code, named by a ``<field>_name`` beside
#: them; and the lists of codes, named by the list of names beside them.
API_CODE_FIELDS = frozenset(
    {
        "level",
        "target_level",
        "usual_level",
        "area",
        "group",
        "role",
        "segment",
        "region",
        "metric",
        "horizon",
        "lever",
        "status",
        "kind",
        "mode",
        "commandment",
        "view",
        "driver",
    }
)
API_CODE_LISTS = {"areas": "area_names", "covers": "covers_names", "uncovered": "uncovered_names"}


def public_api_paths(p: Publication) -> Iterator[str]:
    yield "/api/offers?limit=500"
    yield "/api/measures?limit=500"
    yield "/api/infrastructure?limit=500"
    yield "/api/publications"
    yield f"/api/publications/{p.version}"
    for name in p.table_names():
        yield f"/api/publications/{p.version}/tables/{name}"
    yield "/api/pathways"
    yield "/api/pathways/3134?limit=50"


def api_problems(where: str, node: Any, lang: str) -> list[str]:
    """A code field without its name beside it, and a name (a ``*_name`` field, a list of
    names, a title) that is a raw code, or English in a bokmål answer, anywhere in ``node``."""
    problems: list[str] = []
    if isinstance(node, list):
        for item in node:
            problems += api_problems(where, item, lang)
    if not isinstance(node, dict):
        return problems
    for key, value in node.items():
        if key in API_CODE_FIELDS and value not in (None, "") and not isinstance(value, dict):
            named = node.get(f"{key}_name")
            if not isinstance(named, str) or not named:
                problems.append(f"{where}: {key}={value!r} has no {key}_name beside it")
        strings = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        if key in API_CODE_LISTS and strings:
            names = node.get(API_CODE_LISTS[key])
            if not isinstance(names, list) or len(names) != len(value):
                problems.append(f"{where}: {key}={value!r} has no {API_CODE_LISTS[key]}")
        if key.endswith(("_name", "_names")) or key in ("title", "scenario_title"):
            for text in value if isinstance(value, list) else [value]:
                if not isinstance(text, str):
                    continue
                if found := raw_codes(text):
                    problems.append(f"{where}: {key}={text!r} holds codes {found}")
                if lang == "nb" and key.endswith(("_name", "_names")) and english_in(text):
                    problems.append(f"{where}: {key}={text!r} is English")
        if isinstance(value, dict | list):
            problems += api_problems(where, value, lang)
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_the_public_api_names_every_code_in_the_callers_language(
    world: Any, published: Publication, lang: str
) -> None:
    """Every public list and read of the API (offers, measures, infrastructure, publications and
    their tables, pathways), asked in each language by ``Accept-Language``: each code field has
    its name beside it, from the terminology source, with no raw code and no English in
    bokmål; the codes stay for machines."""
    client = world.client("anonymous")
    problems: list[str] = []
    answered: dict[str, Any] = {}
    for path in public_api_paths(published):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, path
        answered[path] = body = response.json()
        problems += api_problems(path, body, lang)
    assert not problems, "\n".join(problems[:40])
    # the names are the pages' names, in the language asked for, and the codes are still there
    offers = answered["/api/offers?limit=500"]["items"]
    measures = answered["/api/measures?limit=500"]["items"]
    assert offers
    assert measures
    for offer in offers:
        assert offer["level_name"] == label("level_or_evu", offer["level"], lang)
        assert offer["status_name"] == label("offer_status", offer["status"], lang)
        for area in offer["areas"]:
            assert area["area_name"] == label("area", area["area"], lang)
    for measure in measures:
        assert measure["lever_name"] == label("lever", measure["lever"], lang)
        assert measure["status_name"] == label("measure_status", measure["status"], lang)
        assert measure["commandment_name"] == label(
            "commandment", str(measure["commandment"]), lang
        )
    by_level = answered[f"/api/publications/{published.version}/tables/by_level"]
    assert by_level["columns"][:3] == ["year", "level", "level_name"]
    assert {r["level_name"] for r in by_level["rows"]} == {
        label("level", r["level"], lang) for r in by_level["rows"]
    }


def test_the_api_check_finds_a_code_without_its_name_and_a_raw_name() -> None:
    assert api_problems("x", {"level": "nkr5"}, "en") == [
        "x: level='nkr5' has no level_name beside it"
    ]
    assert api_problems("x", [{"areas": ["cell_design"], "area_names": []}], "en")
    assert api_problems("x", {"level": "nkr5", "level_name": "nkr5"}, "en")
    assert api_problems("x", {"role": "r", "role_name": "Automation technician"}, "nb")
    assert not api_problems("x", {"level": "nkr5", "level_name": "Fagskole"}, "nb")


def test_the_apis_labels_come_from_the_terminology_source(world: Any) -> None:
    """The API's label fields (a pathway's role in both languages) are the names the pages show,
    with no raw code and no English in the bokmål label."""
    body = world.client("anonymous").get("/api/pathways/3134").json()
    assert body["pathways"]
    for pathway in body["pathways"]:
        for lang in LANGS:
            name = pathway[f"role_name_{lang}"]
            assert name == label("role", pathway["role"], lang)
            assert raw_codes(name) == [], name
        assert english_in(pathway["role_name_nb"]) == [], pathway["role_name_nb"]
