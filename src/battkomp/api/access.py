"""Who may see which API tokens: each person only their own. Anyone else gets 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from battkomp.api.models import ApiToken
from battkomp.core.users import UserLike, account_of


def tokens_for_user(user: UserLike) -> QuerySet[ApiToken]:
    """A person's own tokens, newest first (none for anonymous visitors)."""
    account = account_of(user)
    if account is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=account)


def access_token_for_user(user: UserLike, token_id: int | str) -> ApiToken:
    """One of the person's own tokens, or 404 (also for other people's tokens)."""
    try:
        return tokens_for_user(user).get(pk=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
