"""Withdrawing and resending invitations from the people-and-invitations page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from battkomp.accounts.actions import do_accept_invitation, do_invite, invitation_state
from battkomp.accounts.models import Invitation
from battkomp.core.users import Role

LINK = re.compile(r"https?://\S+?(/(?:en/)?accounts/accept/[A-Za-z0-9_-]+/)")


def path_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def pending(world, mailoutbox):
    invitation, _link = do_invite(
        world.users["analyst"], "new@cellco.test", Role.RESPONDENT, world.company_a
    )
    return invitation


def test_an_analyst_withdraws_a_pending_invitation_and_its_link_stops_working(
    world, pending, mailoutbox
):
    link = path_in(mailoutbox[0])
    response = world.client("analyst").post(
        reverse("accounts:invitation_cancel", args=[pending.pk])
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert invitation_state(pending) == "cancelled"
    assert pending.cancelled_by == world.users["analyst"]
    page = world.client("anonymous").get(link)
    assert page.status_code == 410
    assert 'id="state-cancelled"' in page.content.decode()
    listing = world.client("analyst").get(reverse("accounts:invitations")).content.decode()
    assert "trukket tilbake" in listing


def test_a_withdrawn_invitation_cannot_be_withdrawn_again_or_accepted(world, pending):
    client = world.client("analyst")
    client.post(reverse("accounts:invitation_cancel", args=[pending.pk]))
    again = client.post(reverse("accounts:invitation_cancel", args=[pending.pk]), follow=True)
    assert "Bare en ventende invitasjon" in again.content.decode()


def test_resending_sends_a_new_link_and_retires_the_old_one(world, pending, mailoutbox):
    old_link = path_in(mailoutbox[0])
    response = world.client("analyst").post(
        reverse("accounts:invitation_resend", args=[pending.pk])
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 2
    new_link = path_in(mailoutbox[1])
    assert new_link != old_link
    assert world.client("anonymous").get(old_link).status_code == 410
    assert world.client("anonymous").get(new_link).status_code == 200
    fresh = Invitation.objects.order_by("-pk").first()
    assert fresh.email == pending.email
    assert fresh.role == pending.role
    assert fresh.organisation == pending.organisation


def test_a_withdrawn_invitation_can_be_sent_again(world, pending, mailoutbox):
    client = world.client("analyst")
    client.post(reverse("accounts:invitation_cancel", args=[pending.pk]))
    client.post(reverse("accounts:invitation_resend", args=[pending.pk]))
    assert len(mailoutbox) == 2
    assert world.client("anonymous").get(path_in(mailoutbox[1])).status_code == 200


def test_an_accepted_invitation_cannot_be_resent(world, pending, mailoutbox):
    token = path_in(mailoutbox[0]).rstrip("/").rsplit("/", 1)[-1]
    do_accept_invitation(token, name="New Person", password="lithium-ion-cathode-2031")
    response = world.client("analyst").post(
        reverse("accounts:invitation_resend", args=[pending.pk]), follow=True
    )
    assert "har allerede en konto" in response.content.decode()
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("persona", ["company_a", "institution", "handler"])
@pytest.mark.parametrize("action", ["invitation_cancel", "invitation_resend"])
def test_only_analysts_and_admins_may_withdraw_or_resend(world, pending, persona, action):
    response = world.client(persona).post(reverse(f"accounts:{action}", args=[pending.pk]))
    assert response.status_code == 404
    pending.refresh_from_db()
    assert invitation_state(pending) == "pending"


def test_anonymous_visitors_are_sent_to_login(world, pending):
    response = world.client("anonymous").post(
        reverse("accounts:invitation_cancel", args=[pending.pk])
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(django_settings.LOGIN_URL))


def test_get_is_not_allowed_and_unknown_ids_are_404(world, pending):
    client = world.client("admin")
    assert client.get(reverse("accounts:invitation_cancel", args=[pending.pk])).status_code == 405
    assert client.post(reverse("accounts:invitation_cancel", args=[999999])).status_code == 404
