"""The assessment panel on the home page: counts in scope that link to the lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from assessment_helpers import assess, world
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import staff
from qadam.assessment import services
from qadam.assessment.models import Reassessment
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def home(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("core:home")).content.decode()


def test_psychologist_sees_overdue_and_due_soon_in_scope_only() -> None:
    w = world()
    today = timezone.localdate()
    Reassessment.objects.update_or_create(
        person=w["pa"], defaults={"due_on": today - timedelta(days=3), "reason": "first"}
    )
    Reassessment.objects.update_or_create(
        person=w["pb"], defaults={"due_on": today - timedelta(days=3), "reason": "first"}
    )
    page = home(w["psychologist"])
    assert "Nothing needs your attention" not in page
    assert "1 assessment overdue" in page  # the other person is in institution B
    assert f"{reverse('assessment:due_list')}?status=overdue" in page
    Reassessment.objects.filter(person=w["pa"]).update(due_on=today + timedelta(days=10))
    page = home(w["psychologist"])
    assert "overdue" not in page.split("Risk and needs assessments")[1].split("</section>")[0]
    assert "1 assessment due in the next 30 days" in page


def test_head_sees_band_overrides_awaiting_a_decision() -> None:
    w = world()
    assessment = assess(w["pa"], w["psychologist"])
    band = next(b.code for b in assessment.instrument.engine.bands if b.code != assessment.band)
    services.override_request(
        actor=w["psychologist"], assessment=assessment, band=band, reason="Court documents show"
    )
    page = home(w["head"])
    assert "1 band override awaits your decision" in page
    assert reverse("assessment:override_list") in page
    other_head = staff(Role.HEAD, w["b"], username="head-b")
    assert "band override" not in home(other_head)


def test_no_panel_when_nothing_is_due() -> None:
    w = world()
    Reassessment.objects.all().delete()
    assert "Risk and needs assessments" not in home(w["psychologist"])


def test_analyst_finds_the_instruments_in_the_menu() -> None:
    analyst = staff(Role.ANALYST, national=True, username="analyst-nav")
    page = home(analyst)
    assert f'href="{reverse("assessment:instrument_list")}"' in page
    client = Client()
    client.force_login(analyst)
    assert client.get(reverse("assessment:instrument_list")).status_code == 200
