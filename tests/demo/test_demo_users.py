"""Demo users: one per role, in the role's group, scoped like real staff."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from factories import InstitutionFactory, institution_type
from qadam.core.models import User
from qadam.core.roles import Role, ScopeLevel
from qadam.demo.users import DEMO_PASSWORD, create_demo_users, demo_institution, system_user

pytestmark = pytest.mark.django_db


def test_one_user_per_role_in_its_group_with_its_scope() -> None:
    big = InstitutionFactory(operational_capacity=1400, type=institution_type("MED"))
    InstitutionFactory(operational_capacity=400, type=institution_type("MED"))
    logins = create_demo_users()
    assert {login.role for login in logins} == set(Role.values)
    assert demo_institution() == big
    for login in logins:
        user = User.objects.get(username=login.username)
        assert user.role == login.role
        assert list(user.groups.values_list("name", flat=True)) == [f"role:{login.role}"]
        if user.scope_level == ScopeLevel.INSTITUTION:
            assert list(user.institutions.all()) == [big]
        elif user.scope_level == ScopeLevel.REGION:
            assert list(user.regions.all()) == [big.region]
        elif user.scope_level == ScopeLevel.PROBATION_OFFICE:
            # The office of the demo institution's region receives the plans released there.
            assert [office.region for office in user.probation_offices.all()] == [big.region]
        else:
            assert user.scope_level == ScopeLevel.NATIONAL
    levels = {
        login.username: User.objects.get(username=login.username).scope_level for login in logins
    }
    assert levels["reception"] == ScopeLevel.INSTITUTION
    assert levels["em_operator"] == ScopeLevel.REGION
    assert levels["probation"] == ScopeLevel.PROBATION_OFFICE
    assert levels["analyst"] == levels["auditor"] == levels["admin"] == ScopeLevel.NATIONAL


def test_demo_password_logs_in_and_a_second_run_changes_nothing() -> None:
    InstitutionFactory()
    create_demo_users()
    create_demo_users()
    assert User.objects.filter(username="reception").count() == 1
    user = User.objects.get(username="head")
    assert user.check_password(DEMO_PASSWORD)
    assert user.has_perm("core.view_detention_alarms")


def test_the_generator_account_cannot_log_in() -> None:
    user = system_user()
    assert not user.is_active
    assert not user.has_usable_password()


def test_demo_users_command_prints_the_logins() -> None:
    InstitutionFactory()
    out = io.StringIO()
    call_command("demo_users", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for role in Role.values:
        assert role in text
