"""Every write of the assessment module: keyword-only, one transaction, policy check, audit row.

Nothing is written when a service refuses: it raises `ServiceError` (bad input, naming the field
to fix), `ConflictError` (the record changed) or `PermissionDenied` before any write.
"""

from __future__ import annotations

import calendar
import hashlib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qadam.assessment import policies
from qadam.assessment.engine import AnswerError, InstrumentError, parse_instrument
from qadam.assessment.models import (
    Assessment,
    AssessmentKind,
    BandOverride,
    DueReason,
    Instrument,
    Reassessment,
)
from qadam.assessment.texts import item_text
from qadam.core.audit import audit_write, audit_write_many
from qadam.core.errors import ConflictError, Message, ServiceError
from qadam.core.models import AuditEvent
from qadam.core.policies import has_capability, require
from qadam.custody.models import LegalStatus, MovementKind, Stay

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.people.models import Person

REASSESS_AFTER_MONTHS = 6
# An event brings the next assessment forward to at most this many days after it.
EVENT_DUE_DAYS: dict[str, int] = {
    DueReason.ADMISSION: 30,
    DueReason.TRANSFER: 30,
    DueReason.PRE_RELEASE: 30,
}
ANSWER_FIELD = "answer_{}"


def answer_field(item_code: str) -> str:
    """The form field (and ServiceError key) of one item's answer."""
    return ANSWER_FIELD.format(item_code)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_in_scope(actor: User, person: Person) -> None:
    from qadam.people.models import Person

    require(
        Person.objects.visible_to(actor).filter(pk=person.pk).exists(),
        _("This person is outside what you may see."),
    )


# --- Instruments ---------------------------------------------------------------------------------


def instrument_in_force(day: date | None = None) -> Instrument | None:
    """The instrument version staff use on `day`: the latest one in force."""
    day = day or timezone.localdate()
    found = Instrument.objects.in_force_on(day).order_by("-valid_from", "-id").first()
    return found if isinstance(found, Instrument) else None


@transaction.atomic
def instrument_load(*, text: str, actor: User | None, origin: str = "<upload>") -> Instrument:
    """Store an instrument version after `engine.schema` has validated it.

    The same code and version with the same definition returns the stored row; with another
    definition it is refused (a published version never changes: give it a new version).
    """
    if actor is not None:
        require(
            has_capability(actor, "manage_reference_data")
            or policies.can_validate_instruments(actor)
        )
    try:
        parsed = parse_instrument(tomllib.loads(text), origin=origin)
    except tomllib.TOMLDecodeError as error:
        raise ServiceError(
            {"definition": [_("Not valid TOML: %(error)s") % {"error": error}]}
        ) from None
    except InstrumentError as error:
        raise ServiceError({"definition": list[Message](error.problems)}) from None
    existing: Instrument | None = Instrument.objects.filter(
        code=parsed.code, version=parsed.version
    ).first()
    if existing is not None:
        if existing.definition_sha256 == hashlib.sha256(text.encode()).hexdigest():
            return existing
        raise ConflictError(
            {
                "definition": [
                    _(
                        "Version %(version)s of %(code)s is already stored with another "
                        "definition; give the changed instrument a new version."
                    )
                    % {"version": parsed.version, "code": parsed.code}
                ]
            }
        )
    instrument = Instrument.objects.create(
        code=parsed.code,
        version=parsed.version,
        valid_from=parsed.valid_from,
        valid_to=parsed.valid_to,
        definition=text,
        loaded_by=actor,
    )
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="assessment instrument loaded",
        obj=instrument,
        details={"code": parsed.code, "version": parsed.version, "origin": origin},
    )
    return instrument


