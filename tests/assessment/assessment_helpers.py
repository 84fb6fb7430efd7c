"""Small builders for the assessment Django tests (the shared factories stay untouched)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, moment, sentenced_person, staff
from qadam.assessment import services
from qadam.assessment.instruments import DEFAULT_INSTRUMENT
from qadam.assessment.models import Assessment, Instrument
from qadam.core.models import User
from qadam.core.roles import Role
from qadam.custody import services as custody
from qadam.custody.models import DetentionBasis, Institution
from qadam.people.models import Person


def default_instrument() -> Instrument:
    instrument = services.instrument_in_force()
    assert instrument is not None, "the migration loads the default instrument"
    return instrument


def answers(instrument: Instrument | None = None, *, pick: str = "first") -> dict[str, str]:
    """A complete set of answers: each item's first (or last) option."""
    engine = (instrument or default_instrument()).engine
    index = 0 if pick == "first" else -1
    return {item.code: item.options[index].code for item in engine.items}


def world() -> dict[str, Any]:
    """Institution A (in scope) and B, a sentenced person held in each since 200 days ago (never
    assessed: due a first assessment), a psychologist and a head in A."""
    a, b = InstitutionFactory(), InstitutionFactory()
    reception = staff(Role.RECEPTION, a, b)
    return {
        "a": a,
        "b": b,
        "pa": sentenced_person(a, reception, days_ago=200, surname="Ахметов"),
        "pb": sentenced_person(b, reception, days_ago=200, surname="Борисов"),
        "psychologist": staff(Role.PSYCHOLOGIST, a, username="psy-a"),
        "head": staff(Role.HEAD, a, username="head-a"),
        "reception": reception,
    }


def assess(
    person: Person,
    actor: User,
    *,
    pick: str = "first",
    on: date | None = None,
    instrument: Instrument | None = None,
    overrides: dict[str, str] | None = None,
) -> Assessment:
    instrument = instrument or default_instrument()
    return services.assessment_create(
        person=person,
        actor=actor,
        instrument=instrument,
        kind="periodic",
        assessed_on=on or timezone.localdate(),
        answers={**answers(instrument, pick=pick), **(overrides or {})},
    )


def historic_instrument(valid_from: str = "2010-01-01") -> Instrument:
    """The default instrument under another code, in force since `valid_from` (for ledgers in
    the past)."""
    text = DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
    text = text.replace('code = "qadam-core"', 'code = "qadam-core-test"', 1)
    text = text.replace("valid_from = 2026-01-01", f"valid_from = {valid_from}", 1)
    return services.instrument_load(text=text, actor=None, origin="test")


def admit(person: Person, institution: Institution, actor: User, when: datetime) -> None:
    basis = custody.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"V-{person.pk}-{when:%Y%m%d}",
        issued_on=when.date(),
        valid_until=when.date() + timedelta(days=3650),
    )
    custody.person_admit(
        actor=actor,
        person=person,
        data=custody.MovementInput(occurred_at=when, institution=institution),
        legal_status="sentenced",
        basis=basis,
    )


def release(person: Person, institution: Institution, actor: User, when: datetime) -> None:
    custody.person_release(
        actor=actor,
        person=person,
        data=custody.MovementInput(occurred_at=when, institution=institution),
        release_reason="end_of_sentence",
    )


__all__ = ["PersonFactory", "moment"]
