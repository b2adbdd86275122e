"""The public pages "Fra … til batteri": everyone reads them in bokmål and English, an unknown
occupation is 404, and the offers registered on the platform cover what an occupation misses."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.offers.actions import do_save_offer
from battkomp.offers.models import Offer
from web.personas import PERSONAS


def url(name: str, *args: object, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def make_offer(world: Any, code: str, areas: list[tuple[str, float]], **fields: object) -> Offer:
    data: dict[str, object] = {
        "name": f"Module {code}",
        "code": code,
        "kind": "module",
        "level": "evu",
        "target_level": "nkr4",
        "study_places": 20,
        "candidates": None,
        "first_intake": 2025,
        "duration_years": 0.75,
        "ects": 15,
        "region": "32",
        "mode": "online",
        "status": "exists",
        "completion_rate": None,
        "capture_share": None,
        "source": "test",
        **fields,
    }
    return do_save_offer(world.institution, world.users["institution"], data, areas)


def test_everyone_reads_the_index_in_both_languages(world: Any) -> None:
    for persona in PERSONAS:
        client = world.client(persona)
        english = client.get(url("pathways:index"))
        assert english.status_code == 200, persona
        html = english.content.decode()
        assert "From … to battery" in html
        assert "Process operator, oil and gas" in html
        assert url("pathways:detail", "3134") in html
        bokmal = client.get(url("pathways:index", lang="nb"))
        assert bokmal.status_code == 200, persona
        assert bokmal.request["PATH_INFO"] == "/pathways/"
        assert "Prosessoperatør, olje og gass" in bokmal.content.decode()


def test_the_nav_links_to_the_page_for_everyone(world: Any) -> None:
    for persona in PERSONAS:
        html = world.client(persona).get(url("home")).content.decode()
        assert f'href="{url("pathways:index")}"' in html, persona


def test_everyone_sees_the_best_roles_of_an_occupation(world: Any) -> None:
    for persona in PERSONAS:
        response = world.client(persona).get(url("pathways:detail", "3134"))
        assert response.status_code == 200, persona
        html = response.content.decode()
        assert "From process operator, oil and gas to battery" in html
        # the two best fits of an oil and gas operator, with their overlap
        assert "Process controller" in html
        assert "Process operator" in html
        assert "55 %" in html
        assert "<svg" in html
        profile = html.split("The competence profile of the occupation", 1)[1]
        assert "Chemical process and process operation" in profile
        assert "45 %" in profile
        assert "<script" not in html


def test_the_bokmal_page_is_in_bokmal(world: Any) -> None:
    response = world.client("anonymous").get(url("pathways:detail", "3134", lang="nb"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="nb"' in html
    assert "prosessoperatør, olje og gass" in html  # the heading names it in bokmål
    assert "Prosesskontrollør" in html
    assert "Process controller" not in html


def test_an_unknown_occupation_is_404_for_everyone(world: Any) -> None:
    for persona in PERSONAS:
        for code in ("9999", "not-a-code"):
            response = world.client(persona).get(url("pathways:detail", code))
            assert response.status_code == 404, (persona, code)


def test_choosing_an_occupation_leads_to_its_page_and_a_wrong_choice_says_so(world: Any) -> None:
    client = world.client("anonymous")
    response = client.get(url("pathways:index"), {"occupation": "7412"})
    assert response.status_code == 302
    assert response["Location"] == url("pathways:detail", "7412")

    response = client.get(url("pathways:index"), {"occupation": "0000"})
    assert response.status_code == 200
    assert "Occupation: choose one of the occupations in the list." in response.content.decode()


@pytest.mark.django_db
def test_registered_modules_cover_what_is_missing_with_the_total_duration(world: Any) -> None:
    module = make_offer(
        world, "electrode-module", [("electrode_manufacturing", 0.6), ("chemical_process", 0.4)]
    )
    # a programme is no retraining offer, however well it covers the areas
    make_offer(
        world,
        "process-programme",
        [("electrode_manufacturing", 0.5), ("chemical_process", 0.5)],
        kind="programme",
        level="nkr5",
        target_level="",
        duration_years=2,
    )

    html = world.client("anonymous").get(url("pathways:detail", "3134")).content.decode()

    controller = html.split('id="role-process_controller"', 1)[1].split("</section>", 1)[0]
    assert f'href="{url("offers:detail", module.pk)}"' in controller
    assert "Module electrode-module" in controller
    assert "Module process-programme" not in html
    assert "Total duration: about 9 months." in controller
    assert "Not covered by a registered offer" not in controller
    # the operator role also needs formation and recycling, which nothing registered covers:
    # 9 months of the module plus their shortfall (0.14 + 0.06) of the 4-year fagbrev (9.6)
    operator = html.split('id="role-process_operator"', 1)[1].split("</section>", 1)[0]
    assert "Total duration: about 19 months." in operator
    assert "Includes 10 months of training outside the registered offers." in operator
    assert (
        "Not covered by a registered offer: Formation, ageing and testing, Recycling and "
        "hydrometallurgy." in operator
    )


def test_without_offers_the_page_says_what_is_missing_and_that_nothing_covers_it(
    world: Any,
) -> None:
    html = world.client("anonymous").get(url("pathways:detail", "7411")).content.decode()
    electrician = html.split('id="role-electrician"', 1)[1].split("</section>", 1)[0]
    assert "Automation and robotics" in electrician
    assert "No offer registered on the platform covers what is missing yet." in electrician
    assert "Total duration: about 10 months." in electrician  # 0.2 of a 4-year fagbrev


def test_an_offer_named_only_in_the_other_language_is_marked_as_such(world: Any) -> None:
    """Offer names fall back to the other language marked, as every bilingual field does."""
    make_offer(
        world,
        "electrode-module",
        [("electrode_manufacturing", 0.6), ("chemical_process", 0.4)],
        name="",
        name_nb="Elektrodemodul",
        name_en="",
    )
    client = world.client("anonymous")
    english = client.get(url("pathways:detail", "3134")).content.decode()
    assert (
        '<span lang="nb">Elektrodemodul</span> <span class="lang-fallback">(in Norwegian)</span>'
        in english
    )
    bokmal = client.get(url("pathways:detail", "3134", lang="nb")).content.decode()
    assert "Elektrodemodul" in bokmal
    assert 'lang="nb">Elektrodemodul' not in bokmal
    assert "lang-fallback" not in bokmal.split("<main", 1)[1]
