"""Demo data: assessments of the sentenced population held now and of those released under a
sentence in the last year (assessed while they were held), then the first-assessment schedule of
everyone held under a sentence and not yet assessed.

Each person is assessed from the day they were held under the sentence (or the instrument came into
force), the first time within weeks, then every six months, now and then late or missed (overdue
now); most of those held for months have been assessed, few of the newly admitted. Later
assessments show change (needs met, progress made). Answers are drawn per person (static items from
the record where it has them), scored in bulk with the engine's batch scoring, and written with
bulk_create; the unassessed are put on the schedule by the service the daily job runs
(`services.assessment_first_due_sweep`)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from qadam.assessment.engine import Instrument as EngineInstrument
from qadam.assessment.engine.batch import (
    band_index,
    probabilities,
    sourced_by_item_code,
    total_points,
)
from qadam.assessment.engine.scoring import _explanation_code
from qadam.assessment.models import Assessment, AssessmentKind, DueReason, Reassessment
from qadam.assessment.services import (
    REASSESS_AFTER_MONTHS,
    SCHEDULED_LEGAL_STATUS,
    add_months,
    assessment_first_due_sweep,
    instrument_in_force,
    sentenced_since,
)
from qadam.custody.models import MovementKind, Stay
from qadam.demo.registry import DemoContext, register
from qadam.people.models import Person

# Share of persons assessed by how long they have been held under the sentence (since the
# instrument came into force): (fewer days than this, share), then the rest.
SHARE_ASSESSED_BY_DAYS_HELD: tuple[tuple[int, float], ...] = ((2, 0.0), (30, 0.3), (90, 0.75))
SHARE_ASSESSED_LATER = 0.9
FIRST_WITHIN_DAYS = 40  # the first assessment, this many days at most after being held
LATE_DAYS = (-10, 15)  # a reassessment this many days before or after its due date
SHARE_MISSED = 0.12  # a reassessment that was not held: overdue now
HISTORY_DAYS = 400  # assessments go back at most this far
PRE_RELEASE_MONTHS = 6  # the last months before the end of the sentence (the plans' window)
RELEASED_WITHIN_DAYS = 365
BATCH = 2000


@dataclass(frozen=True)
class Held:
    """A person assessed (or not) during one episode under a sentence: held from `since` to `end`
    (today, or the day of release)."""

    person_id: int
    birth_date: date
    sex: str
    institution_id: int | None
    since: date
    end: date
    end_of_sentence: date | None
    released: bool


@dataclass(frozen=True)
class Released:
    person_id: int
    institution_id: int
    released_on: date
    reason: str


def released_after_sentence(today: date) -> list[Released]:
    """Persons released under a sentence in the last `RELEASED_WITHIN_DAYS` days and not held now
    (the latest such release of each), oldest person first."""
    start = timezone.make_aware(
        datetime.combine(today - timedelta(days=RELEASED_WITHIN_DAYS), time.min)
    )
    rows = (
        Stay.objects.filter(
            end__gte=start,
            end_event__kind=MovementKind.RELEASE,
            legal_status=SCHEDULED_LEGAL_STATUS,
            person__current_institution__isnull=True,
            person__merged_into__isnull=True,
        )
        .order_by("person_id", "-end", "-id")
        .values_list("person_id", "institution_id", "end", "end_event__release_reason")
    )
    found: dict[int, Released] = {}
    for person_id, institution_id, end, reason in rows:
        if person_id not in found:
            found[person_id] = Released(
                person_id, institution_id, timezone.localdate(end), reason or ""
            )
    return list(found.values())


def _held(ctx: DemoContext) -> list[Held]:
    """The sentenced held now (the population), then those released in the last year."""
    current = list(
        Person.objects.filter(pk__in=ctx.population_ids, legal_status=SCHEDULED_LEGAL_STATUS)
        .order_by("pk")
        .values_list("pk", "birth_date", "sex", "current_institution_id", "lawful_until")
    )
    released = released_after_sentence(ctx.today)
    since = sentenced_since([p[0] for p in current] + [r.person_id for r in released])
    persons = {
        pk: (birth, sex)
        for pk, birth, sex in Person.objects.filter(
            pk__in=[r.person_id for r in released]
        ).values_list("pk", "birth_date", "sex")
    }
    held = [
        Held(pk, birth, sex, institution_id, since[pk], ctx.today, lawful_until, False)
        for pk, birth, sex, institution_id, lawful_until in current
        if pk in since
    ]
    held += [
        Held(
            r.person_id,
            *persons[r.person_id],
            r.institution_id,
            since[r.person_id],
            r.released_on,
            r.released_on,
            True,
        )
        for r in released
        if r.person_id in since
    ]
    return held


def _share_assessed(days_held: int) -> float:
    for days, share in SHARE_ASSESSED_BY_DAYS_HELD:
        if days_held < days:
            return share
    return SHARE_ASSESSED_LATER


def _assessment_days(rng: random.Random, held: Held, earliest: date) -> list[tuple[date, str]]:
    """The days of the person's assessments (oldest first) with their kinds; [] if not assessed."""
    start = max(held.since, earliest)
    days_held = (held.end - start).days
    if rng.random() >= _share_assessed(days_held):
        return []
    day = start + timedelta(days=rng.randint(2, min(FIRST_WITHIN_DAYS, days_held)))
    days: list[tuple[date, str]] = [(day, AssessmentKind.ADMISSION)]
    window = (
        add_months(held.end_of_sentence, -PRE_RELEASE_MONTHS)
        if held.end_of_sentence is not None
        else None
    )
    while True:
        day = add_months(day, REASSESS_AFTER_MONTHS) + timedelta(days=rng.randint(*LATE_DAYS))
        if day > held.end or rng.random() < SHARE_MISSED:
            return days
        in_window = window is not None and day >= window
        days.append((day, AssessmentKind.PRE_RELEASE if in_window else AssessmentKind.PERIODIC))


