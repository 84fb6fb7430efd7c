"""Correcting one event of a pair (transfer out/arrival, absence/return, escape/recapture).

The ledger stays append-only: the reversed event is kept, unchanged, and the person is back in
the state before it, so that the event can be recorded again.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from factories import InstitutionFactory, moment, region, sentenced_person, staff
from qadam.core.api_tokens import issue_token
from qadam.core.errors import ConflictError
from qadam.core.roles import Role
from qadam.custody import arrivals, engine, services
from qadam.custody.models import Movement, Stay
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


def _admitted(officer: Any, institution: Any) -> Person:
    return sentenced_person(institution, officer)


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="PA", region=region("KZ-35"))
    b = InstitutionFactory(code="PB", region=region("KZ-55"))
    officer = staff(Role.RECEPTION, a, b)
    person = _admitted(officer, a)
    sent = services.person_transfer_out(
        actor=officer,
        person=person,
        data=services.MovementInput(occurred_at=moment(5), institution=a, reason="Family"),
        destination=b,
        escort="Convoy 3",
    )
    arrived = services.person_transfer_in(
        actor=officer,
        person=person,
        data=services.MovementInput(occurred_at=moment(4), institution=b),
    )
    person.refresh_from_db()
    return {
        "a": a,
        "b": b,
        "officer": officer,
        "head_b": staff(Role.HEAD, b),
        "receiver": staff(Role.RECEPTION, b),
        "person": person,
        "sent": sent,
        "arrived": arrived,
    }


def _snapshot(movement: Movement) -> dict[str, Any]:
    """Every column of a ledger row, to show that a correction edits nothing."""
    fields = [f.attname for f in Movement._meta.concrete_fields]
    row: dict[str, Any] = Movement.objects.filter(pk=movement.pk).values(*fields).get()
    return row


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Transfer out and arrival ------------------------------------------------------------------


def test_corrected_arrival_puts_the_person_in_transit_again(world: dict[str, Any]) -> None:
    person, sent, arrived = world["person"], world["sent"], world["arrived"]
    before = _snapshot(arrived)
    services.movement_correct(actor=world["head_b"], movement=arrived, reason="Wrong date")
    person.refresh_from_db()
    assert person.current_institution_id is None
    assert person.last_institution_id == world["a"].pk
    assert services.rebuild_stays(person).status == engine.Status.IN_TRANSIT
    assert list(arrivals.pending_transfers([world["b"]])) == [sent]
    assert list(arrivals.persons_arriving(world["receiver"])) == [person]
    # Append-only: the reversed arrival is kept as it was, still naming its transfer.
    assert _snapshot(arrived) == before
    assert Movement.objects.get(pk=arrived.pk).transfer_out_id == sent.pk


def test_corrected_arrival_can_be_recorded_again(world: dict[str, Any]) -> None:
    person, sent, arrived = world["person"], world["sent"], world["arrived"]
    services.movement_correct(actor=world["head_b"], movement=arrived, reason="Wrong date")
    again = services.person_transfer_in(
        actor=world["receiver"],
        person=person,
        data=services.MovementInput(occurred_at=moment(3), institution=world["b"]),
    )
    person.refresh_from_db()
    assert again.transfer_out_id == sent.pk
    assert person.current_institution == world["b"]
    assert list(sent.arrivals.effective()) == [again]
    assert sent.arrivals.count() == 2  # the reversed one and the new one
    stays = list(Stay.objects.filter(person=person).order_by("start"))
    assert [(s.institution.code, s.start_event_id) for s in stays] == [
        ("PA", Movement.objects.get(person=person, kind="admission").pk),
        ("PB", again.pk),
    ]
    assert stays[0].end == sent.occurred_at
    assert stays[1].start == moment(3)
    assert arrivals.pending_transfers([world["b"]]).count() == 0


def test_a_second_arrival_of_one_transfer_is_refused(world: dict[str, Any]) -> None:
    count = Movement.objects.count()
    with pytest.raises(ConflictError) as error:
        services.person_transfer_in(
            actor=world["receiver"],
            person=world["person"],
            data=services.MovementInput(occurred_at=moment(2), institution=world["b"]),
        )
    assert "person" in error.value.errors
    assert Movement.objects.count() == count


def test_a_corrected_arrival_then_its_transfer_returns_the_person(world: dict[str, Any]) -> None:
    person, head_a = world["person"], staff(Role.HEAD, world["a"])
    services.movement_correct(actor=world["head_b"], movement=world["arrived"], reason="Never came")
    services.movement_correct(actor=head_a, movement=world["sent"], reason="Never left")
    person.refresh_from_db()
    assert person.current_institution == world["a"]
    assert arrivals.pending_transfers([world["b"]]).count() == 0
    assert Stay.objects.get(person=person).end is None


def test_the_transfer_of_an_effective_arrival_cannot_be_corrected(world: dict[str, Any]) -> None:
    with pytest.raises(ConflictError):
        services.movement_correct(
            actor=staff(Role.HEAD, world["a"]), movement=world["sent"], reason="Never left"
        )


def test_engine_ignores_a_reversed_arrival_and_refuses_a_second_one() -> None:
    from datetime import UTC, datetime

    def at(hour: int) -> datetime:
        return datetime(2025, 1, 1, hour, tzinfo=UTC)

    admission = engine.Event(1, "admission", at(1), 10, legal_status="sentenced")
    out = engine.Event(2, "transfer_out", at(2), 10, destination_id=20)
    first = engine.Event(3, "transfer_in", at(3), 20, transfer_out_id=2)
    second = engine.Event(4, "transfer_in", at(4), 20, transfer_out_id=2)
    # The first arrival reversed: it is not among the effective events, the second one stands.
    state = engine.replay([admission, out, second])
    assert (state.status, state.institution_id) == (engine.Status.IN, 20)
    with pytest.raises(engine.LedgerError) as error:
        engine.replay([admission, out, first, second])
    assert error.value.code == "not_in_transit"


def test_corrected_arrival_through_the_pages(world: dict[str, Any]) -> None:
    person = world["person"]
    head = _client(world["head_b"])
    response = head.post(
        reverse("custody:correct", kwargs={"movement_pk": world["arrived"].pk}),
        {"reason": "Recorded before the convoy came"},
    )
    assert response.status_code == 302
    receiver = _client(world["receiver"])
    page = receiver.get(reverse("custody:institution_detail", kwargs={"pk": world["b"].pk}))
    url = reverse("custody:arrival", kwargs={"pk": person.pk})
    assert url in page.content.decode()
    assert receiver.get(url).status_code == 200
    response = receiver.post(url, {"occurred_at": moment(3).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, response.content.decode()
    person.refresh_from_db()
    assert person.current_institution == world["b"]
    assert (
        Movement.objects.effective().get(person=person, kind="transfer_in").transfer_out
        == (world["sent"])
    )


def test_corrected_arrival_through_the_api(world: dict[str, Any]) -> None:
    person = world["person"]
    services.movement_correct(actor=world["head_b"], movement=world["arrived"], reason="Wrong")
    token = issue_token(user=world["receiver"], name="test")
    client = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    response = client.post(
        f"/api/v1/persons/{person.pk}/movements",
        data=json.dumps({"kind": "transfer_in", "occurred_at": moment(3).isoformat()}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["transfer_out_id"] == world["sent"].pk
    assert response.json()["institution"]["code"] == "PB"
    again = client.post(
        f"/api/v1/persons/{person.pk}/movements",
        data=json.dumps({"kind": "transfer_in", "occurred_at": moment(2).isoformat()}),
        content_type="application/json",
    )
    assert again.status_code == 409, again.content  # on the roll now: no longer arriving
    assert "not being transferred" in again.json()["errors"]["kind"][0]


# --- Absence and return; escape and recapture ---------------------------------------------------


@pytest.fixture
def held() -> dict[str, Any]:
    a = InstitutionFactory(code="HA")
    officer = staff(Role.RECEPTION, a)
    return {
        "a": a,
        "officer": officer,
        "head": staff(Role.HEAD, a),
        "person": _admitted(officer, a),
    }


def _event(held: dict[str, Any], days_ago: float) -> services.MovementInput:
    return services.MovementInput(occurred_at=moment(days_ago), institution=held["a"])


def test_corrected_return_from_absence_can_be_recorded_again(held: dict[str, Any]) -> None:
    person, officer = held["person"], held["officer"]
    services.person_absence_out(
        actor=officer, person=person, data=_event(held, 5), absence_reason="court"
    )
    back = services.person_absence_return(actor=officer, person=person, data=_event(held, 4))
    services.movement_correct(actor=held["head"], movement=back, reason="Still at court")
    assert services.rebuild_stays(person).status == engine.Status.ABSENT
    again = services.person_absence_return(actor=officer, person=person, data=_event(held, 3))
    assert services.rebuild_stays(person).status == engine.Status.IN
    assert list(Movement.objects.effective().filter(person=person, kind="absence_return")) == [
        again
    ]


def test_absence_with_an_effective_return_cannot_be_corrected(held: dict[str, Any]) -> None:
    person, officer = held["person"], held["officer"]
    away = services.person_absence_out(
        actor=officer, person=person, data=_event(held, 5), absence_reason="court"
    )
    services.person_absence_return(actor=officer, person=person, data=_event(held, 4))
    with pytest.raises(ConflictError) as error:
        services.movement_correct(actor=held["head"], movement=away, reason="Never left")
    assert "reason" in error.value.errors


def test_corrected_recapture_can_be_recorded_again(held: dict[str, Any]) -> None:
    person, officer = held["person"], held["officer"]
    services.person_escape(actor=officer, person=person, data=_event(held, 5))
    caught = services.person_recapture(actor=officer, person=person, data=_event(held, 4))
    services.movement_correct(actor=held["head"], movement=caught, reason="Wrong person")
    person.refresh_from_db()
    assert person.current_institution_id is None
    assert services.rebuild_stays(person).status == engine.Status.AT_LARGE
    services.person_recapture(actor=officer, person=person, data=_event(held, 2))
    person.refresh_from_db()
    assert person.current_institution == held["a"]
    assert Stay.objects.filter(person=person, end__isnull=True).count() == 1


def test_escape_with_an_effective_recapture_cannot_be_corrected(held: dict[str, Any]) -> None:
    person, officer = held["person"], held["officer"]
    gone = services.person_escape(actor=officer, person=person, data=_event(held, 5))
    services.person_recapture(actor=officer, person=person, data=_event(held, 4))
    with pytest.raises(ConflictError):
        services.movement_correct(actor=held["head"], movement=gone, reason="Never escaped")


# --- Concurrency (the row lock on the person, not a unique constraint, decides) -----------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_arrivals_after_a_correction_one_wins() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: row locks decide which concurrent arrival wins")
    a, b = InstitutionFactory(code="QA"), InstitutionFactory(code="QB")
    officer = staff(Role.RECEPTION, a, b)
    person = _admitted(officer, a)
    sent = services.person_transfer_out(
        actor=officer,
        person=person,
        data=services.MovementInput(occurred_at=moment(5), institution=a, reason="r"),
        destination=b,
        escort="Convoy",
    )
    arrived = services.person_transfer_in(
        actor=officer, person=person, data=services.MovementInput(moment(4), b)
    )
    services.movement_correct(actor=staff(Role.HEAD, b), movement=arrived, reason="Wrong")
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def arrive(days_ago: int, key: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.person_transfer_in(
                actor=officer,
                person=person,
                data=services.MovementInput(moment(days_ago), b),
                idempotency_key=key,
            )
            outcomes.append("ok")
        except Exception as error:  # reported by the assertions below
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=arrive, args=(d, f"arr-{d}")) for d in (3, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(map(str, outcomes)).count("ok") == 1, outcomes
    assert [type(o) for o in outcomes if o != "ok"] == [ConflictError]
    assert sent.arrivals.effective().count() == 1
    assert Stay.objects.filter(person=person, end__isnull=True).count() == 1


# --- Escape while in transit --------------------------------------------------------------------


def test_escape_in_transit_ends_the_expected_arrival_until_corrected() -> None:
    a, b = InstitutionFactory(code="TA"), InstitutionFactory(code="TB")
    officer = staff(Role.RECEPTION, a, b)
    person = _admitted(officer, a)
    sent = services.person_transfer_out(
        actor=officer,
        person=person,
        data=services.MovementInput(occurred_at=moment(5), institution=a, reason="r"),
        destination=b,
        escort="Convoy",
    )
    gone = services.person_escape(
        actor=officer, person=person, data=services.MovementInput(moment(4), a)
    )
    assert services.pending_transfer(person) is None
    assert arrivals.pending_transfers([b]).count() == 0
    assert list(arrivals.persons_arriving(staff(Role.RECEPTION, b))) == []
    services.movement_correct(actor=staff(Role.HEAD, a), movement=gone, reason="Wrong person")
    assert services.pending_transfer(person) == sent
    assert list(arrivals.pending_transfers([b])) == [sent]
    services.person_transfer_in(
        actor=officer, person=person, data=services.MovementInput(moment(3), b)
    )
    person.refresh_from_db()
    assert person.current_institution == b
