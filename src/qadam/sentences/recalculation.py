"""Computing and storing sentence dates: for one person (after each entry) and for everyone (when
the rule files change: the diff first, then the activation).

Everyone is processed in batches: one read per kind of row for the whole batch (verdicts with
their counts, offences and adjustments; children; approved overrides; stored calculations),
pure engine calls, then one statement that writes the batch's `SentenceCalculation` rows. The
run's progress record is updated after each batch so the page can show it.

The diff computes everyone without explanation and compares each result with the stored row
through its fingerprint (`adapters.calculation_fingerprint`): the dates that change become
`RecalculationChange` rows, and every person whose stored row would change at all (a date, a
reason, a rule cited, an input) a `RecalculationRewrite` row. The activation on the same day
rewrites only those persons (with the breakdown) and notes the new rule set on everyone else's
row; on a later day it compares everyone again first. Each person whose dates move gets an
audit row; the run gets one with the counts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from qadam.core.audit import audit_write, audit_write_many
from qadam.core.models import AuditEvent, Offence
from qadam.custody.models import DetentionBasis
from qadam.people.models import Child, Person
from qadam.sentences import adapters, bulk, engine
from qadam.sentences.models import (
    DATE_COLUMNS,
    Adjustment,
    CalculationField,
    Count,
    DateOverride,
    LegislationVersion,
    RecalculationChange,
    RecalculationRewrite,
    RecalculationRun,
    SentenceCalculation,
    Verdict,
)

if TYPE_CHECKING:
    from qadam.core.models import User

BATCH_SIZE = 2000
# The columns a calculation writes (besides the person it belongs to).
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
    "fingerprint",
)
# What decides whether a stored row is still the one the rules give (read without the JSON):
# every column but the breakdown and the bookkeeping of when and under which rule set.
_NOT_COMPARED = frozenset({"result", "ruleset_version", "as_of", "computed_at"})
COMPARED = tuple(
    "verdict_id" if column == "verdict" else column
    for column in COLUMNS
    if column not in _NOT_COMPARED
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


def _overrides(
    person_ids: Sequence[int], verdict_ids: Sequence[int]
) -> dict[int, list[DateOverride]]:
    """Approved overrides by person, of these verdicts only (an override set for an earlier
    verdict does not carry over to the next one)."""
    out: dict[int, list[DateOverride]] = {}
    for row in DateOverride.objects.filter(
        person_id__in=person_ids, verdict_id__in=verdict_ids, status=DateOverride.Status.APPROVED
    ).order_by("field", "id"):
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
    fingerprint: str = "",
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
        fingerprint=fingerprint,
        **columns,
    )


_STORED_NAMES = ("person", *COLUMNS)
_STORED_ATTRS = ("person_id", "verdict_id", *COLUMNS[1:])


def store(rows: Sequence[SentenceCalculation]) -> None:
    """Insert or replace the rows (one per person) in one statement executed for every row."""
    bulk.insert_rows(
        SentenceCalculation,
        _STORED_NAMES,
        ([getattr(row, name) for name in _STORED_ATTRS] for row in rows),
        conflict="person",
    )


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


@dataclass(frozen=True, slots=True)
class BasisFacts:
    """The detention basis a verdict is, and the person's lawful date (read as plain values)."""

    basis_id: int
    valid_until: date | None
    issued_on: date
    person_id: int
    lawful_until: date | None


@dataclass
class BatchInput:
    """What the engine needs for a batch of persons, read once."""

    sentences: list[tuple[int, int, engine.Sentence]] = field(default_factory=list)
    bases: dict[int, BasisFacts] = field(default_factory=dict)  # by person id
    overrides: dict[int, list[DateOverride]] = field(default_factory=dict)  # by person id

    def only(self, person_ids: set[int]) -> BatchInput:
        return BatchInput(
            [item for item in self.sentences if item[0] in person_ids],
            {p: b for p, b in self.bases.items() if p in person_ids},
            {p: o for p, o in self.overrides.items() if p in person_ids},
        )


@dataclass
class BatchResult:
    rows: list[SentenceCalculation] = field(default_factory=list)
    bases: dict[int, BasisFacts] = field(default_factory=dict)  # by person id
    invalid: int = 0


OffenceFacts = dict[int, tuple[Any, ...]]


def offence_facts() -> OffenceFacts:
    """Offence id → (article, part, groups, maximum term in months): read once per run."""
    return {
        o[0]: o[1:]
        for o in Offence.objects.values_list("id", "article", "part", "groups", "max_term_months")
    }


