"""Movements in the API: the ledger of a person, and events recorded through the services."""

from __future__ import annotations

import json
from typing import Any

import pytest

from factories import SectionFactory, moment, staff
from qadam.core.models import ApiIdempotencyKey, AuditEvent
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import Movement

pytestmark = pytest.mark.django_db


def post(client: Any, person_id: int, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/persons/{person_id}/movements",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def transfer(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "transfer_out",
        "occurred_at": moment(1).isoformat(),
        "destination_id": world["b"].pk,
        "escort": "Escort unit 3",
        "reason": "Court order",
        **extra,
    }


class TestMovementList:
    def test_lists_effective_events_and_audits_one_view(self, world, token_client):
        pa, user = world["pa"], world["users"][Role.RECEPTION]
        admission = Movement.objects.get(person=pa)
        response = token_client(user).get(f"/api/v1/persons/{pa.pk}/movements")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        assert body["items"][0]["id"] == admission.pk
        assert body["items"][0]["kind"] == "admission"
        assert body["items"][0]["institution"]["code"] == "A"
        event = AuditEvent.objects.filter(actor=user, action="view").latest("id")
        assert event.person_id == pa.pk

    def test_corrections_only_when_asked(self, world, token_client):
        pa, head = world["pa"], world["users"][Role.HEAD]
        escape = services.person_escape(
            actor=head,
            person=pa,
            data=services.MovementInput(occurred_at=moment(2), institution=world["a"]),
        )
        services.movement_correct(actor=head, movement=escape, reason="Recorded by mistake")
        client = token_client(head)
        effective = client.get(f"/api/v1/persons/{pa.pk}/movements").json()
        assert [m["kind"] for m in effective["items"]] == ["admission"]
        everything = client.get(
            f"/api/v1/persons/{pa.pk}/movements?include_corrections=true"
        ).json()
        kinds = [m["kind"] for m in everything["items"]]
        assert sorted(kinds) == ["admission", "correction", "escape"]
        reversed_escape = next(m for m in everything["items"] if m["kind"] == "escape")
        assert reversed_escape["reversed"] is True

    def test_out_of_scope_person_is_404(self, world, token_client):
        response = token_client(world["users"][Role.RECEPTION]).get(
            f"/api/v1/persons/{world['pb'].pk}/movements"
        )
        assert response.status_code == 404


