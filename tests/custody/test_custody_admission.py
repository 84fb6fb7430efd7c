"""admission_create: one transaction for person, basis, admission event and Rule 7 record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Movement, Stay
from qadam.people.identity import make_iin
from qadam.people.models import AdmissionRecord, Child, NextOfKin, Person, PropertyItem
from qadam.people.services import (
    AdmissionRecordInput,
    ChildInput,
    IdentityInput,
    KinInput,
    PropertyInput,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A", operational_capacity=2)
    return {"a": a, "officer": staff(Role.RECEPTION, a)}


def identity(**overrides: Any) -> IdentityInput:
    from datetime import date

    born = overrides.pop("birth_date", date(1988, 3, 9))
    sex = overrides.pop("sex", "M")
    values: dict[str, Any] = {
        "surname": "Сапаров",
        "first_name": "Айдар",
        "patronymic": "Маратович",
        "birth_date": born,
        "sex": sex,
        "iin": make_iin(born, sex, 4242),
    }
    values.update(overrides)
    return IdentityInput(**values)


def record(**overrides: Any) -> AdmissionRecordInput:
    values: dict[str, Any] = {
        "commitment_reason": "Suspected theft, CC art. 188",
        "commitment_authority": "Investigator, Almaty police",
        "arrested_at": moment(3),
        "arrest_place": "Almaty, Abay avenue 10",
        "rights_informed_at": moment(2),
        "information_language": "kk",
        "next_of_kin": [KinInput(name="Сапарова Гульнара", relationship="wife", phone="+7 701")],
        "children": [
            ChildInput(
                name="Сапаров Ержан",
                birth_date=moment(3000).date(),
                whereabouts="at home",
                carer="mother",
            )
        ],
        "property": [PropertyInput(description="Phone", quantity=1, storage="locker 3")],
    }
    values.update(overrides)
    return AdmissionRecordInput(**values)


def basis(**overrides: Any) -> services.BasisInput:
    values: dict[str, Any] = {
        "kind": DetentionBasis.Kind.REMAND_ORDER,
        "authority": "Almaty district court",
        "document_number": "1-77",
        "issued_on": moment(2).date(),
        "valid_until": moment(-60).date(),
    }
    values.update(overrides)
    return services.BasisInput(**values)


def admit(world: dict[str, Any], **overrides: Any) -> Movement:
    values: dict[str, Any] = {
        "actor": world["officer"],
        "data": services.MovementInput(occurred_at=moment(1), institution=world["a"]),
        "legal_status": "remand",
        "basis": basis(),
        "record": record(),
        "identity": identity(),
    }
    values.update(overrides)
    return services.admission_create(**values)


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Movement.objects.count(),
        AuditEvent.objects.count(),
        AdmissionRecord.objects.count(),
        DetentionBasis.objects.count(),
        Stay.objects.count(),
        NextOfKin.objects.count(),
    )


def test_new_person_is_admitted_with_everything_in_one_go(world: dict[str, Any]) -> None:
    movement = admit(world)
    person = Person.objects.get(pk=movement.person_id)
    assert person.surname == "Сапаров"
    assert person.surname_latin == "Saparov"
    assert person.current_institution == world["a"]
    assert person.legal_status == "remand"
    assert person.lawful_until == moment(-60).date()
    assert movement.basis is not None
    assert movement.basis.document_number == "1-77"
    admission = AdmissionRecord.objects.get(movement=movement)
    assert admission.arrest_place == "Almaty, Abay avenue 10"
    assert list(
        PropertyItem.objects.filter(admission=admission).values_list("storage", flat=True)
    ) == ["locker 3"]
    assert Child.objects.get(person=person).carer == "mother"
    verbs = set(AuditEvent.objects.filter(person_id=person.pk).values_list("verb", flat=True))
    assert verbs == {
        "person registered",
        "detention basis recorded",
        "person admitted",
        "admission record taken",
        # No "reassessment scheduled": a person on remand is presumed innocent and is not put on
        # the risk assessment schedule (assessment.services.SCHEDULED_LEGAL_STATUS).
    }


def test_existing_person_is_readmitted_without_a_new_record(world: dict[str, Any]) -> None:
    person = PersonFactory()
    before = Person.objects.count()
    movement = admit(world, identity=None, person=person)
    assert movement.person_id == person.pk
    assert Person.objects.count() == before


def test_same_token_twice_records_once(world: dict[str, Any]) -> None:
    first = admit(world, idempotency_key="tok-1")
    snapshot = counts()
    second = admit(world, idempotency_key="tok-1")
    assert second.pk == first.pk
    assert counts() == snapshot


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"identity": identity(iin="123456789012")}, "iin"),
        ({"identity": identity(surname="")}, "surname"),
        ({"record": record(arrest_place="")}, "arrest_place"),
        ({"record": record(information_language="")}, "information_language"),
        ({"record": record(interpreter_needed=True)}, "interpreter_name"),
        ({"record": record(next_of_kin=[])}, "next_of_kin"),
        ({"record": record(arrested_at=moment(0) + timedelta(hours=20))}, "arrested_at"),
        ({"identity": identity(citizenship="UZ", iin="")}, "consulate_notified_at"),
        (
            {"basis": basis(valid_until=moment(5).date(), issued_on=moment(9).date())},
            "basis_valid_until",
        ),
        ({"basis": basis(authority="")}, "basis_authority"),
        ({"basis": basis(kind="remand_order", valid_until=None)}, "basis_valid_until"),
        ({"legal_status": "free"}, "legal_status"),
    ],
)
def test_each_refusal_names_the_field_and_writes_nothing(
    world: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    snapshot = counts()
    with pytest.raises(ServiceError) as error:
        admit(world, **overrides)
    assert field in error.value.errors, error.value.errors
    assert counts() == snapshot


def test_possible_duplicate_needs_a_reason(world: dict[str, Any]) -> None:
    from datetime import date

    PersonFactory(surname="Сапаров", first_name="Айдар", birth_date=date(1988, 3, 9))
    snapshot = counts()
    with pytest.raises(ConflictError) as error:
        admit(world)
    assert "duplicates" in error.value.errors
    assert counts() == snapshot
    movement = admit(world, allow_duplicate_reason="Different father's name and birthplace")
    assert Person.objects.filter(pk=movement.person_id).exists()


def test_full_institution_needs_an_override_reason(world: dict[str, Any]) -> None:
    for n in range(2):
        admit(world, identity=None, person=PersonFactory(case_number=f"Q-F-{n}"))
    snapshot = counts()
    with pytest.raises(ServiceError) as error:
        admit(world)
    assert "capacity_override_reason" in error.value.errors
    assert counts() == snapshot
    movement = admit(world, capacity_override_reason="Court order; no other centre in region")
    assert movement.capacity_override_reason.startswith("Court order")


def test_person_already_in_custody_is_refused_and_nothing_written(world: dict[str, Any]) -> None:
    movement = admit(world)
    person = Person.objects.get(pk=movement.person_id)
    snapshot = counts()
    with pytest.raises(ConflictError) as error:
        admit(
            world,
            identity=None,
            person=person,
            data=services.MovementInput(occurred_at=moment(0, hour=0), institution=world["a"]),
            capacity_override_reason="x",
        )
    assert "already in custody" in " ".join(error.value.as_list())
    assert counts() == snapshot


def test_staff_without_admission_right_is_refused(world: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied

    regime = staff(Role.REGIME, world["a"])
    snapshot = counts()
    with pytest.raises(PermissionDenied):
        admit(world, actor=regime)
    assert counts() == snapshot
