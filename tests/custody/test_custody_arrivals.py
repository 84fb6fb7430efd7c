"""A person in transit: the receiving institution sees them to record the arrival; nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, moment, region, staff
from qadam.core.api_tokens import issue_token
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody import arrivals, services
from qadam.custody.models import DetentionBasis, Movement

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    sender = InstitutionFactory(code="SEND", region=region("KZ-35"))
    receiver = InstitutionFactory(code="RECV", region=region("KZ-55"))
    third = InstitutionFactory(code="THIRD", region=region("KZ-63"))
    setup = staff(Role.RECEPTION, sender, receiver, third)
    person = PersonFactory(case_number="Q-ARR-1")
    basis = services.basis_record(
        actor=setup,
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number="V-ARR",
        issued_on=moment(20).date(),
        valid_until=None,
    )
    services.person_admit(
        actor=setup,
        person=person,
        data=services.MovementInput(occurred_at=moment(10), institution=sender),
        legal_status="sentenced",
        basis=basis,
    )
    person.refresh_from_db()
    sent = services.person_transfer_out(
        actor=setup,
        person=person,
        data=services.MovementInput(occurred_at=moment(1), institution=sender, reason="Family"),
        destination=receiver,
        escort="Convoy 3",
    )
    person.refresh_from_db()
    return {
        "sender": sender,
        "receiver": receiver,
        "third": third,
        "person": person,
        "sent": sent,
        "setup": setup,
        "at_receiver": staff(Role.RECEPTION, receiver),
        "at_third": staff(Role.RECEPTION, third),
        "head_receiver": staff(Role.HEAD, receiver),
        "regional_receiver": staff(Role.PROSECUTOR, region("KZ-55")),
        "regional_third": staff(Role.HEAD, region("KZ-63")),
    }


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def arrival_urls(world: dict[str, Any]) -> tuple[str, str]:
    pk = world["person"].pk
    return (
        reverse("custody:arrival", kwargs={"pk": pk}),
        reverse("custody:arrival_validate", kwargs={"pk": pk}),
    )


def test_the_receiving_institution_sees_the_person_on_its_page(world: dict[str, Any]) -> None:
    client = client_for(world["at_receiver"])
    page = client.get(reverse("custody:institution_detail", kwargs={"pk": world["receiver"].pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Expected arrivals" in body
    assert world["person"].case_number in body
    assert reverse("custody:arrival", kwargs={"pk": world["person"].pk}) in body
    # The page names the person: audited with the number of rows shown.
    event = AuditEvent.objects.filter(actor=world["at_receiver"]).latest("pk")
    assert event.details["result_count"] == 1
    # The person page itself stays hidden until the person is on the roll.
    person_page = client.get(reverse("people:person_detail", kwargs={"pk": world["person"].pk}))
    assert person_page.status_code == 404


def test_the_receiving_institution_records_the_arrival_on_the_form(world: dict[str, Any]) -> None:
    client = client_for(world["at_receiver"])
    form_url, validate_url = arrival_urls(world)
    page = client.get(form_url)
    assert page.status_code == 200
    assert world["receiver"].name in page.content.decode()
    # No link to the person page the officer cannot open yet.
    assert page.context["person_link"] == ""
    assert client.post(validate_url, {"occurred_at": ""}).status_code == 200
    stamp = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert client.post(form_url, {"occurred_at": stamp, "token": "arr-1"}).status_code == 302
    world["person"].refresh_from_db()
    assert world["person"].current_institution == world["receiver"]
    # Arrived: on the roll now, and no longer expected.
    page = client.get(reverse("custody:institution_detail", kwargs={"pk": world["receiver"].pk}))
    assert "Nobody is on the way to this institution." in page.content.decode()


@pytest.mark.parametrize("who", ["at_third", "regional_third"])
def test_an_officer_of_a_third_institution_still_gets_404(world: dict[str, Any], who: str) -> None:
    client = client_for(world[who])
    form_url, validate_url = arrival_urls(world)
    assert client.get(form_url).status_code == 404
    assert client.post(validate_url, {"occurred_at": ""}).status_code == 404
    stamp = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert client.post(form_url, {"occurred_at": stamp, "token": "arr-x"}).status_code == 404
    assert not Movement.objects.filter(person=world["person"], kind="transfer_in").exists()
    # The other forms for the person stay hidden from the receiving institution too.
    receiver = client_for(world["at_receiver"])
    assert receiver.get(
        reverse("custody:release", kwargs={"pk": world["person"].pk})
    ).status_code == (404)


def test_scope_of_the_exception(world: dict[str, Any]) -> None:
    person = world["person"]
    for who, expected in (
        ("at_receiver", True),
        ("head_receiver", True),
        ("regional_receiver", True),
        ("at_third", False),
        ("regional_third", False),
    ):
        assert arrivals.persons_arriving(world[who]).filter(pk=person.pk).exists() is expected, who
    # Once the transfer is reversed by a correction, nobody expects the person any more.
    services.movement_correct(
        actor=staff(Role.HEAD, world["sender"]), movement=world["sent"], reason="Sent in error"
    )
    assert not arrivals.persons_arriving(world["at_receiver"]).exists()
    assert client_for(world["at_receiver"]).get(arrival_urls(world)[0]).status_code == 404


def test_the_api_and_the_ui_agree(world: dict[str, Any]) -> None:
    stamp = timezone.localtime().isoformat()
    payload = {"kind": "transfer_in", "occurred_at": stamp}
    url = f"/api/v1/persons/{world['person'].pk}/movements"
    third = Client(
        headers={"Authorization": f"Bearer {issue_token(user=world['at_third'], name='t')}"}
    )
    response = third.post(url, payload, content_type="application/json")
    assert response.status_code == 404
    receiver = Client(
        headers={"Authorization": f"Bearer {issue_token(user=world['at_receiver'], name='r')}"}
    )
    response = receiver.post(url, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    world["person"].refresh_from_db()
    assert world["person"].current_institution == world["receiver"]
