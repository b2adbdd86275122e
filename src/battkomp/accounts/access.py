"""Who may see what. Every read of a confidential object goes through an ``access_*`` function.

An outsider gets :class:`django.http.Http404`, never 403, so a request cannot learn that an object
exists. Analysts and administrators see everything; their reads of company answers are logged.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404

from battkomp.accounts.models import Invitation, Profile, Role
from battkomp.organisations.models import Organisation

#: Who makes a request: a user with an account, or an anonymous visitor (``request.user``).
UserLike: TypeAlias = "User | AnonymousUser"


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


def profile_of(user: UserLike | None) -> Profile | None:
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


def own_organisation(user: UserLike | None) -> Organisation | None:
    profile = profile_of(user)
    return profile.organisation if profile else None


def access_organisation_for_user(user: UserLike, organisation_id: int) -> Organisation:
    """An organisation's confidential page: its own members and analysts only."""
    try:
        org = Organisation.objects.get(pk=organisation_id)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if is_analyst(user):
        return org
    own = own_organisation(user)
    if own is not None and own.pk == org.pk:
        return org
    raise Http404


def invitation_scope_for_user(user: UserLike, organisation_id: object) -> Organisation | None:
    """The organisation an analyst manages people and invitations for (None: all of them).

    Only analysts and administrators manage people; anyone else gets 404.
    """
    require_analyst(user)
    if organisation_id in (None, ""):
        return None
    try:
        return access_organisation_for_user(user, int(str(organisation_id)))
    except ValueError:
        raise Http404 from None


def invitations_for_user(user: UserLike, organisation: Organisation | None = None) -> Any:
    """Invitations an analyst may see: all, or one organisation's. Others get 404."""
    require_analyst(user)
    qs = Invitation.objects.select_related("organisation", "invited_by", "user")
    return qs.filter(organisation=organisation) if organisation is not None else qs


def access_invitation_for_user(user: UserLike, invitation_id: object) -> Invitation:
    """One invitation, for analysts and administrators; 404 for everyone else."""
    try:
        pk = int(str(invitation_id))
    except (TypeError, ValueError):
        raise Http404 from None
    try:
        invitation: Invitation = invitations_for_user(user).get(pk=pk)
        return invitation
    except Invitation.DoesNotExist:
        raise Http404 from None


def people_for_user(user: UserLike, organisation: Organisation | None = None) -> Any:
    """Accounts an analyst may list: all, or one organisation's members. Others get 404."""
    require_analyst(user)
    qs = Profile.objects.select_related("user", "organisation").order_by(
        "organisation__name", "user__email"
    )
    return qs.filter(organisation=organisation) if organisation is not None else qs
