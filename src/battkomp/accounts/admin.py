"""Back office for staff: profiles, invitations, the access log and failed logins."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import ngettext

from battkomp.accounts.backends import was_throttled
from battkomp.accounts.models import AccessLog, Invitation, LoginAttempt, Profile


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form: the same throttle as the site's login (the authentication
    backend enforces it), with the same message when it refuses."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and was_throttled(self.request):
                minutes = math.ceil(settings.BATTKOMP_LOGIN_WINDOW_SECONDS / 60)
                raise ValidationError(
                    ngettext(
                        "Too many failed attempts to log in. Wait %(minutes)s minute and try "
                        "again, or reset your password.",
                        "Too many failed attempts to log in. Wait %(minutes)s minutes and try "
                        "again, or reset your password.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    code="throttled",
                ) from None
            raise


admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organisation", "language")
    list_filter = ("role", "language")
    search_fields = ("user__email", "user__first_name", "user__last_name", "organisation__name")
    list_select_related = ("user", "organisation")
    autocomplete_fields = ("user",)
    raw_id_fields = ("organisation",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "role",
        "organisation",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    )
    list_filter = ("role",)
    search_fields = ("email", "organisation__name")
    list_select_related = ("organisation", "invited_by")
    # Only the token's hash is stored and it must never change; invitations are made with the
    # invite page or command, which send the e-mail.
    readonly_fields = (
        "token_hash",
        "email",
        "role",
        "organisation",
        "invited_by",
        "created_at",
        "accepted_at",
        "user",
    )
    fields = (
        "email",
        "role",
        "organisation",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "user",
        "token_hash",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """The audit trail of analysts' reads: read-only, and nobody deletes from it."""

    list_display = ("at", "user", "action", "object_type", "object_id", "organisation")
    list_filter = ("action", "object_type")
    search_fields = ("user__email", "organisation__name", "object_id", "detail")
    list_select_related = ("user", "organisation")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """Failed logins. Deleting a user name's rows lifts its throttle."""

    list_display = ("at", "username", "ip")
    search_fields = ("username", "ip")
    readonly_fields = ("username", "ip", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin, with the last login and the date joined shown as facts: they are not
    edited, and their date and time boxes had no label of their own (axe ``label``)."""

    readonly_fields = ("last_login", "date_joined")
