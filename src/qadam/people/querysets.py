"""Who may see which person records: every view, search, export and API call goes through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from qadam.core.roles import ScopeLevel

if TYPE_CHECKING:
    from qadam.core.models import User


def visible_persons_q(user: User, *, through: str = "") -> models.Q | None:
    """The condition that makes a person visible to `user`, on the person itself or reached
    through the relation `through` (e.g. "person", "assessment__person"); None when the user may
    see no one. Other modules filter their rows with it, so that a lookup by primary key joins
    the one person row instead of listing everyone in scope first."""
    if not user.is_authenticated or not user.has_perm("core.view_person"):
        return None
    prefix = f"{through}__" if through else ""
    active = models.Q(**{f"{prefix}merged_into__isnull": True})
    if user.scope_level == ScopeLevel.NATIONAL:
        return active
    if user.scope_level == ScopeLevel.REGION:
        return active & models.Q(**{f"{prefix}last_institution__region__in": user.regions.all()})
    if user.scope_level == ScopeLevel.INSTITUTION:
        return active & models.Q(**{f"{prefix}last_institution__in": user.institutions.all()})
    if user.scope_level == ScopeLevel.PROBATION_OFFICE:
        # Those whose resocialisation plan is with one of the user's offices after release: a
        # join on the plan's unique person column, filtered by its indexed office column.
        return active & models.Q(
            **{
                f"{prefix}plan__stage": "post_release",
                f"{prefix}plan__probation_office__in": user.probation_offices.all(),
            }
        )
    return None


class PersonQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> PersonQuerySet:
        """Persons whose records the user may see: by capability, then by scope."""
        condition = visible_persons_q(user)
        return self.none() if condition is None else self.filter(condition)

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