@transaction.atomic
def instrument_record_local_validation(
    *, instrument: Instrument, figures: dict[str, Any], actor: User | None
) -> Instrument:
    """Keep the figures of a validation on the registry's outcomes; the label changes with it."""
    if actor is not None:
        require(policies.can_validate_instruments(actor))
    locked: Instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
    locked.local_validation = figures
    locked.local_validated_at = timezone.now()
    locked.validated_on_local_data = True
    locked.save(update_fields=["local_validation", "local_validated_at", "validated_on_local_data"])
    audit_write(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        verb="instrument validated on registry outcomes",
        obj=locked,
        details={"summary": figures.get("summary", []), "cohort": figures.get("cohort", {})},
    )
    return locked


# --- Assessments ---------------------------------------------------------------------------------


def _answer_errors(instrument: Instrument, error: AnswerError) -> dict[str, list[Message]]:
    engine = instrument.engine
    errors: dict[str, list[Message]] = {}
    for problem in error.problems:
        name = item_text(engine, problem.item)
        if problem.code == "missing_answer":
            errors.setdefault(answer_field(problem.item), []).append(
                _("Choose an answer for “%(item)s”.") % {"item": name}
            )
        elif problem.code == "unknown_option":
            errors.setdefault(answer_field(problem.item), []).append(
                _(
                    "“%(value)s” is not one of the answers to “%(item)s”; choose one of the "
                    "listed answers."
                )
                % {"value": problem.value, "item": name}
            )
        else:
            errors.setdefault("", []).append(
                _("The instrument has no item “%(item)s”; answer only its own items.")
                % {"item": problem.item}
            )
    return errors


@dataclass(frozen=True)
class Scored:
    total_points: float
    probabilities: dict[str, float]
    band: str
    contributions: list[dict[str, Any]]


def score(instrument: Instrument, answers: Mapping[str, str]) -> Scored:
    """Score answers with the instrument; ServiceError naming each item to fix."""
    try:
        result = instrument.compiled.score(answers)
    except AnswerError as error:
        raise ServiceError(_answer_errors(instrument, error)) from None
    return Scored(
        total_points=result.total_points,
        probabilities=dict(result.probabilities),
        band=result.band,
        contributions=[
            {
                "item": c.item,
                "option": c.option,
                "points": c.points,
                "share": round(c.share, 4),
                "layer": c.layer,
                "need_area": c.need_area,
                "code": c.explanation.code,
            }
            for c in result.contributions
        ],
    )


def _schedule_after_assessment(assessment: Assessment) -> Reassessment:
    due = add_months(assessment.assessed_on, REASSESS_AFTER_MONTHS)
    row, _created = Reassessment.objects.update_or_create(
        person_id=assessment.person_id,
        defaults={
            "due_on": due,
            "reason": DueReason.PERIODIC,
            "last_assessment": assessment,
            "updated_at": timezone.now(),
        },
    )
    return row


@transaction.atomic
def assessment_create(
    *,
    person: Person,
    actor: User,
    instrument: Instrument,
    kind: str,
    assessed_on: date,
    answers: Mapping[str, str],
    notes: str = "",
) -> Assessment:
    """Score and store one assessment; schedule the next one in six months; bring the plan's
    review forward (plans hook) when the person has a plan."""
    require(policies.can_assess(actor))
    _require_in_scope(actor, person)
    errors: dict[str, list[Message]] = {}
    today = timezone.localdate()
    if kind not in AssessmentKind.values:
        errors["kind"] = [_("Choose the kind of assessment.")]
    if assessed_on > today:
        errors["assessed_on"] = [_("The date of the assessment must not be in the future.")]
    elif assessed_on < person.birth_date:
        errors["assessed_on"] = [_("The date of the assessment is before the person's birth.")]
    elif not instrument.in_force_on(assessed_on):
        errors["assessed_on"] = [
            _("Instrument %(instrument)s is not in force on this date.")
            % {"instrument": str(instrument)}
        ]
    clean_answers = {str(k): v for k, v in answers.items() if v not in (None, "")}
    try:
        scored = score(instrument, clean_answers)
    except ServiceError as error:
        for field, field_messages in error.errors.items():
            errors.setdefault(field, []).extend(field_messages)
        scored = None
    if errors:
        raise ServiceError(errors)
    assert scored is not None
    assessment = Assessment.objects.create(
        person=person,
        instrument=instrument,
        kind=kind,
        assessed_on=assessed_on,
        assessor=actor,
        institution_id=person.current_institution_id or person.last_institution_id,
        answers=dict(clean_answers),
        total_points=scored.total_points,
        probability_year1=scored.probabilities.get("year1"),
        probability_year2=scored.probabilities.get("year2"),
        band=scored.band,
        contributions=scored.contributions,
        notes=notes.strip(),
    )
    schedule = _schedule_after_assessment(assessment)
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="assessment recorded",
        obj=assessment,
        person_id=person.pk,
        details={
            "instrument": str(instrument),
            "kind": kind,
            "total_points": scored.total_points,
            "band": scored.band,
            "next_due": schedule.due_on.isoformat(),
        },
    )
    _plan_review_hook(person=person, actor=actor)
    return assessment


