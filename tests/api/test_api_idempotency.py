"""API idempotency keys expire: after the window a key matches nothing, and a command purges it."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from factories import moment
from qadam.core import idempotency
from qadam.core.models import ApiIdempotencyKey, AuditEvent
from qadam.core.roles import Role
from qadam.custody.models import Movement

pytestmark = pytest.mark.django_db


def post(client: Any, person_id: int, body: dict[str, Any], key: str) -> Any:
    return client.post(
        f"/api/v1/persons/{person_id}/movements",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def absence(days_ago: int) -> dict[str, Any]:
    return {
        "kind": "absence_out",
        "occurred_at": moment(days_ago).isoformat(),
        "absence_reason": "court",
    }


def back(days_ago: int) -> dict[str, Any]:
    return {"kind": "absence_return", "occurred_at": moment(days_ago).isoformat()}


def age(key: str, hours: float) -> None:
    ApiIdempotencyKey.objects.filter(key=key).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def test_within_the_window_the_key_gives_the_first_answer(world: Any, token_client: Any) -> None:
    client, pa = token_client(world["users"][Role.RECEPTION]), world["pa"]
    first = post(client, pa.pk, absence(3), "k-1")
    assert first.status_code == 201
    age("k-1", 23)
    again = post(client, pa.pk, absence(3), "k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert post(client, pa.pk, back(2), "k-1").status_code == 409
    assert Movement.objects.filter(person=pa, kind="absence_out").count() == 1


def test_after_the_window_the_key_matches_nothing(world: Any, token_client: Any) -> None:
    client, pa = token_client(world["users"][Role.RECEPTION]), world["pa"]
    first = post(client, pa.pk, absence(3), "k-2")
    assert first.status_code == 201
    age("k-2", 25)
    # The same request again is a new request: the ledger refuses a second absence.
    repeated = post(client, pa.pk, absence(3), "k-2")
    assert repeated.status_code == 409
    assert "Idempotency-Key" not in repeated.json()["errors"]
    # Another request with the old key is recorded, not refused as a reuse.
    second = post(client, pa.pk, back(2), "k-2")
    assert second.status_code == 201, second.content
    assert second.json()["id"] != first.json()["id"]
    assert ApiIdempotencyKey.objects.filter(key="k-2").count() == 1
    # The key matches its new request now.
    assert post(client, pa.pk, back(2), "k-2").json() == second.json()
    assert Movement.objects.filter(person=pa, kind="absence_return").count() == 1


def test_the_window_is_a_setting(world: Any, token_client: Any, settings: Any) -> None:
    settings.API_IDEMPOTENCY_HOURS = 1
    client, pa = token_client(world["users"][Role.RECEPTION]), world["pa"]
    assert post(client, pa.pk, absence(3), "k-3").status_code == 201
    age("k-3", 2)
    assert post(client, pa.pk, back(2), "k-3").status_code == 201


def test_purge_deletes_the_expired_keys_only(world: Any, token_client: Any) -> None:
    client, pa = token_client(world["users"][Role.HEAD]), world["pa"]
    assert post(client, pa.pk, absence(3), "old").status_code == 201
    assert post(client, pa.pk, back(2), "new").status_code == 201
    age("old", 30)
    out = io.StringIO()
    call_command("api_idempotency", "purge", stdout=out)
    assert "Deleted 1 API idempotency keys older than 24 hours." in out.getvalue()
    assert list(ApiIdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    event = AuditEvent.objects.get(verb="expired API idempotency keys purged")
    assert event.details["deleted"] == 1
    # Nothing left to purge: no audit row for nothing.
    assert idempotency.purge() == 0
    assert AuditEvent.objects.filter(verb="expired API idempotency keys purged").count() == 1
