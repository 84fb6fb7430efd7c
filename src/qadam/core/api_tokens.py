"""Bearer tokens for machine clients: issued once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from qadam.core.audit import audit_write
from qadam.core.models import ApiToken, AuditEvent, User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_token(
    *, user: User, name: str, valid_days: int | None = 365, actor: User | None = None
) -> str:
    """Create a token for `user` and return it; only its hash is kept."""
    token = "qdm_" + secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=valid_days) if valid_days else None
    record = ApiToken.objects.create(
        user=user, name=name, token_hash=_hash(token), expires_at=expires
    )
    audit_write(
        actor=actor or user,
        action=AuditEvent.Action.CREATE,
        verb="API token issued",
        obj=record,
        details={"for": user.username, "name": name},
    )
    return token


def user_for_token(token: str) -> User | None:
    """The active user behind a token, or None if unknown, expired or revoked."""
    record = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True)
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    if record.expires_at is not None and record.expires_at <= timezone.now():
        return None
    return record.user
