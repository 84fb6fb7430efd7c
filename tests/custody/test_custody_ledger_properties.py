"""Property test: random event sequences through the services keep the ledger's invariants."""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from factories import InstitutionFactory, PersonFactory, moment, staff
from qadam.core.errors import ServiceError
from qadam.core.roles import Role
from qadam.custody import engine, services
from qadam.custody.models import DetentionBasis, Movement, Stay

pytestmark = pytest.mark.django_db

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "admit",
                "transfer_out",
                "transfer_in",
                "release",
                "absence_out",
                "absence_return",
                "escape",
                "recapture",
                "death",
                "correct_last",
            ]
        ),
        st.integers(min_value=0, max_value=2),  # which institution the event names
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture
def world() -> dict[str, Any]:
    institutions = [InstitutionFactory(code=f"P{n}") for n in range(3)]
    return {
        "institutions": institutions,
        "officer": staff(Role.RECEPTION, *institutions),
        "head": staff(Role.HEAD, *institutions),
    }


def _apply(world: dict[str, Any], person: Any, step: int, action: str, which: int) -> None:
    officer = world["officer"]
    institution = world["institutions"][which]
    when = moment(100) + timedelta(hours=6 * step)
    data = services.MovementInput(occurred_at=when, institution=institution, reason="r")
    if action == "admit":
        basis = services.basis_record(
            actor=officer,
            person=person,
            kind=DetentionBasis.Kind.VERDICT,
            authority="Court",
            document_number=f"V{step}",
            issued_on=when.date() - timedelta(days=1),
            valid_until=None,
        )
        services.person_admit(
            actor=officer,
            person=person,
            data=data,
            legal_status="sentenced",
            basis=basis,
            capacity_override_reason="test",
        )
    elif action == "transfer_out":
        here = person.current_institution or institution
        services.person_transfer_out(
            actor=officer,
            person=person,
            data=services.MovementInput(occurred_at=when, institution=here, reason="r"),
            destination=institution,
            escort="Convoy",
            capacity_override_reason="test",
        )
    elif action == "transfer_in":
        services.person_transfer_in(actor=officer, person=person, data=data)
    elif action == "release":
        services.person_release(
            actor=officer, person=person, data=data, release_reason="end_of_sentence"
        )
    elif action == "absence_out":
        services.person_absence_out(actor=officer, person=person, data=data, absence_reason="court")
    elif action == "absence_return":
        services.person_absence_return(actor=officer, person=person, data=data)
    elif action == "escape":
        services.person_escape(actor=officer, person=person, data=data)
    elif action == "recapture":
        services.person_recapture(actor=officer, person=person, data=data)
    elif action == "death":
        services.person_death(actor=officer, person=person, data=data)
    elif action == "correct_last":
        last = (
            Movement.objects.filter(person=person)
            .effective()
            .order_by("-occurred_at", "-id")
            .first()
        )
        if last is not None:
            services.movement_correct(actor=world["head"], movement=last, reason="test")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
# An arrival corrected: the person is in transit again and the arrival can be recorded again.
@example(
    actions=[
        ("admit", 0),
        ("transfer_out", 1),
        ("transfer_in", 1),
        ("correct_last", 0),
    ]
)
@example(
    actions=[
        ("admit", 0),
        ("transfer_out", 1),
        ("transfer_in", 1),
        ("correct_last", 0),
        ("transfer_in", 1),
    ]
)
# The same for a return from absence and a recapture.
@example(
    actions=[
        ("admit", 0),
        ("absence_out", 0),
        ("absence_return", 0),
        ("correct_last", 0),
        ("absence_return", 0),
        ("escape", 0),
        ("recapture", 2),
        ("correct_last", 0),
        ("recapture", 1),
    ]
)
def test_ledger_invariants_hold_for_any_sequence(world: dict[str, Any], actions: list[Any]) -> None:
    person = PersonFactory()
    for step, (action, which) in enumerate(actions):
        person.refresh_from_db()
        # A refused event writes nothing; the invariants below must hold either way.
        with contextlib.suppress(ServiceError):
            _apply(world, person, step, action, which)
    person.refresh_from_db()
    effective = list(Movement.objects.filter(person=person).effective())
    # The effective ledger replays without error: no event before admission or after release.
    state = engine.replay(services._as_engine_event(m) for m in effective)
    stays = list(Stay.objects.filter(person=person).order_by("start", "id"))
    # One place at a time: at most one open stay, and stays never overlap.
    assert sum(1 for s in stays if s.end is None) <= 1
    for earlier, later in itertools.pairwise(stays):
        assert earlier.end is not None
        assert earlier.end <= later.start
    # The derived current place agrees with the ledger.
    on_roll = state.status in engine.ON_ROLL
    assert person.current_institution_id == (state.institution_id if on_roll else None)
    # A transfer arrives only where it was sent.
    for arrival in (m for m in effective if m.kind == "transfer_in"):
        assert arrival.transfer_out is not None
        assert arrival.institution_id == arrival.transfer_out.destination_id
    # Each transfer has at most one effective arrival (reversed arrivals are kept beside it).
    arrived = [m.transfer_out_id for m in effective if m.kind == "transfer_in"]
    assert len(arrived) == len(set(arrived))
    # Nothing is recorded after a death.
    deaths = [m for m in effective if m.kind == "death"]
    if deaths:
        assert effective[-1].kind == "death"
    # A person in transit can always be received where they were sent, whatever was corrected.
    if state.status == engine.Status.IN_TRANSIT:
        pending = services.pending_transfer(person)
        assert pending is not None
        assert pending.pk == state.transfer_out_id
        destination = next(i for i in world["institutions"] if i.pk == state.destination_id)
        arrival = services.person_transfer_in(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(100) + timedelta(hours=6 * len(actions)),
                institution=destination,
            ),
        )
        person.refresh_from_db()
        assert arrival.transfer_out_id == pending.pk
        assert person.current_institution_id == destination.pk
