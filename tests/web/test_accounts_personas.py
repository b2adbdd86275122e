"""Persona matrix for every accounts page: who gets the page, who gets 404, who must log in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from battkomp.accounts.actions import do_invite
from battkomp.accounts.models import Invitation, Profile
from battkomp.core.users import Role
from web.personas import PERSONAS

ANALYSTS = {"analyst", "admin"}


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login") + "?next="
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_login_page(world, persona):
    response = world.client(persona).get(reverse("accounts:login"))
    assert response.status_code == (200 if persona == "anonymous" else 302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_logout(world, persona):
    client = world.client(persona)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("persona", PERSONAS)
def test_settings_page(world, persona):
    response = world.client(persona).get(reverse("accounts:settings"))
    if persona == "anonymous":
        assert goes_to_login(response)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_settings_save(world, persona):
    response = world.client(persona).post(
        reverse("accounts:settings"), {"name": "Renamed Person", "language": "en"}
    )
    if persona == "anonymous":
        assert goes_to_login(response)
        assert not Profile.objects.filter(language="en").exists()
        return
    assert response.status_code == 302
    user = world.users[persona]
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    assert user.profile.language == "en"
    # Nobody else's settings changed.
    assert Profile.objects.filter(language="en").count() == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_invite_page(world, persona):
    response = world.client(persona).get(reverse("accounts:invite"))
    if persona in ANALYSTS:
        assert response.status_code == 200
    elif persona == "anonymous":
        assert goes_to_login(response)
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_invite_send(world, persona, mailoutbox):
    response = world.client(persona).post(
        reverse("accounts:invite"),
        {
            "email": "new@anodeco.test",
            "role": "respondent",
            "organisation": world.company_b.pk,
            "language": "nb",
        },
    )
    if persona in ANALYSTS:
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert invitation.organisation == world.company_b
        assert invitation.invited_by == world.users[persona]
        assert len(mailoutbox) == 1
        return
    if persona == "anonymous":
        assert goes_to_login(response)
    else:
        assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_invitations_page(world, persona):
    url = reverse("accounts:invitations")
    for target in (url, url + f"?organisation={world.company_a.pk}"):
        response = world.client(persona).get(target)
        if persona in ANALYSTS:
            assert response.status_code == 200
        elif persona == "anonymous":
            assert goes_to_login(response)
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_accept_page_is_reached_by_the_token_alone(world, persona):
    _invitation, link = do_invite(
        world.users["analyst"], "new@anodeco.test", Role.RESPONDENT, world.company_b
    )
    path = link[link.index("/accounts/") :]
    assert world.client(persona).get(path).status_code == 200
    assert world.client(persona).get(path + "x/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "name", ["password_reset", "password_reset_done", "password_reset_complete"]
)
def test_password_reset_pages_are_open_to_everyone(world, persona, name):
    assert world.client(persona).get(reverse(name.join(["accounts:", ""]))).status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_password_reset_confirm_with_a_bad_link(world, persona):
    url = reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])
    response = world.client(persona).get(url)
    assert response.status_code == 200
    assert not response.context["validlink"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_password_change_page(world, persona):
    response = world.client(persona).get(reverse("accounts:password_change"))
    if persona == "anonymous":
        assert goes_to_login(response)
    else:
        assert response.status_code == 200
