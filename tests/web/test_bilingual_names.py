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


# -------------------------------------------------------------------------------- measures

MEASURE = {
    "commandment": 4,
    "lever": "evu_module",
    "horizon": "",
    "places_per_year": 20,
    "start_year": 2027,
    "source": "test",
}


def _measure(**texts: str) -> Any:
    from battkomp.measures.actions import do_save_measure

    return do_save_measure(
        None, {**MEASURE, **texts}, [("nkr4", "cell_assembly", 1)], status="agreed"
    )


def test_a_measure_shows_its_title_and_description_in_the_pages_language() -> None:
    m = _measure(
        title_nb="HMS-modul om tørrom",
        title_en="Dry-room HSE module",
        description_nb="For operatører.",
        description_en="For operators.",
    )
    for lang, title, description, other in (
        ("nb", "HMS-modul om tørrom", "For operatører.", "Dry-room HSE module"),
        ("en", "Dry-room HSE module", "For operators.", "HMS-modul om tørrom"),
    ):
        prefix = "/en" if lang == "en" else ""
        detail = _page(f"{prefix}/measures/{m.pk}/")
        assert f"<h1>{title}</h1>" in detail
        assert f">{description}</p>" in detail
        assert other not in detail
        assert title in _page(f"{prefix}/measures/")


def test_a_measure_title_missing_in_the_pages_language_falls_back_marked() -> None:
    m = _measure(title_nb="HMS-modul om tørrom", description_en="For operators.")
    detail = _page(f"/en/measures/{m.pk}/")
    assert (
        '<h1><span lang="nb">HMS-modul om tørrom</span> '
        '<span class="lang-fallback">(in Norwegian)</span></h1>'
    ) in detail
    assert "<title>HMS-modul om tørrom · battkomp</title>" in detail
    assert '<span lang="nb">HMS-modul om tørrom</span>' in _page("/en/measures/")
    assert '<p lang="en">For operators.</p>' in _page(f"/measures/{m.pk}/")


def test_a_measure_needs_a_title_in_one_language() -> None:
    with pytest.raises(ValidationError) as caught:
        _measure(title_nb=" ", title_en="")
    assert "title_nb" in caught.value.message_dict


