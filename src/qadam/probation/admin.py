"""Probation offices in the reference-data admin (administrators only, every change audited)."""

from __future__ import annotations

from django.contrib import admin

from qadam.core.admin import ReferenceAdmin, site
from qadam.probation.models import ProbationOffice


@admin.register(ProbationOffice, site=site)
class ProbationOfficeAdmin(ReferenceAdmin):
    list_display = ("code", "name_kk", "name_ru", "name_en", "region", "is_active")
    list_filter = ("is_active", "region")
    search_fields = ("code", "name_kk", "name_ru", "name_en")
