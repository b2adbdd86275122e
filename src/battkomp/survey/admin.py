"""Back office for staff. Revisions are snapshots and stay read-only here too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from battkomp.core.admin import TabularInline
from battkomp.survey.models import (
    InterviewNote,
    NeedLine,
    Participant,
    Response,
    Revision,
    Round,
)


class ParticipantInline(TabularInline):
    model = Participant
    extra = 0
    fields = [
        "organisation",
        "status",
        "opened_at",
        "submitted_at",
        "last_reminded_at",
        "reminders_sent",
    ]
    readonly_fields = ["opened_at", "submitted_at", "last_reminded_at", "reminders_sent"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "first_year", "last_year", "opens_on", "deadline", "status"]
    list_filter = ["status"]
    search_fields = ["name"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [ParticipantInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "round",
        "status",
        "invited_at",
        "submitted_at",
        "reminders_sent",
    ]
    list_filter = ["status", "round"]
    search_fields = ["organisation__name", "round__name"]
    readonly_fields = ["invited_at"]


class NeedLineInline(TabularInline):
    model = NeedLine
    extra = 0


class RevisionInline(TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "kind", "created_by", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["participant", "access_is_challenge", "updated_at", "updated_by"]
    search_fields = ["participant__organisation__name"]
    readonly_fields = ["updated_at", "updated_by"]
    inlines = [NeedLineInline, RevisionInline]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["response", "number", "kind", "created_by", "created_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InterviewNote)
class InterviewNoteAdmin(admin.ModelAdmin):
    list_display = ["organisation", "round", "author", "created_at"]
    list_filter = ["round"]
    search_fields = ["organisation__name", "text"]
    readonly_fields = ["created_at"]
