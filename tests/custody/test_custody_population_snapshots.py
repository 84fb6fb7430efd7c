"""Month-start population snapshots: always equal to counting the stays directly."""

from __future__ import annotations

import contextlib
import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import (
    CellFactory,
    InstitutionFactory,
    PersonFactory,
    SectionFactory,
    institution_type,
    moment,
    region,
    staff,
)
from qadam.core.errors import ServiceError
from qadam.core.roles import Role
from qadam.custody import population, services, snapshots
from qadam.custody.models import (
    DetentionBasis,
    Institution,
    Movement,
    PopulationSnapshot,
    PopulationSnapshotGeneration,
    Section,
    Stay,
)
from qadam.custody.querysets import end_of_day
from qadam.people.models import Person

pytestmark = pytest.mark.django_db

DIMENSIONS = list(population.DIMENSIONS)


def _institution(code: str, **fields: Any) -> Institution:
    institution: Institution = InstitutionFactory(
        code=code,
        sex_profile=Institution.SexProfile.BOTH,
        age_profile=Institution.AgeProfile.ADULT,
        **fields,
    )
    for sex in "MF":
        for n in range(2):
            SectionFactory(institution=institution, name=f"{code}-{sex}{n}", sex=sex)
        # Persons on remand are held in a pre-trial section (Mandela Rule 11(b)).
        SectionFactory(
            institution=institution, name=f"{code}-{sex}P", sex=sex, type=institution_type("SIZO")
        )
    return institution


def remand_section(institution: Institution, sex: str) -> Section | None:
    """Where a person on remand goes in `institution`: its pre-trial section for their sex."""
    if institution.type.is_pretrial:
        return None
    return institution.sections.filter(sex=sex, type__is_pretrial=True).first()


@pytest.fixture
def world() -> dict[str, Any]:
    a = _institution("SA", region=region("KZ-35"), type=institution_type("MED"))
    b = _institution("SB", region=region("KZ-55"), type=institution_type("MAX"))
    c = InstitutionFactory(code="SC", region=region("KZ-55"))  # men only, no sections
    institutions = [a, b, c]
    return {
        "institutions": institutions,
        "officer": staff(Role.RECEPTION, *institutions),
        "head": staff(Role.HEAD, *institutions),
    }


def at(days_ago: int, hour: int) -> datetime:
    """Midnight (hour 0) is exactly the end of the day before: the instant a day is counted at."""
    return moment(days_ago, hour=hour)


def admit(
    world: dict[str, Any],
    person: Person,
    institution: Institution,
    when: datetime,
    legal_status: str = "sentenced",
) -> Movement:
    section = remand_section(institution, person.sex) if legal_status == "remand" else None
    basis = services.basis_record(
        actor=world["officer"],
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"V-{person.pk}-{when:%Y%m%d%H}",
        issued_on=when.date() - timedelta(days=1),
        valid_until=None,
    )
    return services.person_admit(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=when, institution=institution, section=section),
        legal_status=legal_status,
        basis=basis,
        capacity_override_reason="test",
    )


def release(world: dict[str, Any], person: Person, when: datetime) -> Movement:
    person.refresh_from_db()
    return services.person_release(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=when, institution=person.last_institution),
        release_reason="end_of_sentence",
    )


def assert_equal_to_direct(day: date, institution_ids: list[int] | None = None) -> None:
    for dimension in DIMENSIONS:
        assert population.population_counts(
            day, dimension, institution_ids
        ) == population._direct_counts(day, dimension, institution_ids), (day, dimension)


def stored_days() -> list[date]:
    return list(PopulationSnapshot.objects.values_list("day", flat=True))


def generation() -> int | None:
    return snapshots._generation()


# --- Random ledgers through the services --------------------------------------------------------

