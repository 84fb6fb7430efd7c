"""Write workflows of the movements ledger. Each is one transaction with its audit event.

Every event is checked by replaying the person's ledger with the new event in its chronological
place (`custody.engine`), under a row lock on the person, so that two concurrent transfers of the
same person cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qadam.core.audit import audit_write
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import Alert, AuditEvent
from qadam.core.policies import has_capability, require
from qadam.custody import engine, snapshots
from qadam.custody.models import (
    Cell,
    DetentionBasis,
    Institution,
    LegalStatus,
    Movement,
    MovementKind,
    Section,
    Stay,
)
from qadam.custody.querysets import end_of_day
from qadam.custody.signals import send_movement_recorded
from qadam.people.models import Person
from qadam.people.services import AdmissionRecordInput, IdentityInput

if TYPE_CHECKING:
    from qadam.core.models import User

# Messages for the engine's refusal codes; each says what is wrong and what to check.
LEDGER_MESSAGES = {
    "after_death": gettext_lazy(
        "The ledger records this person's death; no later event is possible."
    ),
    "already_in_custody": gettext_lazy(
        "This person is already in custody on that date. Record a transfer instead of a new admission."
    ),
    "legal_status_required": gettext_lazy("Choose the legal status: on remand or sentenced."),
    "released": gettext_lazy(
        "This person had been released by that date. Record a new admission first."
    ),
    "not_admitted": gettext_lazy("This person had not been admitted by that date. Check the date."),
    "not_present": gettext_lazy("This person was not present in an institution on that date."),
    "wrong_institution": gettext_lazy("On that date this person was held in another institution."),
    "legal_status_unchanged": gettext_lazy(
        "The new legal status must differ from the current one."
    ),
    "bad_destination": gettext_lazy("Choose a destination other than the current institution."),
    "not_in_transit": gettext_lazy("This person was not being transferred on that date."),
    "arrived_elsewhere": gettext_lazy(
        "The transfer was sent to another institution; it can only arrive where it was sent."
    ),
    "not_absent": gettext_lazy("This person was not temporarily absent on that date."),
    "not_at_large": gettext_lazy("This person was not recorded as escaped on that date."),
    "unknown_event": gettext_lazy("Unknown kind of event."),
    "out_of_order": gettext_lazy("The events are out of order."),
}

FUTURE_TOLERANCE = timedelta(minutes=5)
# Events that place a person in an institution, section or cell.
PLACING_KINDS = frozenset({"admission", "transfer_in", "recapture", "section_move"})


def _as_engine_event(movement: Movement) -> engine.Event:
    return engine.Event(
        id=movement.pk,
        kind=movement.kind,
        occurred_at=movement.occurred_at,
        institution_id=movement.institution_id,
        section_id=movement.section_id,
        cell_id=movement.cell_id,
        destination_id=movement.destination_id,
        legal_status=movement.legal_status,
        transfer_out_id=movement.transfer_out_id,
    )


def _lock_person(person: Person) -> Person:
    """Lock the person's row for the rest of the transaction (PostgreSQL; SQLite serialises)."""
    locked: Person = Person.objects.select_for_update().get(pk=person.pk)
    return locked


def _effective_events(person: Person) -> list[engine.Event]:
    return [_as_engine_event(m) for m in Movement.objects.filter(person=person).effective()]


def _check(
    person: Person,
    candidate: engine.Event,
    *,
    field_name: str = "occurred_at",
    events: list[engine.Event] | None = None,
) -> None:
    try:
        engine.replay([*(_effective_events(person) if events is None else events), candidate])
    except engine.LedgerError as error:
        raise ConflictError({field_name: [LEDGER_MESSAGES.get(error.code, error.code)]}) from None


def _legal_status_before(events: list[engine.Event], candidate: engine.Event) -> str:
    """The person's legal status just before `candidate`, in its place in the ledger."""
    earlier = [e for e in events if (e.occurred_at, e.id) < (candidate.occurred_at, candidate.id)]
    return engine.replay(earlier).legal_status


def _check_when(occurred_at: datetime) -> None:
    if timezone.is_naive(occurred_at):
        raise ServiceError({"occurred_at": [_("Give the time with its time zone.")]})
    if occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ServiceError({"occurred_at": [_("The date and time cannot be in the future.")]})


