"""Mandela Rule 11: men and women, minors and adults are placed apart; refusals write nothing."""

from __future__ import annotations

from datetime import date

import pytest

from factories import InstitutionFactory, PersonFactory, SectionFactory, moment, staff
from qadam.core.errors import ServiceError
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Institution, Movement

pytestmark = pytest.mark.django_db


def _admit(officer, person, institution, section=None):  # type: ignore[no-untyped-def]
    basis = services.basis_record(
        actor=officer,
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number="7",
        issued_on=moment(3).date(),
        valid_until=moment(-30).date(),
    )
    return services.person_admit(
        actor=officer,
        person=person,
        data=services.MovementInput(
            occurred_at=moment(2), institution=institution, section=section
        ),
        legal_status="remand",
        basis=basis,
    )


def test_a_woman_is_not_admitted_to_a_mens_institution() -> None:
    men = InstitutionFactory(sex_profile=Institution.SexProfile.MALE)
    officer = staff(Role.RECEPTION, men)
    woman = PersonFactory(sex="F", first_name="Айгүл")
    with pytest.raises(ServiceError) as error:
        _admit(officer, woman, men)
    assert "Mandela Rule 11" in error.value.errors["institution"][0]
    assert not Movement.objects.filter(person=woman).exists()


def test_a_minor_needs_an_institution_or_section_for_minors() -> None:
    adults = InstitutionFactory(age_profile=Institution.AgeProfile.ADULT)
    officer = staff(Role.RECEPTION, adults)
    minor = PersonFactory(birth_date=date(moment(0).year - 16, 1, 10))
    with pytest.raises(ServiceError) as error:
        _admit(officer, minor, adults)
    assert "minor" in error.value.errors["institution"][0]
    mixed = InstitutionFactory(age_profile=Institution.AgeProfile.BOTH)
    juvenile_section = SectionFactory(institution=mixed, is_juvenile=True)
    adult_section = SectionFactory(institution=mixed)
    officer.institutions.add(mixed)
    with pytest.raises(ServiceError) as error:
        _admit(officer, minor, mixed, adult_section)
    assert "section" in error.value.errors
    _admit(officer, minor, mixed, juvenile_section)
    minor.refresh_from_db()
    assert minor.current_institution == mixed


def test_an_adult_is_not_sent_to_a_minors_institution() -> None:
    adults = InstitutionFactory()
    minors = InstitutionFactory(age_profile=Institution.AgeProfile.JUVENILE)
    officer = staff(Role.RECEPTION, adults, minors)
    adult = PersonFactory(birth_date=date(1980, 3, 3))
    _admit(officer, adult, adults)
    with pytest.raises(ServiceError) as error:
        services.person_transfer_out(
            actor=officer,
            person=adult,
            data=services.MovementInput(occurred_at=moment(1), institution=adults, reason="x"),
            destination=minors,
            escort="Convoy",
        )
    assert "destination" in error.value.errors


def test_separation_holds_on_the_day_of_the_event() -> None:
    """Age is taken on the day of the event, not today."""
    minors = InstitutionFactory(age_profile=Institution.AgeProfile.JUVENILE)
    errors = services.separation_errors(
        sex="M",
        birth_date=date(2000, 6, 1),
        institution=minors,
        section=None,
        on_day=date(2020, 5, 31),
    )
    assert errors == {}
    errors = services.separation_errors(
        sex="M",
        birth_date=date(2000, 6, 1),
        institution=minors,
        section=None,
        on_day=date(2021, 6, 1),
    )
    assert "institution" in errors