def test_the_measure_form_takes_both_titles_and_needs_one(world: Any) -> None:
    from battkomp.measures.models import Measure

    client = world.client("analyst")
    data = {
        **MEASURE,
        "status": "agreed",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-level": "nkr4",
        "targets-0-area": "cell_assembly",
        "targets-0-weight": "1",
    }
    response = client.post(reverse("measures:new"), {**data, "title_nb": "", "title_en": ""})
    assert response.status_code == 400
    assert 'href="#id_title_nb"' in response.content.decode()
    response = client.post(
        reverse("measures:new"), {**data, "title_nb": "Tørrom", "title_en": "Dry room"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    m = Measure.objects.get()
    assert (m.title_nb, m.title_en) == ("Tørrom", "Dry room")


def test_the_measures_api_gives_both_titles_and_the_callers_language(world: Any) -> None:
    m = _measure(title_nb="Tørrom", title_en="Dry room")
    client = world.client("analyst")
    nb = client.get(f"/api/measures/{m.pk}", HTTP_ACCEPT_LANGUAGE="nb").json()
    en = client.get(f"/api/measures/{m.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (nb["title"], en["title"]) == ("Tørrom", "Dry room")
    assert (nb["title_nb"], nb["title_en"]) == ("Tørrom", "Dry room")
    # an older client's single title is in its language
    body = {
        **MEASURE,
        "title": "Only English",
        "targets": [{"level": "nkr4", "area": "cell_assembly", "weight": 1}],
    }
    response = client.post(
        "/api/measures", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["title_nb"], response.json()["title_en"]) == ("", "Only English")
    nothing = {**body, "title": ""}
    response = client.post(
        "/api/measures", nothing, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title_nb"]


# -------------------------------------------------------------------------- infrastructure


def _lab(**texts: str) -> Any:
    from battkomp.measures.actions import do_save_infrastructure

    data = {"kind": "lab", "region": "50", "owner_name": "SINTEF", "public": True, **texts}
    return do_save_infrastructure(None, data)


def test_infrastructure_shows_its_name_and_texts_in_the_pages_language() -> None:
    lab = _lab(
        name_nb="Batterilab",
        name_en="Battery lab",
        description_nb="Tørrom.",
        description_en="Dry room.",
        access_terms_nb="Etter avtale.",
        access_terms_en="By agreement.",
    )
    nb, en = _page(f"/infrastructure/{lab.pk}/"), _page(f"/en/infrastructure/{lab.pk}/")
    assert "<h1>Batterilab</h1>" in nb
    assert "Etter avtale." in nb
    assert "Battery lab" not in nb
    assert "<h1>Battery lab</h1>" in en
    assert "By agreement." in en
    assert "Batterilab" not in en
    assert "Batterilab" in _page("/infrastructure/")
    assert "Battery lab" in _page("/en/infrastructure/")


def test_an_infrastructure_name_missing_in_the_pages_language_falls_back_marked() -> None:
    lab = _lab(name_en="Battery lab", access_terms_en="By agreement.")
    nb = _page(f"/infrastructure/{lab.pk}/")
    assert (
        '<h1><span lang="en">Battery lab</span> '
        '<span class="lang-fallback">(på engelsk)</span></h1>'
    ) in nb
    assert '<dd lang="en">By agreement.</dd>' in nb
    assert '<span lang="en">Battery lab</span>' in _page("/infrastructure/")


def test_the_infrastructure_api_gives_both_names(world: Any) -> None:
    _lab(name_nb="Batterilab", name_en="Battery lab")
    items = Client().get("/api/infrastructure", HTTP_ACCEPT_LANGUAGE="en").json()["items"]
    assert [(i["name"], i["name_nb"], i["name_en"]) for i in items] == [
        ("Battery lab", "Batterilab", "Battery lab")
    ]


def test_every_demo_measure_and_lab_has_its_texts_in_both_languages(db: None) -> None:
    from battkomp.demo import load_demo
    from battkomp.measures.models import Infrastructure, Measure

    load_demo()
    assert Measure.objects.exists()
    for m in Measure.objects.all():
        assert m.title_nb, m.pk
        assert m.title_en, m.pk
        assert m.title_nb != m.title_en
    assert Infrastructure.objects.exists()
    for i in Infrastructure.objects.all():
        for base in ("name", "description", "access_terms"):
            assert getattr(i, f"{base}_nb"), (i.pk, base)
            assert getattr(i, f"{base}_en"), (i.pk, base)


# ---------------------------------------------------------------------------------- offers

OFFER = {
    "code": "fagskolen-battery",
    "kind": "programme",
    "level": "nkr5",
    "study_places": 40,
    "first_intake": 2024,
    "region": "32",
    "status": "exists",
    "source": "test",
}


def _offer(world: Any, **texts: str) -> Any:
    from battkomp.offers.actions import do_save_offer

    return do_save_offer(
        world.institution, world.users["institution"], {**OFFER, **texts}, [("hse", 1.0)]
    )


def test_an_offer_shows_its_name_in_the_pages_language(world: Any) -> None:
    offer = _offer(world, name_nb="Batteriproduksjon", name_en="Battery production")
    nb = _page(f"/offers/{offer.pk}/")
    en = _page(f"/en/offers/{offer.pk}/")
    assert "<h1>Batteriproduksjon</h1>" in nb
    assert "Battery production" not in nb
    assert "<h1>Battery production</h1>" in en
    assert "Batteriproduksjon" not in en


def test_an_offer_name_missing_in_the_pages_language_falls_back_marked(world: Any) -> None:
    offer = _offer(world, name_en="Battery production")
    nb = _page(f"/offers/{offer.pk}/")
    assert (
        '<h1><span lang="en">Battery production</span> '
        '<span class="lang-fallback">(på engelsk)</span></h1>'
    ) in nb
    assert "<title>Battery production · battkomp</title>" in nb


def test_the_offer_form_takes_both_names_and_needs_one(world: Any) -> None:
    from battkomp.offers.models import Offer

    client = world.client("institution")
    data = {
        **OFFER,
        "mode": "campus",
        "areas-TOTAL_FORMS": "1",
        "areas-INITIAL_FORMS": "0",
        "areas-0-area": "hse",
        "areas-0-weight": "1",
    }
    response = client.post(reverse("offers:new"), {**data, "name_nb": "", "name_en": ""})
    assert response.status_code == 400
    assert 'href="#id_name_nb"' in response.content.decode()
    response = client.post(
        reverse("offers:new"), {**data, "name_nb": "Batteri", "name_en": "Battery"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    offer = Offer.objects.get()
    assert (offer.name_nb, offer.name_en) == ("Batteri", "Battery")


def test_the_offers_api_gives_both_names_and_takes_an_older_clients_name(world: Any) -> None:
    offer = _offer(world, name_nb="Batteri", name_en="Battery")
    client = world.client("institution")
    got = client.get(f"/api/offers/{offer.pk}", HTTP_ACCEPT_LANGUAGE="nb").json()
    assert (got["name"], got["name_nb"], got["name_en"]) == ("Batteri", "Batteri", "Battery")
    assert client.get(f"/api/offers/{offer.pk}", HTTP_ACCEPT_LANGUAGE="en").json()["name"] == (
        "Battery"
    )
    body = {
        **OFFER,
        "code": "older",
        "name": "Eldre klient",
        "areas": [{"area": "hse", "weight": 1}],
    }
    response = client.post(
        "/api/offers", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["name_nb"], response.json()["name_en"]) == ("Eldre klient", "")


def test_every_demo_offer_has_its_name_in_both_languages(db: None) -> None:
    from battkomp.demo import load_demo
    from battkomp.offers.models import Offer

    load_demo()
    assert Offer.objects.count() > 20
    for offer in Offer.objects.all():
        assert offer.name_nb, offer.code
        assert offer.name_en, offer.code


# --------------------------------------------------------------------------- routing rules


def test_a_routing_rule_shows_its_name_in_the_pages_language(world: Any) -> None:
    from battkomp.contact.actions import do_save_rule

    rule = do_save_rule(
        world.users["analyst"],
        None,
        name_nb="Spørsmål om kartleggingen",
        name_en="Survey questions",
        priority=10,
        owner=world.users["handler"],
        topic="survey",
    )
    client = world.client("analyst")
    nb = client.get(reverse("contact:rules")).content.decode()
    with translation.override("en"):
        en = client.get(reverse("contact:rules")).content.decode()
    assert "Spørsmål om kartleggingen" in nb
    assert "Survey questions" not in nb
    assert "Survey questions" in en
    assert "Spørsmål om kartleggingen" not in en
    rule.name_en = ""
    rule.save()
    with translation.override("en"):
        en = client.get(reverse("contact:rules")).content.decode()
    assert '<span lang="nb">Spørsmål om kartleggingen</span>' in en


def test_a_routing_rule_needs_a_name_in_one_language(world: Any) -> None:
    response = world.client("analyst").post(
        reverse("contact:rule_new"),
        {"name_nb": "", "name_en": "", "priority": "1", "topic": "press"},
    )
    assert "name_nb" in response.context["form"].errors


def test_every_demo_routing_rule_has_its_name_in_both_languages(db: None) -> None:
    from battkomp.contact.models import RoutingRule
    from battkomp.demo import load_demo

    load_demo()
    assert RoutingRule.objects.count() == 4
    for rule in RoutingRule.objects.all():
        assert rule.name_nb, rule.pk
        assert rule.name_en, rule.pk