def rebuild_stays(person: Person) -> engine.State:
    """Derive the person's stays and current place from the effective ledger; a change that
    reaches back before today drops the population snapshots it affects (`custody.snapshots`)."""
    state = engine.replay(_effective_events(person))
    stays = Stay.objects.filter(person=person)
    old = list(
        stays.values_list("institution_id", "section_id", "legal_status", "sex", "start", "end")
    )
    stays.delete()
    new = Stay.objects.bulk_create(
        Stay(
            person=person,
            institution_id=s.institution_id,
            section_id=s.section_id,
            cell_id=s.cell_id,
            legal_status=s.legal_status,
            sex=person.sex,
            birth_date=person.birth_date,
            start=s.start,
            end=s.end,
            start_event_id=s.start_event_id,
            end_event_id=s.end_event_id,
        )
        for s in state.finish()
    )
    snapshots.stays_changed(
        old, [(s.institution_id, s.section_id, s.legal_status, s.sex, s.start, s.end) for s in new]
    )
    on_roll = state.status in engine.ON_ROLL
    person.current_institution_id = state.institution_id if on_roll else None
    if state.institution_id is not None:
        person.last_institution_id = state.institution_id
    person.legal_status = state.legal_status if on_roll else ""
    person.save(update_fields=["current_institution", "last_institution", "legal_status"])
    return state


def occupancy(institution: Institution) -> int:
    return Stay.objects.open().filter(institution=institution).count()


def _check_capacity(institution: Institution, override_reason: str) -> None:
    if occupancy(institution) >= institution.operational_capacity and not override_reason.strip():
        raise ServiceError(
            {
                "capacity_override_reason": [
                    _(
                        "%(name)s is full (%(capacity)s places). Choose another institution or give the "
                        "reason for exceeding its capacity."
                    )
                    % {"name": institution.name, "capacity": institution.operational_capacity}
                ]
            }
        )


def _check_placement(institution: Institution, section: Section | None, cell: Cell | None) -> None:
    if section is not None and section.institution_id != institution.pk:
        raise ServiceError({"section": [_("This section belongs to another institution.")]})
    if cell is not None and (section is None or cell.section_id != section.pk):
        raise ServiceError({"cell": [_("This cell is not in the chosen section.")]})


# Mandela Rule 11 (a), (d); Bangkok Rules 40-41: men and women, minors and adults held apart.
# PEC art. 150 lets a convict who turns 18 stay in a minors' institution; 21 is the limit used
# here [U: verify the age limit against the official text].
JUVENILE_AGE_LIMIT = 21


def separation_errors(
    *,
    sex: str,
    birth_date: date,
    institution: Institution,
    section: Section | None,
    on_day: date,
    field_name: str = "institution",
) -> dict[str, list[Any]]:
    """Placements that break the separation of categories; empty when the placement is lawful."""
    errors: dict[str, list[Any]] = {}
    profile = institution.sex_profile
    if (profile == Institution.SexProfile.MALE and sex == "F") or (
        profile == Institution.SexProfile.FEMALE and sex == "M"
    ):
        errors[field_name] = [
            _("%(name)s holds only %(profile)s: men and women are held apart (Mandela Rule 11).")
            % {"name": institution.name, "profile": institution.get_sex_profile_display().lower()}
        ]
    elif section is not None and section.sex and section.sex != sex:
        errors["section"] = [_("This section is for the other sex (Mandela Rule 11).")]
    years = (
        on_day.year
        - birth_date.year
        - ((on_day.month, on_day.day) < (birth_date.month, birth_date.day))
    )
    if years < 18 and institution.age_profile == Institution.AgeProfile.ADULT:
        errors.setdefault(field_name, []).append(
            _(
                "A minor may not be held in an institution for adults (Mandela Rule 11(d)); "
                "choose an institution or section for minors."
            )
        )
    elif years >= JUVENILE_AGE_LIMIT and (
        institution.age_profile == Institution.AgeProfile.JUVENILE
        or (section is not None and section.is_juvenile)
    ):
        errors.setdefault(field_name, []).append(
            _("An adult aged %(age)s may not be held with minors (Mandela Rule 11(d)).")
            % {"age": years}
        )
    elif (
        years < 18
        and section is not None
        and not section.is_juvenile
        and institution.age_profile == Institution.AgeProfile.BOTH
    ):
        errors["section"] = [_("Place a minor in a section for minors (Mandela Rule 11(d)).")]
    return errors


def _check_separation(
    person: Person,
    institution: Institution,
    section: Section | None,
    occurred_at: datetime,
    field_name: str = "institution",
) -> None:
    errors = separation_errors(
        sex=person.sex,
        birth_date=person.birth_date,
        institution=institution,
        section=section,
        on_day=timezone.localtime(occurred_at).date(),
        field_name=field_name,
    )
    if errors:
        raise ServiceError(errors)