EVENTS = st.tuples(
    st.just("event"),
    st.integers(min_value=0, max_value=3),  # which person
    st.sampled_from(
        [
            "admit",
            "admit",
            "transfer_out",
            "transfer_in",
            "section_move",
            "status_change",
            "release",
            "escape",
            "recapture",
            "death",
        ]
    ),
    st.integers(min_value=0, max_value=2),  # which institution (or section)
    st.integers(min_value=0, max_value=150),  # days ago: later steps are often backdated
    st.sampled_from([0, 0, 10, 23]),  # hour: midnight is a day's counting instant
)
CORRECTIONS = st.tuples(st.just("correct"), st.integers(min_value=0, max_value=3))
QUERIES = st.tuples(
    st.just("query"),
    st.integers(min_value=0, max_value=160),
    st.sampled_from(DIMENSIONS),
    st.booleans(),  # scoped to the first institution
)
STEPS = st.lists(st.one_of(EVENTS, CORRECTIONS, QUERIES), min_size=1, max_size=30)


def _event(world: dict[str, Any], person: Person, step: tuple[Any, ...]) -> None:
    _tag, _who, action, which, days_ago, hour = step
    officer = world["officer"]
    institution = world["institutions"][which]
    when = at(days_ago, hour)
    person.refresh_from_db()
    here = person.current_institution or person.last_institution or institution
    sections = [s for s in here.sections.all() if s.sex == person.sex]
    if action == "admit":
        admit(world, person, institution, when, legal_status=["remand", "sentenced"][which % 2])
    elif action == "transfer_out":
        services.person_transfer_out(
            actor=officer,
            person=person,
            data=services.MovementInput(occurred_at=when, institution=here, reason="r"),
            destination=institution,
            escort="Convoy",
            capacity_override_reason="test",
        )
    elif action == "transfer_in":
        pending = Movement.objects.filter(person=person, kind="transfer_out").last()
        destination = pending.destination if pending is not None else institution
        last = Stay.objects.filter(person=person).order_by("start").last()
        remand = last is not None and last.legal_status == "remand"
        services.person_transfer_in(
            actor=officer,
            person=person,
            data=services.MovementInput(
                occurred_at=when,
                institution=destination,
                section=remand_section(destination, person.sex) if remand else None,
            ),
        )
    elif action == "section_move":
        section = sections[which % len(sections)] if sections else None
        services.person_move_section(
            actor=officer,
            person=person,
            data=services.MovementInput(occurred_at=when, institution=here, section=section),
        )
    elif action == "status_change":
        services.person_change_status(
            actor=officer,
            person=person,
            data=services.MovementInput(occurred_at=when, institution=here),
            legal_status="sentenced" if person.legal_status == "remand" else "remand",
        )
    elif action == "release":
        services.person_release(
            actor=officer,
            person=person,
            data=services.MovementInput(occurred_at=when, institution=here),
            release_reason="end_of_sentence",
        )
    elif action == "escape":
        services.person_escape(
            actor=officer, person=person, data=services.MovementInput(when, here)
        )
    elif action == "recapture":
        services.person_recapture(
            actor=officer, person=person, data=services.MovementInput(when, institution)
        )
    elif action == "death":
        services.person_death(
            actor=officer,
            person=person,
            data=services.MovementInput(occurred_at=when, institution=here, reason="Illness"),
        )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_snapshots_equal_the_direct_count_for_any_ledger(
    world: dict[str, Any], steps: list[tuple[Any, ...]]
) -> None:
    persons = [PersonFactory(sex=sex) for sex in "MFMF"]
    scope = [world["institutions"][0].pk]
    for step in steps:
        if step[0] == "event":
            # Refused events write nothing; backdated ones that fit are written.
            with contextlib.suppress(ServiceError):
                _event(world, persons[step[1]], step)
        elif step[0] == "correct":
            last = Movement.objects.filter(person=persons[step[1]]).effective().last()
            if last is not None:
                with contextlib.suppress(ServiceError):
                    services.movement_correct(actor=world["head"], movement=last, reason="Wrong")
        else:
            _tag, days_ago, dimension, scoped = step
            day = timezone.localdate() - timedelta(days=days_ago)
            ids = scope if scoped else None
            assert population.population_counts(day, dimension, ids) == population._direct_counts(
                day, dimension, ids
            ), (day, dimension, ids)
    # Every stored snapshot still equals the direct count on its day.
    for snapshot in PopulationSnapshot.objects.all():
        assert snapshots.counts_by_key(snapshot.day) == snapshots.direct_counts(snapshot.day)
    today = timezone.localdate()
    for day in (today, today - timedelta(days=45), today - timedelta(days=100)):
        assert_equal_to_direct(day)
        assert_equal_to_direct(day, scope)