def _age_option(item_codes: list[str], age: int) -> str | None:
    for code in item_codes:
        match = re.fullmatch(r"(\d+)_(\d+|plus)", code)
        if match and int(match[1]) <= age <= (999 if match[2] == "plus" else int(match[2])):
            return code
    return None


def _first_answers(
    rng: random.Random, engine: EngineInstrument, birth: date, sex: str, day: date
) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in engine.items:
        codes = [o.code for o in item.options]
        if item.source.endswith("sex"):
            answers[item.code] = "male" if sex == "M" else "female"
        elif item.source.endswith("date_of_birth"):
            age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
            answers[item.code] = _age_option(codes, age) or codes[-1]
        elif item.layer == "change":
            # Most people start with no progress recorded.
            answers[item.code] = codes[0] if rng.random() < 0.7 else rng.choice(codes)
        else:
            answers[item.code] = rng.choices(codes, weights=range(len(codes), 0, -1))[0]
    return answers


def _later_answers(
    rng: random.Random, engine: EngineInstrument, previous: dict[str, str], birth: date, day: date
) -> dict[str, str]:
    """Six months on: needs often lower, progress often made, now and then a setback."""
    answers = dict(previous)
    for item in engine.items:
        options = sorted(item.options, key=lambda o: o.points)
        current = next(i for i, o in enumerate(options) if o.code == previous[item.code])
        if item.source.endswith("date_of_birth"):
            age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
            answers[item.code] = (
                _age_option([o.code for o in item.options], age) or (previous[item.code])
            )
        elif item.layer in ("dynamic", "change"):
            roll = rng.random()
            if roll < 0.4 and current > 0:
                answers[item.code] = options[current - 1].code
            elif roll > 0.92 and current < len(options) - 1:
                answers[item.code] = options[current + 1].code
    return answers


# Per item, per option: (item, option, points, layer, need area, explanation code).
Contribution = tuple[str, str, int | float, str, str | None, str]


def _contribution_table(
    engine: EngineInstrument, points: dict[tuple[str, str], float]
) -> list[tuple[str, dict[str, Contribution]]]:
    """What each answer contributes, worked out once per instrument rather than per row."""
    return [
        (
            item.code,
            {
                option.code: (
                    item.code,
                    option.code,
                    points[(item.code, option.code)],
                    item.layer,
                    item.need_area,
                    _explanation_code(item, option),
                )
                for option in item.options
            },
        )
        for item in engine.items
    ]


