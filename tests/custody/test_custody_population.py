"""Population on a date (as known now and as recorded at a moment), occupancy and flows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from factories import (
    CellFactory,
    InstitutionFactory,
    PersonFactory,
    SectionFactory,
    moment,
    region,
    staff,
)
from qadam.core.roles import Role
from qadam.custody import population, services
from qadam.custody.models import DetentionBasis, Movement
from qadam.custody.querysets import end_of_day
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    # Men and women, adults and minors in separate sections of one institution (Rule 11).
    a = InstitutionFactory(
        code="A",
        region=region("KZ-35"),
        operational_capacity=3,
        design_capacity=4,
        sex_profile="MF",
        age_profile="both",
    )
    b = InstitutionFactory(code="B", region=region("KZ-55"), sex_profile="MF")
    officer = staff(Role.RECEPTION, a, b)
    head = staff(Role.HEAD, a, b)
    return {"a": a, "b": b, "officer": officer, "head": head}


def admit(
    world: dict[str, Any],
    institution: Any,
    days_ago: int,
    *,
    at: datetime | None = None,
    **person: Any,
) -> Person:
    p = PersonFactory(**person)
    basis = services.basis_record(
        actor=world["officer"],
        person=p,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"V-{p.pk}",
        issued_on=moment(days_ago + 1).date(),
        valid_until=None,
    )
    services.person_admit(
        actor=world["officer"],
        person=p,
        data=services.MovementInput(occurred_at=at or moment(days_ago), institution=institution),
        legal_status="sentenced",
        basis=basis,
    )
    p.refresh_from_db()
    return p


def release(world: dict[str, Any], person: Person, days_ago: int) -> Movement:
    return services.person_release(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(
            occurred_at=moment(days_ago), institution=person.current_institution
        ),
        release_reason="end_of_sentence",
    )


def test_population_on_a_date_counts_who_was_on_the_roll(world: dict[str, Any]) -> None:
    p1 = admit(world, world["a"], 20)
    admit(world, world["a"], 10)
    admit(world, world["b"], 15)
    release(world, p1, 5)
    today = timezone.localdate()
    a, b = world["a"].pk, world["b"].pk
    assert population.population_counts(today - timedelta(days=25)) == {}
    assert population.population_counts(today - timedelta(days=12)) == {a: 1, b: 1}
    assert population.population_counts(today - timedelta(days=7)) == {a: 2, b: 1}
    assert population.population_counts(today) == {a: 1, b: 1}
    # Scoped to institution A only.
    assert population.population_counts(today - timedelta(days=7), institution_ids=[a]) == {a: 2}


def test_population_by_institution_is_two_queries_whatever_the_data(world: dict[str, Any]) -> None:
    admit(world, world["a"], 40)
    today = timezone.localdate()
    population.population_counts(today, "institution")  # stores the month's snapshot
    with CaptureQueriesContext(connection) as queries:
        population.population_counts(today, "institution")
    # The snapshot's id, then one statement: its counts and the stays started and ended since.
    assert len(queries.captured_queries) == 2
    # Events of today (here at midnight, never in the future) leave the stored snapshot as it is.
    for _ in range(3):
        admit(world, world["b"], 0, at=end_of_day(today - timedelta(days=1)))
    with CaptureQueriesContext(connection) as queries:
        assert population.population_counts(today, "institution") == {
            world["a"].pk: 1,
            world["b"].pk: 3,
        }
    assert len(queries.captured_queries) == 2


def test_groupings(world: dict[str, Any]) -> None:
    today = timezone.localdate()
    admit(world, world["a"], 3, birth_date=date(today.year - 17, 1, 1), case_number="Q-1")
    admit(world, world["a"], 3, birth_date=date(today.year - 30, 1, 1), sex="F", case_number="Q-2")
    admit(world, world["b"], 3, birth_date=date(today.year - 70, 1, 1), case_number="Q-3")
    assert population.population_counts(today, "sex") == {"M": 2, "F": 1}
    # Birth dates on 1 January: the age in whole years is the year difference on any later day.
    assert population.population_counts(today, "age_band") == {
        "under-18": 1,
        "25-34": 1,
        "65+": 1,
    }
    assert population.population_counts(today, "legal_status") == {"sentenced": 3}
    assert population.population_counts(today, "region") == {
        region("KZ-35").pk: 2,
        region("KZ-55").pk: 1,
    }
    assert population.population_counts(today, "institution_type") == {world["a"].type_id: 3}


def test_age_band_edges() -> None:
    day = date(2026, 3, 1)
    assert population.age_band(date(2008, 3, 1), day) == "18-24"  # 18th birthday today
    assert population.age_band(date(2008, 3, 2), day) == "under-18"
    assert population.age_band(date(1961, 3, 1), day) == "65+"
    assert population.age_band(date(1961, 3, 2), day) == "50-64"
    # Born on 29 February: 18 on 28 February of a non-leap year, as Person.age_on counts.
    assert population.age_band(date(2004, 2, 29), date(2022, 2, 28)) == "under-18"
    assert population.age_band(date(2004, 2, 29), date(2022, 3, 1)) == "18-24"


def test_as_recorded_differs_from_as_known_after_a_correction(world: dict[str, Any]) -> None:
    person = admit(world, world["a"], 10)
    wrong_release = release(world, person, 5)
    day = timezone.localdate() - timedelta(days=2)
    a = world["a"].pk
    assert population.population_counts(day) == {}
    before_correction = timezone.now()
    services.movement_correct(
        actor=world["head"], movement=wrong_release, reason="Released in error: wrong person"
    )
    # As known now the person was never released; as recorded before the correction they were.
    assert population.population_counts(day) == {a: 1}
    assert population.population_counts_as_recorded(day, timezone.now()) == {a: 1}
    assert population.population_counts_as_recorded(day, before_correction) == {}
    # Before the admission was recorded nobody was on the roll at all.
    admission = Movement.objects.get(person=person, kind="admission")
    earlier = admission.recorded_at - timedelta(seconds=1)
    assert population.population_counts_as_recorded(day - timedelta(days=5), earlier) == {}


def test_as_recorded_agrees_with_stays_when_nothing_was_corrected(world: dict[str, Any]) -> None:
    p1 = admit(world, world["a"], 20, birth_date=date(1950, 6, 1), case_number="Q-4")
    admit(world, world["b"], 18, sex="F", case_number="Q-5")
    services.person_transfer_out(
        actor=world["officer"],
        person=p1,
        data=services.MovementInput(occurred_at=moment(8), institution=world["a"], reason="r"),
        destination=world["b"],
        escort="Convoy",
    )
    services.person_transfer_in(
        actor=world["officer"],
        person=p1,
        data=services.MovementInput(occurred_at=moment(7), institution=world["b"]),
    )
    now = timezone.now()
    for days in (25, 15, 8, 7, 0):
        day = timezone.localdate() - timedelta(days=days)
        for dimension in population.DIMENSIONS:
            assert population.population_counts_as_recorded(
                day, now, dimension
            ) == population.population_counts(day, dimension), (days, dimension)


def test_occupancy_against_capacity_and_living_space(world: dict[str, Any], settings: Any) -> None:
    settings.LIVING_SPACE_NORM_M2 = 4
    section = SectionFactory(institution=world["a"])
    CellFactory(section=section, area_m2=10)
    CellFactory(section=section, area_m2=6)
    for n in range(2):
        admit(world, world["a"], 3, case_number=f"Q-O{n}")
    occupancy = population.occupancy_of([world["a"]])[0]
    assert occupancy.population == 2
    assert occupancy.living_space_m2 == 16
    assert occupancy.living_space_places == 4
    assert occupancy.operational_percent == pytest.approx(200 / 3)
    assert occupancy.design_percent == pytest.approx(50.0)
    assert occupancy.living_space_percent == pytest.approx(50.0)
    assert not occupancy.is_over_capacity


def test_flows_between_two_dates(world: dict[str, Any]) -> None:
    p1 = admit(world, world["a"], 20, case_number="Q-W1")
    p2 = admit(world, world["a"], 9, case_number="Q-W2")
    release(world, p1, 6)
    services.person_escape(
        actor=world["officer"],
        person=p2,
        data=services.MovementInput(occurred_at=moment(4), institution=world["a"]),
    )
    today = timezone.localdate()
    flows = population.flows(today - timedelta(days=10), today)
    assert flows.admissions == {"sentenced": 1}
    assert flows.releases == {"end_of_sentence": 1}
    assert flows.escapes == 1
    assert flows.transfers_out == 0
    whole = population.flows(today - timedelta(days=30), today, [world["b"].pk])
    assert whole.admissions_total == 0
