"""The back office for accounts: registered, and read-only where it must be."""

from __future__ import annotations

import pytest
from django.urls import reverse

from battkomp.accounts.actions import do_invite, do_record_failed_login, log_access
from battkomp.accounts.models import AccessLog
from battkomp.core.users import Role


@pytest.fixture
def records(world):
    invitation, _link = do_invite(
        world.users["analyst"], "new@cellco.test", Role.RESPONDENT, world.company_a
    )
    log_access(world.users["analyst"], "view_response", world.company_a, world.company_a)
    attempt = do_record_failed_login("a@cellco.test", "10.0.0.1")
    return {
        "invitation": invitation,
        "accesslog": AccessLog.objects.get(),
        "loginattempt": attempt,
        "profile": world.users["company_a"].profile,
    }


@pytest.mark.parametrize("model", ["profile", "invitation", "accesslog", "loginattempt"])
def test_the_admin_lists_and_shows_each_accounts_model(world, records, model):
    client = world.client("admin")
    assert client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200
    obj = records[model]
    assert client.get(reverse(f"admin:accounts_{model}_change", args=[obj.pk])).status_code == 200


def test_the_token_hash_is_read_only(world, records):
    invitation = records["invitation"]
    response = world.client("admin").get(
        reverse("admin:accounts_invitation_change", args=[invitation.pk])
    )
    body = response.content.decode()
    assert invitation.token_hash in body
    assert 'name="token_hash"' not in body


@pytest.mark.parametrize("model", ["invitation", "accesslog", "loginattempt"])
def test_these_records_cannot_be_added_in_the_admin(world, model):
    response = world.client("admin").get(reverse(f"admin:accounts_{model}_add"))
    assert response.status_code == 403


def test_the_access_log_cannot_be_changed_or_deleted(world, records):
    log = records["accesslog"]
    client = world.client("admin")
    client.post(reverse("admin:accounts_accesslog_change", args=[log.pk]), {"action": "x"})
    response = client.post(
        reverse("admin:accounts_accesslog_delete", args=[log.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.action == "view_response"


@pytest.mark.parametrize("persona", ["company_a", "institution", "analyst", "anonymous"])
def test_only_staff_reach_the_admin(world, persona):
    response = world.client(persona).get(reverse("admin:accounts_profile_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
