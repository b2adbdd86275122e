"""Keep docs/model.md and docs/bundle.md in step with the code and the shipped data.

A name counts as documented when it appears in backticks in the prose or tables of a page (fenced
code blocks do not count), so a renamed parameter, table, frame or column fails here until the
documentation follows.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest

from battkomp.engine import ModelResult, run_model, schema
from battkomp.engine.bundle import DATA_DIR, demo_bundle_path, load_inputs

DOCS = Path(__file__).resolve().parents[1] / "docs"

_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.MULTILINE | re.DOTALL)
_TICKED = re.compile(r"`([^`\n]+)`")


def backticked(page: str) -> set[str]:
    """Every text in single backticks on a page, outside fenced code blocks."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return set(_TICKED.findall(_FENCE.sub("", text)))


def missing_from(page: str, names: set[str]) -> list[str]:
    return sorted(names - backticked(page))


# ------------------------------------------------------------------------ the source rule

_URL = re.compile(r"https?://\S+")
_WEB_DOMAIN = re.compile(
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:no|com|org|net|de|pl|in|eu|gov|uk|se|dk|fi|ca|io)\b"
)
_DOMAIN_SECTION = re.compile(r"\bDOMAIN\.md §\d")
_DATED_PUBLICATION = re.compile(
    r"\b(?:press release|working paper|report|application|handbook)\b.{0,40}?\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_STANDARD = re.compile(r"\bISO \d{3,5}\b")
#: Named sources without a web address, cited by their full name.
_NAMED_SOURCES = ("US DOE Battery Workforce Initiative",)


def cites_or_assumes(source: str) -> bool:
    """True if a source starts with 'assumption' or cites something a reader can look up.

    A citation is a web address or domain, a section of DOMAIN.md (the project's sourced knowledge
    base), a dated publication, a standard, or one of a few named sources.
    """
    text = source.strip()
    if not text:
        return False
    if text.lower().startswith("assumption"):
        return True
    return bool(
        _URL.search(text)
        or _WEB_DOMAIN.search(text)
        or _DOMAIN_SECTION.search(text)
        or _DATED_PUBLICATION.search(text)
        or _STANDARD.search(text)
        or any(name in text for name in _NAMED_SOURCES)
    )


def default_rows(table: str) -> list[dict[str, str]]:
    with open(DATA_DIR / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def demo_result() -> ModelResult:
    return run_model(None, scenario="mid", draws=20, seed=0)


@pytest.fixture(scope="module")
def output_frames(demo_result: ModelResult) -> dict[str, pl.DataFrame]:
    return {**demo_result.frames, "meta": demo_result.meta_frame()}


# ------------------------------------------------------------------------- docs/model.md


def test_model_doc_mentions_every_known_parameter() -> None:
    assert missing_from("model.md", set(schema.KNOWN_PARAMETERS)) == []


def test_model_doc_mentions_every_default_table() -> None:
    assert missing_from("model.md", set(schema.DEFAULT_TABLES)) == []


def test_model_doc_mentions_every_output_frame_and_meta(
    output_frames: dict[str, pl.DataFrame],
) -> None:
    assert "meta" in output_frames
    assert missing_from("model.md", set(output_frames)) == []


def test_model_doc_mentions_every_column_of_every_output_frame(
    output_frames: dict[str, pl.DataFrame],
) -> None:
    documented = backticked("model.md")
    missing = [
        f"{name}.{column}"
        for name, frame in output_frames.items()
        for column in frame.columns
        if column not in documented
    ]
    assert missing == []


def test_model_doc_mentions_every_meta_key(demo_result: ModelResult) -> None:
    assert missing_from("model.md", set(demo_result.meta)) == []


def test_model_doc_mentions_every_metric_detail_kind_and_horizon(
    output_frames: dict[str, pl.DataFrame],
) -> None:
    values: set[str] = set()
    for frame in ("national", "totals", "by_level", "by_area"):
        values |= set(output_frames[frame]["metric"].unique().to_list())
    values |= set(output_frames["detail"]["kind"].unique().to_list())
    values |= {"imputed", "reported", "carried_forward", "unallocated_supply"}
    values |= {"none", "short", "medium", "long"}
    assert missing_from("model.md", values) == []


# ------------------------------------------------------------------------ docs/bundle.md


def test_bundle_doc_mentions_every_table() -> None:
    assert missing_from("bundle.md", set(schema.TABLES)) == []


@pytest.mark.parametrize("table", sorted(schema.TABLES))
def test_bundle_doc_mentions_every_column_of_the_table(table: str) -> None:
    assert missing_from("bundle.md", set(schema.TABLES[table].column_names)) == []


def test_bundle_doc_lists_every_plausible_bound_with_its_maximum_unit_and_reason() -> None:
    """The table under *Plausible bounds* is the shipped bounds.csv, row for row (issue 15)."""
    text = (DOCS / "bundle.md").read_text(encoding="utf-8")
    documented: dict[tuple[str, str], tuple[float, str]] = {}
    row = re.compile(r"^\| `(\w+)` \| `(\w+)` \| ([0-9][0-9 e.]*) (.+?) \| (.+?) \|$", re.MULTILINE)
    for table, column, maximum, unit, reason in row.findall(text):
        documented[(table, column)] = (float(maximum.replace(" ", "")), f"{unit}: {reason}")
    shipped = default_rows("bounds")
    assert set(documented) == {(r["table"], r["column"]) for r in shipped}
    for r in shipped:
        maximum, said = documented[(r["table"], r["column"])]
        assert maximum == float(r["maximum"]), r
        assert said == f"{r['unit_en']}: {r['reason_en']}", r


# ------------------------------------------------------------------- sources of the data


@pytest.mark.parametrize(
    "source",
    [
        "",
        "   ",
        "my own estimate",
        "see above",
        "based on experience in the industry",
        "report",
        "synthetic demo data",
    ],
)
def test_the_source_rule_rejects_a_source_that_neither_cites_nor_assumes(source: str) -> None:
    assert not cites_or_assumes(source)


@pytest.mark.parametrize(
    "source",
    [
        "assumption: a guess, and it says so",
        "Assumption: capitalised",
        "https://www.ssb.no/klass/klassifikasjoner/7",
        "Tesla's 2014 Nevada application (rgj.com): 300 of 6 500 FTE in year 1",
        "DOMAIN.md §4 competence areas",
        "ICCT working paper, Jan 2024",
        "ISO 3166-1 alpha-2",
    ],
)
def test_the_source_rule_accepts_a_citation_or_an_assumption(source: str) -> None:
    assert cites_or_assumes(source)


@pytest.mark.parametrize("table", schema.DEFAULT_TABLES)
def test_every_default_table_has_a_source_column(table: str) -> None:
    with open(DATA_DIR / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert "source" in [h.strip() for h in header]


@pytest.mark.parametrize("table", schema.DEFAULT_TABLES)
def test_every_default_row_cites_a_source_or_says_it_is_an_assumption(table: str) -> None:
    rows = default_rows(table)
    assert rows, f"{table}.csv has no rows"
    bad = [
        (number, row.get("source") or "")
        for number, row in enumerate(rows, start=2)
        if not cites_or_assumes(row.get("source") or "")
    ]
    assert bad == [], f"{table}.csv rows (line, source) without a citation or assumption"


# -------------------------------------------------------------------------- the demo bundle


@pytest.fixture(scope="module")
def demo_inputs() -> dict[str, pl.DataFrame]:
    inputs = load_inputs(demo_bundle_path())
    return {name: inputs[name] for name in ("survey_needs", "organisations")}


def test_demo_survey_answers_are_labelled_synthetic_in_their_source(
    demo_inputs: dict[str, pl.DataFrame],
) -> None:
    survey = demo_inputs["survey_needs"]
    assert survey.height > 0
    unlabelled = survey.filter(
        pl.col("source").is_null()
        | ~pl.col("source").str.to_lowercase().str.starts_with("synthetic")
    )
    assert unlabelled.height == 0


def test_every_organisation_in_the_demo_survey_is_marked_synthetic(
    demo_inputs: dict[str, pl.DataFrame],
) -> None:
    respondents = set(demo_inputs["survey_needs"]["organisation"].to_list())
    organisations = demo_inputs["organisations"]
    synthetic = set(organisations.filter(pl.col("synthetic"))["id"].to_list())
    assert sorted(respondents - synthetic) == []


# ------------------------------------------------------------------------ architecture.md

_PATH = re.compile(r"(?<![\w/.:-])((?:[a-z_]+/)+(?:[a-z_0-9]+\.py)?)")


def test_the_architecture_page_names_only_rooms_and_files_that_exist() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    root = DOCS.parent
    package = root / "src" / "battkomp"
    named = set(_PATH.findall(text))
    assert len(named) > 30
    missing = sorted(p for p in named if not (package / p).exists() and not (root / p).exists())
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_the_architecture_page_names_every_room_of_the_package() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    package = DOCS.parent / "src" / "battkomp"
    rooms = {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    table = text.split("## The rooms", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)/` \|", table, flags=re.MULTILINE))
    assert listed == rooms, (
        f"rooms not on the page: {sorted(rooms - listed)}; gone: {sorted(listed - rooms)}"
    )
