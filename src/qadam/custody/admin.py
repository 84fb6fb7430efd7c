from __future__ import annotations

from django.contrib import admin

from qadam.core.admin import ReferenceAdmin, site
from qadam.custody.models import Cell, Institution, InstitutionType, Section


@admin.register(InstitutionType, site=site)
class InstitutionTypeAdmin(ReferenceAdmin):
    list_display = ("code", "rank", "name_kk", "name_ru", "name_en", "is_pretrial", "is_mixed")


class SectionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Section
    extra = 0


@admin.register(Institution, site=site)
class InstitutionAdmin(ReferenceAdmin):
    list_display = ("code", "name_ru", "type", "region", "design_capacity", "operational_capacity")
    list_filter = ("type", "region")
    search_fields = ("code", "name_kk", "name_ru", "name_en")
    inlines = (SectionInline,)


@admin.register(Cell, site=site)
class CellAdmin(ReferenceAdmin):
    list_display = ("section", "number", "places", "area_m2")
