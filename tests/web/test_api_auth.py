"""API authentication: bearer tokens (made and revoked on the token page, stored only as a
hash) and the browser's session with Django's CSRF check on unsafe methods."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from battkomp.api.actions import do_create_token, do_revoke_token
from battkomp.api.models import ApiToken
from battkomp.organisations.actions import do_save_facility
from battkomp.organisations.models import CapacityPlan, Facility
from web.personas import LOGGED_IN


def bearer(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def key_on_page(html: str) -> str:
    match = re.search(r'id="new-key" value="(bk_[^"]+)"', html)
    assert match, "the new key is shown on the page"
    return match.group(1)


@pytest.fixture
def facility(world) -> Facility:
    return do_save_facility(
        world.company_a,
        world.users["analyst"],
        {
            "name": "Cellco plant",
            "code": "cellco-1",
            "segment": "cell_manufacturing",
            "region": "42",
            "start_year": 2026,
            "realisation_probability": 0.5,
            "source": "test",
        },
    )


PLAN = {"years": [{"year": 2026, "capacity": 2.0}]}


# --- the token page ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", LOGGED_IN)
def test_every_signed_in_person_makes_a_token_and_sees_its_key_once(world, persona):
    client = world.client(persona)
    page = client.get(reverse("api:tokens"))
    assert page.status_code == 200
    response = client.post(reverse("api:tokens"), {"name": "Nightly export"})
    assert response.status_code == 200
    key = key_on_page(response.content.decode())
    token = ApiToken.objects.get()
    assert token.user == world.users[persona]
    assert token.name == "Nightly export"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix)
    # Only the hash is stored: the key is in no column of the row.
    assert key not in {str(v) for v in ApiToken.objects.values().get().values()}
    # Shown once: the page does not show it again.
    again = client.get(reverse("api:tokens")).content.decode()
    assert key not in again
    assert "Nightly export" in again
    assert response["Cache-Control"].startswith("max-age=0")


def test_anonymous_visitors_are_sent_to_log_in_for_the_token_page(world):
    response = world.client("anonymous").get(reverse("api:tokens"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = world.client("anonymous").post(reverse("api:tokens"), {"name": "x"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(world):
    response = world.client("company_a").post(reverse("api:tokens"), {"name": "  "})
    assert response.status_code == 200
    assert 'id="new-key"' not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_person_sees_only_their_own_tokens(world):
    do_create_token(world.users["company_b"], "B's secret script")
    page = world.client("company_a").get(reverse("api:tokens")).content.decode()
    assert "B&#x27;s secret script" not in page
    assert "B's secret script" not in page


def test_a_person_revokes_their_own_token_on_the_page(world):
    token, _key = do_create_token(world.users["company_a"], "old")
    response = world.client("company_a").post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("api:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize("persona", ["company_b", "institution", "analyst", "admin", "handler"])
def test_nobody_revokes_someone_elses_token(world, persona):
    token, _key = do_create_token(world.users["company_a"], "mine")
    response = world.client(persona).post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_visitors_cannot_revoke_tokens(world):
    token, _key = do_create_token(world.users["company_a"], "mine")
    response = world.client("anonymous").post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_is_a_post(world):
    token, _key = do_create_token(world.users["company_a"], "mine")
    response = world.client("company_a").get(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 405


# --- the token's life -------------------------------------------------------------------------


def test_a_token_lives_from_creation_through_use_to_revocation(world):
    client = world.client("company_a")
    key = key_on_page(client.post(reverse("api:tokens"), {"name": "sync"}).content.decode())
    token = ApiToken.objects.get()
    assert token.last_used_at is None

    response = bearer(key).get("/api/organisations")
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["items"]] == ["Cellco AS"]
    token.refresh_from_db()
    assert token.last_used_at is not None

    client.post(reverse("api:token_revoke", args=[token.pk]))
    response = bearer(key).get("/api/organisations")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_last_use_is_recorded_at_most_once_a_minute(world):
    token, key = do_create_token(world.users["company_a"], "busy")
    earlier = timezone.now() - dt.timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    bearer(key).get("/api/organisations")
    token.refresh_from_db()
    assert token.last_used_at == earlier
    long_ago = timezone.now() - dt.timedelta(hours=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    bearer(key).get("/api/organisations")
    token.refresh_from_db()
    assert token.last_used_at > long_ago


@pytest.mark.parametrize(
    "header",
    [
        "Bearer bk_not-a-real-key",
        "Bearer ",
        "Bearer " + "x" * 500,
        "bearer bk_wrong",
    ],
)
def test_a_wrong_key_is_refused(world, header):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/organisations")
    assert response.status_code == 401


def test_a_revoked_key_is_refused_even_with_a_session(world):
    """A script that sends a key is judged by the key, never by a browser session."""
    token, key = do_create_token(world.users["analyst"], "old")
    do_revoke_token(token, world.users["analyst"])
    client = world.client("analyst")
    response = client.get("/api/organisations", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_person_is_refused(world):
    _token, key = do_create_token(world.users["company_a"], "sync")
    user = world.users["company_a"]
    user.is_active = False
    user.save()
    assert bearer(key).get("/api/organisations").status_code == 401


def test_a_token_acts_with_exactly_its_owners_access(world, facility):
    _token, key = do_create_token(world.users["company_b"], "sync")
    assert bearer(key).get(f"/api/facilities/{facility.pk}").status_code == 404
    _token, key = do_create_token(world.users["company_a"], "sync")
    assert bearer(key).get(f"/api/facilities/{facility.pk}").status_code == 200


def test_revoking_twice_keeps_the_first_time(world):
    token, _key = do_create_token(world.users["company_a"], "x")
    do_revoke_token(token, world.users["company_a"])
    first = ApiToken.objects.get().revoked_at
    do_revoke_token(ApiToken.objects.get(), world.users["company_a"])
    assert ApiToken.objects.get().revoked_at == first


# --- the session and CSRF ---------------------------------------------------------------------


def strict_client(world, persona: str) -> Client:
    """A browser that enforces CSRF, as a real one does (Django's test client skips it)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[persona])
    return client


def test_a_session_post_without_the_csrf_token_is_refused(world, facility):
    client = strict_client(world, "analyst")
    response = client.post(
        f"/api/facilities/{facility.pk}/plans",
        PLAN,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not CapacityPlan.objects.exists()


def test_a_session_post_with_the_csrf_token_is_accepted(world, facility):
    client = strict_client(world, "analyst")
    client.get(reverse("api:tokens"))  # any page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/facilities/{facility.pk}/plans",
        PLAN,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201
    assert CapacityPlan.objects.get().version == 1


@pytest.mark.parametrize("method", ["put", "delete"])
def test_session_puts_and_deletes_need_the_csrf_token_too(world, method):
    from battkomp.offers.actions import do_save_offer

    offer = do_save_offer(
        world.institution,
        world.users["institution"],
        {
            "code": "o-1",
            "name": "Battery module",
            "kind": "module",
            "level": "nkr5",
            "study_places": 10,
            "first_intake": 2025,
            "region": "32",
            "status": "exists",
        },
        [("electrochemistry", 1.0)],
    )
    client = strict_client(world, "institution")
    response = getattr(client, method)(
        f"/api/offers/{offer.pk}", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    offer.refresh_from_db()
    assert offer.name == "Battery module"


def test_a_session_get_needs_no_csrf_token(world):
    assert strict_client(world, "analyst").get("/api/organisations").status_code == 200


def test_a_token_post_needs_no_csrf_token(world, facility):
    _token, key = do_create_token(world.users["analyst"], "script")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(
        f"/api/facilities/{facility.pk}/plans", PLAN, content_type="application/json"
    )
    assert response.status_code == 201


def test_an_anonymous_post_is_401_not_a_csrf_error(world, facility):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/facilities/{facility.pk}/plans", PLAN, content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize("persona", LOGGED_IN)
def test_the_account_settings_page_links_to_the_token_page(world, persona):
    page = world.client(persona).get(reverse("accounts:settings")).content.decode()
    assert f'href="{reverse("api:tokens")}"' in page