def _plan_review_hook(*, person: Person, actor: User) -> None:
    try:
        from qadam.plans.services import plan_schedule_review
    except ImportError:  # the plans module is not installed
        return
    plan_schedule_review(person=person, reason="new assessment", actor=actor)


def need_levels(assessment: Assessment) -> list[tuple[str, str]]:
    """(need area, level) for the plans hook, from the dynamic items: no points → "none", the
    item's highest points → "high", in between → "medium"; the highest level per area."""
    engine = assessment.instrument.engine
    rank = {"none": 0, "medium": 1, "high": 2}
    levels: dict[str, str] = {}
    for row in assessment.contributions:
        if row["layer"] != "dynamic" or not row["need_area"]:
            continue
        item = engine.item(row["item"])
        if item is None:
            continue
        top = max(o.points for o in item.options)
        points = float(row["points"])
        level = "none" if points <= 0 else ("high" if points >= top else "medium")
        area = str(row["need_area"])
        if rank[level] >= rank[levels.get(area, "none")]:
            levels[area] = level
    return list(levels.items())


def change_items(assessment: Assessment) -> list[dict[str, Any]]:
    """What the person can change: each change item with the answers that would take points
    off, and each dynamic need with points now."""
    engine = assessment.instrument.engine
    rows = []
    for row in assessment.contributions:
        item = engine.item(row["item"])
        if item is None or item.layer == "static":
            continue
        best = min(o.points for o in item.options)
        if float(row["points"]) > best:
            rows.append(
                {
                    **row,
                    "best_points": best,
                    "can_gain": _whole(float(row["points"]) - best),
                    "better": [o.code for o in item.options if o.points < float(row["points"])],
                }
            )
    return rows


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def plan_hook_available() -> bool:
    try:
        from qadam.plans.services import plan_from_assessment  # noqa: F401
    except ImportError:
        return False
    return True


@transaction.atomic
def assessment_plan_needs(*, assessment: Assessment, actor: User) -> list[Any]:
    """Create or update the person's plan need areas from the assessment's dynamic needs (the
    plans module's hook writes its own audit rows in this transaction)."""
    require(policies.can_view_assessment(actor))
    _require_in_scope(actor, assessment.person)
    try:
        from qadam.plans.services import plan_from_assessment
    except ImportError:
        raise ServiceError(
            _("Resocialisation plans are not available in this installation.")
        ) from None
    needs = need_levels(assessment)
    if not any(level != "none" for _area, level in needs):
        raise ServiceError(_("This assessment shows no need to work on; the plan is unchanged."))
    result: list[Any] = plan_from_assessment(
        person=assessment.person, needs=needs, actor=actor, assessment_id=assessment.pk
    )
    return result


# --- Band overrides ------------------------------------------------------------------------------


