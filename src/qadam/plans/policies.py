"""Who may do what with resocialisation plans. Which persons: `Person.objects.visible_to(user)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


def can_view_plan(user: User) -> bool:
    return has_capability(user, "view_plan") and has_capability(user, "view_person")


def can_manage_plan(user: User) -> bool:
    return has_capability(user, "manage_plan") and can_view_plan(user)


def can_countersign(user: User) -> bool:
    return has_capability(user, "countersign_plan") and can_view_plan(user)


def can_export(user: User) -> bool:
    return can_view_plan(user) and has_capability(user, "export_lists")


def can_schedule_review(user: User | None) -> bool:
    """Custody events, new assessments and the pre-release window reset the review date as the
    system's consequence of an authorised write: any active member of staff whose event it is
    may trigger it, whatever their own capabilities, and so may the system's daily job (None)."""
    return user is None or (user.is_authenticated and user.is_active)
