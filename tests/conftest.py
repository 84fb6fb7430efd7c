"""Shared fixtures. Data comes from factories (tests/factories.py)."""

from __future__ import annotations

import os
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
