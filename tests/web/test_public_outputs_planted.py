"""No public output of a published snapshot reveals a suppressed number, over random planted
survey answers.

For each seed, organisations answer the demo round with random, distinctive numbers in random
cells made unsafe on purpose: a cell only one organisation reports, a cell only two report, and a
cell three report where one dominates. The round is run and published, and then EVERY public
output is rendered: every URL of the ``published:`` namespace (enumerated from its URL patterns,
so a route added later fails this test until it is covered here), the dashboard with every view
in ``dashboard.VIEWS`` in every download format, the report in every format and language, every
table in ``tables.TABLES`` as download and through the public API, the home page and the
institution's and company's views. None may contain:

* a planted number,
* the unprotected total of a survey cell that fails the disclosure rules (margins included),
* an unprotected model result of a cell the publication suppresses,

in any of the ways the pages write numbers (with or without thousands separators, rounded or
with decimals; XLSX opened up, PDF read back as text).
"""

from __future__ import annotations

import io
import math
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
import pytest
from django.urls import URLPattern, reverse
from django.utils import translation
from pypdf import PdfReader

from battkomp.accounts.actions import do_create_user
from battkomp.accounts.models import Role
from battkomp.analysis.dashboards import public as dashboard
from battkomp.analysis.models import ModelRun, Publication, RunStatus, Scenario
from battkomp.analysis.publishing import contributions, tables
from battkomp.analysis.publishing import urls as published_urls
from battkomp.analysis.publishing.actions import do_publish_run, survey_contributions
from battkomp.analysis.report.files import FORMATS as REPORT_FORMATS
from battkomp.analysis.report.files import LANGUAGES as REPORT_LANGUAGES
from battkomp.analysis.runs.actions import do_start_run
from battkomp.demo import load_demo
from battkomp.engine.bundle import load_inputs
from battkomp.engine.disclosure import Hierarchy, primary_unsafe, tabulate
from battkomp.engine.taxonomy import Taxonomy
from battkomp.organisations.models import Organisation, OrganisationKind
from battkomp.survey.actions import do_invite_organisations, do_submit_response
from battkomp.survey.models import Round
from web.personas import PASSWORD

#: Seeds 2027 and 5 once found a leak: a year's openings and shortage were protected with the
#: organisations' CUMULATIVE answers up to the year, so a year in which two organisations
#: reported nearly all new hires passed thanks to another organisation's earlier hires.
#: contributions.yearly now tests every year on its own answers too.
SEEDS = [11, 13, 2027, 5]
DRAWS = 10
#: Numbers below this are not searched for: small numbers occur everywhere by chance. Planted
#: numbers are far above it, and so is every total they dominate.
SMALLEST = 100_000
SEPARATOR = r"(?:,|\u00a0|\u202f| |&nbsp;|&#160;|&#xa0;)?"
#: The routes of the published: namespace this test renders; a new route must be added here.
COVERED_ROUTES = {"list", "compare", "detail", "report", "dashboard", "download"}


@dataclass
class Planted:
    publication: Publication
    run: ModelRun
    values: list[int]
    round: Round


def _distinctive(rng: random.Random, taken: set[int]) -> int:
    """A six-digit number with no repeated digit pair (unlike any round number)."""
    while True:
        n = rng.randrange(400_000, 1_000_000)
        text = str(n)
        if n not in taken and len(set(text)) >= 5:
            taken.add(n)
            return n


def _lines(rnd: Round, cells: list[tuple[str, str, str, int, int]]) -> list[dict[str, Any]]:
    """A full response: for each (role, level, area) every year of the round, the planted number
    in its year and 0 in the others."""
    out = []
    for role, level, area, year, value in cells:
        for y in rnd.years:
            out.append(
                {
                    "role": role,
                    "level": level,
                    "area": area,
                    "year": y,
                    "new_hires": value if y == year else 0,
                    "total_staff": 2,
                }
            )
    return out


