"""Back office for staff. The audit trail is read-only; e-mails can be queued for a retry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from battkomp.contact.forms import check_rule
from battkomp.contact.models import (
    Answer,
    Inquiry,
    InquiryEvent,
    MailStatus,
    OutgoingMail,
    RoutingRule,
)
from battkomp.core.admin import TabularInline


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = InquiryEvent
    fields = ["at", "actor", "action", "from_status", "to_status", "from_owner", "to_owner", "note"]
    readonly_fields = fields


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ["created_at", "author", "text"]
    readonly_fields = fields


class MailInline(ReadOnlyInline):
    model = OutgoingMail
    fields = ["kind", "to", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    """Inquiries are handled on the site (so every step is audited); here they are read-only."""

    list_display = ("id", "created_at", "name", "email", "topic", "status", "owner")
    list_filter = ("status", "topic", "language")
    search_fields = ("name", "email", "organisation", "message")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    inlines = [AnswerInline, EventInline, MailInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoutingRuleAdminForm(forms.ModelForm):
    """The same rules as on the site: a person who can take inquiries, one default at most."""

    class Meta:
        model = RoutingRule
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_rule(self, self.instance, data)
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleAdminForm
    list_display = (
        "name_nb",
        "name_en",
        "priority",
        "topic",
        "segment",
        "region",
        "keywords",
        "owner",
        "is_default",
        "active",
    )
    list_filter = ("active", "is_default", "topic")
    search_fields = ("name_nb", "name_en", "keywords", "owner__email")
    list_select_related = ("owner",)
    readonly_fields = ("created_at", "updated_at", "updated_by")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InquiryEvent)
class InquiryEventAdmin(admin.ModelAdmin):
    """The audit trail: nobody adds, changes or deletes."""

    list_display = ("at", "inquiry", "actor", "action", "from_status", "to_status", "to_owner")
    list_filter = ("action",)
    list_select_related = ("inquiry", "actor", "to_owner")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "kind", "to", "status", "attempts", "last_attempt_at")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject")
    readonly_fields = (
        "inquiry",
        "kind",
        "to",
        "reply_to",
        "subject",
        "body",
        "language",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    )
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send again with the next run of send_inquiry_mail")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        """Give failed e-mails a fresh set of attempts."""
        n = queryset.filter(status__in=[MailStatus.PENDING, MailStatus.FAILED]).update(
            status=MailStatus.PENDING, attempts=0, last_error=""
        )
        self.message_user(request, f"{n} e-mail(s) will be sent by the next run.")
