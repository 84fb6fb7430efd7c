"""Need areas and responsible agency types in the reference-data admin (administrators only)."""

from __future__ import annotations

from django.contrib import admin

from qadam.core.admin import ReferenceAdmin, site
from qadam.plans.models import AgencyType, NeedArea


@admin.register(NeedArea, site=site)
class NeedAreaAdmin(ReferenceAdmin):
    list_display = (
        "code",
        "group",
        "checklist",
        "order",
        "name_kk",
        "name_ru",
        "name_en",
        "is_active",
    )
    list_filter = ("group", "checklist", "is_active")
    search_fields = ("code", "name_kk", "name_ru", "name_en")


@admin.register(AgencyType, site=site)
class AgencyTypeAdmin(ReferenceAdmin):
    list_display = ("code", "order", "name_kk", "name_ru", "name_en", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_kk", "name_ru", "name_en")
