"""Who may see organisations and facilities.

Analysts and administrators see and manage every organisation and facility. A member of an
organisation (company respondent, institution editor) may read their own organisation and its
facilities, and nothing else. Everyone else gets :class:`django.http.Http404`, never 403.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from battkomp.core.users import UserLike, is_analyst, profile_of
from battkomp.organisations.models import Facility, Organisation


def own_organisation(user: UserLike | None) -> Organisation | None:
    """The organisation a member (company respondent, institution editor) belongs to."""
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


def organisations_for_user(user: UserLike) -> QuerySet[Organisation]:
    """The organisations a person may read: all for analysts, their own for members, else none."""
    if is_analyst(user):
        return Organisation.objects.all()
    own = own_organisation(user)
    if own is not None:
        return Organisation.objects.filter(pk=own.pk)
    return Organisation.objects.none()


def facilities_for_user(user: UserLike) -> QuerySet[Facility]:
    """The facilities a person may read: all for analysts, their organisation's for members."""
    if is_analyst(user):
        return Facility.objects.all()
    own = own_organisation(user)
    if own is not None:
        return Facility.objects.filter(organisation_id=own.pk)
    return Facility.objects.none()


def access_facility_for_user(user: UserLike, facility_id: object, *, edit: bool) -> Facility:
    """A facility, if the person may read it (``edit=False``) or change it (``edit=True``).

    Reading: analysts, administrators and the owning organisation's members. Changing (the
    facility's facts, its capacity plan and its status history): analysts and administrators.
    Anyone else, and an unknown id, gets 404.
    """
    try:
        facility = Facility.objects.select_related("organisation").get(pk=int(str(facility_id)))
    except (Facility.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if is_analyst(user):
        return facility
    if edit:
        raise Http404
    own = own_organisation(user)
    if own is not None and own.pk == facility.organisation_id:
        return facility
    raise Http404


def group_organisation_ids(organisation: Organisation) -> list[int]:
    """The organisation and every organisation below it (its subsidiaries, theirs, and so on):
    the group whose needs its survey answer covers."""
    ids = [organisation.pk]
    frontier = [organisation.pk]
    while frontier:
        below = list(
            Organisation.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.extend(below)
        frontier = below
    return ids


def group_facilities(organisation: Organisation) -> QuerySet[Facility]:
    """The facilities an organisation's survey answer may name: its own and its subsidiaries'."""
    return Facility.objects.filter(organisation_id__in=group_organisation_ids(organisation))


def answer_facilities_for_user(user: UserLike, organisation: Organisation) -> QuerySet[Facility]:
    """The facilities a person may pick for a need line of ``organisation``'s survey answer:
    the group's facilities for the organisation's own members and for analysts, none for anyone
    else (never another organisation's)."""
    own = own_organisation(user)
    if is_analyst(user) or (own is not None and own.pk == organisation.pk):
        return group_facilities(organisation).order_by("name", "code")
    return Facility.objects.none()
