"""Helpers for the Playwright journeys in tests/browser/."""

from __future__ import annotations

from typing import Any


def check_accessibility(page: Any, *, context: str) -> None:
    """axe-core on the current page: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [
        v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}
    ]
    details = "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in violations)
    assert not violations, f"accessibility problems on {context}: {details}"


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Login").fill(username)
    page.get_by_label("Password").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
