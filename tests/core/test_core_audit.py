"""The audit trail: append-only rows, sealing into a hash chain, and detection of tampering."""

from __future__ import annotations

import pytest
from django.db import connection

from factories import InstitutionFactory, staff
from qadam.core.audit import audit_write, seal_pending, verify_chain
from qadam.core.models import AuditEvent, AuditSeal
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[AuditEvent]:
    actor = staff(Role.RECEPTION, InstitutionFactory())
    return [
        audit_write(actor=actor, action=AuditEvent.Action.VIEW, verb="person viewed", person_id=i)
        for i in range(1, n + 1)
    ]


def test_rows_are_written_unchained_and_sealed_later() -> None:
    _events(5)
    assert AuditEvent.objects.filter(chain_hash="").count() == 5
    assert seal_pending() == 5
    assert AuditEvent.objects.filter(chain_hash="").count() == 0
    seal = AuditSeal.objects.get()
    assert seal.event_count == 5
    report = verify_chain()
    assert report.ok
    assert report.checked == 5


def test_sealing_continues_the_chain_across_batches() -> None:
    _events(3)
    seal_pending()
    _events(4)
    assert seal_pending(batch_size=2) == 4
    assert AuditSeal.objects.count() == 3
    assert verify_chain().checked == 7


def test_an_audit_row_cannot_be_saved_twice() -> None:
    event = _events(1)[0]
    event.reason = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_a_row_changed_directly_in_the_database_is_detected() -> None:
    events = _events(6)
    seal_pending()
    target = events[3]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET verb = %s WHERE id = %s",
            ["nothing happened", target.pk],
        )
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == target.pk


def test_a_deleted_row_is_detected() -> None:
    events = _events(4)
    seal_pending()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == events[2].pk


def test_a_recomputed_tail_still_breaks_at_the_seal() -> None:
    """A tamperer who rewrites a row and its hash still breaks the link to the next row."""
    events = _events(3)
    seal_pending()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET chain_hash = %s WHERE id = %s",
            ["f" * 64, events[2].pk],
        )
    report = verify_chain()
    assert report.first_broken_id == events[2].pk
