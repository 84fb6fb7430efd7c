"""Writing, sealing and verifying the audit trail.

Services call `audit_write` inside their transaction; views call `audit_view` / `audit_search`
for every route that shows a person or searches. Rows are appended without a hash so that writers
never wait on each other; `seal_pending` chains them afterwards (hash of the previous link and the
row's canonical content), and `verify_chain` recomputes every link and reports the first break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from qadam.core.models import AuditEvent, AuditSeal
from qadam.core.request_context import current_request_id

if TYPE_CHECKING:
    from qadam.core.models import User

GENESIS = "0" * 64


def _actor_fields(actor: User | None) -> dict[str, Any]:
    if actor is None or not actor.is_authenticated:
        return {"actor": None, "actor_role": ""}
    return {"actor": actor, "actor_role": actor.role}


def audit_write(
    *,
    actor: User | None,
    action: str,
    verb: str,
    obj: models.Model | None = None,
    person_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row; call inside the service's transaction so both commit or neither."""
    return AuditEvent.objects.create(
        **_actor_fields(actor),
        action=action,
        verb=verb,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        person_id=person_id,
        reason=reason,
        request_id=current_request_id(),
        details=details or {},
    )


def audit_write_many(
    *,
    actor: User | None,
    action: str,
    verb: str,
    entries: Iterable[tuple[int | None, dict[str, Any]]],
    obj: models.Model | None = None,
    reason: str = "",
) -> int:
    """Append one row per (person id, details) entry in few statements: bulk work by a service
    (e.g. everyone whose dates a new rule set moves). Inside the service's transaction, as
    `audit_write`; returns how many rows were written."""
    base = {
        **_actor_fields(actor),
        "action": action,
        "verb": verb,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "reason": reason,
        "request_id": current_request_id(),
    }
    rows = [
        AuditEvent(**base, person_id=person_id, details=details) for person_id, details in entries
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def audit_view(
    *, actor: User, person_id: int, verb: str, details: dict[str, Any] | None = None
) -> None:
    """Record that a route showed one person's record (page, partial, API, export, PDF)."""
    audit_write(
        actor=actor, action=AuditEvent.Action.VIEW, verb=verb, person_id=person_id, details=details
    )


def audit_search(*, actor: User, verb: str, filters: dict[str, Any], result_count: int) -> None:
    """Record a search or a list with its filters and how many rows it returned."""
    audit_write(
        actor=actor,
        action=AuditEvent.Action.SEARCH,
        verb=verb,
        details={"filters": filters, "result_count": result_count},
    )


def audit_export(
    *, actor: User, verb: str, filters: dict[str, Any], row_count: int, person_id: int | None = None
) -> None:
    audit_write(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        verb=verb,
        person_id=person_id,
        details={"filters": filters, "row_count": row_count},
    )


def canonical(event: AuditEvent) -> bytes:
    """The bytes that a link's hash covers: every field a tamperer could change."""
    content = {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "verb": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "person_id": event.person_id,
        "reason": event.reason,
        "request_id": event.request_id,
        "details": event.details,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()


def link(previous: str, event: AuditEvent) -> str:
    return hashlib.sha256(previous.encode() + canonical(event)).hexdigest()


def _last_link() -> tuple[int, str]:
    sealed = (
        AuditEvent.objects.exclude(chain_hash="")
        .order_by("-id")
        .values_list("id", "chain_hash")
        .first()
    )
    return sealed if sealed else (0, GENESIS)


def seal_pending(*, batch_size: int = 5000) -> int:
    """Chain every unsealed row in id order; returns how many rows were sealed.

    Only rows below the oldest id still in an open transaction could be skipped forever, so the
    sealer only chains a contiguous run after the last sealed row; a gap (a transaction that has
    not committed yet) stops the run until the next call.
    """
    sealed_total = 0
    while True:
        with transaction.atomic():
            last_id, previous = _last_link()
            rows = list(
                AuditEvent.objects.filter(id__gt=last_id, chain_hash="").order_by("id")[:batch_size]
            )
            if not rows:
                return sealed_total
            first_id = rows[0].pk
            updates: list[AuditEvent] = []
            for event in rows:
                previous = link(previous, event)
                event.chain_hash = previous
                updates.append(event)
            AuditEvent.objects.bulk_update(updates, ["chain_hash"], batch_size=1000)
            AuditSeal.objects.create(
                first_event_id=first_id,
                last_event_id=rows[-1].pk,
                chain_hash=previous,
                event_count=len(rows),
            )
            sealed_total += len(rows)
        if len(rows) < batch_size:
            return sealed_total


@dataclass(frozen=True)
class ChainReport:
    checked: int
    unsealed: int
    first_broken_id: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Recompute every link in id order; report the first row whose link does not match."""
    previous = GENESIS
    checked = 0
    rows = (
        events
        if events is not None
        else (AuditEvent.objects.exclude(chain_hash="").order_by("id").iterator(chunk_size=5000))
    )
    for event in rows:
        expected = link(previous, event)
        if event.chain_hash != expected:
            return ChainReport(
                checked, 0, event.pk, "the row's content or link does not match the chain"
            )
        previous = event.chain_hash
        checked += 1
    latest_seal = AuditSeal.objects.order_by("-last_event_id").first()
    if latest_seal is not None:
        anchored = AuditEvent.objects.filter(pk=latest_seal.last_event_id).first()
        if anchored is None:
            return ChainReport(
                checked, 0, latest_seal.last_event_id, "a sealed row has been deleted"
            )
        if anchored.chain_hash != latest_seal.chain_hash:
            return ChainReport(checked, 0, anchored.pk, "the chain no longer ends at the last seal")
        if checked < sum(AuditSeal.objects.values_list("event_count", flat=True)):
            return ChainReport(
                checked, 0, latest_seal.first_event_id, "sealed rows are missing from the chain"
            )
    unsealed = AuditEvent.objects.filter(chain_hash="").count()
    return ChainReport(checked, unsealed, None, "")
