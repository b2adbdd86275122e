"""Back office for staff. Institutions and analysts use the offer pages, which validate weights."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from battkomp.core.admin import TabularInline
from battkomp.offers.models import Offer, OfferArea


class OfferAreaInline(TabularInline):
    model = OfferArea
    extra = 0


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = (
        "name_nb",
        "name_en",
        "code",
        "institution",
        "kind",
        "level",
        "status",
        "study_places",
        "candidates",
        "region",
        "updated_at",
    )
    list_filter = ("status", "kind", "level", "mode", "region")
    search_fields = ("name_nb", "name_en", "code", "institution__name")
    raw_id_fields = ("institution",)
    readonly_fields = ("updated_at", "updated_by")
    inlines = (OfferAreaInline,)

    def save_model(self, request: Any, obj: Offer, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        if change:
            obj.version += 1  # an editor's form opened before this save is refused as stale
        super().save_model(request, obj, form, change)


@admin.register(OfferArea)
class OfferAreaAdmin(admin.ModelAdmin):
    list_display = ("offer", "area", "weight")
    list_filter = ("area",)
    search_fields = ("offer__name_nb", "offer__name_en", "offer__code")
    raw_id_fields = ("offer",)
