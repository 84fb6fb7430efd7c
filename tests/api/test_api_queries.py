"""The API's reads run a fixed number of queries, whatever the number of rows they return."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factories import moment, staff
from qadam.core.roles import Role
from qadam.custody import services

pytestmark = pytest.mark.django_db


def queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_person_list_does_not_grow_with_the_page(world, token_client, admit):
    client = token_client(staff(Role.HEAD, national=True))
    few = queries(client, "/api/v1/persons")
    for _ in range(4):
        admit(world["a"], world["setup_user"])
    assert queries(client, "/api/v1/persons") == few


def test_person_detail_and_ledger_do_not_grow_with_the_ledger(world, token_client):
    head = world["users"][Role.HEAD]
    client = token_client(head)
    pa = world["pa"]
    detail = queries(client, f"/api/v1/persons/{pa.pk}")
    ledger = queries(client, f"/api/v1/persons/{pa.pk}/movements?include_corrections=true")
    for days in (9, 7, 5):
        services.person_absence_out(
            actor=head,
            person=pa,
            data=services.MovementInput(occurred_at=moment(days), institution=world["a"]),
            absence_reason="court",
        )
        services.person_absence_return(
            actor=head,
            person=pa,
            data=services.MovementInput(occurred_at=moment(days - 1), institution=world["a"]),
        )
    assert queries(client, f"/api/v1/persons/{pa.pk}") == detail
    assert queries(client, f"/api/v1/persons/{pa.pk}/movements?include_corrections=true") == ledger


def test_institution_list_does_not_grow_with_institutions(world, token_client):
    from factories import InstitutionFactory

    client = token_client(staff(Role.HEAD, national=True))
    few = queries(client, "/api/v1/institutions")
    for _ in range(3):
        InstitutionFactory()
    assert queries(client, "/api/v1/institutions") == few