# Mandela Rule 11(b): the untried are held apart from the convicted. In Kazakhstan they are held in
# pre-trial detention centres (PEC art. 89; the Law on the procedure and conditions of detention of
# persons in special institutions). Where an institution of another type lawfully holds persons on
# remand in premises run as a pre-trial centre (a colony's isolated pre-trial section, or a section
# of a mixed institution), that section is recorded with the pre-trial type (`Section.type`), and
# a person on remand may be placed only there [U: verify against the official text which colonies
# may have such premises]. Persons already sentenced may be held in a pre-trial centre (household
# work), so the rule binds only persons on remand.
def _is_pretrial(institution_type: Any) -> bool:
    return institution_type is not None and bool(institution_type.is_pretrial)


def _pretrial_sections(institution: Institution) -> bool:
    return institution.sections.filter(type__is_pretrial=True).exists()


def remand_place_errors(
    *,
    legal_status: str,
    institution: Institution,
    section: Section | None,
    field_name: str = "institution",
) -> dict[str, list[Any]]:
    """A person on remand placed outside a pre-trial centre or pre-trial section; empty if lawful."""
    if legal_status != LegalStatus.REMAND or _is_pretrial(institution.type):
        return {}
    if section is not None and _is_pretrial(section.type):
        return {}
    if _pretrial_sections(institution):
        return {
            "section": [
                _(
                    "A person on remand is held apart from the convicted: choose the pre-trial "
                    "section of %(name)s (Mandela Rule 11(b))."
                )
                % {"name": institution.name}
            ]
        }
    return {
        field_name: [
            _(
                "%(name)s is not a pre-trial detention centre: a person on remand may be held only "
                "in a pre-trial detention centre or a pre-trial section (Mandela Rule 11(b))."
            )
            % {"name": institution.name}
        ]
    }


def remand_destination_errors(
    *, legal_status: str, destination: Institution
) -> dict[str, list[Any]]:
    """A person on remand sent where no pre-trial centre or section can receive them."""
    if legal_status != LegalStatus.REMAND or _is_pretrial(destination.type):
        return {}
    if _pretrial_sections(destination):
        return {}
    return {
        "destination": [
            _(
                "%(name)s is not a pre-trial detention centre: a person on remand may be sent only "
                "to a pre-trial detention centre or an institution with a pre-trial section "
                "(Mandela Rule 11(b))."
            )
            % {"name": destination.name}
        ]
    }


# A quashed verdict puts a sentenced person back on remand where they are (the court's decision is
# a fact and is recorded), and a correction can reverse the move that ended such a stay: the
# placing events above cannot refuse either. The institution is told instead, by an alarm that
# stays on its home page until the person is moved to pre-trial premises, released, sentenced
# again, escapes or dies. It is kept as each event is recorded (`_record`, `movement_correct`) and
# by the daily sweep (`custody.lawful.raise_alarms`).
REMAND_ALARM_VERB = "on remand outside pre-trial premises"


def remand_misplacement(person: Person) -> Stay | None:
    """The person's open stay when it holds them on remand outside pre-trial premises (the
    place fails `remand_place_errors`), else None."""
    stay: Stay | None = (
        Stay.objects.open()
        .filter(person=person)
        .select_related("institution__type", "section__type")
        .first()
    )
    if stay is None or not remand_place_errors(
        legal_status=stay.legal_status, institution=stay.institution, section=stay.section
    ):
        return None
    return stay


@dataclass(frozen=True)
class RemandAlarmSync:
    """What `remand_alarm_sync` found and did."""

    alarm: Alert | None  # the person's open alarm afterwards
    raised: bool  # raised (or raised again) now, with its audit row
    resolved: int  # open alarms resolved now


def open_remand_alarm(person: Person) -> Alert | None:
    alarm: Alert | None = (
        Alert.objects.filter(
            kind=Alert.Kind.REMAND_OUTSIDE_PRETRIAL, person=person, resolved_at__isnull=True
        )
        .select_related("person", "institution")
        .order_by("-due_date", "-pk")
        .first()
    )
    return alarm


