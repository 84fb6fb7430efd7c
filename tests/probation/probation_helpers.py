"""Small builders for the probation tests: a person held in A (region KZ-35), released on parole,
whose plan the institution's psychologist hands over to the probation office of KZ-35."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

import factories
from factories import InstitutionFactory, moment, probation_office, region, staff
from qadam.core.models import Organisation
from qadam.core.roles import Role
from qadam.custody import services as custody
from qadam.custody.models import Institution
from qadam.people.models import Person
from qadam.plans import services as plans
from qadam.plans.models import AgencyType, NeedArea, Plan


def sentenced_person(institution: Institution, **fields: Any) -> Person:
    return factories.sentenced_person(institution, staff(Role.RECEPTION, institution), **fields)


def released(person: Person, institution: Institution) -> Person:
    custody.person_release(
        actor=staff(Role.RECEPTION, institution),
        person=person,
        data=custody.MovementInput(occurred_at=moment(1), institution=institution),
        release_reason="parole",
    )
    person.refresh_from_db()
    return person


def plan_with_step(person: Person, actor: Any) -> Plan:
    plan = plans.plan_start(person=person, actor=actor)
    need = plans.plan_need_add(
        plan=plan,
        need_area=NeedArea.objects.get(code="education_employment"),
        priority=1,
        source="staff",
        actor=actor,
    )
    goal = plans.plan_goal_add(need=need, text="Find work after release", actor=actor)
    plans.plan_step_add(
        goal=goal,
        text="Welding course at the institution's college",
        agency_type=AgencyType.objects.get(code="teacher"),
        deadline=timezone.localdate() + timedelta(days=30),
        actor=actor,
    )
    return plan


def hand_over(plan: Plan, office: Any, actor: Any) -> None:
    plans.plan_hand_over(
        plan=plan,
        to_organisation=Organisation.objects.get(code="probation-service"),
        to_stage="post_release",
        probation_office=office,
        reason="Released on parole",
        actor=actor,
    )


def world() -> dict[str, Any]:
    """Institution A in Karaganda region, B in Pavlodar region; the offices of both regions;
    `person` held in A, `other` held in B; staff of A and an officer of each office."""
    a = InstitutionFactory(code="A", region=region("KZ-35"))
    b = InstitutionFactory(code="B", region=region("KZ-55"))
    here, there = probation_office("PO-35-01"), probation_office("PO-55-01")
    return {
        "a": a,
        "b": b,
        "office": here,
        "other_office": there,
        "person": sentenced_person(a),
        "other": sentenced_person(b, surname="Борисов", first_name="Олег"),
        "psychologist": staff(Role.PSYCHOLOGIST, a),
        "head": staff(Role.HEAD, a),
        "officer": staff(Role.PROBATION, here),
        "other_officer": staff(Role.PROBATION, there),
    }
