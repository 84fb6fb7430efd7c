"""Which plans a user may see: plans of persons in their scope, for roles that hold `view_plan`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import models

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.models import User


class PlanQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> PlanQuerySet:
        from qadam.people.querysets import visible_persons_q

        condition = visible_persons_q(user, through="person")
        if condition is None or not has_capability(user, "view_plan"):
            return self.none()
        return self.filter(condition)

    def review_overdue(self, today: date) -> PlanQuerySet:
        return self.filter(next_review_due__lt=today)
