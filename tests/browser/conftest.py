"""Playwright in Debian's Chromium against the live test server. Browser journeys run once, on
PostgreSQL (CI's second pass); on SQLite they are skipped with the allowed reason."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
