"""The foundation journey: log in, switch language, search, open a person, admit a new person
(first with errors, then correctly), transfer, and see the population change; axe-core on each."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from browser_helpers import check_accessibility, log_in
from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis
from qadam.people.identity import make_iin
from qadam.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


def _population_of(page: Any, institution_name: str) -> int:
    row = page.get_by_role("row").filter(has_text=institution_name).first
    cells = row.get_by_role("cell").all_inner_texts()
    numbers = [
        int(re.sub(r"\D", "", c)) for c in cells if re.fullmatch(r"[\d\s\u00a0,]+", c.strip())
    ]
    return numbers[0]


def test_registry_journey(browser_page: Any) -> None:
    page = browser_page
    a = InstitutionFactory(
        code="A", name_en="Pre-trial centre One", name_ru="СИЗО 1", name_kk="ТИ 1"
    )
    b = InstitutionFactory(code="B", name_en="Colony Two", name_ru="Колония 2", name_kk="Колония 2")
    officer = staff(Role.RECEPTION, a, b, username="reception", language="en")
    known = PersonFactory(surname="Жанибеков", first_name="Нурлан")
    basis = services.basis_record(
        actor=officer,
        person=known,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number="5-1",
        issued_on=moment(20).date(),
        valid_until=moment(-40).date(),
    )
    services.person_admit(
        actor=officer,
        person=known,
        data=services.MovementInput(occurred_at=moment(10), institution=a),
        legal_status="remand",
        basis=basis,
    )

    log_in(page, "reception", PASSWORD)
    # Switch language and back: the interface follows.
    page.get_by_label("Language").select_option("kk")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "kk"
    page.locator("#language-select").select_option("en")
    page.locator(".lang-form button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"

    # Search with a Latin spelling of a Cyrillic name, open the person.
    page.goto("/people/search/")
    check_accessibility(page, context="search page")
    page.get_by_label("Name, IIN or case number").fill("Zhanibekov")
    page.get_by_label("Name, IIN or case number").press("Enter")
    page.get_by_role("link", name=re.compile("Жанибеков")).first.click()
    page.wait_for_load_state()
    assert "Жанибеков" in page.get_by_role("heading", level=1).inner_text()
    check_accessibility(page, context="person page")

    # Population before the admission.
    page.goto("/custody/population/")
    before_a = _population_of(page, "Pre-trial centre One")
    assert before_a == 1

    # Admit a new person: first with a wrong IIN, then correctly.
    page.goto("/custody/admit/")
    check_accessibility(page, context="admission form")
    now = timezone.localtime()
    page.get_by_label("Surname").fill("Сапаров")
    page.get_by_label("First name", exact=True).fill("Айдар")
    page.locator("#id_birth_date").fill("1988-03-09")
    page.locator("#id_sex").select_option("M")
    good_iin = make_iin(timezone.datetime(1988, 3, 9).date(), "M", 4242)
    bad_iin = good_iin[:11] + str((int(good_iin[11]) + 1) % 10)
    page.get_by_label("IIN").fill(bad_iin)
    page.get_by_label("Reason for commitment").fill("Suspected theft")
    page.get_by_label("Authority that ordered it").fill("Investigator of Almaty police")
    page.get_by_label("Date and time of arrest").fill(
        (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Place of arrest").fill("Almaty")
    page.get_by_label("Told rights and rules at").fill(
        (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Language the rights and rules were explained in").fill("Kazakh")
    page.locator("#id_basis_kind").select_option("remand_order")
    page.locator("#id_basis_authority").fill("Almaty district court")
    page.locator("#id_basis_number").fill("2-77")
    page.locator("#id_basis_issued_on").fill((now - timedelta(days=2)).strftime("%Y-%m-%d"))
    page.locator("#id_basis_valid_until").fill((now + timedelta(days=60)).strftime("%Y-%m-%d"))
    page.locator("#id_institution").select_option(str(a.pk))
    page.locator("#id_legal_status").select_option("remand")
    page.locator("[name='kin-0-name']").fill("Сапарова Гульнара")
    page.locator("[name='kin-0-relationship']").fill("wife")
    page.get_by_role("button", name="Admit").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "IIN" in summary.inner_text()
    check_accessibility(page, context="admission form with errors")
    assert not Person.objects.filter(surname="Сапаров").exists()
    page.get_by_label("IIN").fill(good_iin)
    page.get_by_role("button", name="Admit").click()
    page.wait_for_load_state()
    admitted = Person.objects.get(surname="Сапаров")
    assert admitted.current_institution_id == a.pk

    # Transfer the known person to B from their page.
    page.goto(f"/people/{known.pk}/")
    page.get_by_role("link", name="Transfer out").click()
    page.wait_for_load_state()
    check_accessibility(page, context="transfer form")
    page.locator("#id_destination").select_option(str(b.pk))
    page.locator("#id_reason").fill("Verdict entered into force")
    page.locator("#id_escort").fill("Convoy unit 3")
    page.get_by_role("button", name=re.compile("Transfer|Record|Save")).last.click()
    page.wait_for_load_state()
    known.refresh_from_db()
    assert known.current_institution_id is None  # in transit

    # The population of A has changed: one admitted, one sent away.
    page.goto("/custody/population/")
    check_accessibility(page, context="population page")
    assert _population_of(page, "Pre-trial centre One") == 1
    assert Person.objects.filter(current_institution=a).count() == 1
