"""`custody.signals.movement_recorded`: an admission or an arrival on transfer brings the
reassessment and the plan's review forward in the custody transaction, on behalf of the officer
who recorded it (who holds neither capability); a failing receiver rolls the event back."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.assessment.models import Reassessment
from qadam.core.models import AuditEvent
from qadam.core.policies import has_capability
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Movement, Stay
from qadam.custody.signals import movement_recorded
from qadam.people.models import Person
from qadam.plans import services as plans

pytestmark = pytest.mark.django_db

CUSTODY = Path(services.__file__).resolve().parent


def _today() -> Any:
    return timezone.localdate()


@pytest.fixture
def world() -> dict[str, Any]:
    a, b = InstitutionFactory(code="SIG-A"), InstitutionFactory(code="SIG-B")
    return {
        "a": a,
        "b": b,
        "reception_a": staff(Role.RECEPTION, a, username="sig-reception-a"),
        "reception_b": staff(Role.RECEPTION, b, username="sig-reception-b"),
        "psychologist": staff(Role.PSYCHOLOGIST, a, b, username="sig-psychologist"),
    }


def _admit(person: Person, world: dict[str, Any], *, years_left: int = 5) -> Movement:
    actor = world["reception_a"]
    basis = services.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"S-{person.pk}",
        issued_on=moment(3).date(),
        valid_until=_today() + timedelta(days=365 * years_left),
    )
    return services.person_admit(
        actor=actor,
        person=person,
        data=services.MovementInput(occurred_at=moment(1), institution=world["a"]),
        legal_status="sentenced",
        basis=basis,
    )


def _transfer_out(person: Person, world: dict[str, Any]) -> Movement:
    return services.person_transfer_out(
        actor=world["reception_a"],
        person=person,
        data=services.MovementInput(
            occurred_at=timezone.now() - timedelta(hours=3),
            institution=world["a"],
            reason="Court order",
        ),
        destination=world["b"],
        escort="Escort unit 3",
    )


def _arrive(person: Person, world: dict[str, Any]) -> Movement:
    return services.person_transfer_in(
        actor=world["reception_b"],
        person=person,
        data=services.MovementInput(
            occurred_at=timezone.now() - timedelta(hours=1), institution=world["b"]
        ),
    )


def test_custody_imports_neither_plans_nor_assessment() -> None:
    """They depend on custody; custody reaches them only through the signal."""
    offending = []
    for path in sorted(CUSTODY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offending += [
                f"{path.name}: {name}"
                for name in names
                if name.startswith(("qadam.plans", "qadam.assessment"))
            ]
    assert offending == []


def test_admission_brings_the_reassessment_within_the_event_window(
    world: dict[str, Any],
) -> None:
    officer = world["reception_a"]
    assert not has_capability(officer, "assess_person")  # the system schedules, not the officer
    person = PersonFactory()
    movement = _admit(person, world)
    row = Reassessment.objects.get(person=person)
    # Never assessed: the first assessment is due within the window from the day held under the
    # sentence (the admission).
    since = timezone.localtime(movement.occurred_at).date()
    assert (row.due_on, row.reason) == (since + timedelta(days=30), "first")
    event = AuditEvent.objects.get(verb="reassessment scheduled", person_id=person.pk)
    assert event.actor == officer
    assert event.reason == f"admission recorded (ledger event {movement.pk})"
    assert event.details == {
        "event": "first",
        "due_on": row.due_on.isoformat(),
        "since": since.isoformat(),
    }


def test_readmission_brings_the_plan_review_forward(world: dict[str, Any]) -> None:
    person = PersonFactory()
    _admit(person, world)
    plan = plans.plan_start(person=person, actor=world["psychologist"])
    assert plan.next_review_due > _today() + timedelta(days=300)  # 5 years left: every 12 months
    services.person_release(
        actor=world["reception_a"],
        person=person,
        data=services.MovementInput(
            occurred_at=timezone.now() - timedelta(hours=5), institution=world["a"]
        ),
        release_reason="court_decision",
    )
    plan.refresh_from_db()
    assert plan.next_review_due > _today() + timedelta(days=300)  # a release is no such event
    services.person_admit(
        actor=world["reception_a"],
        person=person,
        data=services.MovementInput(
            occurred_at=timezone.now() - timedelta(hours=1), institution=world["a"]
        ),
        legal_status="sentenced",
        basis=DetentionBasis.objects.filter(person=person).latest("id"),
    )
    plan.refresh_from_db()
    assert plan.next_review_due == _today() + timedelta(days=30)
    event = AuditEvent.objects.filter(verb="plan review rescheduled").latest("id")
    assert (event.actor, event.person_id) == (world["reception_a"], person.pk)
    assert event.reason.startswith("admission recorded (ledger event ")


def test_arrival_after_transfer_brings_the_plan_review_forward(world: dict[str, Any]) -> None:
    person = PersonFactory()
    admission = _admit(person, world)
    plan = plans.plan_start(person=person, actor=world["psychologist"])
    regular_due = plan.next_review_due
    assert regular_due > _today() + timedelta(days=300)
    _transfer_out(person, world)
    plan.refresh_from_db()
    assert plan.next_review_due == regular_due  # sending is not the event; arriving is
    arrival = _arrive(person, world)
    plan.refresh_from_db()
    assert plan.next_review_due == _today() + timedelta(days=30)
    assert plan.institution == world["b"]
    event = AuditEvent.objects.filter(verb="plan review rescheduled").latest("id")
    officer = world["reception_b"]
    assert not has_capability(officer, "manage_plan")
    assert (event.actor, event.person_id) == (officer, person.pk)
    assert event.reason == f"arrival on transfer recorded (ledger event {arrival.pk})"
    row = Reassessment.objects.get(person=person)
    # Never assessed: the transfer keeps the first assessment's date (from the admission).
    since = timezone.localtime(admission.occurred_at).date()
    assert (row.due_on, row.reason) == (since + timedelta(days=30), "first")


def test_a_move_within_the_institution_schedules_nothing(world: dict[str, Any]) -> None:
    from factories import SectionFactory

    person = PersonFactory()
    _admit(person, world)
    plan = plans.plan_start(person=person, actor=world["psychologist"])
    due = plan.next_review_due
    before = AuditEvent.objects.filter(verb="reassessment scheduled").count()
    services.person_move_section(
        actor=world["reception_a"],
        person=person,
        data=services.MovementInput(
            occurred_at=timezone.now() - timedelta(hours=1),
            institution=world["a"],
            section=SectionFactory(institution=world["a"]),
        ),
    )
    plan.refresh_from_db()
    assert plan.next_review_due == due
    assert AuditEvent.objects.filter(verb="reassessment scheduled").count() == before


def test_a_failing_receiver_rolls_the_custody_event_back(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = PersonFactory()
    _admit(person, world)
    _transfer_out(person, world)
    schedule_before = list(Reassessment.objects.filter(person=person).values_list())
    before = (
        Movement.objects.count(),
        list(Stay.objects.filter(person=person).values_list()),
        AuditEvent.objects.count(),
    )

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("plans unavailable")

    monkeypatch.setattr(plans, "plan_schedule_review", broken)
    with pytest.raises(RuntimeError, match="plans unavailable"):
        _arrive(person, world)
    person.refresh_from_db()
    assert person.current_institution_id is None  # still in transit
    assert (
        Movement.objects.count(),
        list(Stay.objects.filter(person=person).values_list()),
        AuditEvent.objects.count(),
    ) == before
    assert list(Reassessment.objects.filter(person=person).values_list()) == schedule_before


def test_receivers_get_the_person_the_movement_and_the_actor(world: dict[str, Any]) -> None:
    seen: list[tuple[Any, ...]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append((sender, kwargs["person"].pk, kwargs["movement"].kind, kwargs["actor"]))

    movement_recorded.connect(receiver, dispatch_uid="test-receiver")
    try:
        person = PersonFactory()
        _admit(person, world)
    finally:
        movement_recorded.disconnect(dispatch_uid="test-receiver")
    assert seen == [(Movement, person.pk, "admission", world["reception_a"])]
