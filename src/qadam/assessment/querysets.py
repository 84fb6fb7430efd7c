"""Who may see which assessments: the persons the user may see, for users who may see
assessments at all. Every view, export, search and API call reads through `visible_to`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from qadam.core.models import User


def _visible_persons(user: User) -> Any:
    from qadam.people.models import Person

    return Person.objects.visible_to(user).values("pk")


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
        if not _may_view(user):
            return self.none()
        return self.filter(person__in=_visible_persons(user))


class BandOverrideQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> BandOverrideQuerySet:
        if not _may_view(user):
            return self.none()
        return self.filter(assessment__person__in=_visible_persons(user))


class ReassessmentQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> ReassessmentQuerySet:
        if not _may_view(user):
            return self.none()
        return self.filter(person__in=_visible_persons(user))

    def due_by(self, day: date) -> ReassessmentQuerySet:
        return self.filter(due_on__lte=day)