class TestMovementCreate:
    def test_transfer_out_then_in_through_the_services(self, world, token_client):
        pa = world["pa"]
        sender = token_client(world["users"][Role.RECEPTION])
        response = post(sender, pa.pk, transfer(world))
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["kind"] == "transfer_out"
        assert body["destination"]["code"] == "B"
        assert body["escort"] == "Escort unit 3"
        movement = Movement.objects.get(pk=body["id"])
        assert movement.recorded_by == world["users"][Role.RECEPTION]
        assert AuditEvent.objects.filter(
            action="create", object_id=str(movement.pk), verb="transfer sent"
        ).exists()
        # The receiving institution's officer sees the person in transit and records the arrival.
        receiver = staff(Role.RECEPTION, world["b"])
        arrival = post(
            token_client(receiver),
            pa.pk,
            {"kind": "transfer_in", "occurred_at": moment(1, hour=15).isoformat()},
        )
        assert arrival.status_code == 201, arrival.content
        assert arrival.json()["institution"]["code"] == "B"
        assert arrival.json()["transfer_out_id"] == movement.pk
        pa.refresh_from_db()
        assert pa.current_institution == world["b"]

    def test_release_absence_and_section_move(self, world, token_client):
        pa, client = world["pa"], token_client(world["users"][Role.HEAD])
        section = SectionFactory(institution=world["a"])
        assert (
            post(
                client,
                pa.pk,
                {
                    "kind": "section_move",
                    "occurred_at": moment(5).isoformat(),
                    "section_id": section.pk,
                },
            ).status_code
            == 201
        )
        assert (
            post(
                client,
                pa.pk,
                {
                    "kind": "absence_out",
                    "occurred_at": moment(4).isoformat(),
                    "absence_reason": "court",
                },
            ).status_code
            == 201
        )
        assert (
            post(
                client, pa.pk, {"kind": "absence_return", "occurred_at": moment(3).isoformat()}
            ).status_code
            == 201
        )
        released = post(
            client,
            pa.pk,
            {
                "kind": "release",
                "occurred_at": moment(2).isoformat(),
                "release_reason": "court_decision",
            },
        )
        assert released.status_code == 201
        assert released.json()["release_reason"] == "court_decision"
        kinds = list(
            Movement.objects.filter(person=pa)
            .order_by("occurred_at")
            .values_list("kind", flat=True)
        )
        assert kinds == ["admission", "section_move", "absence_out", "absence_return", "release"]

    def test_missing_fields_for_the_kind_are_400_naming_each_and_write_nothing(
        self, world, token_client
    ):
        pa, client = world["pa"], token_client(world["users"][Role.RECEPTION])
        before = (Movement.objects.count(), AuditEvent.objects.filter(action="create").count())
        response = post(
            client,
            pa.pk,
            {"kind": "transfer_out", "occurred_at": moment(1).isoformat()},
        )
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"destination_id", "escort", "reason"}
        assert (
            Movement.objects.count(),
            AuditEvent.objects.filter(action="create").count(),
        ) == before

    def test_future_date_and_ledger_conflicts(self, world, token_client):
        pa, client = world["pa"], token_client(world["users"][Role.RECEPTION])
        future = post(client, pa.pk, {"kind": "escape", "occurred_at": moment(-3).isoformat()})
        assert future.status_code == 400
        assert list(future.json()["errors"]) == ["occurred_at"]
        not_absent = post(
            client, pa.pk, {"kind": "absence_return", "occurred_at": moment(1).isoformat()}
        )
        assert not_absent.status_code == 409
        assert list(not_absent.json()["errors"]) == ["occurred_at"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"kind": "teleport", "occurred_at": "2025-01-01T10:00:00+05:00"}, "kind"),
            ({"kind": "escape", "occurred_at": "2025-01-01T10:00:00"}, "occurred_at"),
            ({"kind": "escape", "occurred_at": "yesterday"}, "occurred_at"),
            ({"kind": "escape"}, "occurred_at"),
            ({"kind": "escape", "occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
            (
                {
                    "kind": "release",
                    "occurred_at": "2025-01-01T10:00:00+05:00",
                    "release_reason": "x",
                },
                "release_reason",
            ),
            (
                {"kind": "escape", "occurred_at": "2025-01-01T10:00:00+05:00", "reason": "a\x00b"},
                "reason",
            ),
            (
                {"kind": "escape", "occurred_at": "2025-01-01T10:00:00+05:00", "colour": "red"},
                "colour",
            ),
        ],
    )
    def test_schema_errors_are_422_naming_the_field(self, world, token_client, body, field):
        response = post(token_client(world["users"][Role.RECEPTION]), world["pa"].pk, body)
        assert response.status_code == 422
        assert field in response.json()["errors"]

    def test_unreadable_body_is_400(self, world, token_client):
        client = token_client(world["users"][Role.RECEPTION])
        response = client.post(
            f"/api/v1/persons/{world['pa'].pk}/movements",
            data="{oops",
            content_type="application/json",
        )
        assert response.status_code == 400
        assert "__all__" in response.json()["errors"]

    def test_institution_outside_scope_is_refused(self, world, token_client):
        response = post(
            token_client(world["users"][Role.RECEPTION]),
            world["pa"].pk,
            {
                "kind": "escape",
                "occurred_at": moment(1).isoformat(),
                "institution_id": world["b"].pk,
            },
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["institution_id"]

    def test_out_of_scope_person_is_404_and_nothing_written(self, world, token_client):
        before = Movement.objects.count()
        response = post(
            token_client(world["users"][Role.RECEPTION]),
            world["pb"].pk,
            {"kind": "escape", "occurred_at": moment(1).isoformat()},
        )
        assert response.status_code == 404
        assert Movement.objects.count() == before

    def test_role_without_record_capability_is_403(self, world, token_client):
        psychologist = world["users"][Role.PSYCHOLOGIST]  # holds use_api, not record_movement
        response = post(token_client(psychologist), world["pa"].pk, transfer(world))
        assert response.status_code == 403
        assert not Movement.objects.filter(kind="transfer_out").exists()


class TestIdempotency:
    def test_replay_returns_the_same_answer_and_writes_nothing(self, world, token_client):
        client, pa = token_client(world["users"][Role.RECEPTION]), world["pa"]
        first = post(client, pa.pk, transfer(world), key="7f1c-transfer-1")
        counts = (Movement.objects.count(), AuditEvent.objects.filter(action="create").count())
        replay = post(client, pa.pk, transfer(world), key="7f1c-transfer-1")
        assert first.status_code == replay.status_code == 201
        assert replay.content == first.content
        assert (
            Movement.objects.count(),
            AuditEvent.objects.filter(action="create").count(),
        ) == counts
        assert Movement.objects.filter(kind="transfer_out", person=pa).count() == 1

    def test_same_key_with_another_body_is_409(self, world, token_client):
        client, pa = token_client(world["users"][Role.RECEPTION]), world["pa"]
        assert post(client, pa.pk, transfer(world), key="key-2").status_code == 201
        response = post(client, pa.pk, transfer(world, escort="Another escort"), key="key-2")
        assert response.status_code == 409
        assert list(response.json()["errors"]) == ["Idempotency-Key"]
        assert Movement.objects.filter(kind="transfer_out", person=pa).count() == 1

    def test_keys_belong_to_one_client(self, world, token_client, admit):
        reception, head = world["users"][Role.RECEPTION], world["users"][Role.HEAD]
        other = admit(world["a"], world["setup_user"])
        assert (
            post(token_client(reception), world["pa"].pk, transfer(world), key="shared").status_code
            == 201
        )
        second = post(token_client(head), other.pk, transfer(world), key="shared")
        assert second.status_code == 201
        assert second.json()["person_id"] == other.pk
        assert ApiIdempotencyKey.objects.filter(key="shared").count() == 2

    def test_a_refused_request_is_not_remembered(self, world, token_client):
        client, pa = token_client(world["users"][Role.RECEPTION]), world["pa"]
        refused = post(client, pa.pk, transfer(world, escort=""), key="retry-me")
        assert refused.status_code == 400
        assert not ApiIdempotencyKey.objects.filter(key="retry-me").exists()
        assert post(client, pa.pk, transfer(world), key="retry-me").status_code == 201

    def test_malformed_key_is_422(self, world, token_client):
        response = post(
            token_client(world["users"][Role.RECEPTION]),
            world["pa"].pk,
            transfer(world),
            key="x" * 65,
        )
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["Idempotency-Key"]
