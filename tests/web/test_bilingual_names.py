"""Names and descriptions in bokmål and English (issue 13): a Norwegian page shows the bokmål
text, an English page the English text, and a text missing in the page's language falls back to
the other language, marked (``lang`` for screen readers and a visible "(in Norwegian)")."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from battkomp.analysis.models import ModelRun, Publication, RunStatus, Scenario
from battkomp.core.bilingual import Text, guess_language, pick

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_pages() -> None:
    """Published pages are served from the shared cache, keyed by version: every test here
    publishes a version 1 of its own."""
    from django.core.cache import cache

    cache.clear()


def render(text: object) -> str:
    return Template("{{ t }}").render(Context({"t": text}))


# ------------------------------------------------------------------------------ the helpers


def test_a_text_in_the_pages_language_renders_plain_and_escaped() -> None:
    assert render(Text("Lab & co", "nb")) == "Lab &amp; co"


def test_a_fallback_renders_with_its_language_and_a_visible_mark() -> None:
    with translation.override("en"):
        html = render(Text("Batterilab <1>", "nb", fallback=True))
    assert html == (
        '<span lang="nb">Batterilab &lt;1&gt;</span> '
        '<span class="lang-fallback">(in Norwegian)</span>'
    )


def test_pick_prefers_the_active_language_and_falls_back_marked() -> None:
    class Obj:
        name_nb = "Batterilab"
        name_en = ""

    with translation.override("en"):
        got = pick(Obj(), "name")
    assert (str(got), got.lang, got.fallback) == ("Batterilab", "nb", True)
    with translation.override("nb"):
        got = pick(Obj(), "name")
    assert (str(got), got.lang, got.fallback) == ("Batterilab", "nb", False)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Demo: scenario mid", "nb"),
        ("Survey questions", "en"),
        ("Results, data and the model", "en"),
        ("Spørsmål om kartleggingen", "nb"),
        ("Kompetansebehov i batteriindustrien", "nb"),
        ("Master's programme in Materials Science and Engineering (MTMT, 5-year)", "en"),
        ("Bachelor of Engineering, Chemistry (Trondheim)", "en"),
        ("Fagskole i batteriproduksjon", "nb"),
    ],
)
def test_the_migrations_guess_the_language_of_an_existing_text(text: str, lang: str) -> None:
    assert guess_language(text) == lang


# ---------------------------------------------------------------------------- publications


def _publication(**texts: str) -> Publication:
    run = ModelRun.objects.create(scenario_name="high", draws=1, status=RunStatus.DONE)
    return Publication.objects.create(
        run=run,
        version=1,
        published_at=timezone.now(),
        meta={"scenario": "high", "draws": 1},
        **texts,
    )


def _page(path: str) -> str:
    response = Client().get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_publication_page_shows_the_title_and_note_in_the_pages_language() -> None:
    _publication(
        title_nb="Kompetansebehov 2026",
        title_en="Competence needs 2026",
        note_nb="Nytt i denne versjonen.",
        note_en="New in this version.",
    )
    nb, en = _page("/published/1/"), _page("/en/published/1/")
    assert "<h1>Kompetansebehov 2026</h1>" in nb
    assert "Nytt i denne versjonen." in nb
    assert "Competence needs 2026" not in nb
    assert "<h1>Competence needs 2026</h1>" in en
    assert "New in this version." in en
    assert "Kompetansebehov 2026" not in en
    assert "lang-fallback" not in nb + en


def test_a_title_missing_in_the_pages_language_falls_back_marked() -> None:
    _publication(title_nb="Kompetansebehov 2026", note_en="Only in English.")
    en = _page("/en/published/1/")
    assert (
        '<h1><span lang="nb">Kompetansebehov 2026</span> '
        '<span class="lang-fallback">(in Norwegian)</span></h1>'
    ) in en
    assert "<title>Kompetansebehov 2026 (version 1)" in en  # no markup in the title
    nb = _page("/published/1/")
    assert '<p lang="en">Only in English.</p>' in nb
    assert "<h1>Kompetansebehov 2026</h1>" in nb


def test_a_publication_needs_a_title_in_one_language() -> None:
    run = ModelRun.objects.create(scenario_name="high", draws=1, status=RunStatus.DONE)
    publication = Publication(run=run, version=1, published_at=timezone.now(), title_en="  ")
    with pytest.raises(ValidationError) as caught:
        publication.full_clean()
    assert list(caught.value.message_dict) == ["title_nb"]


def test_the_database_refuses_a_publication_without_a_title() -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        _publication()


# ------------------------------------------------------------------------------- scenarios


def test_a_publication_names_its_scenario_by_its_title_in_the_pages_language() -> None:
    from django.core.cache import cache

    Scenario.objects.create(name="high", title_nb="Høy utbygging", title_en="Revival")
    publication = _publication(title_nb="Behov", title_en="Needs")
    assert "<dd>Høy utbygging</dd>" in _page("/published/1/")
    assert "<dd>Revival</dd>" in _page("/en/published/1/")
    # the titles a snapshot was published with stay, whatever the scenario is renamed to
    Publication.objects.filter(pk=publication.pk).update(
        meta={**publication.meta, "scenario_title": {"nb": "Høy", "en": ""}}
    )
    cache.clear()
    assert "<dd>Høy</dd>" in _page("/published/1/")
    assert (
        '<dd><span lang="nb">Høy</span> <span class="lang-fallback">(in Norwegian)</span></dd>'
        in (_page("/en/published/1/"))
    )


def test_a_scenario_without_a_title_is_shown_by_its_code() -> None:
    _publication(title_nb="Behov")
    assert "<dd>high</dd>" in _page("/en/published/1/")


def test_the_demo_scenarios_have_titles_in_both_languages(world: Any) -> None:
    from battkomp.analysis.runs.actions import do_load_demo_scenarios

    Scenario.objects.all().delete()
    assert do_load_demo_scenarios() == 3
    for scenario in Scenario.objects.all():
        assert scenario.title_nb, scenario.name
        assert scenario.title_en, scenario.name
        assert scenario.title_nb != scenario.title_en


def test_an_analyst_gives_a_scenario_its_titles_in_the_form(world: Any) -> None:
    client = world.client("analyst")
    response = client.post(
        reverse("analysis:scenario_new"),
        {"name": "slow", "title_nb": "Treg", "title_en": "Slow", "weight": "1", "overrides": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    scenario = Scenario.objects.get(name="slow")
    assert (scenario.title_nb, scenario.title_en) == ("Treg", "Slow")
    page = client.get(reverse("analysis:scenarios")).content.decode()
    assert "<td>Treg</td>" in page
