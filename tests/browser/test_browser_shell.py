"""Journey: log in with the keyboard, switch language, and the shell passes axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from browser_helpers import check_accessibility
from factories import InstitutionFactory, staff
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


def test_log_in_by_keyboard_and_switch_language(browser_page: Any) -> None:
    page = browser_page
    staff(Role.HEAD, InstitutionFactory(), username="head1", language="en")
    page.goto("/login/")
    check_accessibility(page, context="login page")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_label("Login").fill("head1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    check_accessibility(page, context="home page")
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Добро пожаловать")
    page.reload()  # remembered on the account
    assert page.locator("html").get_attribute("lang") == "ru"
