"""Offer pages: who may list, register, change and delete offers, and who may only read them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.offers.actions import do_save_offer
from battkomp.offers.models import Offer
from battkomp.organisations.models import Organisation, OrganisationKind
from web.personas import PERSONAS, SECRETARIAT

EDITORS = ("institution", "analyst", "admin")
OUTSIDERS = ("company_a", "company_b", "handler")


def url(name: str, *args: object) -> str:
    """English pages, so the assertions do not depend on the bokmål translation."""
    with translation.override("en"):
        return reverse(name, args=args)


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "next=" in response["Location"]


def offer_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Battery production technology",
        "code": "fagskolen-battery",
        "kind": "programme",
        "level": "nkr5",
        "target_level": "",
        "study_places": 40,
        "candidates": None,
        "first_intake": 2024,
        "duration_years": 2,
        "ects": 120,
        "region": "32",
        "mode": "campus",
        "status": "exists",
        "completion_rate": None,
        "capture_share": None,
        "source": "test",
    }
    data.update(overrides)
    return data


def make_offer(world, institution=None, areas=None, **overrides) -> Offer:
    return do_save_offer(
        institution or world.institution,
        world.users["institution"],
        offer_data(**overrides),
        areas or [("electrochemistry", 0.5), ("cell_assembly", 0.5)],
    )


def form_post(areas=(("electrochemistry", "0.5"), ("cell_assembly", "0.5")), **overrides):
    """What the browser sends from the offer form: fields, then area rows with blank ones."""
    data = {k: ("" if v is None else v) for k, v in offer_data(**overrides).items()}
    data["name_en"] = data.pop("name", "")  # the form has a name in each language
    rows = [*areas, ("", ""), ("", ""), ("", "")]
    data.update(
        {
            "areas-TOTAL_FORMS": str(len(rows)),
            "areas-INITIAL_FORMS": "0",
            "areas-MIN_NUM_FORMS": "0",
            "areas-MAX_NUM_FORMS": "1000",
        }
    )
    for i, (area, weight) in enumerate(rows):
        data[f"areas-{i}-area"] = area
        data[f"areas-{i}-weight"] = weight
    return data


@pytest.fixture
def other_institution(world):
    """A second institution with its own editor, who must not touch the first one's offers."""
    org = Organisation.objects.create(
        name="Universitetet Demo", kind=OrganisationKind.EDUCATION, county="42"
    )
    editor = do_create_user("editor@universitetet.test", "x" * 12, Role.EDITOR, org)
    client = type(world.client("anonymous"))()
    client.force_login(editor)
    return org, client


# The list of own offers -----------------------------------------------------------------------


