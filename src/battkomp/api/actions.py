"""State changes of API tokens. The token page, the API's authentication and tests call these.

A token's key is shown once, when it is made; only its SHA-256 is stored, so a stolen database
does not hand out working keys. A revoked token stays in the list (with its revocation time) so
its owner can see what it was.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from battkomp.api.models import ApiToken
from battkomp.core.users import UserLike, account_of

#: Every key starts with this, so a leaked key is easy to recognise (and to search for).
KEY_PREFIX = "bk_"
#: How much of the key is stored in clear to tell tokens apart (the model holds 8 characters).
SHOWN_PREFIX_LENGTH = 8
MAX_NAME_LENGTH = 100
#: ``last_used_at`` is written at most this often per token: a busy client must not turn every
#: read into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def do_create_token(user: UserLike, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; return it and its key (the only time the key is known)."""
    account = account_of(user)
    if account is None:
        msg = "only a signed-in person can make a token"
        raise PermissionError(msg)
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": [_("Give the token a name, e.g. the script that uses it.")]})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            {"name": [_("Use at most %(max)d characters.") % {"max": MAX_NAME_LENGTH}]}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=account, name=name, prefix=key[:SHOWN_PREFIX_LENGTH], key_hash=hash_key(key)
    )
    return token, key


@transaction.atomic
def do_revoke_token(token: ApiToken, user: UserLike) -> ApiToken:
    """Revoke a token: from now on it is refused. Revoking twice keeps the first time."""
    del user  # part of the signature so every state change names who made it
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def do_record_token_use(token: ApiToken) -> None:
    """Note when a token was last used (at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def find_token(key: str) -> ApiToken | None:
    """The live token behind a key, with its user; None if unknown, revoked or the user is
    inactive."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token
