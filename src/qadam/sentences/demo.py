"""Demo step "sentences": a verdict with counts and pre-trial credit for every verdict in the
demo ledger, consistent with it, then everyone's dates computed and stored.

The custody step records each conviction as a detention basis of kind VERDICT whose `valid_until`
is the lawful end of the sentence (`Person.lawful_until` follows it). Here each such document gets
its Verdict: the sentence starts on the day of the ledger event that rests on it (status change at
the SIZO or admission straight to a colony), pre-trial detention is the remand stay before it, the
institution type is the colony's, and the term is chosen so that the engine's end of sentence,
after the CC art. 62 credit, falls exactly on the document's lawful date. The engine then computes
every date; any person whose computed end differs from the ledger's lawful date is counted in the
summary (there should be none).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, Offence
from qadam.custody.models import DetentionBasis, Institution, InstitutionType, Movement
from qadam.demo.registry import DemoContext, register
from qadam.sentences import adapters, recalculation
from qadam.sentences.models import Adjustment, Count, Verdict

BATCH = 20_000
ASSIGNABLE = ("MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA")
COURTS = (
    "{town} қалалық соты",
    "{town} аудандық соты",
    "Суд города {town}",
    "Районный суд №2 города {town}",
)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def term_for(effective_start: date, last_day: date) -> tuple[int, int, int]:
    """Years, months, days such that the term counted from `effective_start` ends on
    `last_day` (calendar months, then days, last day inclusive)."""
    after = last_day + timedelta(days=1)
    months = (after.year - effective_start.year) * 12 + after.month - effective_start.month
    while months > 0 and _add_months(effective_start, months) > after:
        months -= 1
    months = max(months, 0)
    days = (after - _add_months(effective_start, months)).days
    return months // 12, months % 12, days


def _credit(rules: adapters.Rules, on: date, institution_type: str, days: int) -> int:
    view = rules.rules.at(on.toordinal())
    rule = view.get("pretrial_credit_ratio")
    if rule is None or days <= 0:
        return max(days, 0)
    num, den = rule.frac(institution_type)
    return -(-num * days // den)


class _Catalogue:
    """Offences to draw from, by the longest term each allows."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        rows = list(Offence.objects.exclude(gravity=Offence.Gravity.MISDEMEANOUR))
        self.rows = rows

    def pick(self, months: int, day: date) -> Offence:
        """An article whose maximum allows the term, in force on `day` if one is (offences
        before the 2014 Code came into force are given its nearest article)."""
        allows = [o for o in self.rows if not o.max_term_months or o.max_term_months >= months + 1]
        in_force = [
            o for o in allows if o.valid_from <= day and (o.valid_to is None or o.valid_to >= day)
        ]
        fitting = in_force or allows
        # Prefer articles whose maximum is close above the term (a plausible article).
        fitting.sort(key=lambda o: o.max_term_months or 10_000)
        return self.rng.choice(fitting[:6])


def _institution_types() -> dict[int, str]:
    codes = dict(InstitutionType.objects.values_list("id", "code"))
    return {pk: codes[type_id] for pk, type_id in Institution.objects.values_list("id", "type_id")}


