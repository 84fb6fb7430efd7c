"""Demo data: assessments for a share of the sentenced population, some with a history of two or
three assessments six months apart that shows change (needs met, progress made). Answers are
drawn per person (static items from the record where it has them), scored in bulk with the
engine's batch scoring, and written with bulk_create."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import transaction

from qadam.assessment.engine import Instrument as EngineInstrument
from qadam.assessment.engine.batch import (
    band_index,
    probabilities,
    sourced_by_item_code,
    total_points,
)
from qadam.assessment.engine.scoring import _explanation_code
from qadam.assessment.models import Assessment, AssessmentKind, DueReason, Reassessment
from qadam.assessment.services import REASSESS_AFTER_MONTHS, add_months, instrument_in_force
from qadam.demo.registry import DemoContext, register
from qadam.people.models import Person

SHARE_ASSESSED = 0.4
SHARE_WITH_HISTORY = 0.5
BATCH = 2000


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


def _contributions(
    engine: EngineInstrument, answers: dict[str, str], points: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    chosen = [(item, item.option(answers[item.code])) for item in engine.items]
    weight = sum(abs(points[(i.code, o.code)]) for i, o in chosen if o is not None) or 1.0
    rows = []
    for item, option in chosen:
        assert option is not None
        value = points[(item.code, option.code)]
        rows.append(
            {
                "item": item.code,
                "option": option.code,
                "points": value,
                "share": round(value / weight, 4),
                "layer": item.layer,
                "need_area": item.need_area,
                "code": _explanation_code(item, option),
            }
        )
    return rows


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
    earliest = max(instrument.valid_from, ctx.today - timedelta(days=400))
    people = list(
        Person.objects.filter(pk__in=ctx.population_ids, legal_status="sentenced")
        .order_by("pk")
        .values_list("pk", "birth_date", "sex", "current_institution_id")
    )
    chosen = [p for p in people if rng.random() < SHARE_ASSESSED]
    bar = ctx.progress("assessments", max(len(chosen), 1))
    made = {"persons": 0, "assessments": 0, "with_history": 0, "overdue": 0}
    for offset in range(0, len(chosen), BATCH):
        batch = chosen[offset : offset + BATCH]
        planned: list[tuple[int, int | None, date, str, dict[str, str]]] = []
        for person_id, birth, sex, institution_id in batch:
            count = rng.choice((2, 3)) if rng.random() < SHARE_WITH_HISTORY else 1
            last = max(ctx.today - timedelta(days=rng.randint(0, 240)), earliest)
            days = [add_months(last, -REASSESS_AFTER_MONTHS * k) for k in range(count)][::-1]
            days = [d for d in days if d >= earliest]
            answers = _first_answers(rng, engine, birth, sex, days[0])
            for index, day in enumerate(days):
                if index:
                    answers = _later_answers(rng, engine, answers, birth, day)
                kind = AssessmentKind.ADMISSION if index == 0 else AssessmentKind.PERIODIC
                planned.append((person_id, institution_id, day, kind, answers))
            made["with_history"] += len(days) > 1
        columns = {
            item.code: np.array([p[4][item.code] for p in planned], dtype=np.str_)
            for item in by_code.items
        }
        totals = total_points(by_code, columns)
        year1 = probabilities(by_code, totals, "year1") if "year1" in engine.calibration else None
        year2 = probabilities(by_code, totals, "year2") if "year2" in engine.calibration else None
        bands = band_index(by_code, totals)
        rows = [
            Assessment(
                person_id=person_id,
                instrument=instrument,
                kind=kind,
                assessed_on=day,
                assessor=ctx.system_user,
                institution_id=institution_id,
                answers=answers,
                total_points=float(totals[i]),
                probability_year1=float(year1[i]) if year1 is not None else None,
                probability_year2=float(year2[i]) if year2 is not None else None,
                band=engine.bands[int(bands[i])].code,
                contributions=_contributions(engine, answers, points),
            )
            for i, (person_id, institution_id, day, kind, answers) in enumerate(planned)
        ]
        Assessment.objects.bulk_create(rows, batch_size=1000)
        latest: dict[int, Assessment] = {}
        for row in rows:
            latest[row.person_id] = row  # planned oldest first per person
        schedules = [
            Reassessment(
                person_id=person_id,
                due_on=add_months(row.assessed_on, REASSESS_AFTER_MONTHS),
                reason=DueReason.PERIODIC,
                last_assessment=row,
            )
            for person_id, row in latest.items()
        ]
        # A person admitted through the services already has a schedule (admission): the
        # latest demo assessment sets it, as `assessment_create` would.
        Reassessment.objects.bulk_create(
            schedules,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=["due_on", "reason", "last_assessment"],
        )
        made["persons"] += len(latest)
        made["assessments"] += len(rows)
        made["overdue"] += sum(s.due_on < ctx.today for s in schedules)
        bar.advance(len(batch))
    ctx.summary["assessments"] = made


register("assessments", assessments, after=["custody"])
