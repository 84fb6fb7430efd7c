"""Write workflows of the sentences module. Each is one transaction: policy check, validation by
the engine (nothing is written while it reports an issue), the rows, the recalculation of the
person's dates, and the audit event.

When a verdict enters into force for a person in custody, the verdict becomes the governing
detention basis (custody.services.basis_record, kind VERDICT) with the end of sentence as its last
lawful day, and a person on remand changes status to sentenced (custody's status-change service).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qadam.core.audit import audit_write
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import AuditEvent, Offence
from qadam.core.policies import require
from qadam.custody.models import DetentionBasis, InstitutionType, LegalStatus
from qadam.people.models import Child, Person
from qadam.sentences import adapters, engine, policies, recalculation, texts
from qadam.sentences.models import (
    DATE_COLUMNS,
    Adjustment,
    CalculationField,
    Combination,
    Count,
    DateOverride,
    RecalculationRun,
    SentenceCalculation,
    Verdict,
)

if TYPE_CHECKING:
    from qadam.core.models import User

ASSIGNABLE_TYPES = ("MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA")


@dataclass(frozen=True)
class VerdictInput:
    court: str
    verdict_date: date
    case_number: str
    institution_type: InstitutionType
    start_date: date
    entered_into_force: date | None = None
    combination: str = Combination.ABSORPTION
    partial_share: str = "1/2"
    additional_punishments: str = ""
    dangerous_recidivism: bool = False
    cooperation_agreement: bool = False
    earlier_parole_revoked: bool = False


@dataclass(frozen=True)
class CountInput:
    offence: Offence
    offence_date: date
    years: int = 0
    months: int = 0
    days: int = 0
    life: bool = False
    gravity: str = ""  # empty: the catalogue's gravity of the article


@dataclass(frozen=True)
class PeriodInput:
    """A period of pre-trial detention (first and last day in custody)."""

    date_from: date
    date_to: date
    source: str


@dataclass(frozen=True)
class AdjustmentInput:
    kind: str
    date: dt.date
    source: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    years: int = 0
    months: int = 0
    days: int = 0
    life: bool = False
    commute: bool = False
    release: bool = False
    new_institution_type: InstitutionType | None = None
    milder_punishment: str = ""
    released_on: dt.date | None = None
    days_to_serve: int | None = None


# --- Building unsaved rows and checking them with the engine -------------------------------------------


def _verdict_row(person: Person, data: VerdictInput, actor: User | None) -> Verdict:
    return Verdict(
        person=person,
        court=data.court.strip(),
        verdict_date=data.verdict_date,
        case_number=data.case_number.strip(),
        entered_into_force=data.entered_into_force,
        institution_type=data.institution_type,
        combination=data.combination,
        partial_share=data.partial_share.strip() or "1/2",
        additional_punishments=data.additional_punishments.strip(),
        start_date=data.start_date,
        dangerous_recidivism=data.dangerous_recidivism,
        cooperation_agreement=data.cooperation_agreement,
        earlier_parole_revoked=data.earlier_parole_revoked,
        recorded_by=actor,
    )


def _count_row(verdict: Verdict, number: int, data: CountInput) -> Count:
    return Count(
        verdict=verdict,
        number=number,
        offence=data.offence,
        gravity=data.gravity or data.offence.gravity,
        term_years=data.years,
        term_months=data.months,
        term_days=data.days,
        life=data.life,
        offence_date=data.offence_date,
    )


def _adjustment_row(verdict: Verdict, data: AdjustmentInput, actor: User | None) -> Adjustment:
    return Adjustment(
        verdict=verdict,
        kind=data.kind,
        date=data.date,
        source=data.source.strip(),
        date_from=data.date_from,
        date_to=data.date_to,
        years=data.years,
        months=data.months,
        days=data.days,
        life=data.life,
        commute=data.commute,
        release=data.release,
        new_institution_type=data.new_institution_type,
        milder_punishment=data.milder_punishment.strip(),
        released_on=data.released_on,
        days_to_serve=data.days_to_serve,
        recorded_by=actor,
    )


def _period_row(verdict: Verdict, period: PeriodInput, actor: User | None) -> Adjustment:
    return Adjustment(
        verdict=verdict,
        kind=Adjustment.Kind.DETENTION,
        date=period.date_from,
        date_from=period.date_from,
        date_to=period.date_to,
        source=period.source.strip(),
        recorded_by=actor,
    )


_INDEXED = re.compile(r"^(counts|detention|adjustments)\[(\d+)\](?:\.(\w+))?")
COUNT_FIELDS = {
    "article": "offence",
    "gravity": "gravity",
    "term": "years",
    "offence_date": "offence_date",
}
ADJUSTMENT_FIELDS = {
    "source": "source",
    "date": "date",
    "reduce_by": "years",
    "commute_to": "years",
    "new_term": "years",
    "new_institution_type": "new_institution_type",
    "released_on": "released_on",
    "days_to_serve": "days_to_serve",
}


def issue_field(path: str, *, adjustment_index: int | None = None) -> str:
    """The form field an engine issue belongs to: "count-0-years", "detention-1-date_to", ..."""
    match = _INDEXED.match(path)
    if match is None:
        return {
            "start_date": "start_date",
            "institution_type": "institution_type",
            "combination": "combination",
            "partial_share": "partial_share",
        }.get(path, "")
    kind, index, sub = match.group(1), int(match.group(2)), match.group(3) or ""
    if kind == "counts":
        return f"count-{index}-{COUNT_FIELDS.get(sub, 'offence')}"
    if kind == "detention":
        return f"detention-{index}-{'date_to' if sub in ('end', '') else 'date_from'}"
    if adjustment_index is not None and index != adjustment_index:
        return ""
    if sub == "" and adjustment_index is not None:
        return "date_to"
    return ADJUSTMENT_FIELDS.get(sub, "")


def _issues_error(
    issues: Sequence[engine.Issue], *, adjustment_index: int | None = None
) -> ServiceError:
    errors: dict[str, list[Any]] = {}
    for issue in issues:
        key = issue_field(issue.field, adjustment_index=adjustment_index)
        errors.setdefault(key, []).append(texts.issue_message(issue))
    return ServiceError(errors)


def _child_dates(person: Person) -> list[date]:
    if person.pk is None or person.sex != "F":
        return []
    return list(Child.objects.filter(person=person).values_list("birth_date", flat=True))


def _compute(
    *,
    person: Person,
    verdict: Verdict,
    counts: Sequence[Count],
    adjustments: Sequence[Adjustment],
    on: date,
) -> engine.Calculation:
    behaviour = adapters.behaviours([person.pk], on).get(person.pk) if person.pk else None
    return recalculation.calculate(
        verdict=verdict,
        counts=counts,
        adjustments=adjustments,
        person=person,
        on=on,
        rules=adapters.active_rules(),
        behaviour=behaviour,
        child_birth_dates=_child_dates(person),
    )


def check_verdict(data: VerdictInput, today: date) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    if not data.court.strip():
        errors["court"] = [_("Name the court that gave the verdict.")]
    if not data.case_number.strip():
        errors["case_number"] = [_("Give the court's case number.")]
    if data.verdict_date > today:
        errors["verdict_date"] = [_("The verdict cannot be dated in the future.")]
    if data.entered_into_force is not None:
        if data.entered_into_force > today:
            errors["entered_into_force"] = [
                _("The verdict cannot enter into force in the future; leave it empty until then.")
            ]
        elif data.entered_into_force < data.verdict_date:
            errors["entered_into_force"] = [
                _("A verdict enters into force on or after the day it is given.")
            ]
    if data.institution_type.code not in ASSIGNABLE_TYPES:
        errors["institution_type"] = [
            _("Choose an institution type a court assigns (minimum to extraordinary security).")
        ]
    if data.combination not in Combination.values:
        errors["combination"] = [_("Choose how the counts combine.")]
    return errors


def check_counts(counts: Sequence[CountInput]) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    if not counts:
        errors["count-0-offence"] = [_("Enter at least one count: the article and the term.")]
    for index, count in enumerate(counts):
        offence = count.offence
        if count.offence_date < offence.valid_from or (
            offence.valid_to is not None and count.offence_date > offence.valid_to
        ):
            errors[f"count-{index}-offence_date"] = [
                _("%(article)s was not in force on the date of the offence; check the article.")
                % {"article": offence.citation}
            ]
        if count.gravity and count.gravity not in Offence.Gravity.values:
            errors[f"count-{index}-gravity"] = [_("Choose the gravity of the offence.")]
    return errors


def check_periods(periods: Sequence[PeriodInput]) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    for index, period in enumerate(periods):
        if not period.source.strip():
            errors[f"detention-{index}-source"] = [
                _("Name the document (detention or remand order) the period comes from.")
            ]
    return errors


def _unsaved(
    person: Person,
    verdict: VerdictInput,
    counts: Sequence[CountInput],
    detention: Sequence[PeriodInput],
    actor: User | None,
) -> tuple[Verdict, list[Count], list[Adjustment]]:
    row = _verdict_row(person, verdict, actor)
    count_rows = [_count_row(row, n, c) for n, c in enumerate(counts, 1)]
    periods = [_period_row(row, p, actor) for p in detention]
    return row, count_rows, periods


def sentence_preview(
    *,
    person: Person,
    verdict: VerdictInput,
    counts: Sequence[CountInput],
    detention: Sequence[PeriodInput] = (),
    on: date | None = None,
) -> engine.Calculation:
    """The dates the entry would give, computed without writing anything (live recalculation)."""
    on = on or timezone.localdate()
    row, count_rows, periods = _unsaved(person, verdict, counts, detention, None)
    return _compute(person=person, verdict=row, counts=count_rows, adjustments=periods, on=on)


@transaction.atomic
def sentence_enter(
    *,
    actor: User,
    person: Person,
    verdict: VerdictInput,
    counts: Sequence[CountInput],
    detention: Sequence[PeriodInput] = (),
) -> Verdict:
    """Record a verdict with its counts and pre-trial detention; compute and store the dates."""
    require(policies.can_manage_sentence(actor))
    today = timezone.localdate()
    errors = check_verdict(verdict, today)
    errors.update(check_counts(counts))
    errors.update(check_periods(detention))
    if person.merged_into_id is not None:
        errors[""] = [_("This record was merged into another; enter the sentence there.")]
    if errors:
        raise ServiceError(errors)
    row, count_rows, periods = _unsaved(person, verdict, counts, detention, actor)
    calc = _compute(person=person, verdict=row, counts=count_rows, adjustments=periods, on=today)
    if not calc.ok:
        raise _issues_error(calc.issues)
    row.save()
    for count in count_rows:
        count.verdict = row
    Count.objects.bulk_create(count_rows)
    for period in periods:
        period.verdict = row
    Adjustment.objects.bulk_create(periods)
    stored = recalculation.recalculate_person(person, on=today)
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="verdict entered",
        obj=row,
        person_id=person.pk,
        details={
            "case_number": row.case_number,
            "counts": len(count_rows),
            "detention_periods": len(periods),
            "end_of_sentence": _iso(stored.end_of_sentence if stored else None),
            "ruleset_version": stored.ruleset_version if stored else "",
        },
    )
    if row.entered_into_force is not None:
        _take_effect(actor=actor, verdict=row, calculation=stored)
    return row


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _moment(day: date) -> datetime:
    """Noon of `day` in the project's time zone, or now if that is still ahead."""
    noon = timezone.make_aware(datetime.combine(day, time(12, 0)))
    return min(noon, timezone.now() - timedelta(minutes=1))