def remand_alarm_sync(*, person: Person) -> RemandAlarmSync:
    """Make the person's remand-outside-pre-trial alarm agree with their stays: one alarm per
    person and day the misplacement began (`Alert.due_date`), raised with its audit row; resolved
    once the stay ends or becomes lawful. Idempotent; call inside the transaction that changed the
    ledger, under its lock on the person."""
    stay = remand_misplacement(person)
    now = timezone.now()
    open_alarms = Alert.objects.filter(
        kind=Alert.Kind.REMAND_OUTSIDE_PRETRIAL, person=person, resolved_at__isnull=True
    )
    if stay is None:
        return RemandAlarmSync(
            alarm=None, raised=False, resolved=open_alarms.update(resolved_at=now)
        )
    since = timezone.localdate(stay.start)
    resolved = open_alarms.exclude(due_date=since).update(resolved_at=now)
    alarm, created = Alert.objects.get_or_create(
        kind=Alert.Kind.REMAND_OUTSIDE_PRETRIAL,
        person=person,
        due_date=since,
        defaults={"institution": stay.institution, "raised_at": now},
    )
    if not created:
        if alarm.resolved_at is None and alarm.institution_id == stay.institution_id:
            return RemandAlarmSync(alarm=alarm, raised=False, resolved=resolved)
        # Resolved earlier (the event corrected, then recorded again for the same day): a new
        # occurrence, to be seen and acknowledged again.
        alarm.institution = stay.institution
        alarm.raised_at = now
        alarm.resolved_at = None
        alarm.acknowledged_at = None
        alarm.acknowledged_by = None
        alarm.save(
            update_fields=[
                "institution",
                "raised_at",
                "resolved_at",
                "acknowledged_at",
                "acknowledged_by",
            ]
        )
    audit_write(
        actor=None,
        action=AuditEvent.Action.ALARM,
        verb=REMAND_ALARM_VERB,
        obj=alarm,
        person_id=person.pk,
        details={
            "institution": stay.institution_id,
            "section": stay.section_id,
            "since": since.isoformat(),
            "event": stay.start_event_id,
            "raised_again": not created,
        },
    )
    return RemandAlarmSync(alarm=alarm, raised=True, resolved=resolved)


def remand_alarm_notice(alarm: Alert) -> str:
    """What the member of staff who recorded the event is told: move the person at once."""
    return _(
        "%(name)s is on remand but held in %(institution)s outside pre-trial premises. Transfer "
        "them to a pre-trial detention centre or move them to a pre-trial section at once "
        "(Mandela Rule 11(b)); the alarm stays on the home page until they are moved."
    ) % {"name": alarm.person.full_name, "institution": alarm.institution.name}


def _existing_for_key(idempotency_key: str | None) -> Movement | None:
    if not idempotency_key:
        return None
    return Movement.objects.filter(idempotency_key=idempotency_key).first()


@dataclass(frozen=True)
class MovementInput:
    """What any ledger event needs besides its kind."""

    occurred_at: datetime
    institution: Institution
    section: Section | None = None
    cell: Cell | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _record(
    *,
    actor: User,
    person: Person,
    kind: str,
    data: MovementInput,
    verb: str,
    idempotency_key: str | None = None,
    check_field: str = "occurred_at",
    **fields: Any,
) -> Movement:
    """Validate, write one event, rebuild the stays and audit — inside the caller's transaction."""
    _check_when(data.occurred_at)
    _check_placement(data.institution, data.section, data.cell)
    destination = fields.get("destination")
    if kind in PLACING_KINDS:
        _check_separation(person, data.institution, data.section, data.occurred_at)
    if destination is not None:
        _check_separation(person, destination, None, data.occurred_at, field_name="destination")
    locked = _lock_person(person)
    transfer_out = fields.get("transfer_out")
    candidate = engine.Event(
        id=2**62,
        kind=kind,
        occurred_at=data.occurred_at,
        institution_id=data.institution.pk,
        section_id=data.section.pk if data.section else None,
        cell_id=data.cell.pk if data.cell else None,
        destination_id=destination.pk if destination is not None else None,
        legal_status=fields.get("legal_status", ""),
        transfer_out_id=transfer_out.pk if transfer_out is not None else None,
    )
    events = _effective_events(locked)
    _check(locked, candidate, field_name=check_field, events=events)
    if kind in PLACING_KINDS or destination is not None:
        status = (
            candidate.legal_status
            if kind == MovementKind.ADMISSION
            else _legal_status_before(events, candidate)
        )
        errors: dict[str, list[Any]] = {}
        if kind in PLACING_KINDS:
            errors.update(
                remand_place_errors(
                    legal_status=status, institution=data.institution, section=data.section
                )
            )
        if destination is not None:
            errors.update(remand_destination_errors(legal_status=status, destination=destination))
        if errors:
            raise ServiceError(errors)
    try:
        with transaction.atomic():
            movement = Movement.objects.create(
                person=locked,
                kind=kind,
                occurred_at=data.occurred_at,
                institution=data.institution,
                section=data.section,
                cell=data.cell,
                reason=data.reason,
                recorded_by=actor,
                idempotency_key=idempotency_key or None,
                **fields,
            )
    except IntegrityError:
        raise ConflictError(
            _("This event was already recorded (same request sent twice).")
        ) from None
    rebuild_stays(locked)
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb=verb,
        obj=movement,
        person_id=locked.pk,
        reason=data.reason,
        details={"kind": kind, "institution": data.institution.code},
    )
    remand_alarm_sync(person=locked)
    person.refresh_from_db()
    send_movement_recorded(person=person, movement=movement, actor=actor)
    return movement


