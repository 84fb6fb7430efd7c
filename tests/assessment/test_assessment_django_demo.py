"""The demo step: assessments for a share of the sentenced population, some with history."""

from __future__ import annotations

import io
import random
from collections import Counter

import pytest
from django.utils import timezone

from factories import InstitutionFactory, remanded_person, staff
from qadam.assessment.demo import assessments
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
    people = [remanded_person(institution, reception) for _ in range(40)]
    Person.objects.filter(pk__in=[p.pk for p in people]).update(legal_status="sentenced")
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
    assert 5 <= len(per_person) <= 30  # about 40 % of 40
    assert ctx.summary["assessments"]["assessments"] == len(rows)
    # Everyone was admitted through the services (a schedule each); the latest assessment of each
    # assessed person set theirs to the periodic date.
    assert Reassessment.objects.count() == len(people)
    latest = {row.person_id: row for row in rows}
    periodic = Reassessment.objects.filter(reason="periodic")
    assert {r.person_id: r.last_assessment_id for r in periodic} == {
        pk: row.pk for pk, row in latest.items()
    }
    assert max(per_person.values()) >= 2  # some have a history that shows change
    instrument = instrument_in_force(today)
    assert instrument is not None
    for row in rows:
        # Bulk scoring (numpy) agrees with the engine's one-by-one scoring.
        expected = score(instrument, row.answers)
        assert row.total_points == expected.total_points
        assert row.band == expected.band
        assert row.probability_year1 == pytest.approx(expected.probabilities["year1"])
        assert [c["points"] for c in row.contributions] == [
            c["points"] for c in expected.contributions
        ]
        assert row.assessed_on >= instrument.valid_from
