"""Journey with the keyboard only (Tab, Shift+Tab, Enter, Space, typing, arrow keys inside a
select): log in, switch language, search, open a person, submit a form with errors, follow the
error summary to the field, correct it and submit. Every element that takes focus on the way
shows a focus outline."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from browser_helpers import focused_element, page_problems
from factories import InstitutionFactory, PersonFactory, institution_type, moment, staff
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Movement

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"

_FOCUS = """() => {
  const el = document.activeElement;
  return { tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "",
           cls: el.getAttribute("class") || "", main: Boolean(el.closest("main")),
           form: el.form ? el.form.className : "", href: el.getAttribute("href") || "",
           type: el.getAttribute("type") || "", value: "value" in el ? el.value : "",
           text: (el.innerText || el.value || "").trim().slice(0, 80) };
}"""


class Keyboard:
    """Moves through a page with Tab and Shift+Tab and checks each stop shows its focus."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.unseen_focus: list[str] = []

    def focus(self) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate(_FOCUS)
        return found

    def _check_outline(self) -> None:
        shown = focused_element(self.page)
        if shown is not None and not shown["visible"]:
            self.unseen_focus.append(f"{self.page.url}: <{shown['tag']} id={shown['id']!r}>")

    def tab_to(
        self, wanted: Callable[[dict[str, Any]], bool], *, back: bool = False, limit: int = 80
    ) -> dict[str, Any]:
        """Tab (or Shift+Tab) until the focused element is the wanted one."""
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            self._check_outline()
            focus = self.focus()
            if wanted(focus):
                return focus
        raise AssertionError(f"{limit} presses of Tab did not reach the element on {self.page.url}")

    def choose(self, value: str) -> None:
        """In the focused select, move with the arrow keys to the option with this value."""
        values: list[str] = self.page.evaluate(
            "Array.from(document.activeElement.options).map((o) => o.value)"
        )
        steps = values.index(value) - values.index(self.focus()["value"])
        for _ in range(abs(steps)):
            self.page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
        assert self.focus()["value"] == value


def _assert_focus_shown(page: Any) -> None:
    shown = focused_element(page)
    assert shown is not None
    assert shown["visible"], f"no focus outline on {shown}"


def _is(tag: str, **attrs: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["tag"] == tag and all(f.get(k) == v for k, v in attrs.items())


def _submit_in_main(f: dict[str, Any]) -> bool:
    return f["tag"] == "button" and f["type"] == "submit" and f["main"]


def _text(tag: str, pattern: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["tag"] == tag and re.search(pattern, f["text"]) is not None


def test_keyboard_only_journey(browser_page: Any) -> None:
    page = browser_page
    a = InstitutionFactory(code="A", name_en="Pre-trial centre One", type=institution_type("SIZO"))
    b = InstitutionFactory(code="B", name_en="Pre-trial centre Two", type=institution_type("SIZO"))
    officer = staff(Role.RECEPTION, a, b, username="keys", language="en")
    person = PersonFactory(surname="Жанибеков", first_name="Нурлан")
    basis = services.basis_record(
        actor=officer,
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number="K-1",
        issued_on=moment(20).date(),
        valid_until=moment(-40).date(),
    )
    services.person_admit(
        actor=officer,
        person=person,
        data=services.MovementInput(occurred_at=moment(10), institution=a),
        legal_status="remand",
        basis=basis,
    )
    keys = Keyboard(page)

    # Log in: the skip link comes first and moves focus to the main content.
    page.goto("/login/")
    assert keys.tab_to(lambda f: True)["cls"] == "skip-link"
    page.keyboard.press("Enter")
    assert keys.focus()["id"] == "main"
    keys.tab_to(_is("input", id="id_username"))
    page.keyboard.type("keys")
    keys.tab_to(_is("input", id="id_password"))
    page.keyboard.type(PASSWORD)
    keys.tab_to(_submit_in_main)
    keys.tab_to(_is("input", id="id_password"), back=True)  # Shift+Tab goes back
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)

    # Switch the language to Russian and back, from the top bar.
    for language in ("ru", "en"):
        keys.tab_to(_is("select", id="language-select"))
        keys.choose(language)
        keys.tab_to(_is("button", form="lang-form"))
        page.keyboard.press("Space")
        page.wait_for_function(f"document.documentElement.lang === '{language}'")
        page.wait_for_load_state()

    # Search by a Latin spelling and open the person.
    keys.tab_to(_text("a", "^Search$"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/people/search/")
    keys.tab_to(_is("input", id="id_q"))
    page.keyboard.type("Zhanibekov")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=Zhanibekov"))
    page.locator("#search-results table").wait_for()
    keys.tab_to(_text("a", "Жанибеков"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{person.pk}/")

    # Open the transfer form and submit it empty.
    keys.tab_to(_text("a", "^Transfer out$"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/custody/persons/{person.pk}/transfer/")
    keys.tab_to(_submit_in_main)
    page.keyboard.press("Space")
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    summary.wait_for()
    # Focus lands on the error summary, and it shows.
    page.wait_for_function("document.activeElement.id === 'error-summary'")
    _assert_focus_shown(page)
    assert page.locator("#error-summary a").count() == 3  # destination, reason, escort
    # The page with its errors passes the sweep's checks (they end with focus on <main>).
    assert not page_problems(page, context="transfer form with errors", language="en")
    # Its first link moves focus to the first field in error.
    first = keys.tab_to(lambda f: f["tag"] == "a" and f["href"].startswith("#"))
    target = first["href"].removeprefix("#")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.activeElement.id === '{target}'")
    assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    _assert_focus_shown(page)
    assert target == "id_destination"

    # Correct every field in error with the keyboard and submit again.
    keys.choose(str(b.pk))
    keys.tab_to(_is("textarea", name="reason"))
    page.keyboard.type("Verdict entered into force")
    keys.tab_to(_is("input", name="escort"))
    page.keyboard.type("Convoy unit 3")
    keys.tab_to(_submit_in_main)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{person.pk}/")
    assert Movement.objects.filter(person=person, kind="transfer_out").exists()
    assert not keys.unseen_focus, f"focus without an outline: {keys.unseen_focus}"
