"""Schemathesis fuzzing of the whole OpenAPI schema against the app, in process (WSGI).

Every operation gets a fixed, small number of generated requests, authenticated with a token of a
national-scope head of institution (who holds every API capability); each answer must not be a
server error and must match the schema documented for its status. Runs once, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings

from factories import staff
from permission_matrix import build_world
from qadam.core.api_tokens import issue_token
from qadam.core.roles import Role

EXAMPLES_PER_OPERATION = 40

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.response_schema_conformance,
]


@pytest.fixture
def national_token(db: Any) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the API fuzzing runs once, on PostgreSQL")
    build_world()
    user = staff(Role.HEAD, national=True, username="fuzz-client")
    token: str = issue_token(user=user, name="fuzz")
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across the requests that the WSGI application serves.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield token
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.fuzz
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_generated_request_without_a_server_error(
    case: Any, national_token: str
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {national_token}"},
        checks=CHECKS,
    )