def _plant(world: Any, seed: int) -> Planted:
    load_demo()
    rng = random.Random(seed)
    rnd = Round.objects.get(name="BattKOMP demo 2026")
    profile = load_inputs(None)["role_profile"].select("role", "level", "area").rows()
    combos = rng.sample(sorted(set(profile)), 3)
    years = [rng.choice(rnd.years) for _ in combos]
    orgs, users = [], []
    for i in range(4):
        org = Organisation.objects.create(
            name=f"Planted {seed}-{i} AS",
            kind=OrganisationKind.COMPANY,
            segments=[rng.choice(["cell_manufacturing", "active_materials", "recycling"])],
            county=rng.choice(["42", "50", "15"]),
        )
        orgs.append(org)
        users.append(do_create_user(f"p{seed}-{i}@planted.test", PASSWORD, Role.RESPONDENT, org))
    taken: set[int] = set()
    single, pair, dominant = combos
    big = [_distinctive(rng, taken) for _ in range(4)]
    answers: dict[int, list[tuple[str, str, str, int, int]]] = {i: [] for i in range(4)}
    # one organisation alone in a cell (fewer than three)
    answers[0].append((*single, years[0], big[0]))
    # two organisations in a cell
    answers[1].append((*pair, years[1], big[1]))
    answers[2].append((*pair, years[1], big[2]))
    # three in a cell, one dominating (the p% rule)
    answers[3].append((*dominant, years[2], big[3]))
    answers[1].append((*dominant, years[2], 1))
    answers[2].append((*dominant, years[2], 2))
    participants = do_invite_organisations(rnd, orgs, world.users["analyst"])
    by_org = {p.organisation_id: p for p in participants}
    for i, org in enumerate(orgs):
        do_submit_response(by_org[org.pk], users[i], lines=_lines(rnd, answers[i]))
    mid = Scenario.objects.get(name="mid")
    run = do_start_run(world.users["analyst"], scenario=mid, round=rnd, draws=DRAWS, seed=seed)
    assert run.status == RunStatus.DONE, run.error
    publication = do_publish_run(run, world.users["analyst"], title=f"Planted {seed}")
    return Planted(publication, run, big, rnd)


# ------------------------------------------------------------------------ what must not show


def unsafe_survey_totals(rnd: Round) -> set[float]:
    """The unprotected totals of every survey cell (margins included) that fails the rules."""
    contrib = survey_contributions(rnd)
    parents = dict(Taxonomy.from_inputs(load_inputs(None)).area_parent)
    known = [a for a in contrib["area"].unique().to_list() if a not in set(parents.values())]
    data = contrib.filter(pl.col("area").is_in(known)).select(
        "contributor", "area", "level", "year", "value"
    )
    hierarchy = Hierarchy(parents={"area": parents, "level": {}, "year": {}})
    cells = tabulate(data, hierarchy)
    unsafe = cells.filter(primary_unsafe(cells))
    return {float(v) for v in unsafe["value"].to_list()}


#: The model's public tables split by area and level, with their split columns.
SPLITS = {
    "totals": (),
    "by_level": ("level",),
    "by_area": ("area",),
    "by_area_level": ("area", "level"),
}


def _unprotected(run: ModelRun, name: str) -> pl.DataFrame | None:
    """The run's own (unprotected) counterpart of a public table."""
    if name == "by_area_level":
        return tables.area_level_frame(run.frame("national"), run.frame("time_squeeze"))
    return run.frame(name)


def unsafe_model_values(p: Publication, run: ModelRun, rnd: Round) -> set[float]:
    """The run's numbers in the suppressed cells of the model tables whose survey answers (every
    new hire reported up to the year, and the latest staff) fail the rules: the model's
    results that a planted answer dominates. (A cell suppressed only to protect another one may
    be shown elsewhere, e.g. as a total when the other levels have no shortage.)"""
    contrib = survey_contributions(rnd)
    years = sorted({int(y) for y in run.frame("totals")["year"].to_list()})
    cumulative = contributions.cumulative(contrib, years)
    out: set[float] = set()
    for name, split in SPLITS.items():
        if name not in p.table_names():
            continue
        cells = tabulate(
            cumulative.select("contributor", *split, "year", "value"),
            Hierarchy(parents={c: {} for c in (*split, "year")}),
        )
        keys = ["year", *split]
        unsafe = cells.filter(
            primary_unsafe(cells) & pl.all_horizontal(pl.col(c).is_not_null() for c in keys)
        ).select(keys)
        hidden = p.table(name).filter(pl.col("suppressed")).select(*keys, "metric")
        own = _unprotected(run, name)
        assert own is not None
        rows = own.join(unsafe, on=keys).join(hidden, on=[*keys, "metric"])
        for column in ("mean", "p10", "p50", "p90"):
            out.update(float(v) for v in rows[column].to_list() if v is not None)
    return out


