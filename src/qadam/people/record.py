"""The whole record of one person, read in a fixed number of queries.

Used by the person page (what the next decision needs) and by the subject-access export
(everything held). The number of queries does not depend on how many movements, relatives or
documents the person has: each kind of row is read once, with its related rows joined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qadam.people.models import (
    AdmissionRecord,
    Alias,
    Child,
    IdentityDocument,
    NextOfKin,
    Person,
    PersonMerge,
)

if TYPE_CHECKING:
    from qadam.core.models import Alert
    from qadam.custody.models import DetentionBasis, Movement, Stay


class Whereabouts:
    """Where a person is, from the last effective ledger event (custody.engine's statuses)."""

    IN_CUSTODY = "in_custody"
    ABSENT = "absent"
    IN_TRANSIT = "in_transit"
    AT_LARGE = "at_large"
    RELEASED = "released"
    DEAD = "dead"
    NEVER_ADMITTED = "never_admitted"

    LABELS: dict[str, Promise] = {
        IN_CUSTODY: _("In custody"),
        ABSENT: _("Temporarily absent"),
        IN_TRANSIT: _("In transit"),
        AT_LARGE: _("At large (escaped)"),
        RELEASED: _("Released"),
        DEAD: _("Died in custody"),
        NEVER_ADMITTED: _("Not admitted"),
    }

    _BY_EVENT = {
        "admission": IN_CUSTODY,
        "section_move": IN_CUSTODY,
        "transfer_in": IN_CUSTODY,
        "absence_return": IN_CUSTODY,
        "recapture": IN_CUSTODY,
        "status_change": IN_CUSTODY,
        "absence_out": ABSENT,
        "transfer_out": IN_TRANSIT,
        "escape": AT_LARGE,
        "release": RELEASED,
        "death": DEAD,
    }

    @classmethod
    def from_event(cls, kind: str | None) -> str:
        return cls._BY_EVENT.get(kind or "", cls.NEVER_ADMITTED)

    @classmethod
    def label(cls, code: str) -> str:
        return str(cls.LABELS.get(code, code))


@dataclass
class TimelineEntry:
    movement: Movement
    reversed_by: Movement | None = None
    from_merged_record: str = ""

    @property
    def is_correction(self) -> bool:
        return self.movement.kind == "correction"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_by is not None

    @property
    def is_effective(self) -> bool:
        return not self.is_correction and not self.is_reversed


@dataclass
class LawfulDetention:
    basis: DetentionBasis | None
    lawful_until: date | None
    days_left: int | None
    state: str  # "past" (held past the lawful date), "expiring", "ok", "none"

    @property
    def days_overdue(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


@dataclass
class PersonRecord:
    person: Person
    identity_ids: list[int]
    today: date
    whereabouts: str
    last_event: Movement | None
    open_stay: Stay | None
    timeline: list[TimelineEntry]
    bases: list[DetentionBasis]
    lawful: LawfulDetention
    alerts: list[Alert]
    admissions: list[AdmissionRecord]
    next_of_kin: list[NextOfKin]
    children: list[Child]
    documents: list[IdentityDocument]
    aliases: list[Alias]
    merged_records: list[Person]
    merges: list[PersonMerge]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def age(self) -> int:
        return self.person.age_on(self.today)

    @property
    def whereabouts_label(self) -> str:
        return Whereabouts.label(self.whereabouts)

    @property
    def on_roll(self) -> bool:
        return self.whereabouts in (Whereabouts.IN_CUSTODY, Whereabouts.ABSENT)

    @property
    def effective_timeline(self) -> list[TimelineEntry]:
        return [e for e in self.timeline if e.is_effective]


def _identity_ids(person: Person) -> tuple[list[int], list[Person]]:
    """The person and every record merged into it (at any depth), one query per merge level."""
    ids = [person.pk]
    merged: list[Person] = []
    frontier = [person.pk]
    while frontier:
        level = list(Person.objects.filter(merged_into__in=frontier).order_by("pk"))
        merged.extend(level)
        frontier = [p.pk for p in level]
        ids.extend(frontier)
    return ids, merged


def lawful_detention(
    bases: list[DetentionBasis], *, person: Person, on_roll: bool, today: date
) -> LawfulDetention:
    """The governing document is the latest issued (as custody.services.lawful_basis)."""
    own = [b for b in bases if b.person_id == person.pk]
    governing = max(own, key=lambda b: (b.issued_on, b.pk), default=None)
    until = governing.valid_until if governing is not None else None
    if governing is None or until is None or not on_roll:
        return LawfulDetention(governing, until, None, "none")
    days_left = (until - today).days
    if days_left < 0:
        state = "past"
    elif days_left <= settings.DETENTION_EXPIRY_WARNING_DAYS:
        state = "expiring"
    else:
        state = "ok"
    return LawfulDetention(governing, until, days_left, state)


def person_record(person: Person, *, include_children: bool = True) -> PersonRecord:
    """Read everything shown about one person; merged records' histories are included."""
    from qadam.core.models import Alert
    from qadam.custody.models import DetentionBasis, Movement, Stay

    ids, merged_records = _identity_ids(person)
    case_numbers = {p.pk: p.case_number for p in merged_records}
    movements = list(
        Movement.objects.filter(person_id__in=ids)
        .select_related("institution", "section", "cell", "destination", "basis", "reverses")
        .order_by("occurred_at", "id")
    )
    reversed_by = {m.reverses_id: m for m in movements if m.reverses_id is not None}
    timeline = [
        TimelineEntry(
            movement=m,
            reversed_by=reversed_by.get(m.pk),
            from_merged_record=case_numbers.get(m.person_id, ""),
        )
        for m in movements
    ]
    own_effective = [e for e in timeline if e.is_effective and e.movement.person_id == person.pk]
    last_event = own_effective[-1].movement if own_effective else None
    whereabouts = Whereabouts.from_event(last_event.kind if last_event else None)
    open_stay = (
        Stay.objects.filter(person=person, end__isnull=True)
        .select_related("institution", "section", "cell")
        .first()
    )
    bases = list(DetentionBasis.objects.filter(person_id__in=ids).order_by("-issued_on", "-id"))
    today = timezone.localdate()
    on_roll = whereabouts in (Whereabouts.IN_CUSTODY, Whereabouts.ABSENT)
    return PersonRecord(
        person=person,
        identity_ids=ids,
        today=today,
        whereabouts=whereabouts,
        last_event=last_event,
        open_stay=open_stay,
        timeline=timeline,
        bases=bases,
        lawful=lawful_detention(bases, person=person, on_roll=on_roll, today=today),
        alerts=list(
            Alert.objects.filter(person_id__in=ids, resolved_at__isnull=True)
            .select_related("institution")
            .order_by("-raised_at")
        ),
        admissions=list(
            AdmissionRecord.objects.filter(person_id__in=ids)
            .select_related("movement", "movement__institution")
            .prefetch_related("property")
            .order_by("-arrested_at", "-id")
        ),
        next_of_kin=list(NextOfKin.objects.filter(person_id__in=ids).order_by("name", "id")),
        children=(
            list(Child.objects.filter(person_id__in=ids).order_by("birth_date", "id"))
            if include_children
            else []
        ),
        documents=list(IdentityDocument.objects.filter(person_id__in=ids).order_by("kind", "id")),
        aliases=list(Alias.objects.filter(person_id__in=ids).order_by("surname", "id")),
        merged_records=merged_records,
        merges=list(
            PersonMerge.objects.filter(Q(survivor_id__in=ids) | Q(duplicate_id__in=ids))
            .select_related("survivor", "duplicate", "requested_by", "decided_by", "undone_by")
            .order_by("-requested_at", "-id")
        ),
    )
