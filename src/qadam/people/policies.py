"""Who may do what with person records: plain predicates over capabilities.

Scope (which persons) is `Person.objects.visible_to(user)`; these predicates say which actions a
user's role allows on a record already in scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


def can_view_person(user: User) -> bool:
    return has_capability(user, "view_person")


def can_search(user: User) -> bool:
    return has_capability(user, "search_person")


def can_export_lists(user: User) -> bool:
    return has_capability(user, "export_lists")


def can_view_children(user: User) -> bool:
    """Children's details are confidential (Bangkok Rule 3): staff who may see the person's
    record in their scope, on the person page only — never in list exports."""
    return has_capability(user, "view_person")


def can_request_merge(user: User) -> bool:
    return has_capability(user, "request_merge")


def can_decide_merge(user: User) -> bool:
    return has_capability(user, "approve_merge")


def can_see_merges(user: User) -> bool:
    return can_request_merge(user) or can_decide_merge(user)


def can_export_subject_access(user: User) -> bool:
    return has_capability(user, "subject_access_export")
