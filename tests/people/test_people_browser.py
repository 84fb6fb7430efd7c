"""Journey: search as you type (htmx), open the person page by keyboard; axe-core on both pages.

Runs once, on PostgreSQL, like the other browser journeys (tests/browser/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from people_helpers import admit, named

from browser_helpers import check_accessibility, log_in
from factories import InstitutionFactory, staff
from qadam.core.roles import Role

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def people_page(live_server: Any) -> Iterator[Any]:
    if connection.vendor != "postgresql":
        pytest.skip("browser journeys run once, on PostgreSQL")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_search_as_you_type_and_open_the_person(people_page: Any) -> None:
    page = people_page
    a = InstitutionFactory()
    officer = staff(Role.RECEPTION, a, username="reception1", language="en")
    person = admit(named("Жанибеков", "Нурлан", patronymic="Серикович"), a, officer)
    log_in(page, "reception1", PASSWORD)
    page.wait_for_selector("form[action='/logout/']")  # the login has completed
    page.goto("/people/search/")
    check_accessibility(page, context="empty search page")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Name, IIN or case number").type("zhanibekov nurlan", delay=20)
    # htmx swaps the results in without a page load.
    page.wait_for_selector(f"text={person.case_number}")
    assert "/people/search/?q=zhanibekov" in page.url  # htmx pushed the query to the address
    assert page.evaluate("window.stillTheSamePage") is True  # no full page load
    check_accessibility(page, context="search results")
    link = page.get_by_role("link", name=person.case_number)
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{person.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Жанибеков Нурлан Серикович"
    check_accessibility(page, context="person page")