def basis_errors(
    *, kind: str, authority: str, document_number: str, issued_on: date, valid_until: date | None
) -> dict[str, list[Any]]:
    """What is wrong with a detention document, keyed by the form's field names."""
    errors: dict[str, list[Any]] = {}
    if kind not in DetentionBasis.Kind.values:
        errors["basis_kind"] = [_("Choose the kind of document.")]
    if not authority.strip():
        errors["basis_authority"] = [_("Name the authority that issued the document.")]
    if not document_number.strip():
        errors["basis_number"] = [_("Give the document number.")]
    if issued_on > timezone.localdate():
        errors["basis_issued_on"] = [_("The document cannot be dated in the future.")]
    if valid_until is not None and valid_until < issued_on:
        errors["basis_valid_until"] = [
            _("The end of detention cannot be before the document's date.")
        ]
    if (
        kind
        in {
            DetentionBasis.Kind.REMAND_ORDER,
            DetentionBasis.Kind.EXTENSION,
            DetentionBasis.Kind.DETENTION_ORDER,
        }
        and valid_until is None
    ):
        errors["basis_valid_until"] = [
            _("A detention or remand order must say until when it is valid.")
        ]
    return errors


def basis_record(
    *,
    actor: User,
    person: Person,
    kind: str,
    authority: str,
    document_number: str,
    issued_on: date,
    valid_until: date | None,
    extends: DetentionBasis | None = None,
    idempotency_key: str | None = None,
) -> DetentionBasis:
    """Record a document on which detention rests (order, extension, verdict).

    The person's `lawful_until` follows the governing document (the latest issued), and an open
    held-past-the-lawful-date alarm is resolved once a new document covers today.
    """
    if idempotency_key:
        existing = DetentionBasis.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    errors = basis_errors(
        kind=kind,
        authority=authority,
        document_number=document_number,
        issued_on=issued_on,
        valid_until=valid_until,
    )
    if errors:
        raise ServiceError(errors)
    try:
        with transaction.atomic():
            basis = DetentionBasis.objects.create(
                person=person,
                kind=kind,
                authority=authority.strip(),
                document_number=document_number.strip(),
                issued_on=issued_on,
                valid_until=valid_until,
                extends=extends,
                recorded_by=actor,
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:
        raise ConflictError(
            _("This document was already recorded (same request sent twice).")
        ) from None
    governing = lawful_basis(person)
    person.lawful_until = governing.valid_until if governing is not None else None
    person.save(update_fields=["lawful_until"])
    if person.lawful_until is None or person.lawful_until >= timezone.localdate():
        Alert.objects.filter(
            person=person, kind=Alert.Kind.HELD_PAST_LAWFUL_DATE, resolved_at__isnull=True
        ).update(resolved_at=timezone.now())
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="detention basis recorded",
        obj=basis,
        person_id=person.pk,
        details={"kind": kind, "valid_until": valid_until.isoformat() if valid_until else None},
    )
    return basis


@transaction.atomic
def detention_extend(
    *,
    actor: User,
    person: Person,
    authority: str,
    document_number: str,
    issued_on: date,
    valid_until: date,
    idempotency_key: str | None = None,
) -> DetentionBasis:
    """Record an extension of remand: the lawful date moves to `valid_until`."""
    require(has_capability(actor, "record_movement"))
    current = lawful_basis(person)
    return basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.EXTENSION,
        authority=authority,
        document_number=document_number,
        issued_on=issued_on,
        valid_until=valid_until,
        extends=current,
        idempotency_key=idempotency_key,
    )


def lawful_basis(person: Person) -> DetentionBasis | None:
    """The document whose end date governs now: the latest issued one."""
    return DetentionBasis.objects.filter(person=person).order_by("-issued_on", "-id").first()


