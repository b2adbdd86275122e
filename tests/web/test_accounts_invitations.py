"""Invitations: who may invite whom, the e-mail, the one-time link, and the bootstrap command."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from battkomp.accounts.actions import do_accept_invitation, do_invite, hash_token
from battkomp.accounts.models import Invitation
from battkomp.core.users import Role

NEW_PASSWORD = "lithium-ion-cathode-2031"
LINK = re.compile(r"(https?://\S+/accounts/accept/([A-Za-z0-9_-]+)/)")


def link_in(message) -> tuple[str, str]:
    """The accept link's path and token in an e-mail."""
    match = LINK.search(message.body)
    assert match, message.body
    url, token = match.groups()
    return url.removeprefix(django_settings.SITE_URL.rstrip("/")), token


def invite_a_respondent(world, **extra):
    data = {
        "email": "new.person@cellco.test",
        "role": "respondent",
        "organisation": world.company_a.pk,
        "language": "nb",
        **extra,
    }
    return world.client("analyst").post(reverse("accounts:invite"), data)


def test_an_analyst_invites_a_respondent_who_sets_a_password_and_is_logged_in(world, mailoutbox):
    response = invite_a_respondent(world, language="en")
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:invitations") + f"?organisation={world.company_a.pk}"
    )
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@cellco.test"
    assert invitation.role == Role.RESPONDENT
    assert invitation.organisation == world.company_a
    assert invitation.invited_by == world.users["analyst"]
    assert invitation.accepted_at is None

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.person@cellco.test"]
    assert "Cellco AS" in message.body
    path, token = link_in(message)
    assert path.startswith("/en/accounts/accept/")
    # Only the hash is stored.
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash

    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert "new.person@cellco.test" in page.content.decode()

    response = client.post(
        path,
        {
            "name": "Kari Nordmann",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "language": "en",
        },
    )
    assert response.status_code == 302
    with translation.override("en"):
        assert response["Location"] == reverse("survey:my_rounds")
    assert response.cookies["django_language"].value == "en"

    user = get_user_model().objects.get(email="new.person@cellco.test")
    assert int(client.session["_auth_user_id"]) == user.pk
    # and stays logged in: the session names a configured backend (else the next request is
    # anonymous and goes to the login page)
    with translation.override("en"):
        assert client.get(reverse("survey:my_rounds")).status_code == 200
    assert user.password.startswith("argon2")
    assert user.check_password(NEW_PASSWORD)
    assert (user.first_name, user.last_name) == ("Kari", "Nordmann")
    assert user.profile.role == Role.RESPONDENT
    assert user.profile.organisation == world.company_a
    assert user.profile.language == "en"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.user == user


def test_the_link_works_only_once(world, mailoutbox):
    invite_a_respondent(world)
    path, _token = link_in(mailoutbox[0])
    body = {"name": "Kari", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "language": "nb"}
    assert Client().post(path, body).status_code == 302

    again = Client()
    response = again.get(path)
    assert response.status_code == 410
    assert response.context["state"] == "accepted"
    response = again.post(
        path, {**body, "password1": "another-long-pass-99", "password2": "another-long-pass-99"}
    )
    assert response.status_code == 410
    assert "_auth_user_id" not in again.session
    assert get_user_model().objects.filter(email="new.person@cellco.test").count() == 1
    assert get_user_model().objects.get(email="new.person@cellco.test").check_password(NEW_PASSWORD)


def test_an_expired_link_shows_a_clear_page_and_makes_no_account(world, mailoutbox):
    invite_a_respondent(world)
    path, _token = link_in(mailoutbox[0])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client = Client()
    response = client.get(path)
    assert response.status_code == 410
    assert response.context["state"] == "expired"
    response = client.post(
        path,
        {"name": "Kari", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "language": "nb"},
    )
    assert response.status_code == 410
    assert not get_user_model().objects.filter(email="new.person@cellco.test").exists()


