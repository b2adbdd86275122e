"""Who may see and change education offers.

Offers are public: anyone, signed in or not, may read them. Only the institution's own editors
and the secretariat (analysts and administrators) may change them; anyone else gets 404.
"""

from __future__ import annotations

from django.http import Http404

from battkomp.core.users import Role, UserLike, is_analyst, role_of
from battkomp.offers.actions import INSTITUTION_KINDS
from battkomp.offers.models import Offer
from battkomp.organisations.access import own_organisation
from battkomp.organisations.models import Organisation


def can_edit_offers_of(user: UserLike, institution: Organisation) -> bool:
    """Analysts, administrators and the institution's own editors."""
    if is_analyst(user):
        return True
    if role_of(user) != Role.EDITOR:
        return False
    own = own_organisation(user)
    return own is not None and own.pk == institution.pk


def own_institution(user: UserLike) -> Organisation | None:
    """The institution an editor edits offers for (None for everyone else)."""
    if role_of(user) != Role.EDITOR:
        return None
    own = own_organisation(user)
    if own is None or own.kind not in INSTITUTION_KINDS:
        return None
    return own


def access_offer_for_user(user: UserLike, offer_id: int | str, *, edit: bool) -> Offer:
    """An offer to read (anyone) or to change (its institution's editors and analysts)."""
    try:
        offer = Offer.objects.select_related("institution").get(pk=offer_id)
    except (Offer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if edit and not can_edit_offers_of(user, offer.institution):
        raise Http404
    return offer


def access_institution_for_user(user: UserLike, organisation_id: int | str) -> Organisation:
    """An institution whose offers the user may manage: its own editors and analysts."""
    try:
        org = Organisation.objects.get(pk=organisation_id)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if org.kind not in INSTITUTION_KINDS or not can_edit_offers_of(user, org):
        raise Http404
    return org
