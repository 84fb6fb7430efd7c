"""Lawful detention: who must be released soon, today, or is held past the lawful date.

Every stay rests on a document with its end (`Person.lawful_until`, kept by
`custody.services.basis_record` from the governing document). Lists are per institution and
scoped to the user; `raise_alarms` turns each person held past the date into an `Alert` once
per person and due date (the `qadam check_detention` command runs it). The same daily run keeps
the alarms for persons on remand held outside pre-trial premises (Mandela Rule 11(b),
`raise_remand_alarms`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from qadam.core.audit import audit_write
from qadam.core.models import Alert, AuditEvent
from qadam.custody import services
from qadam.custody.models import Institution, LegalStatus, Section, Stay
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


def open_alarms(user: User, kind: str = Alert.Kind.HELD_PAST_LAWFUL_DATE) -> QuerySet[Alert]:
    """Unresolved alarms of one kind (held past the lawful date unless named) in the user's
    institutions, oldest first. `has_pretrial_section`: whether the institution has a pre-trial
    section a person on remand can be moved to instead of being transferred."""
    return (
        Alert.objects.filter(
            kind=kind,
            resolved_at__isnull=True,
            institution__in=Institution.objects.visible_to(user),
        )
        .annotate(
            has_pretrial_section=Exists(
                Section.objects.filter(institution=OuterRef("institution"), type__is_pretrial=True)
            )
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
    resolved. The counts include the remand-outside-pre-trial alarms (`raise_remand_alarms`)."""
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
    remand = raise_remand_alarms()
    return AlarmRun(
        raised=raised + remand.raised,
        already_open=already + remand.already_open,
        resolved=resolved + remand.resolved,
    )


def raise_remand_alarms() -> AlarmRun:
    """Mandela Rule 11(b): an alarm for each person on remand whose open stay is outside
    pre-trial premises, once per person and day the stay began; resolved once it is not.

    The services keep these alarms as each event is recorded; this sweep puts them right after
    what the services did not see (a backdated event or a correction elsewhere in the ledger, a
    section's type changed, a bulk load). Persons whose alarm already agrees are not touched, so
    a second run writes nothing."""
    expected: dict[int, tuple[date, int]] = {}
    candidates = (
        Stay.objects.open()
        .filter(legal_status=LegalStatus.REMAND)
        .exclude(institution__type__is_pretrial=True)
        .select_related("institution__type", "section__type")
    )
    for stay in candidates:
        if services.remand_place_errors(
            legal_status=stay.legal_status, institution=stay.institution, section=stay.section
        ):
            expected[stay.person_id] = (timezone.localdate(stay.start), stay.institution_id)
    current: dict[int, list[tuple[date | None, int]]] = {}
    for person_id, due_date, institution_id in Alert.objects.filter(
        kind=Alert.Kind.REMAND_OUTSIDE_PRETRIAL, resolved_at__isnull=True
    ).values_list("person_id", "due_date", "institution_id"):
        current.setdefault(person_id, []).append((due_date, institution_id))
    raised = already = resolved = 0
    for person_id in sorted(expected.keys() | current.keys()):
        if person_id in expected and current.get(person_id) == [expected[person_id]]:
            already += 1
            continue
        with transaction.atomic():
            person = Person.objects.select_for_update().get(pk=person_id)
            result = services.remand_alarm_sync(person=person)
        raised += result.raised
        resolved += result.resolved
        already += result.alarm is not None and not result.raised
    return AlarmRun(raised=raised, already_open=already, resolved=resolved)