# --- Invalidation -------------------------------------------------------------------------------


def _month_starts(days_back: int) -> list[date]:
    today = timezone.localdate()
    day = snapshots.month_start(today - timedelta(days=days_back))
    result = []
    while day <= snapshots.last_storable_day(today):
        result.append(day)
        day = snapshots.next_month(day)
    return result


def test_a_backdated_event_deletes_the_snapshots_after_it(world: dict[str, Any]) -> None:
    a = world["institutions"][0]
    held = PersonFactory()
    admit(world, held, a, at(200, 10))
    months = _month_starts(200)
    for day in months:
        snapshots.ensure_snapshot(day)
    assert stored_days() == months
    before = generation()
    # Released 60 days ago, recorded only now: the snapshots from that day on are deleted.
    released = release(world, held, at(60, 10))
    cut = timezone.localdate() - timedelta(days=60)
    assert stored_days() == [day for day in months if day < cut]
    assert generation() != before
    assert_equal_to_direct(timezone.localdate() - timedelta(days=30))
    for day in months:
        snapshots.ensure_snapshot(day)
    assert stored_days() == months
    # A correction (of that release) is a change back to day 60 too.
    services.movement_correct(actor=world["head"], movement=released, reason="Wrong person")
    assert stored_days() == [day for day in months if day < cut]
    for day in months:
        assert_equal_to_direct(day)
    assert population.population_counts(months[-1]) == {a.pk: 1}


def test_events_of_today_leave_the_snapshots_alone(world: dict[str, Any]) -> None:
    a = world["institutions"][0]
    admit(world, PersonFactory(), a, at(100, 10))
    months = _month_starts(100)
    for day in months:
        snapshots.ensure_snapshot(day)
    before = generation()
    newcomer = PersonFactory()
    admit(world, newcomer, a, end_of_day(timezone.localdate() - timedelta(days=1)))
    release(world, newcomer, end_of_day(timezone.localdate() - timedelta(days=1)))
    assert stored_days() == months
    assert generation() == before


def test_a_backdated_move_to_another_cell_changes_no_count(world: dict[str, Any]) -> None:
    a = world["institutions"][0]
    section = a.sections.get(name="SA-M0")
    cells = [CellFactory(section=section, number=str(n)) for n in range(2)]
    person = PersonFactory()
    basis = services.basis_record(
        actor=world["officer"],
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number="V-cell",
        issued_on=at(101, 10).date(),
        valid_until=None,
    )
    services.person_admit(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(at(100, 10), a, section=section, cell=cells[0]),
        legal_status="sentenced",
        basis=basis,
    )
    months = _month_starts(100)
    for day in months:
        snapshots.ensure_snapshot(day)
    before = generation()
    services.person_move_section(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(at(80, 10), a, section=section, cell=cells[1]),
    )
    # The stay is split at day 80 but every count stays the same: nothing is dropped.
    assert stored_days() == months
    assert generation() == before


def test_earliest_difference_of_two_sets_of_stays() -> None:
    t = [timezone.make_aware(datetime(2025, 1, d, 10)) for d in range(1, 6)]
    stay = (1, 10, "sentenced", "M", t[0], t[3])
    assert snapshots.earliest_difference([stay], [stay]) is None
    # Split in two with the same key (a move to another cell): no difference.
    split = [(1, 10, "sentenced", "M", t[0], t[1]), (1, 10, "sentenced", "M", t[1], t[3])]
    assert snapshots.earliest_difference([stay], split) is None
    # Ended earlier: the populations differ from the new end on.
    assert snapshots.earliest_difference([stay], [(1, 10, "sentenced", "M", t[0], t[2])]) == t[2]
    # Another section from t[1]: the difference starts there.
    moved = [(1, 10, "sentenced", "M", t[0], t[1]), (1, 11, "sentenced", "M", t[1], t[3])]
    assert snapshots.earliest_difference([stay], moved) == t[1]
    assert snapshots.earliest_difference([], [stay]) == t[0]


# --- Month boundaries, scope, dimensions --------------------------------------------------------