def _contributions(
    table: list[tuple[str, dict[str, Contribution]]], answers: dict[str, str]
) -> list[dict[str, Any]]:
    chosen = [options[answers[code]] for code, options in table]
    weight = sum(abs(c[2]) for c in chosen) or 1.0
    return [
        {
            "item": item,
            "option": option,
            "points": value,
            "share": round(value / weight, 4),
            "layer": layer,
            "need_area": need_area,
            "code": code,
        }
        for item, option, value, layer, need_area, code in chosen
    ]


@transaction.atomic
def assessments(ctx: DemoContext) -> None:
    instrument = instrument_in_force(ctx.today)
    if instrument is None:
        ctx.summary["assessments"] = {"assessments": 0, "note": "no instrument in force"}
        return
    rng = ctx.rng
    engine = instrument.engine
    by_code = sourced_by_item_code(engine)
    integer = engine.points_kind == "integer"
    points = {
        (i.code, o.code): (int(o.points) if integer else float(o.points))
        for i in engine.items
        for o in i.options
    }
    table = _contribution_table(engine, points)
    earliest = max(instrument.valid_from, ctx.today - timedelta(days=HISTORY_DAYS))
    held = _held(ctx)
    bar = ctx.progress("assessments", max(len(held), 1))
    made = {
        "persons": 0,
        "released_assessed": 0,
        "assessments": 0,
        "with_history": 0,
        "overdue": 0,
        "first_scheduled": 0,
    }
    for offset in range(0, len(held), BATCH):
        batch = held[offset : offset + BATCH]
        planned: list[tuple[Held, date, str, dict[str, str]]] = []
        for person in batch:
            days = _assessment_days(rng, person, earliest)
            answers: dict[str, str] = {}
            for index, (day, kind) in enumerate(days):
                if index == 0:
                    answers = _first_answers(rng, engine, person.birth_date, person.sex, day)
                else:
                    answers = _later_answers(rng, engine, answers, person.birth_date, day)
                planned.append((person, day, kind, answers))
            made["persons"] += bool(days)
            made["released_assessed"] += bool(days) and person.released
            made["with_history"] += len(days) > 1
        if not planned:
            bar.advance(len(batch))
            continue
        columns = {
            item.code: np.array([p[3][item.code] for p in planned], dtype=np.str_)
            for item in by_code.items
        }
        totals = total_points(by_code, columns)
        year1 = probabilities(by_code, totals, "year1") if "year1" in engine.calibration else None
        year2 = probabilities(by_code, totals, "year2") if "year2" in engine.calibration else None
        bands = band_index(by_code, totals)
        rows = [
            Assessment(
                person_id=person.person_id,
                instrument=instrument,
                kind=kind,
                assessed_on=day,
                assessor=ctx.system_user,
                institution_id=person.institution_id,
                answers=answers,
                total_points=float(totals[i]),
                probability_year1=float(year1[i]) if year1 is not None else None,
                probability_year2=float(year2[i]) if year2 is not None else None,
                band=engine.bands[int(bands[i])].code,
                contributions=_contributions(table, answers),
                created_at=timezone.make_aware(datetime.combine(day, time(11, 0))),
            )
            for i, (person, day, kind, answers) in enumerate(planned)
        ]
        Assessment.objects.bulk_create(rows, batch_size=1000)
        latest: dict[int, Assessment] = {}
        released = {p.person_id for p in batch if p.released}
        for row in rows:
            if row.person_id not in released:  # probation follows the released, not this list
                latest[row.person_id] = row  # planned oldest first per person
        schedules = [
            Reassessment(
                person_id=person_id,
                due_on=add_months(row.assessed_on, REASSESS_AFTER_MONTHS),
                reason=DueReason.PERIODIC,
                last_assessment=row,
                updated_at=row.created_at,
            )
            for person_id, row in latest.items()
        ]
        # A person admitted through the services already has a schedule (a first assessment):
        # the latest demo assessment sets it, as `assessment_create` would.
        Reassessment.objects.bulk_create(
            schedules,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=["due_on", "reason", "last_assessment", "updated_at"],
        )
        made["assessments"] += len(rows)
        made["overdue"] += sum(s.due_on < ctx.today for s in schedules)
        bar.advance(len(batch))
    # Everyone held under a sentence and not assessed: a first assessment, as the daily job does.
    made["first_scheduled"] = assessment_first_due_sweep(actor=None)
    ctx.summary["assessments"] = made


register("assessments", assessments, after=["custody"])
