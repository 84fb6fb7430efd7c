"""The main navigation: each module registers its entries with the capability they need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    capability: str | None


_ENTRIES: list[NavEntry] = [
    NavEntry(_("Home"), "core:home", None),
    NavEntry(_("Audit"), "core:audit_list", "view_audit"),
]


def register(entry: NavEntry) -> None:
    """Modules that land later add their entries from their AppConfig.ready()."""
    if entry not in _ENTRIES:
        _ENTRIES.insert(len(_ENTRIES) - 1, entry)  # the audit entry stays last


def navigation_for(user: User) -> list[tuple[str, str]]:
    return [
        (str(entry.label), reverse(entry.url_name))
        for entry in _ENTRIES
        if entry.capability is None or has_capability(user, entry.capability)
    ]