def _take_effect(*, actor: User, verdict: Verdict, calculation: SentenceCalculation | None) -> None:
    """The verdict in force becomes the detention basis of a person in custody."""
    from qadam.custody import services as custody

    person = Person.objects.select_related("current_institution").get(pk=verdict.person_id)
    if person.current_institution is None or verdict.entered_into_force is None:
        return
    if calculation is None or not calculation.ok:
        return
    end = calculation.end_of_sentence
    try:
        basis = custody.basis_record(
            actor=actor,
            person=person,
            kind=DetentionBasis.Kind.VERDICT,
            authority=verdict.court,
            document_number=verdict.case_number,
            issued_on=verdict.entered_into_force,
            valid_until=None if end is None else max(end, verdict.entered_into_force),
        )
        verdict.basis = basis
        verdict.save(update_fields=["basis"])
        if person.legal_status == LegalStatus.REMAND:
            custody.person_change_status(
                actor=actor,
                person=person,
                data=custody.MovementInput(
                    occurred_at=_moment(verdict.entered_into_force),
                    institution=person.current_institution,
                    reason=_("Verdict %(number)s entered into force")
                    % {"number": verdict.case_number},
                ),
                legal_status=LegalStatus.SENTENCED,
                basis=basis,
            )
    except ServiceError as error:
        messages: list[Any] = [m for ms in error.errors.values() for m in ms]
        raise (ConflictError if isinstance(error, ConflictError) else ServiceError)(
            {"entered_into_force": messages}
        ) from None