def _sentences(
    verdict_ids: Sequence[int],
    on: date,
    behaviour: dict[int, engine.Behaviour],
    offences: OffenceFacts,
) -> tuple[list[tuple[int, int, engine.Sentence]], dict[int, BasisFacts]]:
    """(person id, verdict id, engine Sentence) for each verdict, and the verdicts' detention
    bases by person, read as plain values: one query per kind of row, no model instances."""
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
    rows = list(
        Verdict.objects.filter(pk__in=verdict_ids).values_list(
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
            "basis_id",
            "basis__valid_until",
            "basis__issued_on",
            "person__lawful_until",
        )
    )
    children = _children([r[1] for r in rows])
    out: list[tuple[int, int, engine.Sentence]] = []
    bases: dict[int, BasisFacts] = {}
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
        basis_id,
        valid_until,
        issued_on,
        lawful_until,
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
        if basis_id is not None:
            bases[pid] = BasisFacts(basis_id, valid_until, issued_on, pid, lawful_until)
    return out, bases


def read_batch(
    person_ids: Sequence[int],
    verdict_ids: Sequence[int],
    on: date,
    *,
    offences: OffenceFacts | None = None,
) -> BatchInput:
    """Everything the engine needs for these persons' verdicts, in one query per kind of row."""
    if not verdict_ids:
        return BatchInput()
    behaviour = adapters.behaviours(person_ids, on)
    sentences, bases = _sentences(
        verdict_ids, on, behaviour, offences if offences is not None else offence_facts()
    )
    return BatchInput(sentences, bases, _overrides(person_ids, verdict_ids))


def _calculate_all(
    sentences: Sequence[engine.Sentence], on: date, rules: adapters.Rules, explain: bool
) -> list[engine.Calculation]:
    return engine.calculate_many(sentences, as_of=on, rules=rules.rules, explain=explain)


def rows_of(
    batch: BatchInput, rules: adapters.Rules, on: date, *, explain: bool, now: Any = None
) -> BatchResult:
    """The engine's results as unsaved SentenceCalculation rows, with their fingerprints.
    Without `explain` (the diff) the breakdown steps are not produced and `result` is empty."""
    calcs = _calculate_all([s for _p, _v, s in batch.sentences], on, rules, explain)
    result = BatchResult(bases=batch.bases)
    now = now or timezone.now()
    digests = rules.digests
    for (pid, vid, sentence), calc in zip(batch.sentences, calcs, strict=True):
        if not calc.ok:
            result.invalid += 1
        result.rows.append(
            calculation_row(
                person_id=pid,
                verdict_id=vid,
                calc=calc,
                rules=rules,
                on=on,
                overrides=batch.overrides.get(pid, ()),
                now=now,
                explain=explain,
                fingerprint=adapters.calculation_fingerprint(sentence, calc, digests),
            )
        )
    return result


def compute_batch(
    person_ids: Sequence[int],
    verdict_ids: Sequence[int],
    rules: adapters.Rules,
    on: date,
    *,
    explain: bool = True,
    offences: OffenceFacts | None = None,
) -> BatchResult:
    """Everyone in the batch: engine results as unsaved SentenceCalculation rows."""
    batch = read_batch(person_ids, verdict_ids, on, offences=offences)
    return rows_of(batch, rules, on, explain=explain)


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


Stored = dict[int, dict[str, Any]]


def _stored(person_ids: Sequence[int]) -> Stored:
    """The stored rows of these persons without their JSON breakdown, by person id."""
    return {
        row["person_id"]: row
        for row in SentenceCalculation.objects.filter(person_id__in=person_ids).values(
            "person_id", *COMPARED
        )
    }


def _differs(before: Mapping[str, Any] | None, row: SentenceCalculation) -> bool:
    """True when the stored row (None: none) is not the one the rules now give."""
    if before is None:
        return True
    return any(before[name] != getattr(row, name) for name in COMPARED)


def _date_changes(
    before: Mapping[str, Any] | None, row: SentenceCalculation
) -> Iterator[tuple[str, date | None, date | None]]:
    """(field, old date, new date) of each date in effect that the row changes."""
    for fld, column in DATE_COLUMNS.items():
        new = getattr(row, column)
        if before is None:
            if new is not None:
                yield fld, None, new
            continue
        previous = before[column]
        if new != previous:
            yield fld, previous, new


