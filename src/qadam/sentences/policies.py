"""Who may do what with sentences: plain predicates over capabilities (scope is in querysets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


def can_view_sentence(user: User) -> bool:
    return has_capability(user, "view_sentence") and has_capability(user, "view_person")


def can_manage_sentence(user: User) -> bool:
    return has_capability(user, "manage_sentence") and has_capability(user, "view_person")


def can_approve_override(user: User) -> bool:
    return has_capability(user, "approve_date_override") and has_capability(user, "view_person")


def can_activate_legislation(user: User) -> bool:
    return has_capability(user, "activate_legislation")


def can_export(user: User) -> bool:
    return has_capability(user, "export_lists")