def test_the_expired_page_says_so_in_english(world, mailoutbox):
    _invitation, link = do_invite(
        world.users["analyst"], "x@cellco.test", Role.RESPONDENT, world.company_a, language="en"
    )
    Invitation.objects.update(expires_at=timezone.now())
    response = Client().get(link.removeprefix(django_settings.SITE_URL))
    assert "This invitation has expired" in response.content.decode()


def test_an_unknown_token_is_404(world):
    response = Client().get(reverse("accounts:accept", args=["no-such-token"]))
    assert response.status_code == 404
    response = Client().post(reverse("accounts:accept", args=["no-such-token"]), {})
    assert response.status_code == 404


def test_the_invitation_expires_after_the_configured_days(world, settings):
    settings.BATTKOMP_INVITATION_DAYS = 3
    before = timezone.now()
    invitation, _link = do_invite(
        world.users["analyst"], "x@cellco.test", Role.RESPONDENT, world.company_a
    )
    assert before + timedelta(days=3) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=3)


def test_the_link_uses_the_site_url_and_the_invitees_language(world, settings):
    settings.SITE_URL = "https://battkomp.example.org/"
    _inv, nb_link = do_invite(
        world.users["analyst"], "x@cellco.test", Role.RESPONDENT, world.company_a, language="nb"
    )
    assert nb_link.startswith("https://battkomp.example.org/accounts/accept/")
    _inv, en_link = do_invite(
        world.users["analyst"], "y@cellco.test", Role.RESPONDENT, world.company_a, language="en"
    )
    assert en_link.startswith("https://battkomp.example.org/en/accounts/accept/")


def test_the_email_is_written_in_the_chosen_language(world, mailoutbox):
    do_invite(
        world.users["analyst"], "x@cellco.test", Role.RESPONDENT, world.company_a, language="en"
    )
    assert "You are invited to battkomp" in mailoutbox[0].body
    assert mailoutbox[0].subject == "Your invitation to battkomp"


