"""A staff member's scope is set in the reference-data pages by holders of `manage_users`: the
level and the institutions, regions or probation offices it draws on; every change is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from factories import InstitutionFactory, probation_office, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role, ScopeLevel

pytestmark = pytest.mark.django_db


def _url(user_pk: int) -> str:
    return f"/reference/core/user/{user_pk}/change/"


def _admin_client() -> Client:
    client = Client()
    client.force_login(staff(Role.ADMIN, national=True))
    return client


def test_an_officer_is_given_probation_offices_and_the_change_is_audited() -> None:
    officer = staff(Role.PROBATION, InstitutionFactory())
    office = probation_office("PO-35-01")
    client = _admin_client()
    page = client.get(_url(officer.pk)).content.decode()
    assert 'name="probation_offices"' in page
    answer = client.post(
        _url(officer.pk),
        {"scope_level": ScopeLevel.PROBATION_OFFICE, "probation_offices": [office.pk]},
    )
    assert answer.status_code == 302
    officer.refresh_from_db()
    assert officer.scope_level == ScopeLevel.PROBATION_OFFICE
    assert list(officer.probation_offices.all()) == [office]
    assert list(officer.institutions.all()) == []
    event = AuditEvent.objects.get(verb="staff scope changed")
    assert event.object_id == str(officer.pk)
    assert event.details["probation_offices"] == ["PO-35-01"]
    assert event.details["scope_level"] == "probation_office"


def test_a_level_without_its_list_is_refused_and_nothing_changes() -> None:
    officer = staff(Role.PROBATION, InstitutionFactory())
    answer = _admin_client().post(_url(officer.pk), {"scope_level": ScopeLevel.PROBATION_OFFICE})
    assert answer.status_code == 200
    assert "Choose at least one" in answer.content.decode()
    officer.refresh_from_db()
    assert officer.scope_level == ScopeLevel.INSTITUTION
    assert not AuditEvent.objects.filter(verb="staff scope changed").exists()


@pytest.mark.parametrize("role", [Role.HEAD, Role.PROBATION, Role.AUDITOR])
def test_only_holders_of_manage_users_may_open_it(role: Role) -> None:
    officer = staff(Role.PROBATION, probation_office("PO-35-01"))
    client = Client()
    client.force_login(staff(role, national=True))
    assert client.get(_url(officer.pk)).status_code == 302  # to the admin login, which refuses
