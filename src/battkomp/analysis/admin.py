"""Published snapshots in the admin: read-only (a publication never changes)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from battkomp.analysis.models import Publication


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ("version", "title_nb", "title_en", "published_at", "published_by", "run")
    readonly_fields = (
        "run",
        "version",
        "title_nb",
        "title_en",
        "note_nb",
        "note_en",
        "published_at",
        "published_by",
        "meta",
    )

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