@transaction.atomic
def verdict_enter_into_force(*, actor: User, verdict: Verdict, entered_into_force: date) -> Verdict:
    """The appeal period ended or the appeal was decided: the verdict is in force from that day."""
    require(policies.can_manage_sentence(actor))
    locked: Verdict = Verdict.objects.select_for_update().get(pk=verdict.pk)
    if locked.entered_into_force is not None:
        raise ConflictError({"entered_into_force": [_("This verdict is already in force.")]})
    if entered_into_force > timezone.localdate():
        raise ServiceError(
            {"entered_into_force": [_("The verdict cannot enter into force in the future.")]}
        )
    if entered_into_force < locked.verdict_date:
        raise ServiceError(
            {
                "entered_into_force": [
                    _("A verdict enters into force on or after the day it is given.")
                ]
            }
        )
    locked.entered_into_force = entered_into_force
    locked.save(update_fields=["entered_into_force"])
    stored = recalculation.recalculate_person(locked.person, on=timezone.localdate())
    audit_write(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        verb="verdict entered into force",
        obj=locked,
        person_id=locked.person_id,
        details={"entered_into_force": entered_into_force.isoformat()},
    )
    _take_effect(actor=actor, verdict=locked, calculation=stored)
    return locked


def _current_rows(verdict: Verdict) -> tuple[list[Count], list[Adjustment]]:
    counts = list(Count.objects.filter(verdict=verdict).select_related("offence"))
    adjustments = list(
        Adjustment.objects.filter(verdict=verdict).select_related("new_institution_type")
    )
    return counts, adjustments


