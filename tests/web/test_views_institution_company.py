"""The institution's view ("Gaps we can close") and the company's view ("Our gaps") of the latest
published snapshot: who may open them, that a company sees only its own answers, and that the
institution sees only the areas its offers cover."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.accounts.models import AccessLog
from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.core.codes import label
from battkomp.demo import load_demo
from battkomp.offers.actions import do_save_offer
from battkomp.survey.actions import (
    do_invite_organisations,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import Participant, Round
from web.shared import NEEDLE_TEXT as NEEDLE
from web.shared import PLANTED

OWN = 417


def en(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def en_label(kind: str, code: str) -> str:
    with translation.override("en"):
        return label(kind, code)


def answer(world: Any, persona: str, rnd: Round, new_hires: int, area: str) -> None:
    org = getattr(world, persona)
    (participant,) = do_invite_organisations(rnd, [org], world.users["analyst"])
    lines = [
        {
            "role": "chemist",
            "level": "nkr7",
            "area": area,
            "year": year,
            "new_hires": new_hires if year == rnd.years[-1] else 1,
            "total_staff": 12,
        }
        for year in rnd.years
    ]
    do_submit_response(participant, world.users[persona], lines=lines)


def offer(world: Any) -> None:
    data = {
        "code": "batt-fag",
        "name": "Battery technician",
        "kind": "programme",
        "level": "nkr5",
        "target_level": "",
        "study_places": 30,
        "candidates": None,
        "first_intake": 2024,
        "duration_years": 2,
        "ects": 120,
        "region": "32",
        "mode": "campus",
        "status": "exists",
        "completion_rate": None,
        "capture_share": None,
        "source": "",
    }
    do_save_offer(
        world.institution,
        world.users["institution"],
        data,
        [("electrochemistry", 0.5), ("hse", 0.5)],
    )


@pytest.fixture
def published(world: Any) -> Publication:
    """A snapshot of the demo run, published before the companies answer (its years are then
    published), then company A's and B's answers and the institution's offer."""
    load_demo()
    mid = Scenario.objects.get(name="mid")
    run = do_start_run(world.users["analyst"], scenario=mid, draws=30, seed=7)
    assert run.status == RunStatus.DONE, run.error
    publication = do_publish_run(run, world.users["analyst"], title="Demo")
    rnd = Round.objects.get(name="BattKOMP demo 2026")
    answer(world, "company_a", rnd, OWN, "cell_design")
    answer(world, "company_b", rnd, PLANTED, "recycling_hydrometallurgy")
    offer(world)
    return publication


# --- who may see them ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "query", "status"),
    [
        ("company_a", "", 200),
        ("company_b", "", 200),
        ("institution", "", 404),
        ("handler", "", 404),
        ("analyst", "", 404),
        ("admin", "", 404),
    ],
)
def test_the_company_view_is_for_respondents_and_analysts_with_an_organisation(
    world: Any, persona: str, query: str, status: int
) -> None:
    response = world.client(persona).get(en("analysis:company_view") + query)
    assert response.status_code == status


def test_a_company_cannot_open_another_companys_view_by_parameter(world: Any) -> None:
    url = en("analysis:company_view")
    assert (
        world.client("company_b").get(f"{url}?organisation={world.company_a.pk}").status_code == 404
    )
    assert (
        world.client("company_a").get(f"{url}?organisation={world.company_a.pk}").status_code == 200
    )


@pytest.mark.parametrize("persona", ["analyst", "admin"])
def test_an_analyst_opens_a_company_view_with_the_parameter(world: Any, persona: str) -> None:
    url = f"{en('analysis:company_view')}?organisation={world.company_a.pk}"
    response = world.client(persona).get(url)
    assert response.status_code == 200
    assert world.company_a.name in response.content.decode()
    bad = world.client(persona).get(f"{en('analysis:company_view')}?organisation=999999")
    assert bad.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("institution", 200), ("company_a", 404), ("company_b", 404), ("handler", 404)],
)
def test_the_institution_view_is_for_the_institutions_editors(
    world: Any, persona: str, status: int
) -> None:
    assert world.client(persona).get(en("analysis:institution_view")).status_code == status


def test_an_analyst_opens_an_institution_view_with_the_parameter_only(world: Any) -> None:
    url = en("analysis:institution_view")
    client = world.client("analyst")
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?institution={world.company_a.pk}").status_code == 404
    response = client.get(f"{url}?institution={world.institution.pk}")
    assert response.status_code == 200
    assert world.institution.name in response.content.decode()


@pytest.mark.parametrize("name", ["analysis:company_view", "analysis:institution_view"])
def test_anonymous_visitors_are_sent_to_log_in(world: Any, name: str) -> None:
    response = world.client("anonymous").get(en(name))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"] or "/login" in response["Location"]


def test_the_navigation_links_each_role_to_its_view(world: Any) -> None:
    company = world.client("company_a").get(en("home")).content.decode()
    institution = world.client("institution").get(en("home")).content.decode()
    assert en("analysis:company_view") in company
    assert en("analysis:institution_view") not in company
    assert en("analysis:institution_view") in institution
    assert en("analysis:company_view") not in institution


# --- without a publication -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["analysis:company_view", "analysis:institution_view"])
def test_without_a_publication_the_views_say_so(world: Any, name: str) -> None:
    persona = "company_a" if name == "analysis:company_view" else "institution"
    response = world.client(persona).get(en(name))
    assert response.status_code == 200
    assert "No results have been published yet" in response.content.decode()