def test_month_boundary_instants(world: dict[str, Any]) -> None:
    a, b = world["institutions"][:2]
    today = timezone.localdate()
    first = snapshots.month_start(today - timedelta(days=70))
    # Exactly at the end of the 1st (midnight starting the 2nd): not yet on the 1st's roll.
    early = end_of_day(first)
    # Exactly at the start of the 1st: on the roll at its end.
    earlier = end_of_day(first - timedelta(days=1))
    p1, p2, p3 = PersonFactory(), PersonFactory(sex="F"), PersonFactory()
    admit(world, p1, a, early)
    admit(world, p2, b, earlier, legal_status="remand")
    admit(world, p3, a, earlier - timedelta(days=3))
    release(world, p3, early)  # released at the instant the 1st is counted: still counted
    for day in (first - timedelta(days=1), first, first + timedelta(days=1)):
        population.population_counts(day)  # stores the snapshots around the boundary
        assert_equal_to_direct(day)
    assert population.population_counts(first - timedelta(days=1)) == {a.pk: 1}
    assert population.population_counts(first) == {a.pk: 1, b.pk: 1}
    assert population.population_counts(first + timedelta(days=1)) == {a.pk: 1, b.pk: 1}
    assert population.population_counts(first, "legal_status") == {
        "sentenced": 1,
        "remand": 1,
    }


def test_every_dimension_and_scope_through_a_stored_snapshot(world: dict[str, Any]) -> None:
    a, b, c = world["institutions"]
    today = timezone.localdate()
    sexes = "MFMMFM"
    for n, sex in enumerate(sexes):
        person = PersonFactory(sex=sex, birth_date=date(1960 + 8 * n, 3, 1))
        institution = [a, b, c][n % 3] if sex == "M" else [a, b][n % 2]
        admit(world, person, institution, at(90 - 10 * n, 10), ["remand", "sentenced"][n % 2])
        if n % 2:
            services.person_move_section(
                actor=world["officer"],
                person=person,
                data=services.MovementInput(
                    at(40 - n, 10),
                    institution,
                    section=institution.sections.filter(sex=sex).first(),
                ),
            )
    moved = Person.objects.filter(current_institution=a).first()
    assert moved is not None
    services.person_transfer_out(
        actor=world["officer"],
        person=moved,
        data=services.MovementInput(at(20, 10), a, reason="Closer to family"),
        destination=b,
        escort="Convoy",
    )
    days = [today - timedelta(days=d) for d in (0, 15, 25, 33, 45, 61, 75, 95)]
    for day in days:
        for scope in (None, [a.pk], [b.pk, c.pk], []):
            assert_equal_to_direct(day, scope)
    assert stored_days()  # the months were stored on the way
    for day in days:
        for scope in (None, [a.pk], [b.pk, c.pk], []):
            assert_equal_to_direct(day, scope)
    assert population.population_counts(today, "institution", []) == {}


def test_days_before_any_stay_and_in_the_future(world: dict[str, Any]) -> None:
    a = world["institutions"][0]
    admit(world, PersonFactory(), a, at(10, 10))
    today = timezone.localdate()
    assert population.population_counts(today - timedelta(days=4000)) == {}
    assert population.population_counts(today + timedelta(days=3)) == {a.pk: 1}


def test_the_demo_chain_equals_the_direct_count(world: dict[str, Any]) -> None:
    a, b = world["institutions"][:2]
    for n in range(4):
        person = PersonFactory(sex="MF"[n % 2])
        admit(world, person, [a, b][n % 2], at(400 - 70 * n, 10))
        if n < 2:
            release(world, person, at(200 - 60 * n, 0))
    population.population_counts(timezone.localdate() - timedelta(days=300))
    stored = snapshots.build_month_snapshots()
    months = _month_starts(400)
    assert stored_days() == months
    assert stored == len(months)
    for day in months:
        assert snapshots.counts_by_key(day) == snapshots.direct_counts(day)
    assert_equal_to_direct(timezone.localdate() - timedelta(days=150))


# --- The race between a reader storing a snapshot and a backdated writer -------------------------


