"""Who may see which person records: every view, search, export and API call goes through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from qadam.core.roles import ScopeLevel

if TYPE_CHECKING:
    from qadam.core.models import User


class PersonQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> PersonQuerySet:
        """Persons whose records the user may see: by capability, then by scope."""
        if not user.is_authenticated or not user.has_perm("core.view_person"):
            return self.none()
        active = self.filter(merged_into__isnull=True)
        if user.scope_level == ScopeLevel.NATIONAL:
            return active
        if user.scope_level == ScopeLevel.REGION:
            return active.filter(last_institution__region__in=user.regions.all())
        if user.scope_level == ScopeLevel.INSTITUTION:
            return active.filter(last_institution__in=user.institutions.all())
        return self.none()

    def for_list(self) -> PersonQuerySet:
        """What a list of persons shows: where each is now and the last effective ledger event."""
        from django.db.models import OuterRef, Subquery

        from qadam.custody.models import Movement

        last = (
            Movement.objects.filter(person=OuterRef("pk"))
            .effective()
            .order_by("-occurred_at", "-id")
        )
        annotated: PersonQuerySet = self.select_related(
            "current_institution", "last_institution"
        ).annotate(last_event_kind=Subquery(last.values("kind")[:1]))
        return annotated
