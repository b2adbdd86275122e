"""Back office for staff. Analysts use the measure pages, which validate weights and record every
status change; the history is read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models

from battkomp.core.admin import TabularInline
from battkomp.measures.models import Infrastructure, Measure, MeasureStatusChange, MeasureTarget

#: Django 6 will assume https for links typed without a scheme; say so now (no deprecation).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class MeasureTargetInline(TabularInline):
    model = MeasureTarget
    extra = 0


class MeasureStatusChangeInline(TabularInline):
    model = MeasureStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "note", "changed_by", "changed_at")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = (
        "title_nb",
        "title_en",
        "owner",
        "commandment",
        "lever",
        "status",
        "places_per_year",
    )
    list_filter = ("status", "commandment", "lever", "horizon", "synthetic")
    search_fields = ("title_nb", "title_en", "owner__name")
    raw_id_fields = ("owner",)
    formfield_overrides = URL_FIELDS
    # The status changes only through the measure pages, which record the history.
    readonly_fields = ("status", "created_at", "created_by", "updated_at", "updated_by")
    inlines = (MeasureTargetInline, MeasureStatusChangeInline)


@admin.register(Infrastructure)
class InfrastructureAdmin(admin.ModelAdmin):
    list_display = (
        "name_nb",
        "name_en",
        "owner",
        "owner_name",
        "kind",
        "region",
        "public",
        "approved",
    )
    list_filter = ("kind", "region", "public", "approved", "synthetic")
    search_fields = ("name_nb", "name_en", "owner__name", "owner_name", "place")
    raw_id_fields = ("owner",)
    formfield_overrides = URL_FIELDS
    readonly_fields = ("approved_by", "approved_at", "created_at", "created_by", "updated_at")
