"""Who may do what with assessments. Which persons: `Person.objects.visible_to(user)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


def can_view_assessment(user: User) -> bool:
    return has_capability(user, "view_assessment") and has_capability(user, "view_person")


def can_assess(user: User) -> bool:
    return has_capability(user, "assess_person") and can_view_assessment(user)


def can_approve_override(user: User) -> bool:
    return has_capability(user, "approve_assessment_override") and can_view_assessment(user)


def can_view_instruments(user: User) -> bool:
    return can_view_assessment(user) or has_capability(user, "validate_instruments")


def can_validate_instruments(user: User) -> bool:
    return has_capability(user, "validate_instruments")


def can_export(user: User) -> bool:
    return can_view_assessment(user) and has_capability(user, "export_lists")


def can_schedule(user: User | None) -> bool:
    """Bringing the reassessment forward is the system's consequence of another module's
    authorised write (a custody event, the pre-release window): any active member of staff whose
    event it is may trigger it, whatever their own capabilities, and so may the system's daily
    job (None)."""
    return user is None or (user.is_authenticated and user.is_active)
