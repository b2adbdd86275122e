"""Who may see what. Every read of a confidential object goes through an ``access_*`` function.

An outsider gets :class:`django.http.Http404`, never 403, so a request cannot learn that an object
exists. Analysts and administrators see everything; their reads of company answers are logged.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from battkomp.accounts.models import Invitation, Profile
from battkomp.core.users import UserLike, require_analyst
from battkomp.organisations.access import access_organisation_for_user
from battkomp.organisations.models import Organisation


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
