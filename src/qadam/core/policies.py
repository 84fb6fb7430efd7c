"""Who may do what: plain predicates over capabilities and scope, and `require` to enforce them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from qadam.core.models import User


def has_capability(user: User, capability: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(f"core.{capability}"))


def require(allowed: bool, message: str | None = None) -> None:
    """Raise PermissionDenied (HTTP 403) with a translated message when not allowed."""
    if not allowed:
        raise PermissionDenied(message or _("You do not have permission to do this."))


def require_capability(user: User, capability: str) -> None:
    require(has_capability(user, capability))
