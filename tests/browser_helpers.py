"""Helpers for the Playwright journeys in tests/browser/."""

from __future__ import annotations

from functools import cache
from typing import Any

# Each form control that a person fills or chooses (not hidden fields and not buttons, which
# axe-core checks for a name) must have a label, an aria-label(ledby) or a title: the names of
# those that have none. Controls in closed panels count too, which axe-core does not see.
_UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter((el) => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
  .filter((el) => {
    const text = (node) => Boolean(node && node.textContent.trim());
    if (el.labels && Array.from(el.labels).some(text)) return false;
    if ((el.getAttribute("aria-label") || "").trim()) return false;
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (ids.some((id) => text(document.getElementById(id)))) return false;
    return !(el.getAttribute("title") || "").trim();
  })
  .map((el) => el.name || el.id || el.outerHTML.slice(0, 80))"""

_DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return Array.from(seen).filter(([, n]) => n > 1).map(([id]) => id);
}"""

# Data tables need header cells; layout tables say so with role="presentation".
_TABLES_WITHOUT_HEADERS = """() => Array.from(document.querySelectorAll("table"))
  .filter((t) => !["presentation", "none"].includes(t.getAttribute("role")))
  .filter((t) => t.querySelector("td") && !t.querySelector("th"))
  .map((t) => t.id || t.className || t.outerHTML.slice(0, 60))"""

# The first element in the tab order must be the skip link.
_FIRST_FOCUSABLE_IS_SKIP_LINK = """() => {
  const first = document.querySelector(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
  );
  return Boolean(first && first.classList.contains("skip-link"));
}"""

# Every element that takes focus from the keyboard shows an outline when it has the focus.
_FOCUS_WITHOUT_OUTLINE = """() => {
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.outlineStyle !== "none" && (parseFloat(style.outlineWidth) || 0) >= 2;
  };
  const found = [];
  const focusable = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])'
  );
  for (const el of focusable) {
    if (el.disabled || !el.getClientRects().length) continue;
    el.focus({ preventScroll: true });
    if (document.activeElement !== el) continue;
    if (!shown(el)) found.push(el.id || el.getAttribute("name") || el.outerHTML.slice(0, 60));
  }
  if (document.activeElement) document.activeElement.blur();
  return found;
}"""

_FOCUS_OUTLINE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const width = parseFloat(style.outlineWidth) || 0;
  return { tag: el.tagName.toLowerCase(), id: el.id, cls: el.getAttribute("class") || "",
           visible: style.outlineStyle !== "none" && width >= 2 };
}"""


@cache
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def accessibility_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    results = _axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
        + ", ".join(str(n["target"][0]) for n in v["nodes"][:3])
        + ")"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def check_accessibility(page: Any, *, context: str) -> None:
    """axe-core on the current page: no serious or critical violations."""
    violations = accessibility_violations(page)
    assert not violations, f"accessibility problems on {context}: {'; '.join(violations)}"


def focused_element(page: Any) -> dict[str, Any] | None:
    """The focused element (tag, id, class) and whether it shows a focus outline."""
    found: dict[str, Any] | None = page.evaluate(_FOCUS_OUTLINE)
    return found


def page_problems(page: Any, *, context: str, language: str) -> list[str]:
    """Everything wrong on the current page, one line each (empty when the page passes):
    axe-core, one h1, `lang`, labels, duplicate ids, table headers, focus outlines, skip link."""
    problems = [f"{context}: {v}" for v in accessibility_violations(page)]
    h1 = page.locator("h1").count()
    if h1 != 1:
        problems.append(f"{context}: {h1} h1 headings, not one")
    lang = page.evaluate("document.documentElement.lang")
    if lang != language:
        problems.append(f"{context}: <html lang={lang!r}>, the page is in {language!r}")
    for name in page.evaluate(_UNLABELLED_CONTROLS):
        problems.append(f"{context}: form control without a label: {name}")
    for name in page.evaluate(_DUPLICATE_IDS):
        problems.append(f"{context}: duplicate id {name!r}")
    for name in page.evaluate(_TABLES_WITHOUT_HEADERS):
        problems.append(f"{context}: table without header cells: {name}")
    for name in page.evaluate(_FOCUS_WITHOUT_OUTLINE):
        problems.append(f"{context}: no visible focus outline on {name}")
    problems += [f"{context}: {p}" for p in skip_link_problems(page)]
    return problems


def skip_link_problems(page: Any) -> list[str]:
    """The skip link comes first in the tab order, shows when focused and moves focus to main."""
    if not page.evaluate(_FIRST_FOCUSABLE_IS_SKIP_LINK):
        return ["the first element in the tab order is not a skip link"]
    link = page.locator(".skip-link").first
    link.focus()
    problems = []
    box = link.bounding_box()
    if box is None or box["x"] < 0 or box["y"] < 0:
        problems.append("the focused skip link is off screen")
    focus = focused_element(page)
    if focus is None or not focus["visible"]:
        problems.append("the focused skip link has no visible outline")
    page.keyboard.press("Enter")
    if not page.evaluate("document.activeElement === document.querySelector('main')"):
        problems.append("the skip link does not move focus to <main>")
    return problems


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Login").fill(username)
    page.get_by_label("Password").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
