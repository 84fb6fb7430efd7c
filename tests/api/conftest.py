"""Fixtures of the API tests: the permission-matrix world and clients holding a bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from factories import PersonFactory, moment
from permission_matrix import build_world
from qadam.core.api_tokens import issue_token
from qadam.core.models import User
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Institution
from qadam.people.models import Person


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Institutions A (in scope) and B (outside), `pa` held in A and `pb` in B, a user per role."""
    return build_world()


@pytest.fixture
def token_client() -> Callable[..., Client]:
    def make(user: User, language: str = "en") -> Client:
        token = issue_token(user=user, name="test")
        return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": language})

    return make


def admitted(
    institution: Institution, actor: User, *, days_ago: int = 30, status: str = "remand", **kw: Any
) -> Person:
    """A new person admitted to `institution` through the real services."""
    person: Person = PersonFactory(**kw)
    basis = services.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number=f"T-{person.pk}",
        issued_on=moment(days_ago + 1).date(),
        valid_until=moment(-30).date(),
    )
    services.person_admit(
        actor=actor,
        person=person,
        data=services.MovementInput(occurred_at=moment(days_ago), institution=institution),
        legal_status=status,
        basis=basis,
    )
    person.refresh_from_db()
    return person


@pytest.fixture
def admit() -> Callable[..., Person]:
    return admitted