def plan_verdicts(
    ctx: DemoContext, rules: adapters.Rules
) -> tuple[list[Verdict], list[list[Count]], list[list[Adjustment]]]:
    rng = ctx.random_for("sentences")
    catalogue = _Catalogue(rng)
    type_of = _institution_types()
    types = {t.code: t for t in InstitutionType.objects.all()}
    bases = list(
        DetentionBasis.objects.filter(kind=DetentionBasis.Kind.VERDICT).values_list(
            "id", "person_id", "authority", "document_number", "issued_on", "valid_until"
        )
    )
    events = {
        basis_id: (kind, when, institution_id)
        for basis_id, kind, when, institution_id in Movement.objects.filter(
            basis__kind=DetentionBasis.Kind.VERDICT
        ).values_list("basis_id", "kind", "occurred_at", "institution_id")
    }
    persons = {b[1] for b in bases}
    remand: dict[int, list[date]] = {}
    arrivals: dict[int, list[tuple[date, int]]] = {}
    for person_id, kind, when, institution_id, status in (
        Movement.objects.filter(person_id__in=persons, kind__in=["admission", "transfer_in"])
        .order_by("occurred_at")
        .values_list("person_id", "kind", "occurred_at", "institution_id", "legal_status")
        .iterator(chunk_size=20_000)
    ):
        if kind == "admission" and status == "remand":
            remand.setdefault(person_id, []).append(when.date())
        elif kind == "transfer_in":
            arrivals.setdefault(person_id, []).append((when.date(), institution_id))
    verdicts: list[Verdict] = []
    counts: list[list[Count]] = []
    periods: list[list[Adjustment]] = []
    actor = ctx.system_user
    for basis_id, person_id, authority, number, issued_on, valid_until in bases:
        event = events.get(basis_id)
        if event is None or valid_until is None:
            continue
        kind, when, institution_id = event
        start = when.date()
        code = type_of.get(institution_id, "MED")
        if kind == "status_change" or code not in ASSIGNABLE:
            later = arrivals.get(person_id, [])
            index = bisect.bisect_left(later, (start, 0))
            code = type_of.get(later[index][1], "MED") if index < len(later) else "MED"
        if code not in ASSIGNABLE:
            code = "MED"
        admitted = remand.get(person_id, [])
        index = bisect.bisect_right(admitted, start) - 1
        remand_from = admitted[index] if index >= 0 and kind == "status_change" else None
        detention_days = (start - remand_from).days if remand_from else 0
        credit = _credit(rules, start, code, detention_days)
        end = max(valid_until, start)
        years, months, days = term_for(start - timedelta(days=credit), end)
        total_months = years * 12 + months + (1 if days else 0)
        arrest = remand_from or start
        offence_day = arrest - timedelta(days=rng.randint(3, 90))
        offence = catalogue.pick(total_months, offence_day)
        if offence.valid_from <= start:
            offence_day = max(offence_day, offence.valid_from)
        offence_day = min(offence_day, start)
        verdict_date = min(issued_on, start)
        town = authority.split()[0] if authority else "Астана"
        verdict = Verdict(
            person_id=person_id,
            court=authority or rng.choice(COURTS).format(town=town),
            verdict_date=verdict_date,
            case_number=number,
            entered_into_force=start,
            institution_type=types[code],
            start_date=start,
            basis_id=basis_id,
            recorded_by=actor,
        )
        verdicts.append(verdict)
        counts.append(
            [
                Count(
                    number=1,
                    offence=offence,
                    gravity=offence.gravity,
                    term_years=years,
                    term_months=months,
                    term_days=days,
                    offence_date=offence_day,
                )
            ]
        )
        periods.append(
            [
                Adjustment(
                    kind=Adjustment.Kind.DETENTION,
                    date=remand_from,
                    date_from=remand_from,
                    date_to=start - timedelta(days=1),
                    source=f"Постановление о содержании под стражей ({number})",
                    recorded_by=actor,
                )
            ]
            if remand_from and detention_days > 0
            else []
        )
    return verdicts, counts, periods


def _write(
    verdicts: Sequence[Verdict], counts: Sequence[list[Count]], periods: Sequence[list[Adjustment]]
) -> None:
    Verdict.objects.bulk_create(verdicts, batch_size=2000)
    count_rows: list[Count] = []
    period_rows: list[Adjustment] = []
    for verdict, its_counts, its_periods in zip(verdicts, counts, periods, strict=True):
        for count in its_counts:
            count.verdict = verdict
            count_rows.append(count)
        for period in its_periods:
            period.verdict = verdict
            period_rows.append(period)
    Count.objects.bulk_create(count_rows, batch_size=2000)
    Adjustment.objects.bulk_create(period_rows, batch_size=2000)


def sentences(ctx: DemoContext) -> None:
    rules = adapters.active_rules()
    verdicts, counts, periods = plan_verdicts(ctx, rules)
    bar = ctx.progress("Writing sentences", len(verdicts))
    for first in range(0, len(verdicts), BATCH):
        last = first + BATCH
        with transaction.atomic():
            _write(verdicts[first:last], counts[first:last], periods[first:last])
        bar.set(min(last, len(verdicts)))
    bar.finish()
    current = recalculation.current_verdict_ids(serving_on=ctx.today)
    bar = ctx.progress("Calculating dates", len(current))
    mismatched = 0
    done = 0
    today = ctx.today
    for person_ids, verdict_ids in _chunks(current):
        with transaction.atomic():
            batch = recalculation.compute_batch(person_ids, verdict_ids, rules, today)
            recalculation.store(batch.rows)
        for row in batch.rows:
            verdict = batch.verdicts[row.person_id]
            basis = verdict.basis
            if basis is not None and row.end_of_sentence != basis.valid_until:
                mismatched += 1
        done += len(person_ids)
        bar.set(done)
    bar.finish()
    audit_write(
        actor=ctx.system_user,
        action=AuditEvent.Action.CREATE,
        verb="demo data generated",
        details={"step": "sentences", "verdicts": len(verdicts), "calculated": len(current)},
    )
    ctx.summary.update(
        {
            "verdicts": len(verdicts),
            "sentence_calculations": len(current),
            "sentence_end_mismatches": mismatched,
        }
    )
    ctx.out.write(
        f"  sentences: {len(verdicts):,} verdicts, {len(current):,} persons' dates calculated, "
        f"{mismatched} whose computed end differs from the ledger's lawful date\n"
    )


def _chunks(current: dict[int, int], size: int = recalculation.BATCH_SIZE) -> Any:
    persons = sorted(current)
    for first in range(0, len(persons), size):
        chunk = persons[first : first + size]
        yield chunk, [current[p] for p in chunk]


register("sentences", sentences, after=["custody"])