def test_a_weak_password_is_refused_with_the_reason_at_the_field(world, mailoutbox):
    invite_a_respondent(world)
    path, _token = link_in(mailoutbox[0])
    response = Client().post(
        path, {"name": "Kari", "password1": "12345", "password2": "12345", "language": "nb"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert response.context["form"]["name"].value() == "Kari"
    assert not get_user_model().objects.filter(email="new.person@cellco.test").exists()
    assert Invitation.objects.get().accepted_at is None


def test_two_different_passwords_are_refused(world, mailoutbox):
    invite_a_respondent(world)
    path, _token = link_in(mailoutbox[0])
    response = Client().post(
        path,
        {
            "name": "Kari",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD + "x",
            "language": "nb",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(email="new.person@cellco.test").exists()


def test_an_editor_is_invited_to_an_education_institution(world, mailoutbox):
    response = world.client("admin").post(
        reverse("accounts:invite"),
        {
            "email": "ed@fagskolen.test",
            "role": "editor",
            "organisation": world.institution.pk,
            "language": "nb",
        },
    )
    assert response.status_code == 302
    _path, token = link_in(mailoutbox[0])
    user = do_accept_invitation(token, name="Ola", password=NEW_PASSWORD)
    assert user.profile.role == Role.EDITOR
    assert user.profile.organisation == world.institution


def test_a_respondent_cannot_be_invited_to_an_institution(world):
    response = invite_a_respondent(world, organisation=world.institution.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["organisation"]
    assert not Invitation.objects.exists()


def test_an_editor_cannot_be_invited_to_a_company(world):
    response = invite_a_respondent(world, role="editor")
    assert response.status_code == 200
    assert response.context["form"].errors["organisation"]
    assert not Invitation.objects.exists()


def test_a_respondent_needs_an_organisation(world):
    response = invite_a_respondent(world, organisation="")
    assert response.status_code == 200
    assert response.context["form"].errors["organisation"]
    assert not Invitation.objects.exists()


def test_inviting_an_email_that_has_an_account_is_a_clear_error(world, mailoutbox):
    response = invite_a_respondent(world, email="A@cellco.test")
    assert response.status_code == 200
    (error,) = response.context["form"].errors.as_data()["email"]
    assert error.code == "account_exists"
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_the_account_exists_error_reads_clearly_in_english(world):
    response = world.client("analyst").post(
        "/en/accounts/invite/",
        {
            "email": "a@cellco.test",
            "role": "respondent",
            "organisation": world.company_a.pk,
            "language": "en",
        },
    )
    assert "An account with this e-mail address already exists" in response.content.decode()


def test_a_new_invitation_supersedes_an_earlier_pending_one(world, mailoutbox):
    invite_a_respondent(world)
    invite_a_respondent(world)
    first_path, _ = link_in(mailoutbox[0])
    second_path, _ = link_in(mailoutbox[1])
    assert Client().get(first_path).status_code == 410
    assert Client().get(second_path).status_code == 200


def test_an_analyst_cannot_invite_an_analyst(world):
    response = world.client("analyst").post(
        reverse("accounts:invite"),
        {
            "email": "colleague@battkomp.test",
            "role": "analyst",
            "organisation": "",
            "language": "nb",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not Invitation.objects.exists()
    with pytest.raises(ValidationError) as excinfo:
        do_invite(world.users["analyst"], "colleague@battkomp.test", Role.ANALYST)
    assert "role" in excinfo.value.message_dict
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "handler", "admin"])
def test_an_admin_can_invite_staff_without_an_organisation(world, mailoutbox, role):
    response = world.client("admin").post(
        reverse("accounts:invite"),
        {"email": "staff@battkomp.test", "role": role, "organisation": "", "language": "nb"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == role
    assert invitation.organisation is None
    _path, token = link_in(mailoutbox[0])
    user = do_accept_invitation(token, name="Staff Person", password=NEW_PASSWORD)
    assert user.profile.role == role
    assert user.is_superuser == (role == "admin")


def test_staff_cannot_be_invited_into_an_organisation(world):
    response = world.client("admin").post(
        reverse("accounts:invite"),
        {
            "email": "staff@battkomp.test",
            "role": "analyst",
            "organisation": world.company_a.pk,
            "language": "nb",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["organisation"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["company_a", "company_b", "institution", "handler"])
def test_only_analysts_and_admins_can_invite(world, persona):
    client = world.client(persona)
    assert client.get(reverse("accounts:invite")).status_code == 404
    url = reverse("accounts:invite") + f"?organisation={world.company_a.pk}"
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("accounts:invite"),
        {
            "email": "x@cellco.test",
            "role": "respondent",
            "organisation": world.company_a.pk,
            "language": "nb",
        },
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    with pytest.raises(PermissionError):
        do_invite(world.users[persona], "x@cellco.test", Role.RESPONDENT, world.company_a)
    assert not Invitation.objects.exists()


def test_an_anonymous_visitor_is_sent_to_login_to_invite(world):
    response = world.client("anonymous").get(reverse("accounts:invite"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    response = world.client("anonymous").post(
        reverse("accounts:invite"),
        {
            "email": "x@cellco.test",
            "role": "respondent",
            "organisation": world.company_a.pk,
            "language": "nb",
        },
    )
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_the_invite_page_preselects_the_organisation(world):
    response = world.client("analyst").get(
        reverse("accounts:invite") + f"?organisation={world.institution.pk}"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form["organisation"].value() == world.institution.pk
    assert form["role"].value() == "editor"


def test_the_invite_page_404s_for_an_unknown_organisation(world):
    client = world.client("analyst")
    assert client.get(reverse("accounts:invite") + "?organisation=999999").status_code == 404
    assert client.get(reverse("accounts:invite") + "?organisation=abc").status_code == 404


def test_the_invitation_list_shows_pending_accepted_and_expired(world):
    analyst = world.users["analyst"]
    do_invite(analyst, "pending@cellco.test", Role.RESPONDENT, world.company_a)
    expired, _ = do_invite(analyst, "expired@cellco.test", Role.RESPONDENT, world.company_a)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    _accepted, link = do_invite(analyst, "accepted@cellco.test", Role.RESPONDENT, world.company_a)
    do_accept_invitation(link.rsplit("/", 2)[-2], name="Per", password=NEW_PASSWORD)
    do_invite(analyst, "other@anodeco.test", Role.RESPONDENT, world.company_b)

    response = world.client("analyst").get(
        reverse("accounts:invitations") + f"?organisation={world.company_a.pk}"
    )
    assert response.status_code == 200
    (group,) = response.context["groups"]
    states = {row["invitation"].email: row["state"] for row in group["invitations"]}
    assert states == {
        "pending@cellco.test": "pending",
        "expired@cellco.test": "expired",
        "accepted@cellco.test": "accepted",
    }
    people = {p.user.email for p in group["people"]}
    assert people == {"a@cellco.test", "accepted@cellco.test"}
    assert "other@anodeco.test" not in response.content.decode()


def test_the_full_list_groups_people_by_organisation_with_staff_last(world):
    response = world.client("admin").get(reverse("accounts:invitations"))
    assert response.status_code == 200
    groups = response.context["groups"]
    names = [g["organisation"].name if g["organisation"] else None for g in groups]
    assert names == ["Anodeco AS", "Cellco AS", "Fagskolen Demo", None]
    staff = {p.user.email for p in groups[-1]["people"]}
    assert staff == {"analyst@battkomp.test", "admin@battkomp.test", "handler@battkomp.test"}


def test_the_invite_command_prints_a_working_link(world, mailoutbox):
    out = StringIO()
    call_command("invite", "--email", "Boss@Battkomp.test", "--role", "admin", stdout=out)
    printed = out.getvalue()
    link = printed.strip().splitlines()[-1]
    assert link.startswith(django_settings.SITE_URL.rstrip("/") + "/accounts/accept/")
    invitation = Invitation.objects.get()
    assert invitation.email == "boss@battkomp.test"
    assert invitation.role == Role.ADMIN
    assert invitation.invited_by is None
    assert len(mailoutbox) == 1
    response = Client().get(link.removeprefix(django_settings.SITE_URL.rstrip("/")))
    assert response.status_code == 200


def test_the_invite_command_can_skip_the_email(world, mailoutbox):
    out = StringIO()
    call_command(
        "invite",
        "--email",
        "x@cellco.test",
        "--role",
        "respondent",
        "--organisation-id",
        str(world.company_a.pk),
        "--no-email",
        stdout=out,
    )
    assert "/accounts/accept/" in out.getvalue()
    assert Invitation.objects.get().organisation == world.company_a
    assert mailoutbox == []


def test_the_invite_command_reports_problems_clearly(world):
    with pytest.raises(CommandError, match="organisation"):
        call_command("invite", "--email", "x@cellco.test", "--role", "respondent")
    with pytest.raises(CommandError, match="no organisation with id"):
        call_command(
            "invite",
            "--email",
            "x@cellco.test",
            "--role",
            "respondent",
            "--organisation-id",
            "999999",
        )
    with pytest.raises(CommandError, match="email"):
        call_command(
            "invite",
            "--email",
            "a@cellco.test",
            "--role",
            "respondent",
            "--organisation-id",
            str(world.company_a.pk),
        )
    assert not Invitation.objects.exists()


def test_the_invite_command_refuses_a_malformed_address(world):
    with pytest.raises(CommandError, match="email"):
        call_command("invite", "--email", "not-an-address", "--role", "admin")
    assert not Invitation.objects.exists()