def needle(value: float) -> re.Pattern[str]:
    """The whole number part of ``value`` (rounded or cut), however the pages group digits."""
    forms = {math.floor(abs(value)), round(abs(value))}
    patterns = []
    for n in forms:
        digits = str(n)
        head = len(digits) % 3 or 3
        groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
        patterns.append(SEPARATOR.join(groups))
    return re.compile(r"(?<![\d.])(?:" + "|".join(patterns) + r")(?!\d)")


# ------------------------------------------------------------------------ every public output


def readable(content: bytes) -> str:
    """A response as text: XLSX opened up into its XML, PDF read back as text."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if content[:4] == b"%PDF":
        reader = PdfReader(io.BytesIO(content))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return content.decode("utf-8", "replace")


def route_names() -> set[str]:
    return {p.name for p in published_urls.urlpatterns if isinstance(p, URLPattern) and p.name}


def public_urls_of(p: Publication) -> Iterator[tuple[str, str]]:
    """(persona, URL) of every public output of a snapshot."""
    v = p.version
    names = p.table_names()
    for lang in ("nb", "en"):
        with translation.override(lang):
            yield "anonymous", reverse("published:list")
            yield "anonymous", reverse("published:detail", args=[v])
            yield "anonymous", reverse("published:compare") + f"?a={v}&b={v}"
            yield "anonymous", reverse("analysis:publications")
            yield "anonymous", reverse("home")
            base = reverse("published:dashboard", args=[v])
            yield "anonymous", base
            for view in dashboard.VIEWS:
                for fmt in dashboard.FORMATS:
                    yield "anonymous", f"{base}?view={view}&format={fmt}"
            for fmt in REPORT_FORMATS:
                for report_lang in REPORT_LANGUAGES:
                    url = reverse("published:report", args=[v])
                    yield "anonymous", f"{url}?format={fmt}&lang={report_lang}"
            for name in names:
                for fmt in ("csv", "xlsx"):
                    yield "anonymous", reverse("published:download", args=[v, name, fmt])
            yield "institution", reverse("analysis:institution_view")
            yield "company_b", reverse("analysis:company_view")
    yield "anonymous", "/api/publications"
    yield "anonymous", f"/api/publications/{v}"
    for name in names:
        yield "anonymous", f"/api/publications/{v}/tables/{name}"


@pytest.fixture(autouse=True)
def report_dir(settings: Any, tmp_path: Any) -> Any:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_every_route_of_the_published_namespace_is_covered() -> None:
    assert route_names() == COVERED_ROUTES, (
        "a public route was added or removed: render it in public_urls_of() and update "
        "COVERED_ROUTES"
    )
    assert set(tables.TABLES) >= {"totals", "by_level", "by_area", "survey_needs"}


@pytest.mark.parametrize(
    "seed",
    # each seed publishes and renders every public output (about a minute of CPU): the seed that
    # found the leak runs in every run of the suite, the others with the slow tests
    [s if s == 2027 else pytest.param(s, marks=pytest.mark.slow) for s in SEEDS],
)
def test_no_public_output_shows_a_suppressed_number(world: Any, seed: int) -> None:
    planted = _plant(world, seed)
    p = planted.publication
    assert set(tables.TABLES) <= set(p.table_names())
    survey = unsafe_survey_totals(planted.round)
    model = unsafe_model_values(p, planted.run, planted.round)
    secrets = {float(v) for v in planted.values} | survey | model
    secrets = {v for v in secrets if abs(v) >= SMALLEST}
    # the planted numbers and the cells they dominate are among them
    assert {float(v) for v in planted.values} <= secrets
    assert any(v > max(planted.values) for v in secrets)
    patterns = [(v, needle(v)) for v in sorted(secrets)]
    # the planted cells are published, noised: no published number is within p % of one
    survey = p.table("survey_needs")
    shown = [v for v in survey["new_hires"].to_list() if v is not None]
    for value in planted.values:
        assert all(abs(v / value - 1) > 0.10 for v in shown), value
    assert "J" in survey["quality"].to_list()

    seen = 0
    for persona, url in public_urls_of(p):
        response = world.client(persona).get(url)
        assert response.status_code == 200, (persona, url, response.status_code)
        text = readable(response.content)
        seen += 1
        for value, pattern in patterns:
            found = pattern.search(text)
            assert found is None, (
                url,
                persona,
                value,
                text[max(found.start() - 120, 0) : found.end() + 120],
            )
    assert seen > 50