def _follow_end(
    *,
    actor: User,
    verdict: Verdict,
    before: date | None,
    after: SentenceCalculation | None,
    document: str,
    issued_on: date,
) -> None:
    """A decision that moves the end of a verdict in force is the new detention basis."""
    from qadam.custody import services as custody

    if after is None or not after.ok or verdict.basis_id is None:
        return
    end = after.end_of_sentence
    if end == before:
        return
    person = Person.objects.get(pk=verdict.person_id)
    if person.current_institution_id is None:
        return
    custody.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.COURT_DECISION,
        authority=verdict.court,
        document_number=document[:64],
        issued_on=min(issued_on, timezone.localdate()),
        valid_until=end if end is None or end >= issued_on else issued_on,
    )


@transaction.atomic
def adjustment_add(*, actor: User, verdict: Verdict, data: AdjustmentInput) -> Adjustment:
    """Record a dated, sourced adjustment and recompute the dates."""
    require(policies.can_manage_sentence(actor))
    today = timezone.localdate()
    errors: dict[str, list[Any]] = {}
    if data.kind not in Adjustment.Kind.values:
        errors["kind"] = [_("Choose the kind of adjustment.")]
    if not data.source.strip():
        errors["source"] = [_("Name the document the adjustment comes from.")]
    if data.kind in (Adjustment.Kind.DETENTION, Adjustment.Kind.ESCAPE):
        if data.date_from is None:
            errors["date_from"] = [_("Give the first day of the period.")]
        if data.date_to is None:
            errors["date_to"] = [_("Give the last day of the period.")]
        elif data.date_from is not None and data.date_to < data.date_from:
            errors["date_to"] = [_("The last day cannot be before the first day.")]
    if data.kind == Adjustment.Kind.RECALL and data.released_on is None:
        errors["released_on"] = [_("Give the day of the release on parole.")]
    if data.kind == Adjustment.Kind.COURT_CHANGE and not (
        data.years or data.months or data.days or data.life or data.new_institution_type
    ):
        errors["years"] = [_("Give the new term or the new institution type.")]
    if data.date > today:
        errors["date"] = [_("Record the adjustment when it happens; the date is in the future.")]
    if errors:
        raise ServiceError(errors)
    if data.kind in (Adjustment.Kind.DETENTION, Adjustment.Kind.ESCAPE):
        assert data.date_from is not None
        data = AdjustmentInput(**{**data.__dict__, "date": data.date_from})
    locked = (
        Verdict.objects.select_for_update().select_related("institution_type").get(pk=verdict.pk)
    )
    person = Person.objects.get(pk=locked.person_id)
    counts, adjustments = _current_rows(locked)
    row = _adjustment_row(locked, data, actor)
    calc = _compute(
        person=person, verdict=locked, counts=counts, adjustments=[*adjustments, row], on=today
    )
    if not calc.ok:
        # The new row is the last one the engine saw among the non-detention adjustments.
        index = sum(1 for a in adjustments if a.kind != Adjustment.Kind.DETENTION)
        raise _issues_error(calc.issues, adjustment_index=index)
    before = (
        SentenceCalculation.objects.filter(person=person)
        .values_list("end_of_sentence", flat=True)
        .first()
    )
    row.save()
    stored = recalculation.recalculate_person(person, on=today)
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="sentence adjustment recorded",
        obj=row,
        person_id=person.pk,
        details={
            "kind": row.kind,
            "date": row.date.isoformat(),
            "source": row.source,
            "end_of_sentence": _iso(stored.end_of_sentence if stored else None),
        },
    )
    _follow_end(
        actor=actor,
        verdict=locked,
        before=before,
        after=stored,
        document=row.source,
        issued_on=row.date,
    )
    return row