# --- what they show ------------------------------------------------------------------------------


def test_the_company_view_shows_its_own_numbers_and_not_another_companys(
    published: Publication, world: Any
) -> None:
    text = world.client("company_a").get(en("analysis:company_view")).content.decode()
    assert f">{OWN}<" in text
    assert en_label("area", "cell_design") in text
    assert en_label("area", "recycling_hydrometallurgy") not in text
    assert not NEEDLE.search(text)
    assert "No results have been published yet" not in text
    assert "Demo" in text  # the publication's title
    other = world.client("company_b").get(en("analysis:company_view")).content.decode()
    assert f">{OWN}<" not in other
    assert en_label("area", "cell_design") not in other


def test_an_analysts_read_of_a_companys_answers_is_logged(
    published: Publication, world: Any
) -> None:
    url = f"{en('analysis:company_view')}?organisation={world.company_a.pk}"
    before = AccessLog.objects.filter(organisation=world.company_a).count()
    text = world.client("analyst").get(url).content.decode()
    assert f">{OWN}<" in text
    assert AccessLog.objects.filter(organisation=world.company_a).count() == before + 1
    world.client("company_a").get(en("analysis:company_view"))
    assert AccessLog.objects.filter(organisation=world.company_a).count() == before + 1


def test_the_institution_view_lists_only_the_areas_its_offers_cover(
    published: Publication, world: Any
) -> None:
    text = world.client("institution").get(en("analysis:institution_view")).content.decode()
    assert en_label("area", "electrochemistry") in text
    assert en_label("area", "hse") in text
    assert en_label("area", "cell_design") not in text
    assert en_label("area", "recycling_hydrometallurgy") not in text
    assert en_label("level", "nkr5") in text
    assert en_label("level", "nkr8") not in text
    assert '<td class="num">15' in text  # 30 study places × weight 0.5
    assert "Mean shortage per year by competence area" in text
    assert not NEEDLE.search(text)


# --- the company's needs against the national gap, cell by cell ---------------------------------


def test_company_cells_sets_own_needs_against_the_published_cells_only() -> None:
    """Own needs are summed per level × area and year over roles; the national figures come from
    the published cells only (a suppressed cell-year shows nothing); most short first."""
    import polars as pl

    from battkomp.analysis.dashboards.stakeholders import company_cells

    def line(role: str, level: str, area: str, year: int, new: int | None) -> dict[str, Any]:
        return {
            "role": role,
            "level": level,
            "area": area,
            "year": year,
            "new_hires": new,
            "total_staff": 10,
        }

    lines = [
        line("chemist", "nkr7", "cell_design", 2026, 5),
        line("process_operator", "nkr7", "cell_design", 2026, 7),  # same cell, another role
        line("chemist", "nkr7", "cell_design", 2027, None),
        line("chemist", "nkr4", "hse", 2026, 3),
        line("chemist", "nkr4", "hse", 2027, 4),
    ]

    def rows(level: str, area: str, year: int, openings: float, gap: float, *, hidden: bool):
        return [
            {
                "year": year,
                "area": area,
                "level": level,
                "metric": m,
                "mean": None if hidden else v,
                "p10": None if hidden else v - 1,
                "p90": None if hidden else v + 1,
                "suppressed": hidden,
            }
            for m, v in (("openings", openings), ("gap", gap), ("shortage", max(gap, 0.0)))
        ]

    table = pl.DataFrame(
        rows("nkr7", "cell_design", 2026, 40.0, 12.0, hidden=False)
        + rows("nkr7", "cell_design", 2027, 50.0, 99.0, hidden=True)
        + rows("nkr4", "hse", 2026, 20.0, -3.0, hidden=False)
        + rows("nkr4", "hse", 2027, 22.0, 0.4, hidden=False)
        + rows("nkr6", "hse", 2026, 999.0, 999.0, hidden=False)  # a cell the company did not name
    )
    cells = company_cells(lines, table, [2026, 2027])
    assert [(c["level"], c["area"]) for c in cells] == [("nkr7", "cell_design"), ("nkr4", "hse")]
    design, hse = cells
    assert design["new_hires"] == 12
    assert design["years"][0]["new_hires"] == 12
    assert design["years"][1]["new_hires"] is None
    assert design["years"][1]["published"] is False  # the suppressed year shows no number
    assert design["years"][1]["openings"] is None
    assert design["openings"] == 40.0  # the published year only
    assert design["peak"]["year"] == 2026
    assert design["short_years"] == [2026]
    assert hse["openings"] == 42.0
    assert hse["short_years"] == []  # 0.4 rounds to no one
    assert company_cells(lines, None, [2026, 2027])[0]["published_years"] == 0


def test_the_company_view_sets_its_cells_against_the_national_gap(
    published: Publication, world: Any
) -> None:
    text = world.client("company_a").get(en("analysis:company_view")).content.decode()
    assert "Your needs against the national gap" in text
    assert en_label("level", "nkr7") in text
    # Only the company's own cell: one summary row (and its year-by-year table).
    assert text.count('<details class="cell-years">') == 1
    assert "Changes not submitted" not in text
    # A save after the submission: the page still counts the submission, and says so.
    participant = Participant.objects.get(organisation=world.company_a)
    do_save_response(participant, world.users["company_a"], lines=[])
    text = world.client("company_a").get(en("analysis:company_view")).content.decode()
    assert "Changes not submitted" in text
    assert text.count('<details class="cell-years">') == 1
