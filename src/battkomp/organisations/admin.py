"""Back office for staff. Changes go through the same ``do_*`` actions as the pages; capacity plans
and status history are read-only here because they are only ever added to (on the pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from battkomp.core.admin import TabularInline
from battkomp.organisations.actions import (
    FACILITY_FIELDS,
    ORGANISATION_FIELDS,
    do_save_facility,
    do_save_organisation,
)
from battkomp.organisations.forms import FacilityForm, OrganisationForm
from battkomp.organisations.models import (
    CapacityPlan,
    CapacityPlanYear,
    Facility,
    FacilityStatus,
    Organisation,
)


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FacilityInline(ReadOnlyInline):
    model = Facility
    fields = ("name", "code", "segment", "region", "start_year")
    readonly_fields = fields
    show_change_link = True


class FacilityStatusInline(ReadOnlyInline):
    model = FacilityStatus
    fields = ("date", "status", "note", "recorded_by", "recorded_at")
    readonly_fields = fields


class CapacityPlanInline(ReadOnlyInline):
    model = CapacityPlan
    fields = ("version", "note", "created_by", "created_at")
    readonly_fields = fields
    show_change_link = True


class CapacityPlanYearInline(ReadOnlyInline):
    model = CapacityPlanYear
    fields = ("year", "capacity")
    readonly_fields = fields


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("name", "org_number", "kind", "county", "synthetic")
    list_filter = ("kind", "county", "synthetic")
    search_fields = ("name", "org_number")
    readonly_fields = ("synthetic", "created_at")
    inlines = (FacilityInline,)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        data = {field: getattr(obj, field) for field in ORGANISATION_FIELDS}
        do_save_organisation(request.user, data, obj)


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    form = FacilityForm
    list_display = ("name", "code", "organisation", "segment", "region", "start_year")
    list_filter = ("segment", "region")
    search_fields = ("name", "code", "organisation__name")
    list_select_related = ("organisation",)
    readonly_fields = ("created_at",)
    inlines = (CapacityPlanInline, FacilityStatusInline)

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        data = {field: getattr(obj, field) for field in FACILITY_FIELDS}
        do_save_facility(obj.organisation, request.user, data, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A facility stays with its organisation; its plans and history hang on it.
        return (*self.readonly_fields, "organisation") if obj is not None else self.readonly_fields


@admin.register(CapacityPlan)
class CapacityPlanAdmin(admin.ModelAdmin):
    list_display = ("facility", "version", "created_by", "created_at")
    list_select_related = ("facility", "created_by")
    search_fields = ("facility__name", "facility__code")
    fields = ("facility", "version", "note", "created_by", "created_at")
    readonly_fields = fields
    inlines = (CapacityPlanYearInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
