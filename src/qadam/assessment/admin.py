"""Instrument versions in the reference-data admin: listed read-only (a published version never
changes; a new one is loaded with `instrument_load`, validated by the engine's schema)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qadam.assessment.models import Instrument
from qadam.core.admin import ReferenceAdmin, site


@admin.register(Instrument, site=site)
class InstrumentAdmin(ReferenceAdmin):
    list_display = ("code", "version", "valid_from", "valid_to", "validated_on_local_data")
    readonly_fields = (
        "code",
        "version",
        "valid_from",
        "valid_to",
        "definition",
        "loaded_at",
        "validated_on_local_data",
        "local_validated_at",
    )
    exclude = ("loaded_by", "local_validation")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
