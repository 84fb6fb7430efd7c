"""Lawful detention: who must be released soon, today, or is held past the lawful date.

Every stay rests on a document with its end (`Person.lawful_until`, kept by
`custody.services.basis_record` from the governing document). Lists are per institution and
scoped to the user; `raise_alarms` turns each person held past the date into an `Alert` once
per person and due date (the `qadam check_detention` command runs it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from qadam.core.audit import audit_write
from qadam.core.models import Alert, AuditEvent
from qadam.custody.models import Institution
from qadam.people.models import Person

if TYPE_CHECKING:
    from qadam.core.models import User


def _in_custody(institutions: QuerySet[Institution] | list[Institution]) -> QuerySet[Person]:
    return Person.objects.filter(
        merged_into__isnull=True,
        current_institution__in=institutions,
        lawful_until__isnull=False,
    ).select_related("current_institution")


def held_past_lawful_date(
    institutions: QuerySet[Institution] | list[Institution], today: date | None = None
) -> QuerySet[Person]:
    """In custody now although the last lawful day has passed: an alarm, never silent."""
    today = today or timezone.localdate()
    return _in_custody(institutions).filter(lawful_until__lt=today).order_by("lawful_until", "pk")


def release_due_today(
    institutions: QuerySet[Institution] | list[Institution], today: date | None = None
) -> QuerySet[Person]:
    """Today is the last lawful day: release before the day ends or record a new document."""
    today = today or timezone.localdate()
    return _in_custody(institutions).filter(lawful_until=today).order_by("surname", "pk")


def detention_expiring(
    institutions: QuerySet[Institution] | list[Institution], today: date | None = None
) -> QuerySet[Person]:
    """The lawful date falls within the next settings.DETENTION_EXPIRY_WARNING_DAYS days."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.DETENTION_EXPIRY_WARNING_DAYS)
    return (
        _in_custody(institutions)
        .filter(lawful_until__gt=today, lawful_until__lte=horizon)
        .order_by("lawful_until", "pk")
    )


@dataclass
class LawfulLists:
    held_past: list[Person] = field(default_factory=list)
    due_today: list[Person] = field(default_factory=list)
    expiring: list[Person] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.held_past or self.due_today or self.expiring)


def lawful_lists(
    institutions: QuerySet[Institution] | list[Institution],
    today: date | None = None,
    limit: int = 200,
) -> LawfulLists:
    today = today or timezone.localdate()
    return LawfulLists(
        held_past=list(held_past_lawful_date(institutions, today)[:limit]),
        due_today=list(release_due_today(institutions, today)[:limit]),
        expiring=list(detention_expiring(institutions, today)[:limit]),
    )


def open_alarms(user: User) -> QuerySet[Alert]:
    """Unresolved held-past alarms in the user's institutions."""
    return (
        Alert.objects.filter(
            kind=Alert.Kind.HELD_PAST_LAWFUL_DATE,
            resolved_at__isnull=True,
            institution__in=Institution.objects.visible_to(user),
        )
        .select_related("person", "institution", "acknowledged_by")
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class AlarmRun:
    raised: int
    already_open: int
    resolved: int


def raise_alarms(today: date | None = None) -> AlarmRun:
    """One alarm per person and lawful date, written with its audit event; idempotent.

    Alarms of persons no longer held past the date (released, or covered by a new document) are
    resolved."""
    today = today or timezone.localdate()
    raised = already = 0
    held = list(held_past_lawful_date(Institution.objects.all(), today))
    for person in held:
        with transaction.atomic():
            assert person.current_institution_id is not None
            alert, created = Alert.objects.get_or_create(
                kind=Alert.Kind.HELD_PAST_LAWFUL_DATE,
                person=person,
                due_date=person.lawful_until,
                defaults={"institution_id": person.current_institution_id},
            )
            if not created:
                already += 1
                continue
            audit_write(
                actor=None,
                action=AuditEvent.Action.ALARM,
                verb="held past the lawful date",
                obj=alert,
                person_id=person.pk,
                details={
                    "institution": person.current_institution_id,
                    "lawful_until": str(person.lawful_until),
                    "days_over": (today - person.lawful_until).days if person.lawful_until else 0,
                },
            )
            raised += 1
    stale: dict[str, Any] = {"resolved_at": timezone.now()}
    resolved = (
        Alert.objects.filter(kind=Alert.Kind.HELD_PAST_LAWFUL_DATE, resolved_at__isnull=True)
        .exclude(person__in=[p.pk for p in held])
        .update(**stale)
    )
    return AlarmRun(raised=raised, already_open=already, resolved=resolved)
