"""The account settings page: name and preferred language."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from battkomp.accounts.models import Profile


def test_the_settings_page_shows_who_you_are(world):
    response = world.client("company_a").get(reverse("accounts:settings"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "a@cellco.test" in body
    assert "Cellco AS" in body


def test_changing_the_language_saves_it_sets_the_cookie_and_switches_the_pages(world):
    client = world.client("company_a")
    response = client.post(
        reverse("accounts:settings"), {"name": "Kari Nordmann", "language": "en"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/settings/"
    assert response.cookies["django_language"].value == "en"
    profile = Profile.objects.get(user__email="a@cellco.test")
    assert profile.language == "en"
    assert (profile.user.first_name, profile.user.last_name) == ("Kari", "Nordmann")

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert '<html lang="en">' in page.content.decode()
    assert "Your settings are saved." in page.content.decode()


def test_switching_back_to_bokmal_goes_to_the_unprefixed_address(world):
    client = world.client("company_b")
    client.post(reverse("accounts:settings"), {"name": "", "language": "en"})
    response = client.post("/en/accounts/settings/", {"name": "", "language": "nb"})
    assert response["Location"] == "/accounts/settings/"
    assert response.cookies["django_language"].value == "nb"
    assert Profile.objects.get(user__email="b@anodeco.test").language == "nb"


def test_an_unknown_language_is_refused_at_the_field(world):
    client = world.client("company_a")
    response = client.post(reverse("accounts:settings"), {"name": "Kari", "language": "xx"})
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert response.context["form"]["name"].value() == "Kari"
    assert Profile.objects.get(user__email="a@cellco.test").language == "nb"
    assert get_user_model().objects.get(email="a@cellco.test").first_name == ""


def test_analysts_find_people_and_invitations_from_the_settings(world):
    body = world.client("analyst").get(reverse("accounts:settings")).content.decode()
    assert reverse("accounts:invitations") in body
    body = world.client("company_a").get(reverse("accounts:settings")).content.decode()
    assert reverse("accounts:invitations") not in body
