"""Who makes a request and which role they have: the user type and the role checks every app's
``access.py`` and ``actions.py`` build on.

This is the lowest room of the platform's access rules, so that any app may ask "is this an
analyst?" without importing ``accounts`` (which holds the people, their profiles, invitations and
the access log, and builds on the organisations). A user's role is on their profile
(``accounts.models.Profile``, reached as ``user.profile``).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

#: Who makes a request: a user with an account, or an anonymous visitor (``request.user``).
UserLike: TypeAlias = "User | AnonymousUser"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    ANALYST = "analyst", _("Analyst")
    RESPONDENT = "respondent", _("Company respondent")
    EDITOR = "editor", _("Institution editor")
    HANDLER = "handler", _("Inquiry handler")


def account_of(user: UserLike | None) -> User | None:
    """The account of a signed-in user, None for an anonymous visitor or no one (a command)."""
    return user if isinstance(user, User) and user.is_authenticated else None


def signed_in(user: UserLike | None) -> User:
    """The account of a signed-in user; 404 for anyone else (an action that records who did it
    is reached only by signed-in users)."""
    account = account_of(user)
    if account is None:
        raise Http404
    return account


def profile_of(user: UserLike | None) -> Any:
    """The signed-in user's ``accounts.models.Profile``, or None."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    return getattr(user, "profile", None)


def role_of(user: UserLike | None) -> str | None:
    profile = profile_of(user)
    return profile.role if profile else None


def is_analyst(user: UserLike | None) -> bool:
    """Analysts and administrators: the secretariat, who see all answers."""
    return role_of(user) in {Role.ANALYST, Role.ADMIN}


def require_analyst(user: UserLike | None) -> None:
    if not is_analyst(user):
        raise Http404
