"""Password reset by e-mail and password change."""

from __future__ import annotations

import re

from django.conf import settings as django_settings
from django.contrib.auth import authenticate, get_user_model
from django.test import Client
from django.urls import reverse

from battkomp.accounts.models import LoginAttempt

NEW_PASSWORD = "sodium-ion-anode-2042"
RESET_LINK = re.compile(r"https?://\S+?(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def reset_path(message) -> str:
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def test_a_person_resets_the_password_by_email(world, mailoutbox):
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": "A@cellco.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["a@cellco.test"]
    assert django_settings.SITE_URL.rstrip("/") in mailoutbox[0].body

    response = client.get(reset_path(mailoutbox[0]))
    assert response.status_code == 302  # Django hides the token behind a session redirect
    set_password_url = response["Location"]
    response = client.get(set_password_url)
    assert response.status_code == 200
    assert response.context["validlink"]

    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert client.get(response["Location"]).status_code == 200

    user = get_user_model().objects.get(email="a@cellco.test")
    assert user.password.startswith("argon2")
    assert authenticate(username="a@cellco.test", password=NEW_PASSWORD) == user


def test_a_reset_link_works_only_once(world, mailoutbox):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "a@cellco.test"})
    path = reset_path(mailoutbox[0])
    set_password_url = client.get(path)["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = Client().get(path)
    assert response.status_code == 200
    assert not response.context["validlink"]


def test_a_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(world, mailoutbox):
    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@x.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def test_a_weak_new_password_is_refused(world, mailoutbox):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "a@cellco.test"})
    set_password_url = client.get(reset_path(mailoutbox[0]))["Location"]
    response = client.post(set_password_url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert authenticate(username="a@cellco.test", password="123") is None


def test_a_password_reset_lifts_the_login_throttle(world, mailoutbox):
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"email": "a@cellco.test", "password": "x"})
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "a@cellco.test"})
    set_password_url = client.get(reset_path(mailoutbox[0]))["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not LoginAttempt.objects.filter(username="a@cellco.test").exists()
    response = Client().post(
        reverse("accounts:login"),
        {"email": "a@cellco.test", "password": NEW_PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 302


def test_a_person_changes_the_password_from_the_settings(world):
    client = world.client("company_a")
    settings_page = client.get(reverse("accounts:settings"))
    assert reverse("accounts:password_change") in settings_page.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:settings")
    user = get_user_model().objects.get(email="a@cellco.test")
    assert user.check_password(NEW_PASSWORD)
    assert user.password.startswith("argon2")
    # Still logged in: the session follows the new password.
    assert client.get(reverse("accounts:settings")).status_code == 200


def test_a_wrong_old_password_changes_nothing(world):
    client = world.client("company_a")
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    assert not get_user_model().objects.get(email="a@cellco.test").check_password(NEW_PASSWORD)