def _changes(
    run: RecalculationRun, old: Stored, rows: Sequence[SentenceCalculation]
) -> tuple[list[RecalculationChange], int]:
    changes: list[RecalculationChange] = []
    persons = 0
    for row in rows:
        changed = False
        for fld, previous, new in _date_changes(old.get(row.person_id), row):
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
    changes and who needs rewriting. Idempotent: a rerun starts the run's rows afresh."""
    started = time.perf_counter()
    on = on or timezone.localdate()
    try:
        rules = adapters.load_rule_dir(run.rules_dir)
        current = current_verdict_ids(serving_on=on)
        RecalculationChange.objects.filter(run=run).delete()
        RecalculationRewrite.objects.filter(run=run).delete()
        RecalculationRun.objects.filter(pk=run.pk).update(
            status=RecalculationRun.Status.RUNNING, total=len(current), processed=0, as_of=None
        )
        offences = offence_facts()
        now = timezone.now()
        processed = changed = invalid = rewrite = 0
        for person_ids, verdict_ids in _batches(current, batch_size):
            batch = rows_of(
                read_batch(person_ids, verdict_ids, on, offences=offences),
                rules,
                on,
                explain=False,
                now=now,
            )
            old = _stored(person_ids)
            changes, persons = _changes(run, old, batch.rows)
            rewrites = [
                RecalculationRewrite(run=run, person_id=row.person_id)
                for row in batch.rows
                if _differs(old.get(row.person_id), row)
            ]
            with transaction.atomic():
                RecalculationChange.objects.bulk_create(changes, batch_size=2000)
                RecalculationRewrite.objects.bulk_create(rewrites, batch_size=2000)
            processed += len(person_ids)
            changed += persons
            invalid += batch.invalid
            rewrite += len(rewrites)
            RecalculationRun.objects.filter(pk=run.pk).update(
                processed=processed, changed_persons=changed, invalid=invalid
            )
            if progress is not None:
                progress(processed, len(current))
        run.refresh_from_db()
        run.summary = summarise(run)
        run.rewrite_persons = rewrite
        run.as_of = on
        run.status = RecalculationRun.Status.READY
    except engine.RuleFileError as error:
        run.status = RecalculationRun.Status.FAILED
        run.error = "\n".join(error.problems)
    run.finished_at = timezone.now()
    run.seconds = time.perf_counter() - started
    run.save()
    return run


# --- Lawful dates that follow the end of sentence ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class LawfulMove:
    """A person's lawful date moved with the end of sentence."""

    person_id: int
    before: date | None
    after: date | None


def sync_bases(
    bases: Mapping[int, BasisFacts],
    rows: Iterable[SentenceCalculation],
    *,
    actor: User | None = None,
    reason: str = "",
) -> tuple[int, list[LawfulMove]]:
    """Where the verdict's detention basis governs a person, its end follows the end of sentence
    (Person.lawful_until feeds the lawful-detention and release-due lists; its history records
    the change with `reason`). Returns how many bases changed and the persons' moves."""
    changed: list[DetentionBasis] = []
    moves: list[LawfulMove] = []
    for row in rows:
        basis = bases.get(row.person_id)
        if basis is None or not row.ok:
            continue
        end = row.end_of_sentence
        if basis.valid_until == end:
            continue
        if end is not None and end < basis.issued_on:
            continue
        changed.append(DetentionBasis(pk=basis.basis_id, valid_until=end))
        if basis.lawful_until == basis.valid_until:
            moves.append(LawfulMove(row.person_id, basis.lawful_until, end))
    DetentionBasis.objects.bulk_update(changed, ["valid_until"], batch_size=1000)
    if moves:
        new = {m.person_id: m.after for m in moves}
        persons = list(Person.objects.filter(pk__in=list(new)))
        for person in persons:
            person.lawful_until = new[person.pk]
        bulk_update_with_history(
            persons,
            Person,
            ["lawful_until"],
            batch_size=1000,
            default_user=actor,
            default_change_reason=reason[:100],
        )
    return len(changed), moves


def sync_lawful_until(verdicts: dict[int, Verdict], rows: Sequence[SentenceCalculation]) -> int:
    """`sync_bases` for verdicts read as models (with `basis` and `person`), by person id."""
    bases = {
        person_id: BasisFacts(
            v.basis.pk, v.basis.valid_until, v.basis.issued_on, person_id, v.person.lawful_until
        )
        for person_id, v in verdicts.items()
        if v.basis is not None
    }
    return sync_bases(bases, rows)[0]


# --- The activation -------------------------------------------------------------------------------


