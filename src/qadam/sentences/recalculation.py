"""Computing and storing sentence dates: for one person (after each entry) and for everyone (when
the rule files change: the diff first, then the activation).

Everyone is processed in batches: one read per kind of row for the whole batch (verdicts with
their counts, offences and adjustments; children; stored calculations; approved overrides), pure
engine calls, then one upsert of the batch's `SentenceCalculation` rows. The run's progress record
is updated after each batch so the page can show it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, Offence
from qadam.custody.models import DetentionBasis
from qadam.people.models import Child, Person
from qadam.sentences import adapters, engine
from qadam.sentences.models import (
    DATE_COLUMNS,
    Adjustment,
    CalculationField,
    Count,
    DateOverride,
    LegislationVersion,
    RecalculationChange,
    RecalculationRun,
    SentenceCalculation,
    Verdict,
)

if TYPE_CHECKING:
    from qadam.core.models import User

BATCH_SIZE = 2000
COLUMNS = (
    "verdict",
    "ok",
    "end_of_sentence",
    "parole_date",
    "parole_status",
    "parole_reason",
    "replacement_date",
    "transfer_date",
    "transfer_target",
    "transfer_conditions_met",
    "preferential_date",
    "mandatory_parole",
    "overridden",
    "result",
    "ruleset_version",
    "as_of",
    "computed_at",
)
DELTA_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("≤ −365", -(10**6), -365),
    ("−364…−91", -364, -91),
    ("−90…−31", -90, -31),
    ("−30…−1", -30, -1),
    ("+1…+30", 1, 30),
    ("+31…+90", 31, 90),
    ("+91…+364", 91, 364),
    ("≥ +365", 365, 10**6),
)


def current_verdict_ids(
    person_ids: Sequence[int] | None = None, *, serving_on: date | None = None
) -> dict[int, int]:
    """person id → id of the person's current (latest) verdict. With `serving_on`, only persons
    still serving then: on an institution's roll, or lawfully held until that day or later (a
    rule change does not reopen sentences already served)."""
    rows = Verdict.objects.all()
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    if serving_on is not None:
        rows = rows.filter(
            Q(person__current_institution__isnull=False) | Q(person__lawful_until__gte=serving_on)
        )
    current: dict[int, int] = {}
    for person_id, verdict_id in rows.order_by("verdict_date", "id").values_list("person_id", "id"):
        current[person_id] = verdict_id
    return current


def _children(person_ids: Sequence[int]) -> dict[int, list[date]]:
    out: dict[int, list[date]] = {}
    for person_id, born in Child.objects.filter(
        person_id__in=person_ids, person__sex="F"
    ).values_list("person_id", "birth_date"):
        out.setdefault(person_id, []).append(born)
    return out


def _overrides(person_ids: Sequence[int]) -> dict[int, list[DateOverride]]:
    out: dict[int, list[DateOverride]] = {}
    for row in DateOverride.objects.filter(
        person_id__in=person_ids, status=DateOverride.Status.APPROVED
    ):
        out.setdefault(row.person_id, []).append(row)
    return out


def calculate(
    *,
    verdict: Verdict,
    counts: Sequence[Count],
    adjustments: Sequence[Adjustment],
    person: Person,
    on: date,
    rules: adapters.Rules,
    behaviour: engine.Behaviour | None = None,
    child_birth_dates: Sequence[date] = (),
) -> engine.Calculation:
    sentence = adapters.sentence_input(
        verdict=verdict,
        counts=counts,
        adjustments=adjustments,
        person=person,
        on=on,
        behaviour=behaviour,
        child_birth_dates=child_birth_dates,
    )
    return engine.calculate(sentence, as_of=on, rules=rules.rules)


def calculation_row(
    *,
    person_id: int,
    verdict_id: int,
    calc: engine.Calculation,
    rules: adapters.Rules,
    on: date,
    overrides: Sequence[DateOverride] = (),
    now: Any = None,
    explain: bool = True,
) -> SentenceCalculation:
    """An unsaved SentenceCalculation: computed columns, then approved overrides on top."""
    columns = adapters.calculation_columns(calc)
    overridden: list[str] = []
    for override in overrides:
        columns[DATE_COLUMNS[override.field]] = override.new_date
        overridden.append(override.field)
    return SentenceCalculation(
        person_id=person_id,
        verdict_id=verdict_id,
        overridden=overridden,
        result=adapters.calculation_json(calc) if explain else {},
        ruleset_version=rules.version,
        as_of=on,
        computed_at=now or timezone.now(),
        **columns,
    )


def store(rows: Sequence[SentenceCalculation]) -> None:
    """Insert or replace the rows (one per person)."""
    SentenceCalculation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=list(COLUMNS),
        batch_size=500,
    )


@dataclass
class BatchResult:
    rows: list[SentenceCalculation] = field(default_factory=list)
    verdicts: dict[int, Verdict] = field(default_factory=dict)  # by person id (with `basis`)
    invalid: int = 0


@dataclass(frozen=True, slots=True)
class AdjustmentFacts:
    """An adjustment row read as plain values (bulk path); the attribute names of the model."""

    kind: str
    date: dt.date
    source: str
    date_from: dt.date | None
    date_to: dt.date | None
    years: int
    months: int
    days: int
    life: bool
    commute: bool
    release: bool
    new_institution_type_code: str | None
    milder_punishment: str
    released_on: dt.date | None
    days_to_serve: int | None

    @property
    def has_term(self) -> bool:
        return self.life or bool(self.years or self.months or self.days)


ADJUSTMENT_VALUES = (
    "verdict_id",
    "kind",
    "date",
    "source",
    "date_from",
    "date_to",
    "years",
    "months",
    "days",
    "life",
    "commute",
    "release",
    "new_institution_type__code",
    "milder_punishment",
    "released_on",
    "days_to_serve",
)


def _sentences(
    verdict_ids: Sequence[int],
    on: date,
    behaviour: dict[int, engine.Behaviour],
    *,
    with_verdicts: bool = True,
) -> tuple[list[tuple[int, int, engine.Sentence]], dict[int, Verdict]]:
    """(person id, verdict id, engine Sentence) for each verdict, read as plain values: one query
    per kind of row, no model instances on the hot path (only the verdict with its basis)."""
    offences = {
        o[0]: o[1:]
        for o in Offence.objects.values_list("id", "article", "part", "groups", "max_term_months")
    }
    counts: dict[int, list[tuple[Any, ...]]] = {}
    for row in (
        Count.objects.filter(verdict_id__in=verdict_ids)
        .order_by("verdict_id", "number")
        .values_list(
            "verdict_id",
            "offence_id",
            "gravity",
            "term_years",
            "term_months",
            "term_days",
            "life",
            "offence_date",
        )
    ):
        counts.setdefault(row[0], []).append(row)
    adjustments: dict[int, list[AdjustmentFacts]] = {}
    for row in (
        Adjustment.objects.filter(verdict_id__in=verdict_ids)
        .order_by("verdict_id", "date", "id")
        .values_list(*ADJUSTMENT_VALUES)
    ):
        adjustments.setdefault(row[0], []).append(AdjustmentFacts(*row[1:]))
    verdicts = {
        v.pk: v
        for v in (
            Verdict.objects.filter(pk__in=verdict_ids) if with_verdicts else Verdict.objects.none()
        )
        .select_related("basis", "person")
        .only(
            "id",
            "person_id",
            "basis_id",
            "basis__id",
            "basis__valid_until",
            "basis__issued_on",
            "person__id",
            "person__lawful_until",
        )
    }
    out: list[tuple[int, int, engine.Sentence]] = []
    by_person: dict[int, Verdict] = {}
    rows = Verdict.objects.filter(pk__in=verdict_ids).values_list(
        "id",
        "person_id",
        "institution_type__code",
        "start_date",
        "combination",
        "partial_share",
        "dangerous_recidivism",
        "cooperation_agreement",
        "earlier_parole_revoked",
        "person__sex",
        "person__birth_date",
    )
    children = _children([r[1] for r in rows])
    for (
        vid,
        pid,
        itype,
        start,
        combination,
        share,
        recidivism,
        cooperation,
        revoked,
        sex,
        born,
    ) in rows:
        engine_counts = []
        for _v, offence_id, gravity, years, months, days, life, offence_date in counts.get(vid, ()):
            article, part, groups, max_months = offences[offence_id]
            engine_counts.append(
                adapters.engine_count(
                    article=article,
                    part=part,
                    groups=groups or (),
                    max_months=max_months,
                    gravity=gravity,
                    years=years,
                    months=months,
                    days=days,
                    life=life,
                    offence_date=offence_date,
                    recidivism=recidivism,
                )
            )
        detention: list[engine.DetentionPeriod] = []
        other: list[Any] = []
        for facts in adjustments.get(vid, ()):
            value = adapters.adjustment_input(facts)
            (detention if isinstance(value, engine.DetentionPeriod) else other).append(value)
        sentence = engine.Sentence(
            counts=tuple(engine_counts),
            institution_type=itype,
            start_date=start,
            combination=combination,
            partial_share=share or "1/2",
            detention=tuple(detention),
            adjustments=tuple(other),
            person=adapters.facts_of(sex, born, engine_counts, children.get(pid, ()), on),
            behaviour=behaviour.get(pid) or engine.Behaviour(),
            cooperation_agreement=cooperation,
            earlier_parole_revoked=revoked,
        )
        out.append((pid, vid, sentence))
        if vid in verdicts:
            by_person[pid] = verdicts[vid]
    return out, by_person


def _calculate_all(
    sentences: Sequence[engine.Sentence], on: date, rules: adapters.Rules, explain: bool
) -> list[engine.Calculation]:
    many = getattr(engine, "calculate_many", None)
    if many is not None:
        result: list[engine.Calculation] = many(
            sentences, as_of=on, rules=rules.rules, explain=explain
        )
        return result
    return [engine.calculate(s, as_of=on, rules=rules.rules) for s in sentences]


def compute_batch(
    person_ids: Sequence[int],
    verdict_ids: Sequence[int],
    rules: adapters.Rules,
    on: date,
    *,
    explain: bool = True,
) -> BatchResult:
    """Everyone in the batch: engine results as unsaved SentenceCalculation rows. Without
    `explain` (the diff) the breakdown steps are not produced and `result` holds no breakdown."""
    behaviour = adapters.behaviours(person_ids, on)
    sentences, verdicts = _sentences(verdict_ids, on, behaviour, with_verdicts=explain)
    overrides = _overrides(person_ids)
    calcs = _calculate_all([s for _p, _v, s in sentences], on, rules, explain)
    result = BatchResult(verdicts=verdicts)
    now = timezone.now()
    for (pid, vid, _sentence), calc in zip(sentences, calcs, strict=True):
        if not calc.ok:
            result.invalid += 1
        result.rows.append(
            calculation_row(
                person_id=pid,
                verdict_id=vid,
                calc=calc,
                rules=rules,
                on=on,
                overrides=overrides.get(pid, ()),
                now=now,
                explain=explain,
            )
        )
    return result


def recalculate_person(person: Person, *, on: date | None = None) -> SentenceCalculation | None:
    """Recompute and store one person's dates under the active rule set (inside the caller's
    transaction); None when the person has no verdict."""
    on = on or timezone.localdate()
    current = current_verdict_ids([person.pk])
    if person.pk not in current:
        SentenceCalculation.objects.filter(person=person).delete()
        return None
    batch = compute_batch([person.pk], [current[person.pk]], adapters.active_rules(), on)
    store(batch.rows)
    stored: SentenceCalculation = SentenceCalculation.objects.get(person=person)
    return stored


# --- Everyone: the diff and the activation -------------------------------------------------------------


def _batches(current: dict[int, int], size: int) -> Iterator[tuple[list[int], list[int]]]:
    persons = sorted(current)
    for first in range(0, len(persons), size):
        chunk = persons[first : first + size]
        yield chunk, [current[p] for p in chunk]


def _changes(
    run: RecalculationRun, old: dict[int, SentenceCalculation], rows: Sequence[SentenceCalculation]
) -> tuple[list[RecalculationChange], int]:
    changes: list[RecalculationChange] = []
    persons = 0
    for row in rows:
        before = old.get(row.person_id)
        changed = False
        for fld, column in DATE_COLUMNS.items():
            new = getattr(row, column)
            previous = getattr(before, column) if before is not None else None
            if new == previous and before is not None:
                continue
            if before is None and new is None:
                continue
            delta = (new - previous).days if new is not None and previous is not None else None
            changes.append(
                RecalculationChange(
                    run=run,
                    person_id=row.person_id,
                    field=fld,
                    old_date=previous,
                    new_date=new,
                    delta_days=delta,
                )
            )
            changed = True
        persons += changed
    return changes, persons


def summarise(run: RecalculationRun) -> dict[str, Any]:
    """Per date: how many change, earlier/later, how many gain or lose a date, the distribution."""
    summary: dict[str, Any] = {}
    rows = RecalculationChange.objects.filter(run=run).values_list("field", "delta_days")
    for fld in CalculationField.values:
        summary[fld] = {
            "changed": 0,
            "earlier": 0,
            "later": 0,
            "gained": 0,
            "lost": 0,
            "min": None,
            "max": None,
            "total_days": 0,
            "buckets": {label: 0 for label, _low, _high in DELTA_BUCKETS},
        }
    for fld, delta in rows.iterator(chunk_size=5000):
        entry = summary[fld]
        entry["changed"] += 1
        if delta is None:
            continue
        entry["earlier" if delta < 0 else "later"] += 1
        entry["total_days"] += delta
        entry["min"] = delta if entry["min"] is None else min(entry["min"], delta)
        entry["max"] = delta if entry["max"] is None else max(entry["max"], delta)
        for label, low, high in DELTA_BUCKETS:
            if low <= delta <= high:
                entry["buckets"][label] += 1
    for fld, new_null in (
        RecalculationChange.objects.filter(run=run, delta_days__isnull=True)
        .values_list("field", "new_date")
        .iterator(chunk_size=5000)
    ):
        summary[fld]["gained" if new_null is not None else "lost"] += 1
    return summary


Progress = Callable[[int, int], None]


def _rules_for(rules_dir: str | None) -> adapters.Rules:
    return adapters.load_rule_dir(rules_dir) if rules_dir else adapters.active_rules()


def diff_start(*, actor: User | None, rules_dir: str | None = None) -> RecalculationRun:
    """Create the progress record of a diff under the candidate rules (validated first)."""
    rules = _rules_for(rules_dir)
    return RecalculationRun.objects.create(
        rules_dir=rules.directory,
        ruleset_version=rules.version,
        created_by=actor,
        total=len(current_verdict_ids(serving_on=timezone.localdate())),
    )


def diff_compute(
    run: RecalculationRun,
    *,
    batch_size: int = BATCH_SIZE,
    on: date | None = None,
    progress: Progress | None = None,
) -> RecalculationRun:
    """Recompute everyone under the run's rule set without writing their dates; store the
    changes. Idempotent: a rerun starts the run's changes afresh."""
    started = time.perf_counter()
    on = on or timezone.localdate()
    try:
        rules = adapters.load_rule_dir(run.rules_dir)
        current = current_verdict_ids(serving_on=on)
        RecalculationChange.objects.filter(run=run).delete()
        RecalculationRun.objects.filter(pk=run.pk).update(
            status=RecalculationRun.Status.RUNNING, total=len(current), processed=0
        )
        processed = changed = invalid = 0
        for person_ids, verdict_ids in _batches(current, batch_size):
            batch = compute_batch(person_ids, verdict_ids, rules, on, explain=False)
            old = {
                c.person_id: c for c in SentenceCalculation.objects.filter(person_id__in=person_ids)
            }
            changes, persons = _changes(run, old, batch.rows)
            RecalculationChange.objects.bulk_create(changes, batch_size=2000)
            processed += len(person_ids)
            changed += persons
            invalid += batch.invalid
            RecalculationRun.objects.filter(pk=run.pk).update(
                processed=processed, changed_persons=changed, invalid=invalid
            )
            if progress is not None:
                progress(processed, len(current))
        run.refresh_from_db()
        run.summary = summarise(run)
        run.status = RecalculationRun.Status.READY
    except engine.RuleFileError as error:
        run.status = RecalculationRun.Status.FAILED
        run.error = "\n".join(error.problems)
    run.finished_at = timezone.now()
    run.seconds = time.perf_counter() - started
    run.save()
    return run


