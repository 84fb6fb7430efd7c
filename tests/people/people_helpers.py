"""Small builders shared by the people tests (persons admitted through the real services)."""

from __future__ import annotations

from datetime import date
from typing import Any

from factories import PersonFactory, moment
from qadam.core.models import User
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Institution
from qadam.people.identity import name_key, transliterate
from qadam.people.models import Person


def named(surname: str, first_name: str = "Нурлан", **kwargs: Any) -> Person:
    """A person with consistent Latin names and keys (as person_register would store them)."""
    patronymic = kwargs.pop("patronymic", "")
    person: Person = PersonFactory(
        surname=surname,
        first_name=first_name,
        patronymic=patronymic,
        surname_latin=transliterate(surname),
        first_name_latin=transliterate(first_name),
        patronymic_latin=transliterate(patronymic),
        surname_key=name_key(surname),
        first_name_key=name_key(first_name),
        **kwargs,
    )
    return person


def admit(
    person: Person,
    institution: Institution,
    actor: User,
    *,
    days_ago: int = 30,
    lawful_until: date | None = None,
    number: str = "",
) -> Person:
    basis = services.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Almaty district court",
        document_number=number or f"R-{person.pk}",
        issued_on=moment(days_ago + 1).date(),
        valid_until=lawful_until or moment(-60).date(),
    )
    services.person_admit(
        actor=actor,
        person=person,
        data=services.MovementInput(occurred_at=moment(days_ago), institution=institution),
        legal_status="remand",
        basis=basis,
    )
    person.refresh_from_db()
    return person
