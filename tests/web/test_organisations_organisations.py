"""The register of organisations: who may list, add, change and read them, and what is checked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from battkomp.organisations.access import access_organisation_for_user, organisations_for_user
from battkomp.organisations.actions import do_save_organisation
from battkomp.organisations.models import Organisation, OrganisationKind
from web.personas import OUTSIDERS, SECRETARIAT

VALID_NUMBER = "923609016"
INVALID_NUMBER = "923609017"


def url(name: str, *args: object) -> str:
    """English pages, so the assertions do not depend on the bokmål translation."""
    with translation.override("en"):
        return reverse(name, args=args)


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "next=" in response["Location"]


def org_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Newco Battery AS",
        "org_number": VALID_NUMBER,
        "kind": OrganisationKind.COMPANY,
        "segments": ["cell_manufacturing", "recycling"],
        "county": "18",
    }
    data.update(overrides)
    return data


# The list -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_and_admins_see_every_organisation_in_the_register(world, persona):
    response = world.client(persona).get(url("organisations:organisations"))
    assert response.status_code == 200
    body = response.content.decode()
    for org in (world.company_a, world.company_b, world.institution):
        assert org.name in body


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_and_handlers_get_404_for_the_register(world, persona):
    assert world.client(persona).get(url("organisations:organisations")).status_code == 404


def test_anonymous_visitors_are_sent_to_login_from_the_register(world):
    assert_login_redirect(world.client("anonymous").get(url("organisations:organisations")))


def test_the_register_filters_by_kind(world):
    response = world.client("analyst").get(
        url("organisations:organisations"), {"kind": "education"}
    )
    body = response.content.decode()
    assert world.institution.name in body
    assert world.company_a.name not in body
    assert world.company_b.name not in body


def test_the_register_filters_by_segment(world):
    response = world.client("analyst").get(
        url("organisations:organisations"), {"segment": "active_materials"}
    )
    body = response.content.decode()
    assert world.company_b.name in body
    assert world.company_a.name not in body
    assert world.institution.name not in body


def test_the_register_filters_by_county(world):
    response = world.client("analyst").get(url("organisations:organisations"), {"county": "42"})
    body = response.content.decode()
    assert world.company_a.name in body
    assert world.company_b.name not in body


def test_the_register_searches_names_and_org_numbers(world):
    do_save_organisation(None, {"org_number": VALID_NUMBER}, world.company_b)
    client = world.client("analyst")
    by_name = client.get(url("organisations:organisations"), {"q": "cellco"}).content.decode()
    assert world.company_a.name in by_name
    assert world.company_b.name not in by_name
    by_number = client.get(url("organisations:organisations"), {"q": "923 609"}).content.decode()
    assert world.company_b.name in by_number
    assert world.company_a.name not in by_number


def test_the_register_says_so_when_no_organisation_matches(world):
    response = world.client("analyst").get(
        url("organisations:organisations"), {"q": "no such name"}
    )
    assert "No organisation matches these filters." in response.content.decode()


def test_an_unknown_filter_value_is_reported_and_ignored(world):
    response = world.client("analyst").get(url("organisations:organisations"), {"kind": "pirate"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert world.company_a.name in body


# Adding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_and_admins_add_an_organisation(world, persona):
    client = world.client(persona)
    assert client.get(url("organisations:organisation_new")).status_code == 200
    response = client.post(
        url("organisations:organisation_new"), org_form(org_number="923 609 016")
    )
    org = Organisation.objects.get(name="Newco Battery AS")
    assert response.status_code == 302
    assert response["Location"] == url("organisations:organisation_detail", org.pk)
    assert org.org_number == VALID_NUMBER
    assert org.kind == OrganisationKind.COMPANY
    assert org.segments == ["cell_manufacturing", "recycling"]
    assert org.county == "18"
    assert org.synthetic is False


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_and_handlers_cannot_add_organisations(world, persona):
    client = world.client(persona)
    assert client.get(url("organisations:organisation_new")).status_code == 404
    assert client.post(url("organisations:organisation_new"), org_form()).status_code == 404
    assert not Organisation.objects.filter(name="Newco Battery AS").exists()


def test_anonymous_visitors_cannot_add_organisations(world):
    client = world.client("anonymous")
    assert_login_redirect(client.get(url("organisations:organisation_new")))
    assert_login_redirect(client.post(url("organisations:organisation_new"), org_form()))
    assert not Organisation.objects.filter(name="Newco Battery AS").exists()


def test_an_invalid_org_number_is_shown_on_the_form_and_nothing_is_saved(world):
    before = Organisation.objects.count()
    response = world.client("analyst").post(
        url("organisations:organisation_new"), org_form(org_number=INVALID_NUMBER)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{INVALID_NUMBER} is not a valid organisation number" in body
    assert 'id="id_org_number_error"' in body
    assert 'value="Newco Battery AS"' in body  # the form keeps what was typed
    assert Organisation.objects.count() == before


@pytest.mark.parametrize("number", ["12345678", "1234567890", "92360901A", "923609017"])
def test_org_numbers_without_a_valid_check_digit_are_rejected(world, number):
    with pytest.raises(ValidationError) as caught:
        do_save_organisation(None, {"name": "X AS", "kind": "company", "org_number": number})
    assert "org_number" in caught.value.message_dict
    assert not Organisation.objects.filter(name="X AS").exists()


def test_the_org_number_may_be_left_blank(world):
    org = do_save_organisation(None, {"name": "Unregistered cluster", "kind": "cluster"})
    assert org.org_number == ""


def test_two_organisations_cannot_share_an_org_number(world):
    do_save_organisation(None, {"org_number": VALID_NUMBER}, world.company_a)
    response = world.client("analyst").post(url("organisations:organisation_new"), org_form())
    assert response.status_code == 200
    assert "already belongs to Cellco AS" in response.content.decode()
    assert not Organisation.objects.filter(name="Newco Battery AS").exists()
    with pytest.raises(ValidationError) as caught:
        do_save_organisation(None, org_form(name="Other AS", segments=[]))
    assert "already belongs to Cellco AS" in str(caught.value.message_dict["org_number"])


def test_a_name_and_a_kind_are_required(world):
    response = world.client("analyst").post(
        url("organisations:organisation_new"), org_form(name="", kind="")
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "kind"}
    assert not Organisation.objects.filter(org_number=VALID_NUMBER).exists()


def test_unknown_segments_are_rejected_by_the_action(world):
    with pytest.raises(ValidationError) as caught:
        do_save_organisation(None, {"name": "Y AS", "kind": "company", "segments": ["ufo"]})
    assert "ufo" in str(caught.value.message_dict["segments"])
    assert not Organisation.objects.filter(name="Y AS").exists()


def test_the_synthetic_flag_cannot_be_set_through_the_form(world):
    world.client("analyst").post(url("organisations:organisation_new"), org_form(synthetic="on"))
    assert Organisation.objects.get(name="Newco Battery AS").synthetic is False


# Changing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_and_admins_change_an_organisation(world, persona):
    org = world.company_a
    client = world.client(persona)
    assert client.get(url("organisations:organisation_edit", org.pk)).status_code == 200
    response = client.post(
        url("organisations:organisation_edit", org.pk),
        org_form(name="Cellco Norge AS", segments=["modules_packs_systems"], county="42"),
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Cellco Norge AS"
    assert org.org_number == VALID_NUMBER
    assert org.segments == ["modules_packs_systems"]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_cannot_change_organisations_not_even_their_own(world, persona):
    for org in (world.company_a, world.institution):
        client = world.client(persona)
        assert client.get(url("organisations:organisation_edit", org.pk)).status_code == 404
        response = client.post(
            url("organisations:organisation_edit", org.pk), org_form(name="Hacked")
        )
        assert response.status_code == 404
    assert not Organisation.objects.filter(name="Hacked").exists()


def test_anonymous_visitors_cannot_change_organisations(world):
    org = world.company_a
    response = world.client("anonymous").post(
        url("organisations:organisation_edit", org.pk), org_form(name="Hacked")
    )
    assert_login_redirect(response)
    org.refresh_from_db()
    assert org.name == "Cellco AS"


def test_a_bad_change_leaves_the_organisation_as_it_was(world):
    org = world.company_a
    response = world.client("analyst").post(
        url("organisations:organisation_edit", org.pk),
        org_form(name="Renamed AS", org_number=INVALID_NUMBER),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "is not a valid organisation number" in body
    assert "Edit Cellco AS" in body  # the heading keeps the saved name
    org.refresh_from_db()
    assert org.name == "Cellco AS"
    assert org.org_number == ""


def test_an_organisation_keeps_its_own_org_number_when_edited(world):
    org = do_save_organisation(None, {"org_number": VALID_NUMBER}, world.company_a)
    response = world.client("analyst").post(
        url("organisations:organisation_edit", org.pk), org_form(name="Cellco AS", county="42")
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.org_number == VALID_NUMBER


def test_editing_an_unknown_organisation_gives_404(world):
    assert (
        world.client("analyst").get(url("organisations:organisation_edit", 999999)).status_code
        == 404
    )


# Reading ------------------------------------------------------------------------------------

DETAIL_MATRIX = [
    ("company_a", "company_a", 200),
    ("company_a", "company_b", 404),
    ("company_a", "institution", 404),
    ("company_b", "company_b", 200),
    ("company_b", "company_a", 404),
    ("institution", "institution", 200),
    ("institution", "company_a", 404),
    ("institution", "company_b", 404),
    ("handler", "company_a", 404),
    ("handler", "institution", 404),
    ("analyst", "company_a", 200),
    ("analyst", "institution", 200),
    ("admin", "company_b", 200),
    ("admin", "institution", 200),
]


@pytest.mark.parametrize(("persona", "owner", "expected"), DETAIL_MATRIX)
def test_an_organisation_page_is_for_its_members_and_the_secretariat(
    world, persona, owner, expected
):
    org = getattr(world, owner)
    response = world.client(persona).get(url("organisations:organisation_detail", org.pk))
    assert response.status_code == expected
    if expected == 200:
        assert org.name in response.content.decode()


def test_anonymous_visitors_are_sent_to_login_from_an_organisation_page(world):
    response = world.client("anonymous").get(
        url("organisations:organisation_detail", world.company_a.pk)
    )
    assert_login_redirect(response)


def test_members_see_no_management_links_on_their_own_page(world):
    body = (
        world.client("company_a")
        .get(url("organisations:organisation_detail", world.company_a.pk))
        .content.decode()
    )
    assert url("organisations:organisation_edit", world.company_a.pk) not in body
    assert url("organisations:facility_new", world.company_a.pk) not in body


def test_analysts_see_management_links_on_an_organisation_page(world):
    body = (
        world.client("analyst")
        .get(url("organisations:organisation_detail", world.company_a.pk))
        .content.decode()
    )
    assert url("organisations:organisation_edit", world.company_a.pk) in body
    assert url("organisations:facility_new", world.company_a.pk) in body


def test_an_unknown_organisation_gives_404_even_to_analysts(world):
    assert (
        world.client("analyst").get(url("organisations:organisation_detail", 999999)).status_code
        == 404
    )


def test_the_synthetic_flag_is_shown_but_not_editable(world):
    org = do_save_organisation(None, {"name": "Demo AS", "kind": "company"}, synthetic=True)
    client = world.client("analyst")
    assert (
        "demo data" in client.get(url("organisations:organisation_detail", org.pk)).content.decode()
    )
    edit = client.get(url("organisations:organisation_edit", org.pk))
    assert "synthetic" not in edit.context["form"].fields


# Access functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("company_a", {"company_a"}),
        ("company_b", {"company_b"}),
        ("institution", {"institution"}),
        ("handler", set()),
        ("analyst", {"company_a", "company_b", "institution"}),
        ("admin", {"company_a", "company_b", "institution"}),
    ],
)
def test_organisations_for_user_lists_what_the_person_may_read(world, persona, expected):
    names = {getattr(world, key).name for key in expected}
    seen = set(organisations_for_user(world.users[persona]).values_list("name", flat=True))
    assert seen == names


def test_organisations_for_an_anonymous_user_is_empty(world):
    from django.contrib.auth.models import AnonymousUser

    assert not organisations_for_user(AnonymousUser()).exists()
    assert not organisations_for_user(None).exists()


def test_access_organisation_for_user_agrees_with_organisations_for_user(world):
    from django.http import Http404

    for persona, user in world.users.items():
        allowed = set(organisations_for_user(user).values_list("pk", flat=True))
        for org in (world.company_a, world.company_b, world.institution):
            if org.pk in allowed:
                assert access_organisation_for_user(user, org.pk) == org, persona
            else:
                with pytest.raises(Http404):
                    access_organisation_for_user(user, org.pk)