def _pending(run: RecalculationRun, current: Mapping[int, int], on: date) -> set[int] | None:
    """Whom the activation rewrites when it can take the diff's word for everyone else: the
    diff's rewrites, plus anyone whose row was written after the diff began, whose current
    verdict is another, or who has no row. None when the diff is of another day (compare again)."""
    if run.as_of != on or run.finished_at is None:
        return None
    pending = set(RecalculationRewrite.objects.filter(run=run).values_list("person_id", flat=True))
    seen: set[int] = set()
    for person_id, verdict_id, computed_at in SentenceCalculation.objects.values_list(
        "person_id", "verdict_id", "computed_at"
    ).iterator(chunk_size=20_000):
        wanted = current.get(person_id)
        if wanted is None:
            continue
        seen.add(person_id)
        if verdict_id != wanted or computed_at >= run.created_at:
            pending.add(person_id)
    pending.update(p for p in current if p not in seen)
    return pending


@dataclass
class _Tally:
    rewritten: int = 0
    dates_moved: int = 0
    bases: int = 0
    lawful_moved: int = 0
    invalid: int = 0


def _rewrite(
    run: RecalculationRun,
    batch: BatchInput,
    stored: Stored,
    rules: adapters.Rules,
    on: date,
    now: Any,
    actor: User | None,
    tally: _Tally,
) -> set[int]:
    """Compute with the breakdown, write, move lawful dates, audit each person whose dates move;
    returns the persons written."""
    result = rows_of(batch, rules, on, explain=True, now=now)
    store(result.rows)
    reason = f"sentence dates under rule set {rules.version}"
    bases, moves = sync_bases(result.bases, result.rows, actor=actor, reason=reason)
    lawful = {m.person_id: m for m in moves}
    entries: list[tuple[int | None, dict[str, Any]]] = []
    for row in result.rows:
        dates = {
            fld: [_iso(old), _iso(new)]
            for fld, old, new in _date_changes(stored.get(row.person_id), row)
        }
        if not dates:
            continue
        details: dict[str, Any] = {"ruleset_version": rules.version, "run": run.pk, "dates": dates}
        move = lawful.get(row.person_id)
        if move is not None:
            details["lawful_until"] = [_iso(move.before), _iso(move.after)]
        entries.append((row.person_id, details))
    audit_write_many(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        verb="sentence dates recalculated",
        obj=run,
        entries=entries,
    )
    tally.rewritten += len(result.rows)
    tally.dates_moved += len(entries)
    tally.bases += bases
    tally.lawful_moved += len(moves)
    tally.invalid += result.invalid
    return {row.person_id for row in result.rows}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def activate(
    run: RecalculationRun,
    *,
    actor: User | None,
    batch_size: int = BATCH_SIZE,
    on: date | None = None,
    progress: Progress | None = None,
) -> RecalculationRun:
    """Write everyone's dates under the run's rule set and make it the active one (audited).

    Only the rows that change are rewritten (with their breakdown); on the others the new rule
    set is noted. Idempotent: a rerun after an interruption rewrites what it wrote before."""
    on = on or timezone.localdate()
    rules = adapters.load_rule_dir(run.rules_dir)
    started = time.perf_counter()
    RecalculationRun.objects.filter(pk=run.pk).update(
        status=RecalculationRun.Status.ACTIVATING, processed=0
    )
    current = current_verdict_ids(serving_on=on)
    pending = _pending(run, current, on)
    offences = offence_facts()
    now = timezone.now()
    processed = 0
    tally = _Tally()
    for person_ids, verdict_ids in _batches(current, batch_size):
        with transaction.atomic():
            stored = _stored(person_ids)
            if pending is None:
                # The diff is of another day: compare everyone again, then explain the changes.
                batch = read_batch(person_ids, verdict_ids, on, offences=offences)
                compact = rows_of(batch, rules, on, explain=False, now=now)
                todo = {r.person_id for r in compact.rows if _differs(stored.get(r.person_id), r)}
                batch = batch.only(todo)
            else:
                ids = [p for p in person_ids if p in pending]
                batch = read_batch(ids, [current[p] for p in ids], on, offences=offences)
            written = (
                _rewrite(run, batch, stored, rules, on, now, actor, tally)
                if batch.sentences
                else set()
            )
            SentenceCalculation.objects.filter(
                person_id__in=[p for p in person_ids if p not in written]
            ).update(ruleset_version=rules.version, as_of=on, computed_at=now)
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
                "rewritten": tally.rewritten,
                "dates_moved": tally.dates_moved,
                "invalid": tally.invalid,
                "bases_updated": tally.bases,
                "lawful_dates_updated": tally.lawful_moved,
                "compared_again": pending is None,
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
