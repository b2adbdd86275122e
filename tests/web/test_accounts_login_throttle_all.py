"""Every login is throttled: the admin's login page as well as the site's, and atomically, so
concurrent guesses never check more passwords than the limit (threads against the database; the
suite runs this on SQLite, and on PostgreSQL when DATABASE_URL is set)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client, RequestFactory

from battkomp.accounts.actions import do_create_user
from battkomp.accounts.models import LoginAttempt
from battkomp.core.users import Role

PASSWORD = "correct-horse-battery-staple"
WRONG = "not-the-password-at-all"


def admin_login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def admin_user(db: None):
    return do_create_user("boss@battkomp.test", PASSWORD, Role.ADMIN)


def test_admin_login_failures_are_recorded(admin_user) -> None:
    response = admin_login(Client(), "boss@battkomp.test", WRONG)
    assert response.status_code == 200
    assert LoginAttempt.objects.filter(username="boss@battkomp.test", ip="10.0.0.1").count() == 1


def test_twenty_wrong_admin_passwords_then_the_right_one_is_refused(admin_user) -> None:
    for _ in range(20):
        admin_login(Client(), "boss@battkomp.test", WRONG)
    client = Client()
    response = admin_login(client, "boss@battkomp.test", PASSWORD)
    assert response.status_code == 200  # the form again, not the redirect into the admin
    assert "_auth_user_id" not in client.session
    [error] = response.context["form"].non_field_errors().as_data()
    assert error.code == "throttled"
    assert "For mange mislykkede" in response.content.decode()  # the admin speaks bokmål
    assert LoginAttempt.objects.filter(username="boss@battkomp.test").count() == 5


def test_failures_on_the_admin_count_for_the_site_login_too(admin_user) -> None:
    for _ in range(5):
        admin_login(Client(), "boss@battkomp.test", WRONG, ip="10.0.0.1")
    response = Client().post(
        "/en/accounts/login/",
        {"email": "boss@battkomp.test", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 429


def test_the_admin_lets_the_right_password_in_and_clears_the_failures(admin_user) -> None:
    for _ in range(3):
        admin_login(Client(), "boss@battkomp.test", WRONG)
    client = Client()
    response = admin_login(client, "boss@battkomp.test", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert not LoginAttempt.objects.filter(username="boss@battkomp.test").exists()


def test_the_admin_login_is_throttled_by_address_across_user_names(admin_user) -> None:
    for n in range(5):
        admin_login(Client(), f"guess{n}@example.test", WRONG, ip="10.9.9.9")
    client = Client()
    admin_login(client, "boss@battkomp.test", PASSWORD, ip="10.9.9.9")
    assert "_auth_user_id" not in client.session
    other = Client()
    admin_login(other, "boss@battkomp.test", PASSWORD, ip="10.9.9.10")
    assert "_auth_user_id" in other.session


def _concurrent_wrong_logins(n: int, username: str, ips: list[str]) -> list[object]:
    """``n`` threads, each with its own database connection, released at once."""
    factory = RequestFactory()
    barrier = threading.Barrier(n)

    def attempt(i: int) -> object:
        request = factory.post("/admin/login/", REMOTE_ADDR=ips[i % len(ips)])
        try:
            barrier.wait(timeout=30)
            return authenticate(request, username=username, password=WRONG)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(attempt, range(n)))


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_for_one_account_check_at_most_the_limit() -> None:
    do_create_user("target@battkomp.test", PASSWORD, Role.ANALYST)
    results = _concurrent_wrong_logins(
        20, "target@battkomp.test", [f"10.1.0.{i}" for i in range(20)]
    )
    assert results == [None] * 20
    # Each reservation is written before the password is checked, under the key's lock: exactly
    # the limit's worth of passwords were checked, not 7 of 5.
    assert LoginAttempt.objects.filter(username="target@battkomp.test").count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_from_one_address_check_at_most_the_limit() -> None:
    factory = RequestFactory()
    barrier = threading.Barrier(12)

    def attempt(i: int) -> object:
        request = factory.post("/admin/login/", REMOTE_ADDR="10.2.0.1")
        try:
            barrier.wait(timeout=30)
            return authenticate(request, username=f"user{i}@example.test", password=WRONG)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert list(pool.map(attempt, range(12))) == [None] * 12
    assert LoginAttempt.objects.filter(ip="10.2.0.1").count() == 5
