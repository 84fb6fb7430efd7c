"""Journey: enter a sentence, watch the dates recalculate live, save, read the breakdown of a
date, and open the printable calculation sheet; axe-core on each page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from browser_helpers import check_accessibility, log_in
from factories import InstitutionFactory, institution_type, offence, remanded_person, staff
from qadam.core.roles import Role
from qadam.sentences.models import SentenceCalculation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


def test_enter_sentence_see_dates_and_print_sheet(browser_page: Any) -> None:
    page = browser_page
    today = timezone.localdate()
    institution = InstitutionFactory(type=institution_type("MED"))
    clerk = staff(Role.RECEPTION, institution, username="clerk1", language="en")
    person = remanded_person(institution, clerk, days_ago=200, surname="Ахметов")
    log_in(page, "clerk1", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"/sentences/person/{person.pk}/")
    page.get_by_role("link", name="Enter the sentence").click()
    page.wait_for_url(f"**/sentences/person/{person.pk}/enter/")
    page.locator("#id_court").fill("Almaty city court No. 2")
    page.locator("#id_case_number").fill("1-245/2025")
    page.locator("#id_verdict_date").fill((today - timedelta(days=20)).isoformat())
    page.locator("#id_entered_into_force").fill((today - timedelta(days=5)).isoformat())
    page.locator("#id_start_date").fill((today - timedelta(days=5)).isoformat())
    page.locator("#id_institution_type").select_option(str(institution_type("MED").pk))
    page.locator("#id_count-0-offence").select_option(str(offence("188", "2").pk))
    page.locator("#id_count-0-years").fill("3")
    page.locator("#id_count-0-offence_date").fill((today - timedelta(days=400)).isoformat())
    page.locator("#id_detention-0-date_from").fill((today - timedelta(days=200)).isoformat())
    page.locator("#id_detention-0-date_to").fill((today - timedelta(days=6)).isoformat())
    page.locator("#id_detention-0-source").fill("Remand order R-1")
    page.locator("#id_detention-0-source").press("Tab")
    # The dates panel recalculates without saving.
    panel = page.locator("#dates-panel")
    panel.get_by_role("heading", name="End of sentence").wait_for()
    # Each change posts the form again; wait for the answer that includes the detention credit.
    panel.locator("code", has_text="pretrial_credit_ratio").first.wait_for(state="attached")
    assert not SentenceCalculation.objects.filter(person=person).exists()
    check_accessibility(page, context="sentence entry form")

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/sentences/person/{person.pk}/")
    calc = SentenceCalculation.objects.get(person=person)
    assert calc.end_of_sentence is not None
    timeline = page.locator("#date-end_of_sentence")
    timeline.get_by_text("How this was calculated").click()
    assert "Criminal Code, article 62, part 3" in timeline.inner_text()
    assert "[U]" in page.locator(".timeline").inner_text()
    check_accessibility(page, context="sentence timeline")

    page.get_by_role("link", name="Расчётный лист (русский)").click()
    page.wait_for_url("**/sheet/?lang=ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Ахметов" in page.locator("main").inner_text()
    check_accessibility(page, context="calculation sheet")