def test_a_snapshot_computed_while_a_backdated_change_came_in_is_not_stored(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = world["institutions"][0]
    person = PersonFactory()
    admit(world, person, a, at(100, 10))
    target = snapshots.month_start(timezone.localdate() - timedelta(days=40))
    counted = snapshots.direct_counts

    def count_then_release(day: date, institution_ids: Any = None) -> Any:
        stale = counted(day, institution_ids)
        monkeypatch.setattr(snapshots, "direct_counts", counted)
        release(world, person, at(70, 10))  # a writer commits while the reader counts
        return stale

    monkeypatch.setattr(snapshots, "direct_counts", count_then_release)
    assert snapshots.ensure_snapshot(target) is None
    assert stored_days() == []
    # The reader looks again and counts what is there now.
    assert population.population_counts(target) == {}
    assert stored_days() == [target]


def test_a_read_that_sees_the_generation_move_reads_again(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = world["institutions"][0]
    person = PersonFactory()
    admit(world, person, a, at(100, 10))
    day = timezone.localdate() - timedelta(days=30)
    population.population_counts(day)
    runs = snapshots._run
    calls: list[int] = []

    def run_after_a_writer(parts: Any) -> Any:
        if not calls:  # between finding the snapshot and counting, a backdated release
            release(world, person, at(50, 10))
        calls.append(1)
        return runs(parts)

    monkeypatch.setattr(snapshots, "_run", run_after_a_writer)
    assert population.population_counts(day) == {}
    assert len(calls) >= 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_backdated_writer_and_storing_reader() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the generation row lock orders the reader and the writer")
    a = InstitutionFactory(code="RA")
    world = {"officer": staff(Role.RECEPTION, a)}
    person = PersonFactory()
    admit(world, person, a, at(100, 10))
    target = snapshots.month_start(timezone.localdate() - timedelta(days=40))
    written = threading.Event()
    errors: list[BaseException] = []

    def backdated_release() -> None:
        try:
            with transaction.atomic():
                release(world, person, at(70, 10))
                written.set()
                threading.Event().wait(0.5)  # hold the transaction while the reader counts
        except BaseException as error:  # reported below
            errors.append(error)
            written.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=backdated_release)
    writer.start()
    assert written.wait(timeout=10)
    stored = snapshots.ensure_snapshot(target)  # counts the old stays, then waits for the lock
    writer.join(timeout=30)
    assert not errors, errors
    # Whatever the timing, a stored snapshot is the true count of its day.
    if stored is not None:
        assert snapshots.counts_by_key(target) == snapshots.direct_counts(target)
    assert population.population_counts(target) == {}
    assert snapshots.counts_by_key(target) == snapshots.direct_counts(target)
    assert PopulationSnapshotGeneration.objects.get().value >= 1


def test_the_nearest_storable_first_of_a_month_serves_a_day() -> None:
    today = date(2026, 11, 26)
    assert snapshots.snapshot_days_for(date(2026, 3, 10), today) == [
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    assert snapshots.snapshot_days_for(date(2026, 3, 20), today) == [
        date(2026, 4, 1),
        date(2026, 3, 1),
    ]
    assert snapshots.snapshot_days_for(date(2026, 3, 1), today)[0] == date(2026, 3, 1)
    # A snapshot is stored only for a day that ended a whole day before today.
    assert snapshots.last_storable_day(today) == date(2026, 11, 24)
    assert snapshots.snapshot_days_for(date(2026, 10, 25), today) == [
        date(2026, 11, 1),
        date(2026, 10, 1),
    ]
    assert snapshots.snapshot_days_for(today, today) == [date(2026, 11, 1)]
    assert snapshots.snapshot_days_for(date(2026, 12, 2), date(2026, 12, 2)) == [date(2026, 11, 1)]
    with pytest.raises(ValueError, match="too recent"):
        snapshots.ensure_snapshot(timezone.localdate() - timedelta(days=1))


def test_a_busy_database_leaves_the_snapshot_for_later(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    a = world["institutions"][0]
    admit(world, PersonFactory(), a, at(100, 10))
    day = timezone.localdate() - timedelta(days=40)

    def locked() -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(snapshots, "_locked_generation", locked)
    assert population.population_counts(day) == {a.pk: 1}  # counted directly
    assert stored_days() == []
