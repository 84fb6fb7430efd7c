"""Two concurrent transfers of the same person: one succeeds, the other gets a conflict."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from factories import InstitutionFactory, moment, sentenced_person, staff
from qadam.core.errors import ConflictError
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import Movement, Stay


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_transfers_one_wins() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: row locks decide which concurrent transfer wins")
    a, b, c = (InstitutionFactory(code=code) for code in ("CA", "CB", "CC"))
    officer = staff(Role.RECEPTION, a, b, c)
    person = sentenced_person(a, officer, days_ago=10)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def transfer(destination: Any, key: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.person_transfer_out(
                actor=officer,
                person=person,
                data=services.MovementInput(occurred_at=moment(1), institution=a, reason="r"),
                destination=destination,
                escort="Convoy",
                idempotency_key=key,
            )
            outcomes.append("ok")
        except Exception as error:  # reported by the assertions below
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=transfer, args=(b, "t-b")),
        threading.Thread(target=transfer, args=(c, "t-c")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("ok") == 1, outcomes
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(conflicts) == 1, outcomes
    assert Movement.objects.filter(person=person, kind="transfer_out").count() == 1
    assert Stay.objects.filter(person=person, end__isnull=True).count() == 0
    person.refresh_from_db()
    assert person.current_institution is None  # in transit to exactly one destination
