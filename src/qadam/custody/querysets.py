"""Scoped reads of institutions, the ledger and the derived stays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from qadam.core.roles import ScopeLevel

if TYPE_CHECKING:
    from qadam.core.models import User


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in the project's time zone: a stay counts on D if open then."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class InstitutionQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> InstitutionQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.scope_level == ScopeLevel.NATIONAL:
            return self.all()
        if user.scope_level == ScopeLevel.REGION:
            return self.filter(region__in=user.regions.all())
        if user.scope_level == ScopeLevel.INSTITUTION:
            return self.filter(pk__in=user.institutions.all())
        return self.none()


class MovementQuerySet(models.QuerySet[Any]):
    def effective(self) -> MovementQuerySet:
        """Events as known now: corrections and the events they reverse are left out."""
        return self.exclude(kind="correction").filter(reversed_by__isnull=True)

    def awaiting_arrival(self) -> MovementQuerySet:
        """Effective transfers out that are the person's last effective event: the person is
        still on the way (an arrival, an escape or a death ends the transit). An arrival reversed
        by a correction is not effective, so its transfer awaits a new one; the reversed row
        stays, still naming the transfer."""
        later = (
            self.model.objects.filter(person_id=models.OuterRef("person_id"))
            .filter(
                models.Q(occurred_at__gt=models.OuterRef("occurred_at"))
                | models.Q(occurred_at=models.OuterRef("occurred_at"), id__gt=models.OuterRef("id"))
            )
            .effective()
        )
        return self.filter(kind="transfer_out").effective().exclude(models.Exists(later))

    def as_recorded_at(self, moment: datetime) -> MovementQuerySet:
        """Events as the ledger stood at `moment`: later recordings and corrections ignored."""
        return (
            self.filter(recorded_at__lte=moment)
            .exclude(kind="correction")
            .exclude(reversed_by__recorded_at__lte=moment)
        )


class StayQuerySet(models.QuerySet[Any]):
    def on(self, day: date) -> StayQuerySet:
        """Stays open at the end of `day`: the population on that date."""
        instant = end_of_day(day)
        return self.filter(start__lt=instant).filter(
            models.Q(end__isnull=True) | models.Q(end__gte=instant)
        )

    def open(self) -> StayQuerySet:
        return self.filter(end__isnull=True)
