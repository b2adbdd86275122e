"""Who may see which inquiries and edit the routing table.

Inquiry handlers see the inquiries assigned to them and the unassigned ones; analysts and
administrators see them all and keep the routing table. Everyone else gets
:class:`django.http.Http404`, never 403, so a request cannot learn that an inquiry exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404

from battkomp.contact.models import Inquiry, RoutingRule
from battkomp.core.users import Role, UserLike, is_analyst, require_analyst, role_of

INQUIRY_ROLES = frozenset({Role.HANDLER, Role.ANALYST, Role.ADMIN})


def is_inquiry_staff(user: UserLike) -> bool:
    """Handlers, analysts and administrators: the people inquiries can be routed to."""
    return role_of(user) in INQUIRY_ROLES


def require_inquiry_staff(user: UserLike) -> None:
    if not is_inquiry_staff(user):
        raise Http404


def _pk(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


def inquiries_for_user(user: UserLike) -> QuerySet[Inquiry]:
    """All inquiries for analysts and administrators; a handler's own plus the unassigned ones;
    404 for anyone else."""
    require_inquiry_staff(user)
    qs = Inquiry.objects.select_related("owner", "rule")
    if is_analyst(user):
        return qs.all()
    return qs.filter(Q(owner=user) | Q(owner__isnull=True))


def access_inquiry_for_user(user: UserLike, inquiry_id: object) -> Inquiry:
    try:
        return inquiries_for_user(user).get(pk=_pk(inquiry_id))
    except Inquiry.DoesNotExist:
        raise Http404 from None


def can_see_inquiry(user: UserLike, inquiry: Inquiry) -> bool:
    return inquiries_for_user(user).filter(pk=inquiry.pk).exists()


def possible_owners() -> QuerySet[Any]:
    """Active accounts with the handler, analyst or administrator role, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__role__in=INQUIRY_ROLES)
        .select_related("profile")
        .order_by("first_name", "last_name", "email")
    )


def rules_for_user(user: UserLike) -> QuerySet[RoutingRule]:
    """The routing table: analysts and administrators only."""
    require_analyst(user)
    return RoutingRule.objects.select_related("owner", "updated_by")


def access_rule_for_user(user: UserLike, rule_id: object) -> RoutingRule:
    try:
        return rules_for_user(user).get(pk=_pk(rule_id))
    except RoutingRule.DoesNotExist:
        raise Http404 from None
