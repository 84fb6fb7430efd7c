"""Mandela Rule 11(b): persons on remand are held only in pre-trial centres or pre-trial sections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import (
    InstitutionFactory,
    PersonFactory,
    SectionFactory,
    institution_type,
    moment,
    staff,
)
from qadam.core.errors import ServiceError
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Institution, Movement, Section
from qadam.people.identity import make_iin
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    sizo = InstitutionFactory(code="SIZO-1", type=institution_type("SIZO"))
    colony = InstitutionFactory(code="COL-1", type=institution_type("MED"))
    # A colony with premises run as a pre-trial centre: a section of the pre-trial type.
    with_section = InstitutionFactory(code="COL-2", type=institution_type("MAX"))
    pretrial = SectionFactory(
        institution=with_section, name="Pre-trial section", type=institution_type("SIZO")
    )
    ordinary = SectionFactory(institution=with_section, name="Section 1")
    # A mixed institution: each section has its own type.
    mixed = InstitutionFactory(code="MIX-1", type=institution_type("MIXED"))
    mixed_pretrial = SectionFactory(
        institution=mixed, name="Pre-trial", type=institution_type("SIZO")
    )
    mixed_medium = SectionFactory(institution=mixed, name="Medium", type=institution_type("MED"))
    places = [sizo, colony, with_section, mixed]
    return {
        "sizo": sizo,
        "colony": colony,
        "with_section": with_section,
        "pretrial": pretrial,
        "ordinary": ordinary,
        "mixed": mixed,
        "mixed_pretrial": mixed_pretrial,
        "mixed_medium": mixed_medium,
        "officer": staff(Role.RECEPTION, *places),
    }


def admit(
    world: dict[str, Any],
    institution: Institution,
    section: Section | None = None,
    legal_status: str = "remand",
    person: Person | None = None,
    days_ago: int = 10,
) -> Person:
    person = person or PersonFactory()
    remand = legal_status == "remand"
    basis = services.basis_record(
        actor=world["officer"],
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER if remand else DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"D-{person.pk}-{days_ago}",
        issued_on=moment(days_ago + 1).date(),
        valid_until=moment(-30).date() if remand else None,
    )
    services.person_admit(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(
            occurred_at=moment(days_ago), institution=institution, section=section
        ),
        legal_status=legal_status,
        basis=basis,
    )
    person.refresh_from_db()
    return person


def transfer(world: dict[str, Any], person: Person, destination: Institution, days_ago: int) -> Any:
    person.refresh_from_db()
    assert person.current_institution is not None
    return services.person_transfer_out(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(
            occurred_at=moment(days_ago), institution=person.current_institution, reason="Court"
        ),
        destination=destination,
        escort="Convoy",
    )


def test_remand_admission_to_a_colony_is_refused_and_writes_nothing(world: dict[str, Any]) -> None:
    person = PersonFactory()
    with pytest.raises(ServiceError) as error:
        admit(world, world["colony"], person=person)
    message = str(error.value.errors["institution"][0])
    assert "not a pre-trial detention centre" in message
    assert "Mandela Rule 11(b)" in message
    assert not Movement.objects.filter(person=person).exists()
    person.refresh_from_db()
    assert person.current_institution is None


def test_remand_admission_to_a_pretrial_centre_or_section(world: dict[str, Any]) -> None:
    assert admit(world, world["sizo"]).current_institution == world["sizo"]
    held = admit(world, world["with_section"], world["pretrial"])
    assert held.current_institution == world["with_section"]
    assert (
        admit(world, world["mixed"], world["mixed_pretrial"]).current_institution
        == (world["mixed"])
    )


def test_in_an_institution_with_a_pretrial_section_the_section_is_named(
    world: dict[str, Any],
) -> None:
    for institution, section in (
        (world["with_section"], None),
        (world["with_section"], world["ordinary"]),
        (world["mixed"], world["mixed_medium"]),
    ):
        with pytest.raises(ServiceError) as error:
            admit(world, institution, section)
        assert "choose the pre-trial section" in str(error.value.errors["section"][0])


def test_sentenced_persons_are_not_bound_by_the_rule(world: dict[str, Any]) -> None:
    assert (
        admit(world, world["colony"], legal_status="sentenced").current_institution
        == (world["colony"])
    )
    # A pre-trial centre may hold sentenced persons too (household work).
    assert (
        admit(world, world["sizo"], legal_status="sentenced").current_institution == (world["sizo"])
    )


def test_transfer_of_a_remand_person(world: dict[str, Any]) -> None:
    person = admit(world, world["sizo"], days_ago=10)
    with pytest.raises(ServiceError) as error:
        transfer(world, person, world["colony"], 5)
    assert "not a pre-trial detention centre" in str(error.value.errors["destination"][0])
    assert not Movement.objects.filter(person=person, kind="transfer_out").exists()
    # To a colony with a pre-trial section: sent, and it must arrive in that section.
    transfer(world, person, world["with_section"], 5)
    arrival = services.MovementInput(
        occurred_at=moment(4), institution=world["with_section"], section=world["ordinary"]
    )
    with pytest.raises(ServiceError) as error:
        services.person_transfer_in(actor=world["officer"], person=person, data=arrival)
    assert "section" in error.value.errors
    services.person_transfer_in(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(
            occurred_at=moment(4), institution=world["with_section"], section=world["pretrial"]
        ),
    )
    person.refresh_from_db()
    assert person.current_institution == world["with_section"]
    # Nor may they be moved out of the pre-trial section into an ordinary one.
    with pytest.raises(ServiceError) as error:
        services.person_move_section(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(3), institution=world["with_section"], section=world["ordinary"]
            ),
        )
    assert "section" in error.value.errors


def test_once_sentenced_the_person_may_go_to_a_colony(world: dict[str, Any]) -> None:
    person = admit(world, world["sizo"], days_ago=10)
    services.person_change_status(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(6), institution=world["sizo"]),
        legal_status="sentenced",
    )
    transfer(world, person, world["colony"], 5)
    services.person_transfer_in(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(4), institution=world["colony"]),
    )
    person.refresh_from_db()
    assert person.current_institution == world["colony"]


def test_the_status_on_the_date_of_a_backdated_event_decides(world: dict[str, Any]) -> None:
    """A move dated before the verdict entered into force is a move of a person on remand."""
    institution = world["with_section"]
    person = admit(world, institution, world["pretrial"], days_ago=10)
    services.person_change_status(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(3), institution=institution),
        legal_status="sentenced",
    )

    def move(days_ago: int) -> None:
        services.person_move_section(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(days_ago), institution=institution, section=world["ordinary"]
            ),
        )

    with pytest.raises(ServiceError) as error:
        move(5)
    assert "section" in error.value.errors
    move(2)
    assert Movement.objects.filter(person=person, kind="section_move").count() == 1


def test_admission_form_shows_the_error_on_the_field_and_writes_nothing(
    world: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(world["officer"])
    born = timezone.datetime(1990, 4, 2).date()
    data = {
        "token": "remand-1",
        "surname": "Омаров",
        "first_name": "Ерлан",
        "birth_date": born.isoformat(),
        "sex": "M",
        "iin": make_iin(born, "M", 55),
        "citizenship": "KZ",
        "language": "kk",
        "commitment_reason": "Suspected fraud",
        "commitment_authority": "Investigator",
        "arrested_at": (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "arrest_place": "Almaty",
        "rights_informed_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "information_language": "kk",
        "basis_kind": "remand_order",
        "basis_authority": "Court",
        "basis_number": "R-5",
        "basis_issued_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "basis_valid_until": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "institution": world["colony"].pk,
        "legal_status": "remand",
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "kin-TOTAL_FORMS": "1",
        "kin-INITIAL_FORMS": "0",
        "kin-0-name": "Омарова Сауле",
        "kin-0-relationship": "mother",
        "child-TOTAL_FORMS": "0",
        "child-INITIAL_FORMS": "0",
        "property-TOTAL_FORMS": "0",
        "property-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("custody:admit"), data)
    assert response.status_code == 200
    assert "not a pre-trial detention centre" in str(response.context["form"].errors["institution"])
    assert not Person.objects.filter(surname="Омаров").exists()
    data["institution"] = world["sizo"].pk
    response = client.post(reverse("custody:admit"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Person.objects.get(surname="Омаров").current_institution == world["sizo"]


def test_the_rule_as_functions(world: dict[str, Any]) -> None:
    errors = services.remand_place_errors(
        legal_status="remand", institution=world["colony"], section=None
    )
    assert set(errors) == {"institution"}
    assert (
        services.remand_place_errors(
            legal_status="sentenced", institution=world["colony"], section=None
        )
        == {}
    )
    assert (
        services.remand_destination_errors(legal_status="remand", destination=world["mixed"]) == {}
    )