@transaction.atomic
def override_request(
    *, actor: User, assessment: Assessment, band: str, reason: str
) -> BandOverride:
    """The assessor asks for another band, with the reason; a supervisor decides."""
    require(policies.can_assess(actor))
    _require_in_scope(actor, assessment.person)
    bands = [b.code for b in assessment.instrument.engine.bands]
    errors: dict[str, list[Message]] = {}
    if band not in bands:
        errors["band"] = [_("Choose one of the instrument's bands.")]
    elif band == assessment.band:
        errors["band"] = [_("This is the computed band; choose the band it should be instead.")]
    if len(reason.strip()) < 10:
        errors["reason"] = [
            _("Explain why the computed band is wrong for this person (at least a sentence).")
        ]
    if errors:
        raise ServiceError(errors)
    if BandOverride.objects.filter(
        assessment=assessment, status=BandOverride.Status.REQUESTED
    ).exists():
        raise ConflictError({"band": [_("An override of this band is already awaiting approval.")]})
    override = BandOverride.objects.create(
        assessment=assessment,
        computed_band=assessment.band,
        requested_band=band,
        reason=reason.strip(),
        requested_by=actor,
    )
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="band override requested",
        obj=override,
        person_id=assessment.person_id,
        reason=override.reason,
        details={"assessment": assessment.pk, "computed": assessment.band, "requested": band},
    )
    return override


@transaction.atomic
def override_decide(
    *, actor: User, override: BandOverride, approve: bool, note: str = ""
) -> BandOverride:
    """A supervisor (a second person) approves the band or rejects the request."""
    require(policies.can_approve_override(actor))
    _require_in_scope(actor, override.assessment.person)
    locked: BandOverride = BandOverride.objects.select_for_update().get(pk=override.pk)
    if locked.status != BandOverride.Status.REQUESTED:
        raise ConflictError({"": [_("This override has already been decided.")]})
    if locked.requested_by_id == actor.pk:
        raise ServiceError(
            {"": [_("A second member of staff must decide: you requested this override.")]}
        )
    if not approve and not note.strip():
        raise ServiceError({"note": [_("Say why the override is rejected.")]})
    locked.status = BandOverride.Status.APPROVED if approve else BandOverride.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        Assessment.objects.filter(pk=locked.assessment_id).update(
            override_band=locked.requested_band
        )
    audit_write(
        actor=actor,
        action=AuditEvent.Action.APPROVE if approve else AuditEvent.Action.REJECT,
        verb="band override approved" if approve else "band override rejected",
        obj=locked,
        person_id=override.assessment.person_id,
        reason=locked.decision_note,
        details={
            "assessment": locked.assessment_id,
            "computed": locked.computed_band,
            "requested": locked.requested_band,
            "requested_by": locked.requested_by_id,
        },
    )
    return locked


# --- Reassessment schedule -------------------------------------------------------------------------


@transaction.atomic
def assessment_due_on_event(
    *,
    person: Person,
    event: str,
    actor: User | None,
    on: date | None = None,
    reason: str = "",
) -> Reassessment:
    """An event (admission, transfer, preparation for release) brings the next assessment
    forward to within `EVENT_DUE_DAYS` of it (never later than a date already set).

    Called by the receivers of custody's `movement_recorded` and of the plans' pre-release
    window, in their transaction, on behalf of the member of staff whose event it is (`actor`;
    None for the daily pre-release job); `reason` says which event, for the audit trail."""
    require(policies.can_schedule(actor))
    if event not in EVENT_DUE_DAYS:
        raise ServiceError({"event": [_("Unknown event; use admission, transfer or pre_release.")]})
    day = on or timezone.localdate()
    due = day + timedelta(days=EVENT_DUE_DAYS[event])
    row = Reassessment.objects.select_for_update().filter(person=person).first()
    if row is None:
        row = Reassessment.objects.create(person=person, due_on=due, reason=event)
    elif due <= row.due_on:
        row.due_on, row.reason, row.updated_at = due, event, timezone.now()
        row.save(update_fields=["due_on", "reason", "updated_at"])
    audit_write(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        verb="reassessment scheduled",
        obj=row,
        person_id=person.pk,
        reason=reason,
        details={"event": event, "due_on": row.due_on.isoformat()},
    )
    return row


