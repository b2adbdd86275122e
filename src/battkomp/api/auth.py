"""How API callers prove who they are.

Machine clients send ``Authorization: Bearer <key>`` with a key made on the token page; browsers
use their Django session, and then unsafe methods need Django's CSRF token like any form does.
A request that sends a bearer key is judged by that key alone: a wrong or revoked key gives 401
even if the browser also has a session, so a script never silently acts as someone else.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from battkomp.api.actions import do_record_token_use, find_token
from battkomp.core.users import UserLike


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``; the key's SHA-256 must match a live token."""

    openapi_description = "A key made on /api/tokens/, sent as `Authorization: Bearer <key>`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = find_token(token.strip())
        if found is None:
            # Refuse outright rather than fall back to the session (see the module docstring).
            raise AuthenticationError
        do_record_token_use(found)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The browser's Django session. Unsafe methods must carry the CSRF token
    (``X-CSRFToken`` header or ``csrfmiddlewaretoken`` field), as Django's forms do."""

    param_name: str = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The browser's session after logging in; POST, PUT and DELETE also need the CSRF token "
        "in the X-CSRFToken header."
    )

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # anonymous: 401, and no CSRF error to confuse the caller
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header."))
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return None  # __call__ above does the work; required by the abstract base


#: Every endpoint that needs an account accepts either.
AUTH = [TokenAuth(), SessionAuth()]


def caller(request: HttpRequest) -> UserLike:
    """The authenticated user of a request (token or session); AnonymousUser on public ones."""
    return getattr(request, "auth", None) or request.user
