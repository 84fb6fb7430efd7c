"""The ledger services: happy paths, each refusal, and that a refusal writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Movement, Stay
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict:
    a = InstitutionFactory(code="A")
    b = InstitutionFactory(code="B")
    officer = staff(Role.RECEPTION, a, b)
    return {"a": a, "b": b, "officer": officer}


def admit(world: dict, person: Person | None = None, days_ago: int = 30) -> Person:
    person = person or PersonFactory()
    basis = services.basis_record(
        actor=world["officer"],
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number="1-1",
        issued_on=moment(days_ago + 1).date(),
        valid_until=moment(-60).date(),
    )
    services.person_admit(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(days_ago), institution=world["a"]),
        legal_status="remand",
        basis=basis,
    )
    person.refresh_from_db()
    return person


def test_admission_opens_a_stay_and_audits(world: dict) -> None:
    person = admit(world)
    assert person.current_institution == world["a"]
    assert person.legal_status == "remand"
    stay = Stay.objects.get(person=person)
    assert stay.end is None
    assert AuditEvent.objects.filter(person_id=person.pk, verb="person admitted").count() == 1


def test_second_admission_is_refused_and_writes_nothing(world: dict) -> None:
    person = admit(world)
    basis = DetentionBasis.objects.get(person=person)
    before = (Movement.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ConflictError) as error:
        services.person_admit(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(occurred_at=moment(5), institution=world["b"]),
            legal_status="remand",
            basis=basis,
        )
    assert "already in custody" in error.value.as_list()[0]
    assert (Movement.objects.count(), AuditEvent.objects.count()) == before


def test_transfer_arrives_only_where_sent(world: dict) -> None:
    person = admit(world)
    c = InstitutionFactory(code="C")
    services.person_transfer_out(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(3), institution=world["a"], reason="court"),
        destination=world["b"],
        escort="Convoy 1",
    )
    officer_c = staff(Role.RECEPTION, c)
    with pytest.raises(ConflictError):
        services.person_transfer_in(
            actor=officer_c,
            person=person,
            data=services.MovementInput(occurred_at=moment(2), institution=c),
        )
    services.person_transfer_in(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(2), institution=world["b"]),
    )
    person.refresh_from_db()
    assert person.current_institution == world["b"]
    assert list(Stay.objects.filter(person=person).values_list("institution__code", flat=True)) == [
        "A",
        "B",
    ]


def test_release_before_admission_is_refused(world: dict) -> None:
    person = admit(world, days_ago=10)
    with pytest.raises(ConflictError):
        services.person_release(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(occurred_at=moment(20), institution=world["a"]),
            release_reason="court_decision",
        )


def test_future_dates_are_refused(world: dict) -> None:
    person = admit(world)
    with pytest.raises(ServiceError) as error:
        services.person_release(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(0) + timedelta(days=2), institution=world["a"]
            ),
            release_reason="court_decision",
        )
    assert "occurred_at" in error.value.errors


def test_correction_reverses_and_restores(world: dict) -> None:
    person = admit(world)
    release = services.person_release(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(1), institution=world["a"]),
        release_reason="court_decision",
    )
    head = staff(Role.HEAD, world["a"])
    services.movement_correct(actor=head, movement=release, reason="released by mistake")
    person.refresh_from_db()
    assert person.current_institution == world["a"]
    assert Movement.objects.filter(person=person).count() == 3  # nothing edited, one added
