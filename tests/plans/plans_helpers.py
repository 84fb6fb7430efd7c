"""Small builders for the plans tests (the shared factories stay untouched)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.core.roles import Role
from qadam.custody import services as custody
from qadam.custody.models import DetentionBasis, Institution
from qadam.people.models import Person
from qadam.plans import services
from qadam.plans.models import AgencyType, NeedArea, Plan, PlanStep


def sentenced_person(institution: Institution, *, days_left: int = 400, **fields: Any) -> Person:
    """A person admitted to `institution` on a verdict that ends `days_left` days from today."""
    actor = staff(Role.RECEPTION, institution)
    person = PersonFactory(**fields)
    basis = custody.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"V-{person.pk}",
        issued_on=moment(60).date(),
        valid_until=timezone.localdate() + timedelta(days=days_left),
    )
    custody.person_admit(
        actor=actor,
        person=person,
        data=custody.MovementInput(occurred_at=moment(30), institution=institution),
        legal_status="sentenced",
        basis=basis,
    )
    person.refresh_from_db()
    return person


def world(days_left: int = 400) -> dict[str, Any]:
    a = InstitutionFactory()
    b = InstitutionFactory()
    return {
        "a": a,
        "b": b,
        "person": sentenced_person(a, days_left=days_left),
        "other": sentenced_person(b, days_left=days_left, surname="Борисов"),
        "psychologist": staff(Role.PSYCHOLOGIST, a),
        "psychologist2": staff(Role.PSYCHOLOGIST, a),
        "head": staff(Role.HEAD, a),
        "regime": staff(Role.REGIME, a),
        "medical": staff(Role.MEDICAL, a),
    }


def area(code: str) -> NeedArea:
    return NeedArea.objects.get(code=code)


def agency(code: str = "employment_centre") -> AgencyType:
    return AgencyType.objects.get(code=code)


def plan_with_step(person: Person, actor: Any, *, days: int = 30) -> tuple[Plan, PlanStep]:
    plan = services.plan_start(person=person, actor=actor)
    need = services.plan_need_add(
        plan=plan, need_area=area("education_employment"), priority=1, source="staff", actor=actor
    )
    goal = services.plan_goal_add(need=need, text="Finish vocational course", actor=actor)
    step = services.plan_step_add(
        goal=goal,
        text="Welding course at the institution's college",
        agency_type=agency("teacher"),
        responsible="College No. 3",
        deadline=timezone.localdate() + timedelta(days=days),
        actor=actor,
    )
    return plan, step
