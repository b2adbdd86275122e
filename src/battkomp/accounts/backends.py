"""The authentication backend that throttles every login: the site's login page, the admin's
and anything else that calls ``django.contrib.auth.authenticate`` with a password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from battkomp.accounts import actions
from battkomp.core.client import client_ip

#: Set on the request when a login was refused by the throttle (the views say so, with 429).
THROTTLED_ATTRIBUTE = "battkomp_login_throttled"


class ThrottledModelBackend(ModelBackend):
    """Django's model backend behind the login throttle.

    Before the password is checked, one attempt is reserved for the user name and the client
    address (atomically, see :func:`battkomp.accounts.actions.reserve_login_attempt`). When the
    user name or the address has used up the window's attempts, the login is refused with
    ``PermissionDenied`` (``authenticate`` then tries no other backend), even with the right
    password. A successful login removes the user name's failures.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("email") or kwargs.get("username")
        if username is None or password is None:
            return None
        ip = client_ip(request) if request is not None else None
        if actions.reserve_login_attempt(username, ip) is None:
            if request is not None:
                setattr(request, THROTTLED_ATTRIBUTE, True)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            actions.do_clear_failed_logins(username)
        return user

    def get_user(self, user_id: Any) -> Any:
        """The signed-in user of a request, read with their profile and organisation in one
        query (every page asks for the role, most for the organisation: two queries fewer on
        every signed-in request)."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related(
                "profile", "profile__organisation"
            ).get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def was_throttled(request: HttpRequest) -> bool:
    return bool(getattr(request, THROTTLED_ATTRIBUTE, False))
