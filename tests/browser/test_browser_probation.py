"""Journey: at release the institution's psychologist hands the plan over to a probation office;
the probation officer of that office finds the person, opens the same plan and adds a step inline;
an officer of another office is told the person is not found. axe-core on the new form and pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from browser_helpers import check_accessibility, log_in
from factories import (
    InstitutionFactory,
    moment,
    probation_office,
    region,
    sentenced_person,
    staff,
)
from qadam.core.roles import Role
from qadam.custody import services as custody
from qadam.plans import services as plans
from qadam.plans.models import AgencyType, NeedArea, Plan, PlanStep

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


def test_hand_over_to_an_office_and_the_officer_continues_the_plan(browser_page: Any) -> None:
    page = browser_page
    institution = InstitutionFactory(region=region("KZ-35"))
    reception = staff(Role.RECEPTION, institution)
    person = sentenced_person(institution, reception, surname="Ахметов", first_name="Ерлан")
    psychologist = staff(Role.PSYCHOLOGIST, institution, username="psy1", language="en")
    staff(Role.PROBATION, probation_office("PO-35-01"), username="officer1", language="en")
    staff(Role.PROBATION, probation_office("PO-55-01"), username="officer2", language="en")
    plan = plans.plan_start(person=person, actor=psychologist)
    need = plans.plan_need_add(
        plan=plan,
        need_area=NeedArea.objects.get(code="education_employment"),
        priority=1,
        source="staff",
        actor=psychologist,
    )
    goal = plans.plan_goal_add(need=need, text="Find work after release", actor=psychologist)
    custody.person_release(
        actor=reception,
        person=person,
        data=custody.MovementInput(occurred_at=moment(1), institution=institution),
        release_reason="parole",
    )

    log_in(page, "psy1", PASSWORD)
    page.goto(f"/plans/person/{person.pk}/")
    page.get_by_role("link", name="Hand the plan over").click()
    page.wait_for_url(f"**/plans/person/{person.pk}/hand-over/")
    check_accessibility(page, context="hand-over form")
    page.get_by_label("Receiving organisation").select_option(label="Probation service")
    page.get_by_label("Stage").select_option(value="post_release")
    page.get_by_label("Reason").fill("Released on parole")
    page.get_by_role("button", name="Save").click()
    # Without an office the form says which field to fix.
    page.get_by_text(
        "Choose the probation office that continues the plan after release."
    ).first.wait_for()
    page.get_by_label("Probation office").select_option(
        label="Karaganda probation office — Karaganda Region"
    )
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/plans/person/{person.pk}/")
    assert "Karaganda probation office" in page.locator("#plan-body").inner_text()
    page.context.clear_cookies()

    log_in(page, "officer1", PASSWORD)
    page.goto("/people/search/?q=Ахметов")
    page.get_by_role("link", name="Ахметов").first.click()
    page.wait_for_url(f"**/people/{person.pk}/")
    page.goto(f"/plans/person/{person.pk}/")
    check_accessibility(page, context="plan page for the probation officer")
    page.get_by_role("link", name="Add a step").click()
    page.get_by_label("What is to be done").fill("Register at the employment centre")
    page.get_by_label("Responsible agency").select_option(
        label=AgencyType.objects.get(code="employment_centre").name_en
    )
    page.get_by_label("Deadline").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Save").click()
    page.locator("#plan-body").get_by_text("Register at the employment centre").wait_for()
    step = PlanStep.objects.get(text="Register at the employment centre")
    assert step.goal == goal
    assert Plan.objects.filter(person=person).count() == 1
    assert step.added_in.stage == "post_release"
    page.context.clear_cookies()

    log_in(page, "officer2", PASSWORD)
    response = page.goto(f"/plans/person/{person.pk}/")
    assert response is not None
    assert response.status == 404
