"""Demo step "sentences": a verdict with counts and pre-trial credit for every verdict in the
demo ledger, consistent with it, then everyone's dates computed and stored.

The custody step records each conviction as a detention basis of kind VERDICT whose `valid_until`
is the lawful end of the sentence (`Person.lawful_until` follows it). Here each such document gets
its Verdict: the sentence starts on the day of the ledger event that rests on it (status change at
the SIZO or admission straight to a colony), pre-trial detention is the remand stay before it, the
institution type is the colony's, and the term is chosen so that the engine's end of sentence,
after the CC art. 62 credit, falls exactly on the document's lawful date. The article is one whose
maximum allows the term.

Sentences that began before 1 January 2015 (the 2014 Code) punish offences under the 1997 Code,
which the rule files do not cover: the engine refuses to compute them (`rule_gap`) rather than
guess. As in a real register, the end of sentence of such a verdict is then set by hand from the
personal file, requested by one member of staff and approved by a second (`DateOverride`), so
the stored end is the ledger's lawful date and the other dates say why they are missing.

The summary counts any person whose stored end differs from the ledger's lawful date and any
count above its article's maximum (there should be none of either). Rows are written as tuples
(`sentences.bulk`): the national data set has about 150,000 verdicts.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, Offence, User
from qadam.custody.models import DetentionBasis, Institution, InstitutionType, Movement
from qadam.demo.registry import DemoContext, register
from qadam.sentences import adapters, bulk, recalculation
from qadam.sentences.models import (
    Adjustment,
    CalculationField,
    Combination,
    Count,
    DateOverride,
    Verdict,
)

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


# The rows are written as plain tuples (see `bulk.insert_rows`), every column given.
VERDICT_FIELDS = (
    "id",
    "person",
    "court",
    "verdict_date",
    "case_number",
    "entered_into_force",
    "institution_type",
    "combination",
    "partial_share",
    "additional_punishments",
    "start_date",
    "dangerous_recidivism",
    "cooperation_agreement",
    "earlier_parole_revoked",
    "basis",
    "recorded_by",
    "recorded_at",
)
COUNT_FIELDS = (
    "verdict",
    "number",
    "offence",
    "gravity",
    "term_years",
    "term_months",
    "term_days",
    "life",
    "offence_date",
)
ADJUSTMENT_FIELDS = (
    "verdict",
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
    "new_institution_type",
    "milder_punishment",
    "released_on",
    "days_to_serve",
    "recorded_by",
    "recorded_at",
)
OVERRIDE_FIELDS = (
    "person",
    "verdict",
    "field",
    "computed_date",
    "new_date",
    "reason",
    "status",
    "requested_by",
    "requested_at",
    "decided_by",
    "decided_at",
    "decision_note",
)
BY_HAND_REASON = (
    "Преступление совершено до 1 января 2015 года (УК 1997 года): правила расчёта по этой "
    "редакции не заданы. Конец срока — по приговору и личному делу."
)
BY_HAND_NOTE = "Сверено с приговором и личным делом."
APPROVER_USERNAME = "demo-sentence-approver"


@dataclass
class Plan:
    """The demo's sentences as rows to insert (tuples in the order of the *_FIELDS)."""

    verdicts: list[tuple[Any, ...]] = field(default_factory=list)
    counts: list[tuple[Any, ...]] = field(default_factory=list)
    periods: list[tuple[Any, ...]] = field(default_factory=list)
    # Each person's latest verdict whose offence precedes the rule files (the 1997 Code): the
    # engine cannot justify its dates, so the end of sentence is set by hand from the file.
    by_hand: dict[int, tuple[int, date, date]] = field(
        default_factory=dict
    )  # person → (verdict, end, day)
    above_maximum: int = 0  # counts whose term exceeds the article's maximum (must stay 0)


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def plan_verdicts(ctx: DemoContext, rules: adapters.Rules) -> Plan:
    rng = ctx.random_for("sentences")
    catalogue = _Catalogue(rng)
    type_of = _institution_types()
    types = dict(InstitutionType.objects.values_list("code", "id"))
    bases = list(
        DetentionBasis.objects.filter(kind=DetentionBasis.Kind.VERDICT)
        .order_by("id")
        .values_list("id", "person_id", "authority", "document_number", "issued_on", "valid_until")
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
    plan = Plan()
    actor = ctx.system_user.pk
    recorded = timezone.now()
    ids = iter(bulk.reserve_ids(Verdict, len(bases)))
    latest: dict[int, tuple[date, int]] = {}  # person → (verdict date, verdict id)
    gaps: dict[int, tuple[date, date]] = {}  # verdict id → (lawful end, start)
    view_at = rules.rules.at
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
        if offence.max_term_months and years * 12 + months + (1 if days else 0) > (
            offence.max_term_months
        ):
            plan.above_maximum += 1
        verdict_date = min(issued_on, start)
        town = authority.split()[0] if authority else "Астана"
        verdict_id = next(ids)
        plan.verdicts.append(
            (
                verdict_id,
                person_id,
                authority or rng.choice(COURTS).format(town=town),
                verdict_date,
                number,
                start,
                types[code],
                Combination.ABSORPTION,
                "1/2",
                "",
                start,
                False,
                False,
                False,
                basis_id,
                actor,
                recorded,
            )
        )
        plan.counts.append(
            (
                verdict_id,
                1,
                offence.pk,
                offence.gravity,
                years,
                months,
                days,
                False,
                offence_day,
            )
        )
        if remand_from and detention_days > 0:
            plan.periods.append(
                (
                    verdict_id,
                    Adjustment.Kind.DETENTION,
                    remand_from,
                    f"Постановление о содержании под стражей ({number})",
                    remand_from,
                    start - timedelta(days=1),
                    0,
                    0,
                    0,
                    False,
                    False,
                    False,
                    None,
                    "",
                    None,
                    None,
                    actor,
                    recorded,
                )
            )
        if latest.get(person_id, (date.min, 0)) <= (verdict_date, verdict_id):
            latest[person_id] = (verdict_date, verdict_id)
        if view_at(offence_day.toordinal()).missing_required_cc:
            gaps[verdict_id] = (valid_until, start)
    for person_id, (_day, verdict_id) in latest.items():
        if verdict_id in gaps:
            end, start = gaps[verdict_id]
            plan.by_hand[person_id] = (verdict_id, end, max(start, ctx.start))
    return plan


def _approver() -> User:
    """The second member of staff who approved the dates set by hand (cannot log in)."""
    user, created = User.objects.get_or_create(
        username=APPROVER_USERNAME,
        defaults={
            "first_name": "Demo",
            "last_name": "sentence records approver",
            "is_active": False,
            "role": "head",
        },
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _write(plan: Plan, first: int, last: int) -> None:
    """Verdicts first..last with their counts and detention periods (one count per verdict;
    the periods in verdict order)."""
    verdicts = plan.verdicts[first:last]
    if not verdicts:
        return
    low, high = verdicts[0][0], verdicts[-1][0]
    keys = [row[0] for row in plan.periods]
    periods = plan.periods[bisect.bisect_left(keys, low) : bisect.bisect_right(keys, high)]
    bulk.insert_rows(Verdict, VERDICT_FIELDS, verdicts)
    bulk.insert_rows(Count, COUNT_FIELDS, plan.counts[first:last])
    bulk.insert_rows(Adjustment, ADJUSTMENT_FIELDS, periods)


def _write_by_hand(plan: Plan, requested_by: User, approver: User) -> None:
    rows = []
    for person_id, (verdict_id, end, day) in sorted(plan.by_hand.items()):
        moment = _moment(day)
        rows.append(
            (
                person_id,
                verdict_id,
                CalculationField.END,
                None,
                end,
                BY_HAND_REASON,
                DateOverride.Status.APPROVED,
                requested_by.pk,
                moment,
                approver.pk,
                moment + timedelta(hours=2),
                BY_HAND_NOTE,
            )
        )
    bulk.insert_rows(DateOverride, OVERRIDE_FIELDS, rows)


def sentences(ctx: DemoContext) -> None:
    rules = adapters.active_rules()
    plan = plan_verdicts(ctx, rules)
    bar = ctx.progress("Writing sentences", len(plan.verdicts))
    for first in range(0, len(plan.verdicts), BATCH):
        last = first + BATCH
        with transaction.atomic():
            _write(plan, first, last)
        bar.set(min(last, len(plan.verdicts)))
    with transaction.atomic():
        bulk.ids_inserted(Verdict)
        _write_by_hand(plan, ctx.system_user, _approver())
    bar.finish()
    current = recalculation.current_verdict_ids(serving_on=ctx.today)
    bar = ctx.progress("Calculating dates", len(current))
    mismatched = invalid = 0
    done = 0
    today = ctx.today
    offences = recalculation.offence_facts()
    now = timezone.now()
    for person_ids, verdict_ids in _chunks(current):
        with transaction.atomic():
            batch = recalculation.rows_of(
                recalculation.read_batch(person_ids, verdict_ids, today, offences=offences),
                rules,
                today,
                explain=True,
                now=now,
            )
            recalculation.store(batch.rows)
        invalid += batch.invalid
        for row in batch.rows:
            basis = batch.bases.get(row.person_id)
            if basis is not None and row.end_of_sentence != basis.valid_until:
                mismatched += 1
        done += len(person_ids)
        bar.set(done)
    bar.finish()
    serving_by_hand = sum(1 for p in plan.by_hand if p in current)
    audit_write(
        actor=ctx.system_user,
        action=AuditEvent.Action.CREATE,
        verb="demo data generated",
        details={
            "step": "sentences",
            "verdicts": len(plan.verdicts),
            "calculated": len(current),
            "end_set_by_hand": len(plan.by_hand),
        },
    )
    ctx.summary.update(
        {
            "verdicts": len(plan.verdicts),
            "sentence_calculations": len(current),
            "sentence_not_calculable": invalid,
            "sentence_end_set_by_hand": serving_by_hand,
            "sentence_end_mismatches": mismatched,
            "counts_above_article_maximum": plan.above_maximum,
        }
    )
    ctx.out.write(
        f"  sentences: {len(plan.verdicts):,} verdicts, {len(current):,} persons' dates "
        f"calculated; {serving_by_hand:,} with an offence under the 1997 Code (no rule file: "
        f"end of sentence set by hand, approved); {mismatched} whose end differs from the "
        f"ledger's lawful date; {plan.above_maximum} counts above their article's maximum\n"
    )


def _chunks(current: dict[int, int], size: int = recalculation.BATCH_SIZE) -> Any:
    persons = sorted(current)
    for first in range(0, len(persons), size):
        chunk = persons[first : first + size]
        yield chunk, [current[p] for p in chunk]


register("sentences", sentences, after=["custody"])
