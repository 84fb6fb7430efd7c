"""A new assessment brings the plan's review forward (issue 5 §3: review deadlines "reset by
events (admission, transfer, new assessment)"): `assessment.services.assessment_create` calls the
plans service in its transaction, on behalf of the assessor."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from plans_helpers import plan_with_step, world

from qadam.assessment.models import Assessment
from qadam.assessment.services import assessment_create, instrument_in_force
from qadam.core.models import AuditEvent
from qadam.people.models import Person
from qadam.plans.models import Plan
from qadam.plans.schedule import EVENT_REVIEW_DAYS

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _assess(person: Person, actor: Any) -> Assessment:
    instrument = instrument_in_force()
    assert instrument is not None
    return assessment_create(
        person=person,
        actor=actor,
        instrument=instrument,
        kind="periodic",
        assessed_on=_today(),
        answers={item.code: item.options[-1].code for item in instrument.engine.items},
    )


def test_a_new_assessment_brings_the_review_forward() -> None:
    w = world(days_left=5 * 365)
    plan, _step = plan_with_step(w["person"], w["psychologist"])
    assert plan.next_review_due > _today() + timedelta(days=300)  # 5 years left: in 12 months
    _assess(w["person"], w["psychologist"])
    plan.refresh_from_db()
    assert plan.next_review_due == _today() + timedelta(days=EVENT_REVIEW_DAYS)
    assert plan.next_review_rule == f"event: review within {EVENT_REVIEW_DAYS} days"
    event = AuditEvent.objects.filter(verb="plan review rescheduled").latest("id")
    assert (event.actor, event.person_id, event.reason) == (
        w["psychologist"],
        w["person"].pk,
        "new assessment",
    )
    assert event.details["next_review_due"] == plan.next_review_due.isoformat()


def test_a_sooner_review_is_kept() -> None:
    w = world(days_left=5 * 365)
    plan, _step = plan_with_step(w["person"], w["psychologist"])
    sooner = _today() + timedelta(days=5)
    Plan.objects.filter(pk=plan.pk).update(next_review_due=sooner)
    _assess(w["person"], w["psychologist"])
    plan.refresh_from_db()
    assert plan.next_review_due == sooner


def test_without_a_plan_an_assessment_starts_none() -> None:
    w = world(days_left=5 * 365)
    _assess(w["person"], w["psychologist"])
    assert not Plan.objects.filter(person=w["person"]).exists()
    assert not AuditEvent.objects.filter(verb="plan review rescheduled").exists()