@transaction.atomic
def count_add(*, actor: User, verdict: Verdict, data: CountInput) -> Count:
    """Add a count to a recorded verdict (e.g. a correction of the entry) and recompute."""
    require(policies.can_manage_sentence(actor))
    errors = check_counts([data])
    if errors:
        raise ServiceError({k.replace("count-0-", ""): v for k, v in errors.items()})
    locked = (
        Verdict.objects.select_for_update().select_related("institution_type").get(pk=verdict.pk)
    )
    person = Person.objects.get(pk=locked.person_id)
    counts, adjustments = _current_rows(locked)
    row = _count_row(locked, max((c.number for c in counts), default=0) + 1, data)
    today = timezone.localdate()
    calc = _compute(
        person=person, verdict=locked, counts=[*counts, row], adjustments=adjustments, on=today
    )
    if not calc.ok:
        error = _issues_error(calc.issues)
        prefix = f"count-{len(counts)}-"
        raise ServiceError({k.replace(prefix, ""): list(v) for k, v in error.errors.items()})
    row.save()
    stored = recalculation.recalculate_person(person, on=today)
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="count added to verdict",
        obj=row,
        person_id=person.pk,
        details={
            "article": row.offence.citation,
            "end_of_sentence": _iso(stored.end_of_sentence if stored else None),
        },
    )
    return row


# --- Manual override of a date, approved by a second person ---------------------------------------------


@transaction.atomic
def override_request(
    *, actor: User, person: Person, field: str, new_date: date, reason: str
) -> DateOverride:
    require(policies.can_manage_sentence(actor))
    errors: dict[str, list[Any]] = {}
    if field not in CalculationField.values:
        errors["field"] = [_("Choose which date to override.")]
    if not reason.strip():
        errors["reason"] = [_("Say why the computed date is wrong (the document or the error).")]
    calculation = SentenceCalculation.objects.filter(person=person).first()
    if calculation is None:
        errors[""] = [_("There is no calculated sentence to override; enter the verdict first.")]
    if errors:
        raise ServiceError(errors)
    assert calculation is not None
    if DateOverride.objects.filter(
        person=person, field=field, status=DateOverride.Status.REQUESTED
    ).exists():
        raise ConflictError(
            {"field": [_("An override of this date is already awaiting approval.")]}
        )
    computed = texts.computed_date(calculation.result, field)
    if computed == new_date:
        raise ServiceError({"new_date": [_("This is the computed date; nothing to override.")]})
    override = DateOverride.objects.create(
        person=person,
        verdict_id=calculation.verdict_id,
        field=field,
        computed_date=computed,
        new_date=new_date,
        reason=reason.strip(),
        requested_by=actor,
    )
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="date override requested",
        obj=override,
        person_id=person.pk,
        reason=override.reason,
        details={"field": field, "computed": _iso(computed), "new_date": new_date.isoformat()},
    )
    return override


