"""Journey: a psychologist assesses a person (live score, keyboard on the radio buttons), sees each
item's contribution, fills the plan's need areas from the assessment, adds a step for another
agency, records the person's agreement and opens the printable plan; axe-core on each page."""

from __future__ import annotations

from typing import Any

import pytest

from browser_helpers import check_accessibility
from factories import InstitutionFactory, remanded_person, staff
from qadam.assessment.models import Assessment
from qadam.assessment.services import instrument_in_force
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


def test_assess_see_contributions_and_build_the_plan(browser_page: Any) -> None:
    from qadam.plans.models import AgencyType, Plan

    page = browser_page
    institution = InstitutionFactory()
    reception = staff(Role.RECEPTION, institution)
    person = remanded_person(institution, reception, surname="Ахметов")
    staff(Role.PSYCHOLOGIST, institution, username="psy1", language="en")
    instrument = instrument_in_force()
    assert instrument is not None

    page.goto("/login/")
    page.get_by_label("Login").fill("psy1")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/people/{person.pk}/")
    page.get_by_role("link", name="New assessment").click()
    page.wait_for_url(f"**/assessment/person/{person.pk}/new/")
    check_accessibility(page, context="assessment form")
    assert page.locator("#id_answer_sex_0").is_checked()  # suggested from the record
    for item in instrument.engine.items:
        if item.code in ("age", "sex"):
            continue
        page.locator(f"#id_answer_{item.code}_{len(item.options) - 1}").check()
    # Keyboard: arrow keys move the choice within an item's radio group.
    page.locator("#id_answer_substance_use_2").focus()
    page.keyboard.press("ArrowUp")
    assert page.locator("#id_answer_substance_use_1").is_checked()
    preview = page.locator("#score-preview")
    preview.get_by_text("band:").wait_for()
    assert "17 items" not in preview.inner_text()
    page.get_by_role("button", name="Save the assessment").click()
    page.wait_for_url("**/assessment/*/")
    assessment = Assessment.objects.get(person=person)
    assert assessment.answers["substance_use"] == "past"
    table = page.locator("#contributions-table")
    assert table.locator("tbody tr").count() == len(instrument.engine.items)
    title = page.locator("svg[role=img] title").first.text_content() or ""
    assert title.startswith("Points each item")
    assert "Not yet validated on Kazakh data" in page.content()
    check_accessibility(page, context="assessment result")

    page.get_by_role("button", name="Create or update the plan's need areas").click()

    def plan_page(url: str) -> bool:
        return url.split("#")[0].endswith(f"/plans/person/{person.pk}/")

    page.wait_for_url(plan_page)
    plan = Plan.objects.get(person=person)
    need = plan.needs.get(need_area__code="education_employment")
    # The plan page's inline forms (htmx): each opens in its slot and swaps in the new plan.
    page.locator(f"#need-{need.pk}").get_by_role("link", name="Add a goal").click()
    slot = page.locator(f"#slot-need-{need.pk}")
    slot.locator("[name=text]").fill("Find steady work after release")
    slot.get_by_role("button", name="Save").click()
    page.get_by_text("Find steady work after release").first.wait_for()
    goal = need.goals.get()
    page.locator(f"#need-{need.pk}").get_by_role("link", name="Add a step").click()
    slot = page.locator(f"#slot-goal-{goal.pk}")
    slot.locator("[name=text]").fill("Register with the employment centre")
    centre = AgencyType.objects.exclude(code="psychologist").order_by("pk").last()
    assert centre is not None
    slot.locator("[name=agency_type]").select_option(str(centre.pk))
    slot.locator("[name=deadline]").fill("2030-01-15")
    slot.get_by_role("button", name="Save").click()
    page.get_by_text("Register with the employment centre").first.wait_for()
    page.get_by_role("link", name="Record the person's answer").click()
    slot = page.locator("#slot-agreement")
    slot.locator("input[name=answer][value=agrees]").check()
    slot.get_by_role("button", name="Save").click()
    slot.locator("input[name=answer]").first.wait_for(state="detached")
    page.goto(f"/plans/person/{person.pk}/")
    assert "Agrees with the plan" in page.content()
    assert "Register with the employment centre" in page.content()
    page.goto(f"/plans/person/{person.pk}/print/?lang=ru")
    assert "Register with the employment centre" in page.content()
    check_accessibility(page, context="printable plan")
