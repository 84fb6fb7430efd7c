"""`Idempotency-Key` of API writes: the same key with the same request within the window gets the
first answer again; with another request, a conflict. Keys older than the window
(`settings.API_IDEMPOTENCY_HOURS`, 24 by default) no longer match anything — a request sending
one is a new request — and `qadam api_idempotency purge` deletes them.

Most endpoints need only `answer_once(user, key, fingerprint, write)`, which runs `write` in one
transaction at most once per key and window and gives the first answer again. Its parts, for
use inside a write's own transaction:

    earlier = idempotency.earlier_answer(user, key, fingerprint)   # locks the key's row
    if earlier is not None:
        return Status(*earlier)
    reservation = idempotency.reserve(user, key, fingerprint)      # before writing anything
    ... write, passing idempotency.ledger_key(reservation) to the service if it takes a key ...
    idempotency.remember(reservation, 201, body)

A refused request raises inside the transaction, so its reservation is rolled back with it and the
key may be sent again. Two concurrent requests with one key: the second waits on the unique
(user, key) index and gets an IntegrityError, which the caller turns into a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qadam.core.audit import audit_write
from qadam.core.errors import ConflictError
from qadam.core.models import ApiIdempotencyKey, AuditEvent

if TYPE_CHECKING:
    from qadam.core.models import User

DEFAULT_HOURS = 24


def fingerprint(**request: Any) -> str:
    """A digest of what a request asks for (its JSON-able parts), to tell the same request sent
    again from another one reusing its key."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def window() -> timedelta:
    """How long a key matches its request."""
    return timedelta(hours=int(getattr(settings, "API_IDEMPOTENCY_HOURS", DEFAULT_HOURS)))


def expired_before(now: datetime | None = None) -> datetime:
    """Keys created before this instant have expired."""
    return (now or timezone.now()) - window()


def earlier_answer(user: User, key: str, fingerprint: str) -> tuple[int, Any] | None:
    """The answer given to the same request with this key within the window (status code and
    body), or None for a new request. The key's row stays locked until the transaction ends; an
    expired row is deleted so that the key can be reserved again. Raises ConflictError when the
    key was used within the window for another request."""
    earlier: ApiIdempotencyKey | None = (
        ApiIdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
    )
    if earlier is None:
        return None
    if earlier.created_at < expired_before():
        earlier.delete()
        return None
    if earlier.fingerprint != fingerprint:
        raise ConflictError(
            {
                "Idempotency-Key": [
                    _(
                        "This Idempotency-Key was already used for a different request. Send a new "
                        "key with a new request."
                    )
                ]
            }
        )
    return earlier.status_code, earlier.response


def reserve(user: User, key: str, fingerprint: str) -> ApiIdempotencyKey:
    """Claim the key for this request before writing (completed by `remember`)."""
    reservation: ApiIdempotencyKey = ApiIdempotencyKey.objects.create(
        user=user, key=key, fingerprint=fingerprint, status_code=0, response={}
    )
    return reservation


def ledger_key(reservation: ApiIdempotencyKey) -> str:
    """A key for the record written under this reservation (unique: a reused, expired key makes
    a new reservation and so a new ledger key)."""
    return f"api:{reservation.pk}"


def remember(reservation: ApiIdempotencyKey, status_code: int, response: Any) -> None:
    """Keep the answer, to give it again for the same request within the window."""
    reservation.status_code = status_code
    reservation.response = response
    reservation.save(update_fields=["status_code", "response"])


def answer_once(
    user: User,
    key: str | None,
    fingerprint: str,
    write: Callable[[str | None], Any],
    *,
    status_code: int = 201,
) -> tuple[int, Any]:
    """Run `write(record_key)` in one transaction and return (status code, body).

    With a key, the same request within the window gets the first answer without writing again,
    another request with that key is refused (ConflictError), and `record_key` is a unique key the
    service may store on what it writes (`ledger_key`); without one, `record_key` is None. A
    refusal raised by `write` rolls back the reservation too, so the key may be sent again."""
    try:
        with transaction.atomic():
            reservation = None
            if key:
                earlier = earlier_answer(user, key, fingerprint)
                if earlier is not None:
                    return earlier
                reservation = reserve(user, key, fingerprint)
            body = write(ledger_key(reservation) if reservation is not None else None)
            if reservation is not None:
                remember(reservation, status_code, body)
    except IntegrityError:
        # A concurrent request with the same key won the race; nothing of this one was written.
        raise ConflictError(
            {"Idempotency-Key": [_("A request with this Idempotency-Key is being processed.")]}
        ) from None
    return status_code, body


@transaction.atomic
def purge(*, now: datetime | None = None, actor: User | None = None) -> int:
    """Delete the expired keys; one audit row with how many. Returns the number deleted."""
    deleted, _by_model = ApiIdempotencyKey.objects.filter(
        created_at__lt=expired_before(now)
    ).delete()
    if deleted:
        audit_write(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            verb="expired API idempotency keys purged",
            details={"deleted": deleted, "window_hours": window().total_seconds() / 3600},
        )
    return deleted


__all__ = [
    "answer_once",
    "earlier_answer",
    "expired_before",
    "fingerprint",
    "ledger_key",
    "purge",
    "remember",
    "reserve",
    "window",
]