@transaction.atomic
def override_decide(
    *, actor: User, override: DateOverride, approve: bool, note: str = ""
) -> DateOverride:
    """A second member of staff approves (the date takes effect) or rejects the override."""
    require(policies.can_approve_override(actor))
    locked: DateOverride = DateOverride.objects.select_for_update().get(pk=override.pk)
    if locked.status != DateOverride.Status.REQUESTED:
        raise ConflictError({"": [_("This override has already been decided.")]})
    if locked.requested_by_id == actor.pk:
        raise ServiceError(
            {"": [_("A second member of staff must decide: you requested this override.")]}
        )
    if not approve and not note.strip():
        raise ServiceError({"note": [_("Say why the override is rejected.")]})
    if approve:
        DateOverride.objects.filter(
            person_id=locked.person_id, field=locked.field, status=DateOverride.Status.APPROVED
        ).update(status=DateOverride.Status.SUPERSEDED)
    locked.status = DateOverride.Status.APPROVED if approve else DateOverride.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        person = Person.objects.get(pk=locked.person_id)
        stored = recalculation.recalculate_person(person)
        if stored is not None and locked.field == CalculationField.END:
            verdict = Verdict.objects.select_related("basis", "person").get(pk=stored.verdict_id)
            recalculation.sync_lawful_until({person.pk: verdict}, [stored])
    audit_write(
        actor=actor,
        action=AuditEvent.Action.APPROVE if approve else AuditEvent.Action.REJECT,
        verb="date override approved" if approve else "date override rejected",
        obj=locked,
        person_id=locked.person_id,
        reason=locked.decision_note,
        details={
            "field": locked.field,
            "computed": _iso(locked.computed_date),
            "new_date": locked.new_date.isoformat(),
            "requested_by": locked.requested_by_id,
        },
    )
    return locked


# --- Legislation: diff and activation --------------------------------------------------------------


def legislation_diff_start(*, actor: User, rules_dir: str | None = None) -> RecalculationRun:
    """Validate the candidate rule files and create the run whose diff a task then computes."""
    require(policies.can_activate_legislation(actor))
    if RecalculationRun.objects.filter(
        status__in=[RecalculationRun.Status.RUNNING, RecalculationRun.Status.ACTIVATING]
    ).exists():
        raise ConflictError({"": [_("A recalculation is already running; wait for it to end.")]})
    try:
        run = recalculation.diff_start(actor=actor, rules_dir=rules_dir)
    except engine.RuleFileError as error:
        raise ServiceError({"rules_dir": list[Any](error.problems)}) from None
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="recalculation started",
        obj=run,
        details={"rules_dir": run.rules_dir, "ruleset_version": run.ruleset_version},
    )
    return run


def legislation_activate(*, actor: User, run: RecalculationRun) -> RecalculationRun:
    """Write everyone's dates under the run's rule set (after its diff was shown)."""
    require(policies.can_activate_legislation(actor))
    with transaction.atomic():
        locked = RecalculationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RecalculationRun.Status.READY:
            raise ConflictError(
                {"": [_("Only a recalculation whose diff is ready can be activated.")]}
            )
        locked.status = RecalculationRun.Status.ACTIVATING
        locked.save(update_fields=["status"])
    try:
        return recalculation.activate(locked, actor=actor)
    except engine.RuleFileError as error:
        RecalculationRun.objects.filter(pk=run.pk).update(
            status=RecalculationRun.Status.FAILED, error="\n".join(error.problems)
        )
        raise ServiceError({"": list[Any](error.problems)}) from None


__all__ = [
    "DATE_COLUMNS",
    "AdjustmentInput",
    "CountInput",
    "PeriodInput",
    "VerdictInput",
    "adjustment_add",
    "count_add",
    "issue_field",
    "legislation_activate",
    "legislation_diff_start",
    "override_decide",
    "override_request",
    "sentence_enter",
    "sentence_preview",
    "verdict_enter_into_force",
]
