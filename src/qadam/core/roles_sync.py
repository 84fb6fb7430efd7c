"""Keep one Django group per role holding exactly that role's capabilities, and each user in
the group of their role. Run after every migrate (post_migrate) and when a user's role changes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from qadam.core.roles import CAPABILITIES, ROLE_CAPABILITIES, Role


def sync_role_groups(**_: Any) -> None:
    from qadam.core.models import Capability

    content_type = ContentType.objects.get_for_model(Capability, for_concrete_model=False)
    permissions = {}
    for code, text in CAPABILITIES.items():
        permission, _created = Permission.objects.get_or_create(
            content_type=content_type, codename=code, defaults={"name": text}
        )
        permissions[code] = permission
    for role in Role:
        group, _created = Group.objects.get_or_create(name=f"role:{role.value}")
        group.permissions.set(permissions[c] for c in ROLE_CAPABILITIES[role])


def group_for(role: str) -> Group:
    return Group.objects.get(name=f"role:{role}")
