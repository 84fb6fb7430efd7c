"""Shared fixtures. Data comes from factories (tests/factories.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Under CI=true a skipped test fails the run, unless its reason starts with one of these
# (the explicit list of allowed skips: each names why it may not run everywhere).
ALLOWED_SKIP_PREFIXES = (
    "browser journeys run once, on PostgreSQL",
    "needs the shared data set",
    "PostgreSQL only:",
    "SQLite only:",
)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Any:
    """Services called directly by tests speak English; requests use the user's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under CI=true a skip without an allowed reason is reported as a failure, from the report
    itself, so every reporter (and xdist's controller) sees a failed test, never a skip."""
    report: pytest.TestReport = yield
    if os.environ.get("CI") != "true" or not report.skipped or report.when == "teardown":
        return report
    if hasattr(report, "wasxfail"):
        return report  # an expected failure, with its reason, is not a skip
    reason = ""
    if isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
    reason = reason.removeprefix("Skipped: ")
    if not reason.startswith(ALLOWED_SKIP_PREFIXES):
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI=true without an allowed reason: {reason}"
    return report


# --- Playwright in Debian's Chromium against the live test server (PostgreSQL pass only) --------
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[Any]:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("browser journeys run once, on PostgreSQL")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
