"""The demo step: assessments of the sentenced (held now, and released in the last year), dated
within the time each was held under the sentence, some with history; the rest on the schedule for
a first assessment."""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from demo_helpers import generated_demo
from factories import InstitutionFactory, moment, sentenced_person, staff
from qadam.assessment import services
from qadam.assessment.demo import assessments, released_after_sentence
from qadam.assessment.models import Assessment, Reassessment
from qadam.assessment.services import instrument_in_force, score
from qadam.core.roles import Role
from qadam.demo.progress import Progress
from qadam.demo.registry import DemoContext
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


def test_bulk_assessments_match_the_engine_and_show_change() -> None:
    institution = InstitutionFactory()
    reception = staff(Role.RECEPTION, institution)
    admitted = {3: 8, 20: 8, 60: 8, 300: 16}  # days ago → persons
    people = [
        sentenced_person(institution, reception, days_ago=days)
        for days, count in admitted.items()
        for _ in range(count)
    ]
    today = timezone.localdate()
    ctx = DemoContext(
        seed=3,
        scale=0.001,
        today=today,
        start=today.replace(year=today.year - 10),
        system_user=reception,
        out=io.StringIO(),
        progress=lambda name, total: Progress(name, total, io.StringIO()),
        rng=random.Random(3),
        population_ids=[p.pk for p in people],
    )
    assessments(ctx)
    rows = list(Assessment.objects.order_by("person_id", "assessed_on", "pk"))
    per_person = Counter(a.person_id for a in rows)
    assert 15 <= len(per_person) <= 36  # most of those held for months, few of the new
    assert ctx.summary["assessments"]["assessments"] == len(rows)
    assert max(per_person.values()) >= 2  # some have a history that shows change
    # Everyone has a schedule: the latest assessment set the assessed person's (periodic), the
    # admission the others' (a first assessment).
    assert Reassessment.objects.count() == len(people)
    latest = {row.person_id: row for row in rows}
    periodic = Reassessment.objects.filter(reason="periodic")
    assert {r.person_id: r.last_assessment_id for r in periodic} == {
        pk: row.pk for pk, row in latest.items()
    }
    assert set(Reassessment.objects.filter(reason="first").values_list("person_id", flat=True)) == {
        p.pk for p in people
    } - set(latest)
    instrument = instrument_in_force(today)
    assert instrument is not None
    since = services.sentenced_since([p.pk for p in people])
    first_of = {}
    for row in rows:
        first_of.setdefault(row.person_id, row)
        # Dated while held under the sentence, with the instrument in force, never ahead.
        assert max(since[row.person_id], instrument.valid_from) <= row.assessed_on <= today
        # Bulk scoring (numpy) agrees with the engine's one-by-one scoring.
        expected = score(instrument, row.answers)
        assert row.total_points == expected.total_points
        assert row.band == expected.band
        assert row.probability_year1 == pytest.approx(expected.probabilities["year1"])
        assert [(c["points"], c["code"]) for c in row.contributions] == [
            (c["points"], c["code"]) for c in expected.contributions
        ]
    assert {row.kind for row in first_of.values()} == {"admission"}
    assert {row.person_id for row in rows if row.kind == "periodic"} <= {
        pk for pk, count in per_person.items() if count > 1
    }
    assert since[people[0].pk] == moment(3).date()


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with generated_demo(django_db_blocker, only=["institutions", "custody", "assessments"]) as ctx:
        yield ctx


class TestDemoAssessments:
    def test_nobody_held_under_a_sentence_is_left_off_the_schedule(self, demo: DemoContext) -> None:
        held = Person.objects.filter(current_institution__isnull=False)
        sentenced = set(held.filter(legal_status="sentenced").values_list("pk", flat=True))
        scheduled = dict(Reassessment.objects.values_list("person_id", "reason"))
        assert sentenced <= set(scheduled)
        assessed = set(Assessment.objects.values_list("person_id", flat=True))
        first = {pk for pk, reason in scheduled.items() if reason == "first"}
        assert first == sentenced - assessed
        assert len(first) == demo.summary["assessments"]["first_scheduled"] > 0
        # Remand: presumed innocent, not scheduled.
        remand = set(held.filter(legal_status="remand").values_list("pk", flat=True))
        assert remand
        assert not remand & set(scheduled)
        assert services.assessment_first_due_sweep() == 0  # the daily job finds nobody missing

    def test_first_assessments_are_due_a_month_after_being_held(self, demo: DemoContext) -> None:
        rows = list(Reassessment.objects.filter(reason="first"))
        since = services.sentenced_since([r.person_id for r in rows])
        instrument = instrument_in_force(demo.today)
        assert instrument is not None
        for row in rows:
            start = max(since[row.person_id], instrument.valid_from)
            assert row.due_on == start + timedelta(days=30)
        # Some long held and never assessed: overdue; some newly admitted: due soon.
        assert any(r.due_on < demo.today for r in rows)
        assert any(r.due_on >= demo.today for r in rows)

    def test_assessments_fall_within_the_time_held(self, demo: DemoContext) -> None:
        released = {r.person_id: r for r in released_after_sentence(demo.today)}
        rows = list(Assessment.objects.values_list("person_id", "assessed_on", "kind"))
        since = services.sentenced_since({pk for pk, _day, _kind in rows})
        for person_id, day, _kind in rows:
            end = released[person_id].released_on if person_id in released else demo.today
            assert since[person_id] <= day <= end
        kinds = Counter(kind for _pk, _day, kind in rows)
        assert kinds["admission"] == len({pk for pk, _day, _kind in rows})
        assert kinds["periodic"] > 0
        assert kinds["pre_release"] > 0

    def test_some_released_in_the_last_year_were_assessed_while_held(
        self, demo: DemoContext
    ) -> None:
        released = {r.person_id for r in released_after_sentence(demo.today)}
        assessed = set(Assessment.objects.values_list("person_id", flat=True))
        assert len(released & assessed) == demo.summary["assessments"]["released_assessed"] > 0
        # Their next assessment is for probation to schedule: no row on the custody list.
        assert not Reassessment.objects.filter(person_id__in=released).exists()