def test_an_editor_sees_their_institutions_offers_with_status_and_numbers(world):
    offer = make_offer(world)
    response = world.client("institution").get(url("offers:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert offer.name in body
    assert "Exists" in body
    assert ">40<" in body
    assert url("offers:edit", offer.pk) in body


def test_an_editor_does_not_see_another_institutions_offers_in_their_list(world, other_institution):
    org, _client = other_institution
    theirs = make_offer(world, institution=org, code="theirs", name="Their programme")
    body = world.client("institution").get(url("offers:mine")).content.decode()
    assert theirs.name not in body


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_the_secretariat_chooses_an_institution_from_the_list(world, persona):
    response = world.client(persona).get(url("offers:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.institution.name in body
    assert url("offers:institution", world.institution.pk) in body
    assert world.company_a.name not in body


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_companies_and_handlers_get_404_for_the_offer_list(world, persona):
    assert world.client(persona).get(url("offers:mine")).status_code == 404


def test_anonymous_visitors_are_sent_to_login_from_the_offer_list(world):
    assert_login_redirect(world.client("anonymous").get(url("offers:mine")))


# An institution's page (the secretariat manages any institution's offers) --------------------


@pytest.mark.parametrize("persona", EDITORS)
def test_the_institution_page_is_for_its_editors_and_the_secretariat(world, persona):
    offer = make_offer(world)
    response = world.client(persona).get(url("offers:institution", world.institution.pk))
    assert response.status_code == 200
    assert offer.name in response.content.decode()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_for_an_institution_page(world, persona):
    response = world.client(persona).get(url("offers:institution", world.institution.pk))
    assert response.status_code == 404


def test_another_institutions_editor_gets_404_for_an_institution_page(world, other_institution):
    _org, client = other_institution
    assert client.get(url("offers:institution", world.institution.pk)).status_code == 404


def test_a_company_has_no_offer_page_even_for_the_secretariat(world):
    response = world.client("analyst").get(url("offers:institution", world.company_a.pk))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_login_from_an_institution_page(world):
    assert_login_redirect(
        world.client("anonymous").get(url("offers:institution", world.institution.pk))
    )


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_the_secretariat_registers_an_offer_for_an_institution(world, persona):
    response = world.client(persona).post(
        url("offers:institution_new", world.institution.pk), form_post()
    )
    offer = Offer.objects.get(code="fagskolen-battery")
    assert response.status_code == 302
    assert response["Location"] == url("offers:detail", offer.pk)
    assert offer.institution == world.institution
    assert offer.updated_by == world.users[persona]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_register_an_offer_for_an_institution(world, persona):
    response = world.client(persona).post(
        url("offers:institution_new", world.institution.pk), form_post()
    )
    assert response.status_code == 404
    assert not Offer.objects.exists()


def test_anonymous_visitors_cannot_register_an_offer_for_an_institution(world):
    response = world.client("anonymous").post(
        url("offers:institution_new", world.institution.pk), form_post()
    )
    assert_login_redirect(response)
    assert not Offer.objects.exists()


# Registering an offer -------------------------------------------------------------------------


def test_an_editor_gets_the_empty_offer_form_with_blank_area_rows(world):
    response = world.client("institution").get(url("offers:new"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="areas-0-area"' in body
    assert 'name="areas-2-weight"' in body
    assert "<caption>" in body


def test_an_editor_registers_an_offer_with_its_areas(world):
    response = world.client("institution").post(
        url("offers:new"),
        form_post(
            areas=(("electrochemistry", "0,25"), ("cell_assembly", "0.75")),
            completion_rate="80 %",
            capture_share="0,5",
        ),
    )
    offer = Offer.objects.get(code="fagskolen-battery")
    assert response.status_code == 302
    assert response["Location"] == url("offers:detail", offer.pk)
    assert offer.institution == world.institution
    assert offer.study_places == 40
    assert offer.completion_rate == pytest.approx(0.8)
    assert offer.capture_share == pytest.approx(0.5)
    assert offer.updated_by == world.users["institution"]
    assert {a.area: a.weight for a in offer.areas.all()} == {
        "electrochemistry": pytest.approx(0.25),
        "cell_assembly": pytest.approx(0.75),
    }


def test_percentages_that_sum_to_100_are_accepted_as_weights(world):
    world.client("institution").post(
        url("offers:new"),
        form_post(
            areas=(("electrochemistry", "60"), ("cell_assembly", "40 %")),
        ),
    )
    offer = Offer.objects.get(code="fagskolen-battery")
    assert {a.area: a.weight for a in offer.areas.all()} == {
        "electrochemistry": pytest.approx(0.6),
        "cell_assembly": pytest.approx(0.4),
    }


def test_weights_that_do_not_sum_to_1_are_refused_with_a_clear_error_and_nothing_saved(world):
    response = world.client("institution").post(
        url("offers:new"),
        form_post(
            areas=(("electrochemistry", "0.5"), ("cell_assembly", "0.3")),
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The weights add up to 0.8; they must add up to 1" in body
    # The form comes back with what the user typed.
    assert 'value="Battery production technology"' in body
    assert 'value="0.3"' in body
    assert not Offer.objects.exists()


def test_the_same_area_twice_is_refused_naming_both_rows(world):
    response = world.client("institution").post(
        url("offers:new"),
        form_post(
            areas=(("electrochemistry", "0.5"), ("electrochemistry", "0.5")),
        ),
    )
    assert response.status_code == 400
    assert "Row 2: “Electrochemistry and cell chemistry” is already listed in row 1." in (
        response.content.decode()
    )
    assert not Offer.objects.exists()


def test_a_weight_without_an_area_is_refused_at_its_row(world):
    response = world.client("institution").post(
        url("offers:new"),
        form_post(
            areas=(("electrochemistry", "0.5"), ("", "0.5")),
        ),
    )
    assert response.status_code == 400
    assert "Choose the competence area this weight is for." in response.content.decode()
    assert not Offer.objects.exists()


def test_an_offer_without_areas_is_refused(world):
    response = world.client("institution").post(url("offers:new"), form_post(areas=()))
    assert response.status_code == 400
    assert "Give at least one competence area" in response.content.decode()
    assert not Offer.objects.exists()


def test_an_evu_offer_needs_the_level_it_counts_at(world):
    response = world.client("institution").post(
        url("offers:new"), form_post(level="evu", kind="module", target_level="")
    )
    assert response.status_code == 400
    assert "Required when the level is EVU" in response.content.decode()
    assert not Offer.objects.exists()
    response = world.client("institution").post(
        url("offers:new"), form_post(level="evu", kind="module", target_level="nkr5")
    )
    assert response.status_code == 302
    assert Offer.objects.get().target_level == "nkr5"


def test_an_offer_needs_study_places_or_candidates(world):
    response = world.client("institution").post(
        url("offers:new"), form_post(study_places="", candidates="")
    )
    assert response.status_code == 400
    assert "Give study places or candidates per year" in response.content.decode()
    assert not Offer.objects.exists()


def test_a_code_already_in_use_is_refused(world):
    make_offer(world)
    response = world.client("institution").post(url("offers:new"), form_post(name="Another"))
    assert response.status_code == 400
    assert "Another offer already has the code" in response.content.decode()
    assert Offer.objects.count() == 1


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_the_secretariat_is_sent_to_choose_an_institution_before_registering(world, persona):
    response = world.client(persona).post(url("offers:new"), form_post())
    assert response.status_code == 302
    assert response["Location"] == url("offers:mine")
    assert not Offer.objects.exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_companies_and_handlers_cannot_register_offers(world, persona):
    assert world.client(persona).get(url("offers:new")).status_code == 404
    assert world.client(persona).post(url("offers:new"), form_post()).status_code == 404
    assert not Offer.objects.exists()


def test_anonymous_visitors_are_sent_to_login_from_the_offer_form(world):
    assert_login_redirect(world.client("anonymous").get(url("offers:new")))
    assert_login_redirect(world.client("anonymous").post(url("offers:new"), form_post()))
    assert not Offer.objects.exists()


# Changing an offer ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", EDITORS)
def test_the_institutions_editor_and_the_secretariat_change_an_offer(world, persona):
    offer = make_offer(world)
    client = world.client(persona)
    form = client.get(url("offers:edit", offer.pk))
    assert form.status_code == 200
    assert 'value="fagskolen-battery"' in form.content.decode()
    response = client.post(
        url("offers:edit", offer.pk),
        form_post(name="Renamed", study_places="60", areas=(("hse", "1"),)),
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.name == "Renamed"
    assert offer.study_places == 60
    assert [(a.area, a.weight) for a in offer.areas.all()] == [("hse", 1.0)]
    assert offer.updated_by == world.users[persona]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_companies_and_handlers_get_404_when_changing_an_offer(world, persona):
    offer = make_offer(world)
    client = world.client(persona)
    assert client.get(url("offers:edit", offer.pk)).status_code == 404
    assert client.post(url("offers:edit", offer.pk), form_post(name="Hacked")).status_code == 404
    offer.refresh_from_db()
    assert offer.name == "Battery production technology"


def test_another_institutions_editor_gets_404_when_changing_an_offer(world, other_institution):
    offer = make_offer(world)
    _org, client = other_institution
    assert client.get(url("offers:edit", offer.pk)).status_code == 404
    assert client.post(url("offers:edit", offer.pk), form_post(name="Hacked")).status_code == 404
    offer.refresh_from_db()
    assert offer.name == "Battery production technology"


def test_anonymous_visitors_are_sent_to_login_when_changing_an_offer(world):
    offer = make_offer(world)
    assert_login_redirect(world.client("anonymous").get(url("offers:edit", offer.pk)))
    response = world.client("anonymous").post(url("offers:edit", offer.pk), form_post(name="X"))
    assert_login_redirect(response)
    offer.refresh_from_db()
    assert offer.name == "Battery production technology"


def test_an_unknown_offer_gives_404(world):
    assert world.client("institution").get(url("offers:edit", 999999)).status_code == 404
    assert world.client("anonymous").get(url("offers:detail", 999999)).status_code == 404


def test_a_failed_change_keeps_the_stored_offer(world):
    offer = make_offer(world)
    response = world.client("institution").post(
        url("offers:edit", offer.pk), form_post(name="Renamed", areas=(("hse", "0.4"),))
    )
    assert response.status_code == 400
    offer.refresh_from_db()
    assert offer.name == "Battery production technology"
    assert offer.areas.count() == 2


# Deleting an offer ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", EDITORS)
def test_the_institutions_editor_and_the_secretariat_delete_an_offer_after_confirming(
    world, persona
):
    offer = make_offer(world)
    client = world.client(persona)
    confirm = client.get(url("offers:delete", offer.pk))
    assert confirm.status_code == 200
    assert Offer.objects.filter(pk=offer.pk).exists()
    response = client.post(url("offers:delete", offer.pk))
    assert response.status_code == 302
    expected = (
        url("offers:mine")
        if persona == "institution"
        else url("offers:institution", world.institution.pk)
    )
    assert response["Location"] == expected
    assert not Offer.objects.filter(pk=offer.pk).exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_companies_and_handlers_get_404_when_deleting_an_offer(world, persona):
    offer = make_offer(world)
    assert world.client(persona).get(url("offers:delete", offer.pk)).status_code == 404
    assert world.client(persona).post(url("offers:delete", offer.pk)).status_code == 404
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_another_institutions_editor_gets_404_when_deleting_an_offer(world, other_institution):
    offer = make_offer(world)
    _org, client = other_institution
    assert client.post(url("offers:delete", offer.pk)).status_code == 404
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_anonymous_visitors_are_sent_to_login_when_deleting_an_offer(world):
    offer = make_offer(world)
    assert_login_redirect(world.client("anonymous").post(url("offers:delete", offer.pk)))
    assert Offer.objects.filter(pk=offer.pk).exists()


# Reading an offer (public) --------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_reads_an_offers_page(world, persona):
    offer = make_offer(world, completion_rate=0.8)
    response = world.client(persona).get(url("offers:detail", offer.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert offer.name in body
    assert "Electrochemistry and cell chemistry" in body
    assert "80 %" in body
    can_edit = persona in EDITORS
    assert (url("offers:edit", offer.pk) in body) is can_edit


def test_the_offer_page_is_in_bokmal_at_the_default_address(world):
    offer = make_offer(world)
    response = world.client("anonymous").get(f"/offers/{offer.pk}/")
    assert response.status_code == 200
    assert "Elektrokjemi og cellekjemi" in response.content.decode()


# The back office ------------------------------------------------------------------------------


def test_the_admin_lists_and_opens_offers_for_administrators_only(world):
    offer = make_offer(world)
    admin = world.client("admin")
    assert admin.get("/admin/offers/offer/").status_code == 200
    page = admin.get(f"/admin/offers/offer/{offer.pk}/change/")
    assert page.status_code == 200
    assert "electrochemistry" in page.content.decode()
    response = world.client("analyst").get("/admin/offers/offer/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