# --- The first assessment ------------------------------------------------------------------------

# The schedule follows persons held under a sentence. A person on remand is presumed innocent
# (Constitution art. 77 part 3; Mandela Rule 111(2)): the instrument scores the current offence and
# the risk of re-offending after release, and the plan it feeds is a resocialisation plan, which
# Mandela Rules 89 and 93–94 and EPR 103.2 ask for the sentenced.
SCHEDULED_LEGAL_STATUS = LegalStatus.SENTENCED
FIRST_SWEEP_CHUNK = 1000


def instruments_in_force_since() -> date | None:
    """The day the first stored instrument came into force (None when none is stored)."""
    first: date | None = Instrument.objects.aggregate(first=Min("valid_from"))["first"]
    return first


def first_assessment_due_on(since: date, instruments_from: date | None) -> date:
    """`settings.FIRST_ASSESSMENT_DUE_DAYS` (QADAM_FIRST_ASSESSMENT_DAYS) after the person has
    been held under the sentence, or after the first instrument came into force if that is later:
    nobody is overdue for an assessment that could not be made."""
    start = since if instruments_from is None else max(since, instruments_from)
    return start + timedelta(days=settings.FIRST_ASSESSMENT_DUE_DAYS)


def sentenced_since(person_ids: Iterable[int]) -> dict[int, date]:
    """For each person whose latest stay (open or not) is under a sentence: the day since when they
    have been held under it in that episode of custody, found by walking back through the episode's
    stays to its admission or to the stay on remand before the verdict took effect (a transfer, an
    absence or an escape does not end the episode; a release does). Others are left out."""
    ids = list(person_ids)
    since: dict[int, date] = {}
    for offset in range(0, len(ids), FIRST_SWEEP_CHUNK):
        stays = (
            Stay.objects.filter(person_id__in=ids[offset : offset + FIRST_SWEEP_CHUNK])
            .order_by("person_id", "-start", "-id")
            .values_list("person_id", "start", "legal_status", "start_event__kind")
        )
        finished: set[int] = set()
        for person_id, start, legal_status, started_by in stays:
            if person_id in finished:
                continue
            if legal_status != SCHEDULED_LEGAL_STATUS:
                finished.add(person_id)
                continue
            since[person_id] = timezone.localdate(start)
            if started_by == MovementKind.ADMISSION:
                finished.add(person_id)
    return since


def not_yet_assessed() -> QuerySet[Person]:
    """Persons held under a sentence now who have never been assessed."""
    from qadam.people.models import Person

    return Person.objects.filter(
        ~Exists(Assessment.objects.filter(person=OuterRef("pk"))),
        merged_into__isnull=True,
        current_institution__isnull=False,
        legal_status=SCHEDULED_LEGAL_STATUS,
    )


def _schedule_first(person_ids: list[int]) -> list[tuple[Reassessment, date]]:
    """Write the first-assessment rows of those of `person_ids` not yet assessed (inside the
    caller's transaction); return each row written with the day the person is held since.

    A row already set in this episode keeps its date when that is sooner; a date from an earlier
    episode (before the person was last held) gives way to this one's."""
    candidates = list(not_yet_assessed().filter(pk__in=person_ids).values_list("pk", flat=True))
    held_since = sentenced_since(candidates)
    instruments_from = instruments_in_force_since()
    existing = {
        row.person_id: row
        for row in Reassessment.objects.select_for_update().filter(person_id__in=candidates)
    }
    now = timezone.now()
    created: list[Reassessment] = []
    changed: list[Reassessment] = []
    written: list[tuple[Reassessment, date]] = []
    for person_id in candidates:
        since = held_since.get(person_id)
        if since is None:  # no stay under a sentence in the ledger: nothing to count from
            continue
        due = first_assessment_due_on(since, instruments_from)
        row = existing.get(person_id)
        if row is None:
            row = Reassessment(person_id=person_id, due_on=due, reason=DueReason.FIRST)
            created.append(row)
        elif row.reason != DueReason.FIRST or row.due_on < since or due < row.due_on:
            row.due_on = due if row.due_on < since else min(due, row.due_on)
            row.reason = DueReason.FIRST
            changed.append(row)
        else:
            continue
        row.updated_at = now
        written.append((row, since))
    # A row written meanwhile by an assessment (which takes no lock on the person) wins.
    Reassessment.objects.bulk_create(created, batch_size=1000, ignore_conflicts=True)
    Reassessment.objects.bulk_update(changed, ["due_on", "reason", "updated_at"], batch_size=1000)
    return written


