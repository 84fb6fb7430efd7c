"""Layout of the plan pages in Debian's Chromium: a checkbox beside its label, the agreement's
answers in normal weight under the bold question, the need-area cards kept apart.

Runs once, on PostgreSQL, like the other browser journeys (tests/browser/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from plans_helpers import area, plan_with_step, world

from browser_helpers import log_in
from qadam.plans import services

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def plans_page(live_server: Any) -> Iterator[Any]:
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


def test_checkbox_radio_group_and_cards_are_laid_out(plans_page: Any) -> None:
    page = plans_page
    w = world()
    psychologist = w["psychologist"]
    psychologist.language = "en"
    psychologist.save(update_fields=["language"])
    plan, step = plan_with_step(w["person"], psychologist)
    services.plan_need_add(
        plan=plan, need_area=area("substance_use"), priority=2, source="staff", actor=psychologist
    )
    log_in(page, psychologist.username, PASSWORD)
    pk = w["person"].pk

    page.goto(f"/plans/person/{pk}/steps/{step.pk}/evidence/")
    box = page.locator("#id_mark_done").bounding_box()
    label = page.locator("label[for=id_mark_done]").bounding_box()
    assert box is not None
    assert label is not None
    assert label["x"] > box["x"] + box["width"]  # beside the checkbox, not below it
    assert abs((label["y"] + label["height"] / 2) - (box["y"] + box["height"] / 2)) < 8

    page.goto(f"/plans/person/{pk}/agreement/")
    weight = "(el) => getComputedStyle(el).fontWeight"
    assert int(page.locator("label[for=id_answer_0]").evaluate(weight)) < 600
    assert int(page.locator("#id_answer legend").evaluate(weight)) >= 600

    page.goto(f"/plans/person/{pk}/")
    cards = page.locator("#needs article.card")
    assert cards.count() == 2
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert second["y"] - (first["y"] + first["height"]) >= 8  # a gap between the borders