def sync_lawful_until(verdicts: dict[int, Verdict], rows: Sequence[SentenceCalculation]) -> int:
    """Where the verdict's detention basis governs a person in custody, its end follows the end
    of sentence (Person.lawful_until feeds the lawful-detention and release-due lists)."""
    bases: list[DetentionBasis] = []
    persons: list[Person] = []
    for row in rows:
        verdict = verdicts.get(row.person_id)
        if verdict is None or verdict.basis is None or not row.ok:
            continue
        person = verdict.person
        basis = verdict.basis
        if basis.valid_until == row.end_of_sentence:
            continue
        governs = person.lawful_until == basis.valid_until
        if row.end_of_sentence is not None and row.end_of_sentence < basis.issued_on:
            continue
        basis.valid_until = row.end_of_sentence
        bases.append(basis)
        if governs:
            person.lawful_until = row.end_of_sentence
            persons.append(person)
    DetentionBasis.objects.bulk_update(bases, ["valid_until"], batch_size=1000)
    Person.objects.bulk_update(persons, ["lawful_until"], batch_size=1000)
    return len(bases)


def activate(
    run: RecalculationRun,
    *,
    actor: User | None,
    batch_size: int = BATCH_SIZE,
    on: date | None = None,
    progress: Progress | None = None,
) -> RecalculationRun:
    """Write everyone's dates under the run's rule set and make it the active one (audited)."""
    on = on or timezone.localdate()
    rules = adapters.load_rule_dir(run.rules_dir)
    started = time.perf_counter()
    RecalculationRun.objects.filter(pk=run.pk).update(
        status=RecalculationRun.Status.ACTIVATING, processed=0
    )
    current = current_verdict_ids(serving_on=on)
    processed = synced = 0
    for person_ids, verdict_ids in _batches(current, batch_size):
        with transaction.atomic():
            batch = compute_batch(person_ids, verdict_ids, rules, on)
            store(batch.rows)
            synced += sync_lawful_until(batch.verdicts, batch.rows)
        processed += len(person_ids)
        RecalculationRun.objects.filter(pk=run.pk).update(processed=processed)
        if progress is not None:
            progress(processed, len(current))
    with transaction.atomic():
        LegislationVersion.objects.create(
            ruleset_version=rules.version, rules_dir=rules.directory, run=run, activated_by=actor
        )
        run.refresh_from_db()
        run.status = RecalculationRun.Status.ACTIVATED
        run.activated_by = actor
        run.activated_at = timezone.now()
        run.seconds = time.perf_counter() - started
        run.save()
        audit_write(
            actor=actor,
            action=AuditEvent.Action.APPROVE,
            verb="legislation version activated",
            obj=run,
            details={
                "ruleset_version": rules.version,
                "rules_dir": rules.directory,
                "persons": processed,
                "changed_persons": run.changed_persons,
                "lawful_dates_updated": synced,
            },
        )
    return run


def recalculate_all(
    *,
    actor: User | None,
    rules_dir: str | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> RecalculationRun:
    """The command's whole job: the diff, then (unless a dry run) the activation."""
    run = diff_start(actor=actor, rules_dir=rules_dir)
    run = diff_compute(run, batch_size=batch_size, progress=progress)
    if not dry_run and run.status == RecalculationRun.Status.READY:
        run = activate(run, actor=actor, batch_size=batch_size, progress=progress)
    return run
