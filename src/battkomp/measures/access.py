"""Who may see and change measures and infrastructure.

Measures: everyone sees agreed, running and done measures; proposed and dropped ones only the
owner organisation's people and the secretariat. Analysts and administrators change any
measure and its status; partners change their own organisation's measures while proposed.

Infrastructure: everyone sees approved, public entries; an organisation's people also see their
own (pending or not public); analysts see and change all.

Anyone else gets 404, never 403.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from battkomp.core.users import UserLike, is_analyst
from battkomp.measures.actions import partner_organisation
from battkomp.measures.models import PUBLIC_STATUSES, Infrastructure, Measure, MeasureStatus
from battkomp.offers.access import own_institution
from battkomp.organisations.models import Organisation


def _pk(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


# --------------------------------------------------------------------------- measures


def measures_for_user(user: UserLike) -> QuerySet[Measure]:
    """The measures a person may see (see the module docstring)."""
    qs = Measure.objects.select_related("owner")
    if is_analyst(user):
        return qs
    own = partner_organisation(user)
    visible = Q(status__in=PUBLIC_STATUSES)
    if own is not None:
        visible |= Q(owner=own)
    return qs.filter(visible)


def public_measures() -> QuerySet[Measure]:
    """The measures of the public catalogue and the public API: agreed, running and done."""
    return Measure.objects.select_related("owner").filter(status__in=PUBLIC_STATUSES)


def can_edit_measure(user: UserLike, measure: Measure) -> bool:
    if is_analyst(user):
        return True
    own = partner_organisation(user)
    return (
        own is not None and measure.owner_id == own.pk and measure.status == MeasureStatus.PROPOSED
    )


def can_propose_measures(user: UserLike) -> bool:
    return is_analyst(user) or partner_organisation(user) is not None


def access_measure_for_user(user: UserLike, measure_id: object, *, edit: bool = False) -> Measure:
    """A measure to read, or to change (``edit``); 404 when the person may not."""
    try:
        measure = measures_for_user(user).get(pk=_pk(measure_id))
    except Measure.DoesNotExist:
        raise Http404 from None
    if edit and not can_edit_measure(user, measure):
        raise Http404
    return measure


def access_measure_for_status_change(user: UserLike, measure_id: object) -> Measure:
    """A measure whose status an analyst changes; 404 for anyone else."""
    if not is_analyst(user):
        raise Http404
    return access_measure_for_user(user, measure_id)


def committing_institution(user: UserLike, organisation_id: object = None) -> Organisation:
    """The institution that commits study places: an editor's own; for analysts the one named.
    404 for anyone else."""
    from battkomp.offers.access import access_institution_for_user

    if is_analyst(user):
        if organisation_id in (None, ""):
            raise Http404
        return access_institution_for_user(user, str(organisation_id))
    own = own_institution(user)
    if own is None or (organisation_id not in (None, "") and str(organisation_id) != str(own.pk)):
        raise Http404
    return own


# --------------------------------------------------------------------------- infrastructure


def infrastructure_for_user(user: UserLike) -> QuerySet[Infrastructure]:
    qs = Infrastructure.objects.select_related("owner")
    if is_analyst(user):
        return qs
    visible = Q(public=True, approved=True)
    own = partner_organisation(user)
    if own is not None:
        visible |= Q(owner=own)
    return qs.filter(visible)


def public_infrastructure() -> QuerySet[Infrastructure]:
    return Infrastructure.objects.select_related("owner").filter(public=True, approved=True)


def can_edit_infrastructure(user: UserLike, infrastructure: Infrastructure) -> bool:
    if is_analyst(user):
        return True
    own = partner_organisation(user)
    return own is not None and infrastructure.owner_id == own.pk


def access_infrastructure_for_user(
    user: UserLike, infrastructure_id: object, *, edit: bool = False
) -> Infrastructure:
    try:
        item = infrastructure_for_user(user).get(pk=_pk(infrastructure_id))
    except Infrastructure.DoesNotExist:
        raise Http404 from None
    if edit and not can_edit_infrastructure(user, item):
        raise Http404
    return item
