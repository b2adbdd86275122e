"""Back office for staff: profiles, invitations, the access log and failed logins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from battkomp.accounts.models import AccessLog, Invitation, LoginAttempt, Profile


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
