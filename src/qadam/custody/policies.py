"""Who may do what in the custody module: plain predicates over capabilities."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


def can_view_population(user: User) -> bool:
    return has_capability(user, "view_population")


def can_see_movements(user: User) -> bool:
    """Movement lists name persons: population figures alone are not enough."""
    return has_capability(user, "view_population") and has_capability(user, "view_person")


def can_admit(user: User) -> bool:
    return has_capability(user, "admit_person")


def can_record_movement(user: User) -> bool:
    return has_capability(user, "record_movement")


def can_correct(user: User) -> bool:
    return has_capability(user, "correct_movement")


def can_acknowledge_alarms(user: User) -> bool:
    return has_capability(user, "view_detention_alarms")


def can_see_lawful_lists(user: User) -> bool:
    return has_capability(user, "record_movement") or has_capability(user, "view_detention_alarms")


def can_view_as_recorded(user: User) -> bool:
    """Population as recorded at a past moment is for audit: auditors' capability or the head."""
    return has_capability(user, "view_audit") or has_capability(user, "correct_movement")


def can_export(user: User) -> bool:
    return has_capability(user, "export_lists")
