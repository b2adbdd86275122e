"""State changes of accounts. Views, the API, commands and tests call these ``do_*`` functions."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from battkomp.accounts.models import Profile, Role
from battkomp.actors.models import Organisation


@transaction.atomic
def do_create_user(
    email: str,
    password: str | None,
    role: str,
    organisation: Organisation | None = None,
    *,
    name: str = "",
    language: str = "nb",
) -> AbstractUser:
    """Create an account with its profile. Respondents and editors need an organisation."""
    if role in {Role.RESPONDENT, Role.EDITOR} and organisation is None:
        msg = f"a {role} needs an organisation"
        raise ValueError(msg)
    User = get_user_model()
    user = User.objects.create_user(username=email.lower(), email=email.lower(), password=password)
    if name:
        first, _, last = name.partition(" ")
        user.first_name, user.last_name = first, last
    if role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    Profile.objects.create(user=user, role=role, organisation=organisation, language=language)
    return user
