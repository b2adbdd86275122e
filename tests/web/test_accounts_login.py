"""Login, logout and the login throttle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from battkomp.accounts.models import LoginAttempt

PASSWORD = "correct-horse-battery-staple"
WRONG = "not-the-password"


def login(client: Client, email: str, password: str, ip: str = "10.0.0.1", **extra: str):
    data = {"email": email, "password": password, **extra}
    return client.post(reverse("accounts:login"), data, REMOTE_ADDR=ip)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_login_page_shows_a_form_to_anonymous_visitors(world):
    response = world.client("anonymous").get(reverse("accounts:login"))
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_a_respondent_lands_on_their_rounds_after_login(world):
    client = Client()
    response = login(client, "a@cellco.test", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("survey:my_rounds")
    assert logged_in(client)


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("editor@fagskolen.test", "offers:mine"),
        ("analyst@battkomp.test", "organisations:organisations"),
        ("admin@battkomp.test", "organisations:organisations"),
        ("handler@battkomp.test", "contact:queue"),
    ],
)
def test_each_role_lands_on_its_home_page(world, email, home):
    response = login(Client(), email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(home)


def test_the_email_is_not_case_sensitive(world):
    client = Client()
    response = login(client, "  A@CellCo.TEST ", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_login_goes_to_a_safe_next_url(world):
    client = Client()
    response = login(client, "a@cellco.test", PASSWORD, next="/organisations/?page=2")
    assert response["Location"] == "/organisations/?page=2"


def test_login_ignores_a_next_url_on_another_site(world):
    client = Client()
    response = login(client, "a@cellco.test", PASSWORD, next="https://evil.example/steal")
    assert response["Location"] == reverse("survey:my_rounds")


def test_the_preferred_language_applies_after_login(world):
    profile = world.users["analyst"].profile
    profile.language = "en"
    profile.save()
    response = login(Client(), "analyst@battkomp.test", PASSWORD)
    assert response.cookies["django_language"].value == "en"
    with translation.override("en"):
        assert response["Location"] == reverse("organisations:organisations")
    assert response["Location"].startswith("/en/")


def test_a_next_url_is_translated_to_the_preferred_language(world):
    profile = world.users["company_a"].profile
    profile.language = "en"
    profile.save()
    response = login(Client(), "a@cellco.test", PASSWORD, next=reverse("accounts:settings"))
    assert response["Location"] == "/en/accounts/settings/"


def test_a_wrong_password_is_refused_and_recorded(world):
    client = Client()
    response = login(client, "a@cellco.test", WRONG)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not response.context["throttled"]
    assert not logged_in(client)
    assert LoginAttempt.objects.filter(username="a@cellco.test", ip="10.0.0.1").count() == 1


def test_five_failures_refuse_even_the_right_password(world):
    client = Client()
    for _ in range(5):
        login(client, "a@cellco.test", WRONG)
    response = login(client, "a@cellco.test", PASSWORD)
    assert response.status_code == 429
    assert response.context["throttled"]
    assert not logged_in(client)


def test_the_throttle_message_is_clear(world):
    client = Client()
    for _ in range(5):
        response = client.post("/en/accounts/login/", {"email": "a@cellco.test", "password": WRONG})
    assert response.status_code == 429
    assert "Too many failed attempts to log in" in response.content.decode()


def test_the_fifth_failure_already_says_the_door_is_closed(world):
    client = Client()
    for _ in range(4):
        assert not login(client, "a@cellco.test", WRONG).context["throttled"]
    assert login(client, "a@cellco.test", WRONG).context["throttled"]


def test_another_user_from_another_address_is_unaffected(world):
    for _ in range(5):
        login(Client(), "a@cellco.test", WRONG, ip="10.0.0.1")
    client = Client()
    response = login(client, "b@anodeco.test", PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302
    assert logged_in(client)


def test_the_same_user_name_from_another_address_is_still_refused(world):
    for _ in range(5):
        login(Client(), "a@cellco.test", WRONG, ip="10.0.0.1")
    client = Client()
    response = login(client, "a@cellco.test", PASSWORD, ip="10.0.0.99")
    assert response.status_code == 429
    assert not logged_in(client)


def test_failures_for_many_user_names_from_one_address_close_that_address(world):
    for n in range(5):
        login(Client(), f"guess{n}@example.test", WRONG, ip="10.0.0.7")
    refused = Client()
    assert login(refused, "b@anodeco.test", PASSWORD, ip="10.0.0.7").status_code == 429
    assert not logged_in(refused)
    allowed = Client()
    assert login(allowed, "b@anodeco.test", PASSWORD, ip="10.0.0.8").status_code == 302
    assert logged_in(allowed)


def test_the_limit_comes_from_the_settings(world, settings):
    settings.BATTKOMP_LOGIN_ATTEMPTS = 2
    client = Client()
    login(client, "a@cellco.test", WRONG)
    login(client, "a@cellco.test", WRONG)
    assert login(client, "a@cellco.test", PASSWORD).status_code == 429


def test_failures_older_than_the_window_no_longer_count(world, settings):
    for _ in range(5):
        login(Client(), "a@cellco.test", WRONG)
    LoginAttempt.objects.update(
        at=timezone.now() - timedelta(seconds=settings.BATTKOMP_LOGIN_WINDOW_SECONDS + 60)
    )
    client = Client()
    assert login(client, "a@cellco.test", PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_successful_login_clears_that_user_names_failures(world):
    for _ in range(4):
        login(Client(), "a@cellco.test", WRONG, ip="10.0.0.1")
    login(Client(), "other@example.test", WRONG, ip="10.0.0.1")
    assert login(Client(), "a@cellco.test", PASSWORD, ip="10.0.0.2").status_code == 302
    assert not LoginAttempt.objects.filter(username="a@cellco.test").exists()
    assert LoginAttempt.objects.filter(username="other@example.test").count() == 1


def test_an_empty_form_is_an_error_not_a_failure(world):
    response = Client().post(reverse("accounts:login"), {"email": "", "password": ""})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not LoginAttempt.objects.exists()


def test_a_logged_in_person_visiting_the_login_page_goes_home(world):
    response = world.client("institution").get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("offers:mine")


def test_logout_needs_post(world):
    client = world.client("company_a")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in(client)


def test_logout_ends_the_session(world):
    client = world.client("company_a")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not logged_in(client)


def test_passwords_are_hashed_with_argon2(world):
    for user in world.users.values():
        assert user.password.startswith("argon2")


def test_argon2_is_the_configured_password_hasher():
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher

    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert get_hasher().algorithm == "argon2"
