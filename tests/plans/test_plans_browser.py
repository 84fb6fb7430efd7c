"""Layout of the plan pages in Debian's Chromium: a checkbox beside its label, the agreement's
answers in normal weight under the bold question, the need-area cards kept apart.

Runs once, on PostgreSQL, like the other browser journeys (tests/browser/conftest.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from plans_helpers import area, plan_with_step, world

from browser_helpers import log_in
from qadam.plans import services

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "correct horse battery staple"


def test_checkbox_radio_group_and_cards_are_laid_out(browser_page: Any) -> None:
    page = browser_page
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
