"""The plans panel on the home page: overdue reviews and versions awaiting countersignature."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from plans_helpers import plan_with_step, world

from factories import staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.plans.models import Plan

pytestmark = pytest.mark.django_db


def home(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("core:home")).content.decode()


def test_overdue_review_shows_for_the_psychologist_in_scope() -> None:
    w = world()
    plan, _ = plan_with_step(w["person"], w["psychologist"])
    Plan.objects.filter(pk=plan.pk).update(next_review_due=timezone.localdate() - timedelta(days=2))
    page = home(w["psychologist"])
    assert "1 plan review overdue" in page
    assert reverse("plans:overdue_list") in page
    assert "plan review" not in home(staff(Role.PSYCHOLOGIST, w["b"]))


def test_head_sees_drafts_awaiting_countersignature_but_not_their_own() -> None:
    w = world()
    plan_with_step(w["person"], w["psychologist"])
    page = home(w["head"])
    assert "1 plan version awaits countersignature" in page
    assert w["person"].case_number in page
    assert reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk}) in page
    assert AuditEvent.objects.filter(
        actor=w["head"], verb="home page: plan versions awaiting countersignature"
    ).exists()
    # The psychologist cannot countersign: no such list for them.
    assert "awaits countersignature" not in home(w["psychologist"])
