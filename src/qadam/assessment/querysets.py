"""Who may see which assessments: the persons the user may see, for users who may see
assessments at all. Every view, export, search and API call reads through `visible_to`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from qadam.core.models import User


def _visible(user: User, through: str) -> models.Q | None:
    from qadam.people.querysets import visible_persons_q

    return visible_persons_q(user, through=through) if _may_view(user) else None


def _may_view(user: User) -> bool:
    from qadam.assessment.policies import can_view_assessment

    return can_view_assessment(user)


class InstrumentQuerySet(models.QuerySet[Any]):
    def in_force_on(self, day: date) -> InstrumentQuerySet:
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=day)
        )


class AssessmentQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> AssessmentQuerySet:
        condition = _visible(user, "person")
        return self.none() if condition is None else self.filter(condition)


class BandOverrideQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> BandOverrideQuerySet:
        condition = _visible(user, "assessment__person")
        return self.none() if condition is None else self.filter(condition)


class ReassessmentQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> ReassessmentQuerySet:
        condition = _visible(user, "person")
        return self.none() if condition is None else self.filter(condition)

    def due_by(self, day: date) -> ReassessmentQuerySet:
        return self.filter(due_on__lte=day)