@transaction.atomic
def person_admit(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    legal_status: str,
    basis: DetentionBasis,
    capacity_override_reason: str = "",
    idempotency_key: str | None = None,
) -> Movement:
    """Admission on a legal basis (Mandela Rule 7: no admission without a valid commitment order)."""
    require(has_capability(actor, "admit_person"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    if legal_status not in LegalStatus.values:
        raise ServiceError(
            {"legal_status": [_("Choose the legal status: on remand or sentenced.")]}
        )
    if basis.person_id != person.pk:
        raise ServiceError({"basis": [_("The legal basis belongs to another person.")]})
    if basis.valid_until is not None and basis.valid_until < data.occurred_at.date():
        raise ServiceError(
            {
                "basis_valid_until": [
                    _(
                        "The legal basis had expired before the admission date; nobody may be admitted on it."
                    )
                ]
            }
        )
    _check_capacity(data.institution, capacity_override_reason)
    return _record(
        actor=actor,
        person=person,
        kind=MovementKind.ADMISSION,
        data=data,
        verb="person admitted",
        idempotency_key=idempotency_key,
        legal_status=legal_status,
        basis=basis,
        capacity_override_reason=capacity_override_reason,
    )


@transaction.atomic
def person_transfer_out(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    destination: Institution,
    escort: str,
    vehicle: str = "",
    conditions: str = "",
    departure_at: datetime | None = None,
    capacity_override_reason: str = "",
    idempotency_key: str | None = None,
) -> Movement:
    """Send a person to another institution (Mandela Rule 73: escort, vehicle, conditions)."""
    require(has_capability(actor, "record_movement"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    errors: dict[str, list[Any]] = {}
    if not escort.strip():
        errors["escort"] = [_("Name the escort (unit or officers) responsible for the transfer.")]
    if not data.reason.strip():
        errors["reason"] = [_("Give the reason for the transfer.")]
    if errors:
        raise ServiceError(errors)
    _check_capacity(destination, capacity_override_reason)
    return _record(
        actor=actor,
        person=person,
        kind=MovementKind.TRANSFER_OUT,
        data=data,
        verb="transfer sent",
        idempotency_key=idempotency_key,
        destination=destination,
        escort=escort.strip(),
        vehicle=vehicle.strip(),
        conditions=conditions.strip(),
        departure_at=departure_at or data.occurred_at,
        capacity_override_reason=capacity_override_reason,
        check_field="person",
    )


def pending_transfer(person: Person) -> Movement | None:
    """The transfer out the person is on their way under, from the effective ledger: an arrival
    reversed by a correction is not there, so its transfer awaits a new arrival."""
    state = engine.replay(_effective_events(person))
    if state.status != engine.Status.IN_TRANSIT or state.transfer_out_id is None:
        return None
    transfer: Movement | None = (
        Movement.objects.filter(pk=state.transfer_out_id).select_related("destination").first()
    )
    return transfer


@transaction.atomic
def person_transfer_in(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    idempotency_key: str | None = None,
) -> Movement:
    """The arrival that completes the person's pending transfer; only where it was sent."""
    require(has_capability(actor, "record_movement"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    pending = pending_transfer(person)
    if pending is None:
        raise ConflictError({"person": [LEDGER_MESSAGES["not_in_transit"]]})
    if pending.occurred_at > data.occurred_at:
        raise ServiceError({"occurred_at": [_("The arrival cannot be before the departure.")]})
    return _record(
        actor=actor,
        person=person,
        kind=MovementKind.TRANSFER_IN,
        data=data,
        verb="transfer arrived",
        idempotency_key=idempotency_key,
        transfer_out=pending,
        arrival_at=data.occurred_at,
        legal_status=person.legal_status or "",
    )


def _simple(kind: str, verb: str, capability: str = "record_movement"):  # type: ignore[no-untyped-def]
    @transaction.atomic
    def service(
        *,
        actor: User,
        person: Person,
        data: MovementInput,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Movement:
        require(has_capability(actor, capability))
        if (existing := _existing_for_key(idempotency_key)) is not None:
            return existing
        return _record(
            actor=actor,
            person=person,
            kind=kind,
            data=data,
            verb=verb,
            idempotency_key=idempotency_key,
            **fields,
        )

    service.__name__ = f"person_{kind}"
    return service


person_move_section = _simple(MovementKind.SECTION_MOVE, "moved within institution")
person_escape = _simple(MovementKind.ESCAPE, "escape recorded")
person_recapture = _simple(MovementKind.RECAPTURE, "recapture recorded")
person_absence_return = _simple(MovementKind.ABSENCE_RETURN, "returned from absence")


@transaction.atomic
def person_absence_out(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    absence_reason: str,
    escort: str = "",
    idempotency_key: str | None = None,
) -> Movement:
    require(has_capability(actor, "record_movement"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    from qadam.custody.models import AbsenceReason

    if absence_reason not in AbsenceReason.values:
        raise ServiceError({"absence_reason": [_("Choose where the person is going.")]})
    return _record(
        actor=actor,
        person=person,
        kind=MovementKind.ABSENCE_OUT,
        data=data,
        verb="temporary absence",
        idempotency_key=idempotency_key,
        absence_reason=absence_reason,
        escort=escort,
    )


@dataclass(frozen=True)
class StatusChange:
    """A recorded change of legal status, and the alarm it leaves open when it puts the person on
    remand outside pre-trial premises."""

    movement: Movement
    remand_alarm: Alert | None = None

    @property
    def notice(self) -> str:
        """The translated instruction to move the person, or "" when they are lawfully placed."""
        return remand_alarm_notice(self.remand_alarm) if self.remand_alarm is not None else ""


@transaction.atomic
def person_change_status(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    legal_status: str,
    basis: DetentionBasis | None = None,
    idempotency_key: str | None = None,
) -> StatusChange:
    """Remand → sentenced when the verdict enters into force (or back, if quashed).

    A quashed verdict is recorded wherever the person is; if that is not a pre-trial centre or a
    pre-trial section, a remand-outside-pre-trial alarm is raised in the same transaction
    (Mandela Rule 11(b)) and the result's `notice` tells the user to move the person."""
    require(has_capability(actor, "record_movement"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return StatusChange(existing, open_remand_alarm(person))
    movement = _record(
        actor=actor,
        person=person,
        kind=MovementKind.STATUS_CHANGE,
        data=data,
        verb="legal status changed",
        idempotency_key=idempotency_key,
        legal_status=legal_status,
        basis=basis,
    )
    return StatusChange(movement, open_remand_alarm(person))


@transaction.atomic
def person_release(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    release_reason: str,
    idempotency_key: str | None = None,
) -> Movement:
    require(has_capability(actor, "record_movement"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    from qadam.custody.models import ReleaseReason

    if release_reason not in ReleaseReason.values:
        raise ServiceError({"release_reason": [_("Choose the reason for release.")]})
    movement = _record(
        actor=actor,
        person=person,
        kind=MovementKind.RELEASE,
        data=data,
        verb="person released",
        idempotency_key=idempotency_key,
        release_reason=release_reason,
    )
    from qadam.core.models import Alert

    Alert.objects.filter(person=person, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return movement


@transaction.atomic
def person_death(
    *,
    actor: User,
    person: Person,
    data: MovementInput,
    idempotency_key: str | None = None,
) -> Movement:
    """Death in custody; Mandela Rule 71 requires reporting it to an independent authority."""
    require(has_capability(actor, "record_movement"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    if not data.reason.strip():
        raise ServiceError({"reason": [_("Record the circumstances and cause of death.")]})
    return _record(
        actor=actor,
        person=person,
        kind=MovementKind.DEATH,
        data=data,
        verb="death in custody",
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def movement_correct(*, actor: User, movement: Movement, reason: str) -> Movement:
    """Reverse a wrong event by a correction event; the original is never edited."""
    require(has_capability(actor, "correct_movement"))
    if not reason.strip():
        raise ServiceError({"reason": [_("Say why the event is wrong.")]})
    if movement.kind == MovementKind.CORRECTION:
        raise ServiceError(
            {"reason": [_("A correction cannot itself be corrected; record the event again.")]}
        )
    if Movement.objects.filter(reverses=movement).exists():
        raise ConflictError({"reason": [_("This event has already been corrected.")]})
    person = _lock_person(movement.person)
    remaining = [
        _as_engine_event(m)
        for m in Movement.objects.filter(person=person).effective()
        if m.pk != movement.pk
    ]
    try:
        engine.replay(remaining)
    except engine.LedgerError as error:
        raise ConflictError(
            {
                "reason": [
                    _(
                        "Removing this event would leave later events without ground: %(problem)s "
                        "Correct the later events first."
                    )
                    % {"problem": LEDGER_MESSAGES.get(error.code, error.code)}
                ]
            }
        ) from None
    correction = Movement.objects.create(
        person=person,
        kind=MovementKind.CORRECTION,
        occurred_at=movement.occurred_at,
        institution=movement.institution,
        reverses=movement,
        reason=reason.strip(),
        recorded_by=actor,
    )
    rebuild_stays(person)
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CORRECT,
        verb="ledger event reversed",
        obj=correction,
        person_id=person.pk,
        reason=reason,
        details={"reverses": movement.pk, "kind": movement.kind},
    )
    remand_alarm_sync(person=person)
    send_movement_recorded(person=person, movement=correction, actor=actor)
    return correction


@dataclass(frozen=True)
class BasisInput:
    """The legal basis document given on the admission form."""

    kind: str
    authority: str
    document_number: str
    issued_on: date
    valid_until: date | None


@transaction.atomic
def admission_create(
    *,
    actor: User,
    data: MovementInput,
    legal_status: str,
    basis: BasisInput,
    record: AdmissionRecordInput,
    identity: IdentityInput | None = None,
    person: Person | None = None,
    allow_duplicate_reason: str = "",
    capacity_override_reason: str = "",
    idempotency_key: str | None = None,
) -> Movement:
    """Admit a new person (`identity`) or re-admit an existing one (`person`) in one transaction:
    the person record, the legal basis, the admission event and the Mandela Rule 7 record.

    Every check that can be made before writing is made first, so that all the form's errors are
    reported together; anything refused later rolls the whole admission back."""
    from qadam.people import services as people_services

    require(has_capability(actor, "admit_person"))
    if (existing := _existing_for_key(idempotency_key)) is not None:
        return existing
    if (identity is None) == (person is None):
        raise ServiceError(
            _("Either enter the identity of a new person or choose an existing one.")
        )
    errors: dict[str, list[Any]] = {}
    if identity is not None:
        errors.update(people_services.validate_identity(identity))
        is_foreign = identity.citizenship.strip().upper() != "KZ"
    else:
        assert person is not None
        if person.merged_into_id is not None:
            errors["person"] = [_("This record was merged into another; admit that record.")]
        is_foreign = person.is_foreign_national
    placed = identity if identity is not None else person
    if placed is not None and "sex" not in errors and "birth_date" not in errors:
        for key, messages in separation_errors(
            sex=placed.sex,
            birth_date=placed.birth_date,
            institution=data.institution,
            section=data.section,
            on_day=timezone.localtime(data.occurred_at).date(),
        ).items():
            errors.setdefault(key, []).extend(messages)
    if legal_status not in LegalStatus.values:
        errors["legal_status"] = [_("Choose the legal status: on remand or sentenced.")]
    for key, messages in remand_place_errors(
        legal_status=legal_status, institution=data.institution, section=data.section
    ).items():
        errors.setdefault(key, []).extend(messages)
    errors.update(
        basis_errors(
            kind=basis.kind,
            authority=basis.authority,
            document_number=basis.document_number,
            issued_on=basis.issued_on,
            valid_until=basis.valid_until,
        )
    )
    if (
        basis.valid_until is not None
        and "basis_valid_until" not in errors
        and basis.valid_until < data.occurred_at.date()
    ):
        errors["basis_valid_until"] = [
            _(
                "The legal basis had expired before the admission date; nobody may be admitted on it."
            )
        ]
    if basis.issued_on > data.occurred_at.date() and "basis_issued_on" not in errors:
        errors["basis_issued_on"] = [
            _("The legal basis must be issued on or before the day of admission.")
        ]
    for key, messages in people_services.validate_admission_record(
        record, person_is_foreign=is_foreign, admitted_at=data.occurred_at
    ).items():
        errors.setdefault(key, []).extend(messages)
    try:
        _check_when(data.occurred_at)
        _check_placement(data.institution, data.section, data.cell)
        _check_capacity(data.institution, capacity_override_reason)
    except ServiceError as error:
        for key, messages in error.errors.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ServiceError(errors)
    if person is None:
        assert identity is not None
        person = people_services.person_register(
            actor=actor, data=identity, allow_duplicate_reason=allow_duplicate_reason
        )
    document = basis_record(
        actor=actor,
        person=person,
        kind=basis.kind,
        authority=basis.authority,
        document_number=basis.document_number,
        issued_on=basis.issued_on,
        valid_until=basis.valid_until,
    )
    movement = person_admit(
        actor=actor,
        person=person,
        data=data,
        legal_status=legal_status,
        basis=document,
        capacity_override_reason=capacity_override_reason,
        idempotency_key=idempotency_key,
    )
    people_services.admission_record_create(
        actor=actor, person=person, movement=movement, record=record
    )
    return movement


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert) -> Alert:
    """The head or the prosecutor confirms they have seen an alarm; it stays on the lists until
    its cause ends (held past the lawful date: release or a new detention document covering today;
    on remand outside pre-trial premises: the person moved, released or sentenced)."""
    require(has_capability(actor, "view_detention_alarms"))
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        return locked
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_write(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        verb="alarm acknowledged",
        obj=locked,
        person_id=locked.person_id,
        details={"kind": locked.kind, "due_date": str(locked.due_date)},
    )
    return locked


__all__ = [
    "BasisInput",
    "MovementInput",
    "RemandAlarmSync",
    "StatusChange",
    "admission_create",
    "alert_acknowledge",
    "basis_errors",
    "basis_record",
    "detention_extend",
    "end_of_day",
    "lawful_basis",
    "movement_correct",
    "open_remand_alarm",
    "pending_transfer",
    "person_absence_out",
    "person_absence_return",
    "person_admit",
    "person_change_status",
    "person_death",
    "person_escape",
    "person_move_section",
    "person_recapture",
    "person_release",
    "person_transfer_in",
    "person_transfer_out",
    "rebuild_stays",
    "remand_alarm_notice",
    "remand_alarm_sync",
    "remand_destination_errors",
    "remand_misplacement",
    "remand_place_errors",
    "separation_errors",
]
