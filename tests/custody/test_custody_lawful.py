"""Lawful-detention lists, the alarm command and acknowledgement."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.core.models import Alert, AuditEvent
from qadam.core.roles import Role
from qadam.custody import lawful, services
from qadam.custody.models import DetentionBasis
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A")
    b = InstitutionFactory(code="B")
    return {"a": a, "b": b, "officer": staff(Role.RECEPTION, a, b), "head": staff(Role.HEAD, a)}


def remand(world: dict[str, Any], institution: Any, lawful_in_days: int, n: int) -> Person:
    person = PersonFactory(case_number=f"Q-L-{n}")
    basis = services.basis_record(
        actor=world["officer"],
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number=f"R-{n}",
        issued_on=moment(90).date(),
        valid_until=timezone.localdate() + timedelta(days=lawful_in_days),
    )
    services.person_admit(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(occurred_at=moment(80), institution=institution),
        legal_status="remand",
        basis=basis,
    )
    person.refresh_from_db()
    return person


def test_lists_per_institution(world: dict[str, Any], settings: Any) -> None:
    settings.DETENTION_EXPIRY_WARNING_DAYS = 7
    past = remand(world, world["a"], -3, 1)
    today = remand(world, world["a"], 0, 2)
    soon = remand(world, world["a"], 7, 3)
    remand(world, world["a"], 8, 4)  # outside the warning period
    remand(world, world["b"], -1, 5)  # another institution
    lists = lawful.lawful_lists([world["a"]])
    assert [p.pk for p in lists.held_past] == [past.pk]
    assert [p.pk for p in lists.due_today] == [today.pk]
    assert [p.pk for p in lists.expiring] == [soon.pk]


def test_alarm_command_is_idempotent_and_audited(world: dict[str, Any]) -> None:
    past = remand(world, world["a"], -3, 1)
    remand(world, world["a"], 3, 2)
    out = StringIO()
    call_command("check_detention", stdout=out)
    assert "alarms raised: 1" in out.getvalue()
    alert = Alert.objects.get()
    assert (alert.person_id, alert.institution_id, alert.due_date) == (
        past.pk,
        world["a"].pk,
        past.lawful_until,
    )
    assert AuditEvent.objects.filter(action="alarm", person_id=past.pk).count() == 1
    call_command("check_detention", stdout=StringIO())
    assert Alert.objects.count() == 1
    assert AuditEvent.objects.filter(action="alarm").count() == 1


def test_acknowledging_keeps_the_person_on_the_list(world: dict[str, Any]) -> None:
    past = remand(world, world["a"], -2, 1)
    lawful.raise_alarms()
    alert = Alert.objects.get()
    client = Client()
    client.force_login(world["head"])
    home = client.get(reverse("core:home"))
    assert "Acknowledge alarm for" in home.content.decode()
    response = client.post(reverse("custody:alert_acknowledge", kwargs={"pk": alert.pk}))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world["head"]
    assert alert.acknowledged_at is not None
    assert AuditEvent.objects.filter(verb="alarm acknowledged", person_id=past.pk).count() == 1
    assert [p.pk for p in lawful.held_past_lawful_date([world["a"]])] == [past.pk]
    home = client.get(reverse("core:home")).content.decode()
    assert past.full_name in home
    assert "Acknowledge alarm for" not in home


def test_regime_officer_cannot_acknowledge(world: dict[str, Any]) -> None:
    remand(world, world["a"], -2, 1)
    lawful.raise_alarms()
    alert = Alert.objects.get()
    client = Client()
    client.force_login(staff(Role.REGIME, world["a"]))
    response = client.post(reverse("custody:alert_acknowledge", kwargs={"pk": alert.pk}))
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_new_document_or_release_resolves_the_alarm(world: dict[str, Any]) -> None:
    extended = remand(world, world["a"], -2, 1)
    released = remand(world, world["a"], -1, 2)
    lawful.raise_alarms()
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 2
    services.detention_extend(
        actor=world["officer"],
        person=extended,
        authority="Court",
        document_number="EXT-1",
        issued_on=timezone.localdate(),
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    extended.refresh_from_db()
    assert extended.lawful_until == timezone.localdate() + timedelta(days=30)
    services.person_release(
        actor=world["officer"],
        person=released,
        data=services.MovementInput(
            occurred_at=timezone.now() - timedelta(minutes=1), institution=world["a"]
        ),
        release_reason="remand_ended",
    )
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 0
    assert list(lawful.held_past_lawful_date([world["a"]])) == []
    assert lawful.raise_alarms().raised == 0


def test_home_never_says_nobody_is_held_past_the_date_before_the_check_runs(
    world: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(world["head"])
    with_nobody = client.get(reverse("core:home")).content.decode()
    assert "Nobody in your institutions is held past the lawful date." in with_nobody
    past = remand(world, world["a"], -3, 1)
    assert not Alert.objects.exists()  # the daily check has not run yet
    home = client.get(reverse("core:home")).content.decode()
    assert "Nobody in your institutions is held past the lawful date." not in home
    assert "1 person is held past the lawful date (listed below)" in home
    assert past.case_number in home
    call_command("check_detention", stdout=StringIO())
    raised = client.get(reverse("core:home")).content.decode()
    assert "the alarm is raised by the next detention check" not in raised
    assert "1 person held past the lawful date" in raised