def _first_details(row: Reassessment, since: date) -> dict[str, Any]:
    return {"event": DueReason.FIRST, "due_on": row.due_on.isoformat(), "since": since.isoformat()}


@transaction.atomic
def assessment_first_due(*, person: Person, actor: User | None, reason: str) -> Reassessment | None:
    """Put a sentenced person in custody who has never been assessed on the schedule for a first
    assessment (`DueReason.FIRST`, "Not yet assessed"), due `first_assessment_due_on`.

    Called by the receiver of custody's `movement_recorded` (admission, arrival on transfer, the
    verdict taking effect) in the custody transaction, on behalf of whoever recorded the event;
    `reason` names the event for the audit trail. Returns None and writes nothing when the person
    needs no first assessment (on remand, not in custody, already assessed) or is already due as
    soon as this would make them."""
    require(policies.can_schedule(actor))
    written = _schedule_first([person.pk])
    if not written:
        return None
    since = written[0][1]
    row = Reassessment.objects.get(person_id=person.pk)  # with its id, if it was just created
    audit_write(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        verb="reassessment scheduled",
        obj=row,
        person_id=person.pk,
        reason=reason,
        details=_first_details(row, since),
    )
    return row


FIRST_SWEEP_REASON = "not yet assessed (daily check of the sentenced in custody)"


def assessment_first_due_sweep(*, actor: User | None = None) -> int:
    """Put everyone held under a sentence who has never been assessed and is not yet on the
    schedule for a first assessment on it (the daily `qadam pre_release`, and the demo data);
    returns how many rows were written, each audited. Running it again writes nothing.

    One transaction per chunk of persons, with their rows locked as custody's events lock them,
    so an admission recorded meanwhile is not scheduled twice."""
    from qadam.people.models import Person

    require(policies.can_schedule(actor))
    ids = list(
        not_yet_assessed()
        .exclude(reassessment__reason=DueReason.FIRST)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    scheduled = 0
    for offset in range(0, len(ids), FIRST_SWEEP_CHUNK):
        with transaction.atomic():
            locked = list(
                Person.objects.select_for_update()
                .filter(pk__in=ids[offset : offset + FIRST_SWEEP_CHUNK])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            written = _schedule_first(locked)
            scheduled += audit_write_many(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                verb="reassessment scheduled",
                entries=[(row.person_id, _first_details(row, since)) for row, since in written],
                reason=FIRST_SWEEP_REASON,
            )
    return scheduled


def overdue_days(due_on: date, today: date) -> int:
    return (today - due_on).days


def due_status(due_on: date, today: date) -> str:
    return "overdue" if due_on < today else "due"


def history_points(assessments: Sequence[Assessment]) -> list[dict[str, Any]]:
    """Oldest first: date, points, band and the change since the previous assessment."""
    rows: list[dict[str, Any]] = []
    previous: float | None = None
    for a in sorted(assessments, key=lambda x: (x.assessed_on, x.pk)):
        rows.append(
            {
                "assessment": a,
                "date": a.assessed_on,
                "points": a.points,
                "band": a.effective_band,
                "change": None if previous is None else _whole(a.total_points - previous),
            }
        )
        previous = a.total_points
    return rows
