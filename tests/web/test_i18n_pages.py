"""Pages in bokmål (at /...) and English (at /en/...), numbers and dates in each language's format,
and the header's language switch: a plain form posting to /i18n/setlang/ that keeps the visitor
on the same page in the other language, without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from battkomp.offers.actions import do_save_offer
from battkomp.survey.actions import do_create_round, do_invite_organisations, do_open_round
from battkomp.survey.models import Participant


@pytest.fixture
def participant(world) -> Participant:
    """Company A's participation in an open round with a deadline of 1 March 2025."""
    round_ = do_create_round(
        None,
        name="Needs 2025",
        first_year=2025,
        last_year=2027,
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    do_open_round(round_, None)
    do_invite_organisations(round_, [world.company_a], None)
    return Participant.objects.get(round=round_, organisation=world.company_a)


@pytest.fixture
def big_offer(world):
    """2 469 study places a year, half of them electrochemistry: 1 234.5 in a grid cell."""
    return do_save_offer(
        world.institution,
        world.users["institution"],
        {
            "code": "big",
            "name": "Battery technology",
            "kind": "programme",
            "level": "nkr5",
            "target_level": "",
            "study_places": 2469,
            "candidates": None,
            "first_intake": 2024,
            "region": "32",
            "status": "exists",
        },
        [("electrochemistry", 0.5), ("hse", 0.5)],
    )


@dataclass(frozen=True)
class Page:
    persona: str
    name: str
    bokmal: str  # text only the bokmål page shows
    english: str  # the same text on the English page

    def path(self, world, participant: Participant, lang: str) -> str:
        args: list[Any] = []
        if self.name == "survey:response":
            args = [participant.pk]
        elif self.name == "offers:institution":
            args = [world.institution.pk]
        with translation.override(lang):
            return reverse(self.name, args=args)


PAGES = [
    Page(
        "anonymous",
        "home",
        "Kompetanse for batteriverdikjeden",
        "Competence for the battery value chain",
    ),
    Page("company_a", "home", "Våre behov", "Our needs"),
    Page("anonymous", "accounts:login", "Glemt passordet?", "Forgot your password?"),
    Page("anonymous", "offers:grid", "Tegnforklaring", "Legend"),
    Page("company_b", "offers:grid", "Filtrer oversikten", "Filter the grid"),
    Page(
        "company_a",
        "survey:my_rounds",
        "Kartleggingsrundene organisasjonen deres",
        "The survey rounds your organisation",
    ),
    Page("company_a", "survey:response", "Lagre og fortsett senere", "Save and continue later"),
    Page("company_a", "accounts:settings", "Kontoinnstillinger", "Account settings"),
    Page("institution", "offers:institution", "Registrer et nytt tilbud", "Register a new offer"),
    Page("analyst", "survey:rounds", "Alle runder, nyeste først", "All rounds, newest first"),
    Page("analyst", "analysis:home", "Last ned inndatapakken", "Download the input bundle"),
    Page("admin", "organisations:organisations", "Legg til en organisasjon", "Add an organisation"),
]
PAGE_IDS = [f"{p.persona}-{p.name}" for p in PAGES]

SWITCH = re.compile(
    r'<form class="lang" method="post" action="(?P<action>[^"]+)">.*?'
    r'name="next" value="(?P<next>[^"]*)".*?'
    r'<button type="submit" name="language" value="(?P<language>\w+)"',
    re.S,
)


def html_of(client: Client, path: str, **extra: Any) -> str:
    response = client.get(path, **extra)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="(\w+)">', html)
    assert match
    return match.group(1)


def switch_of(html: str) -> dict[str, str]:
    match = SWITCH.search(html)
    assert match, "the page has no language switch in its header"
    return {k: v.replace("&amp;", "&") for k, v in match.groupdict().items()}


# --- bokmål and English pages ------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_a_page_comes_in_bokmal_at_its_address_and_in_english_under_en(world, participant, page):
    client = world.client(page.persona)
    nb = html_of(client, page.path(world, participant, "nb"))
    en = html_of(client, page.path(world, participant, "en"))

    assert lang_of(nb) == "nb"
    assert page.bokmal in nb
    assert page.english not in nb
    # The header and footer too.
    assert "Hopp til innholdet" in nb
    assert "Bedriftenes svar er konfidensielle" in nb

    assert lang_of(en) == "en"
    assert page.english in en
    assert page.bokmal not in en
    assert "Skip to content" in en
    assert "Company answers are confidential" in en


def test_form_errors_come_in_the_pages_language(world, participant):
    client = world.client("company_a")
    data = {"action": "submit", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
    for lang, text in (("nb", "Legg til minst én linje"), ("en", "Add at least one line")):
        with translation.override(lang):
            path = reverse("survey:response", args=[participant.pk])
        response = client.post(path, data)
        assert response.status_code == 200
        assert text in response.content.decode()


def test_code_labels_come_in_the_pages_language(world, big_offer):
    client = world.client("anonymous")
    nb = html_of(client, reverse("offers:grid"))
    en = html_of(client, "/en" + reverse("offers:grid"))
    assert "Fagskole" in nb
    assert "Finnes" in nb
    assert "Exists" in en


# --- numbers and dates -------------------------------------------------------------------------


def test_numbers_are_formatted_per_language(world, big_offer):
    client = world.client("anonymous")
    nb = html_of(client, reverse("offers:grid"))
    en = html_of(client, "/en" + reverse("offers:grid"))
    # Bokmål: a thin no-break space (U+202F) between thousands and a decimal comma.
    assert ">1\u202f234,5</a>" in nb
    assert ">2\u202f469</td>" in nb
    assert "\xa0234" not in nb
    assert "1,234.5" not in nb
    assert ">1,234.5</a>" in en
    assert ">2,469</td>" in en
    assert "1\u202f234,5" not in en


def test_dates_are_formatted_per_language(world, participant):
    client = world.client("company_a")
    nb = html_of(client, reverse("survey:my_rounds"))
    en = html_of(client, "/en" + reverse("survey:my_rounds"))
    assert "1. mars 2025" in nb
    assert "1 March 2025" in en  # British: day before month
    assert "March 1, 2025" not in en
    assert "March" not in nb


# --- the language switch -----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_the_switch_on_every_page_leads_to_the_same_page_in_the_other_language_and_back(
    world, participant, page
):
    client = world.client(page.persona)
    nb_path = page.path(world, participant, "nb")
    en_path = page.path(world, participant, "en")

    form = switch_of(html_of(client, nb_path))
    assert form == {"action": "/i18n/setlang/", "next": nb_path, "language": "en"}
    response = client.post(form["action"], {"next": form["next"], "language": form["language"]})
    assert response.status_code == 302
    assert response["Location"] == en_path
    english = html_of(client, response["Location"])
    assert page.english in english

    form = switch_of(english)
    assert form == {"action": "/i18n/setlang/", "next": en_path, "language": "nb"}
    response = client.post(form["action"], {"next": form["next"], "language": form["language"]})
    assert response.status_code == 302
    assert response["Location"] == nb_path
    assert page.bokmal in html_of(client, response["Location"])


def test_the_switch_is_a_plain_form_that_works_with_csrf_checks_and_no_javascript(db):
    # The switch carries no CSRF token (pages for anonymous visitors are cached whole, the same
    # for everyone), and works with CSRF checks on.
    client = Client(enforce_csrf_checks=True)
    html = html_of(client, "/offers/")
    assert "<script" not in html
    assert 'action="/i18n/setlang/"' in html
    response = client.post("/i18n/setlang/", {"next": "/offers/", "language": "en"})
    assert response.status_code == 302
    assert response["Location"] == "/en/offers/"
    assert response.cookies["django_language"].value == "en"

    html = html_of(client, "/en/offers/")
    response = client.post("/i18n/setlang/", {"next": "/en/offers/", "language": "nb"})
    assert response["Location"] == "/offers/"
    assert response.cookies["django_language"].value == "nb"


def test_the_switch_keeps_the_query_string(world):
    client = world.client("anonymous")
    html = html_of(client, "/offers/?level=nkr5")
    assert switch_of(html)["next"] == "/offers/?level=nkr5"
    response = client.post("/i18n/setlang/", {"next": "/offers/?level=nkr5", "language": "en"})
    assert response["Location"] == "/en/offers/?level=nkr5"
    response = client.post("/i18n/setlang/", {"next": "/en/offers/?level=nkr5", "language": "nb"})
    assert response["Location"] == "/offers/?level=nkr5"


def test_the_switch_refuses_to_send_the_visitor_to_another_site(db):
    response = Client().post("/i18n/setlang/", {"next": "https://evil.example/", "language": "en"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- addresses outside the language prefixes (the API) ----------------------------------------


def test_the_api_pages_follow_the_visitors_language(world):
    anonymous = Client()
    assert "Endepunkter" in html_of(anonymous, "/api/docs")
    assert "Endpoints" in html_of(anonymous, "/api/docs", HTTP_ACCEPT_LANGUAGE="en")
    # The header's switch sets the language cookie and comes back to the same address.
    form = switch_of(html_of(anonymous, "/api/docs"))
    assert form["next"] == "/api/docs"
    response = anonymous.post("/i18n/setlang/", {"next": "/api/docs", "language": "en"})
    assert response["Location"] == "/api/docs"
    english = html_of(anonymous, "/api/docs")
    assert "Endpoints" in english
    assert lang_of(english) == "en"
    response = anonymous.post("/i18n/setlang/", {"next": "/api/docs", "language": "nb"})
    assert "Endepunkter" in html_of(anonymous, "/api/docs", HTTP_ACCEPT_LANGUAGE="en")

    # The operations' texts come from the OpenAPI schema, which stays English for machines.
    assert "List organisasjoner" in html_of(anonymous, "/api/docs", HTTP_ACCEPT_LANGUAGE="nb")
    schema = anonymous.get("/api/openapi.json", HTTP_ACCEPT_LANGUAGE="nb").json()
    assert schema["paths"]["/api/organisations"]["get"]["summary"] == "List organisations"

    tokens = world.client("company_a")
    assert "Lag et token" in html_of(tokens, reverse("api:tokens"))
    assert "Make a token" in html_of(tokens, reverse("api:tokens"), HTTP_ACCEPT_LANGUAGE="en")


def test_api_error_messages_follow_accept_language(world, participant):
    client = world.client("company_a")
    path = f"/api/responses/{participant.pk}/submit"
    nb = client.post(path)
    en = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
    assert nb.status_code == en.status_code == 422
    assert "Legg til minst én linje" in str(nb.json())
    assert "Add at least one line" in str(en.json())


def test_the_not_found_page_comes_in_the_pages_language(world):
    client = world.client("company_b")
    nb = client.get(f"/organisations/{world.company_a.pk + 1000}/")
    en = client.get(f"/en/organisations/{world.company_a.pk + 1000}/")
    assert nb.status_code == en.status_code == 404
    assert "Fant ikke siden" in nb.content.decode()
    assert "Page not found" in en.content.decode()
    assert switch_of(en.content.decode())["language"] == "nb"
