"""Every role × every route gets exactly the designed answer; routes come from the resolver."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from permission_matrix import ALL_ROLES, HIDDEN, RouteSpec, build_world, collect_specs

pytestmark = pytest.mark.django_db

SPECS = collect_specs()
IGNORED_NAMESPACES = {"admin"}  # Django admin: its own staff check, covered in test_admin_site


def _url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in IGNORED_NAMESPACES:
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _url_names(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{prefix}{pattern.name}")
    return names


def _api_operations() -> set[str]:
    try:
        from qadam.config.api import api
    except ImportError:
        return set()
    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    return {
        f"API {method.upper()} {path if path.startswith(prefix) else prefix + path}"
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_route_has_an_expectation() -> None:
    specified = {spec.name for spec in SPECS}
    web_routes = {name for name in _url_names() if not name.startswith(("api-", "api:"))}
    missing = sorted((web_routes | _api_operations()) - specified)
    assert not missing, f"Routes without an expected result in a matrix_*.py file: {missing}"


def _request(client: Client, spec: RouteSpec, kwargs: dict[str, Any], world: dict[str, Any]) -> int:
    if spec.name.startswith("API "):
        _, method, path = spec.name.split(" ", 2)
        url = path.format(**kwargs)
        if method == "GET":
            return client.get(url + spec.query).status_code
        return client.generic(
            method,
            url,
            data=__import__("json").dumps(spec.data(world)),
            content_type="application/json",
        ).status_code
    url = reverse(spec.name, kwargs=kwargs) + spec.query
    if spec.method == "POST":
        return client.post(url, spec.data(world)).status_code
    return client.get(url).status_code


def _client_for(user: Any, spec: RouteSpec) -> Client:
    if spec.name.startswith("API "):
        from qadam.core.api_tokens import issue_token

        token = issue_token(user=user, name="matrix")
        return Client(headers={"Authorization": f"Bearer {token}"})
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_route_answers_each_role_as_designed(spec: RouteSpec) -> None:
    world = build_world()
    failures = []
    for role in ALL_ROLES:
        user = world["users"][role]
        client = _client_for(user, spec)
        status = _request(client, spec, spec.kwargs(world), world)
        if status != spec.expected(role):
            failures.append(f"{role.value}: got {status}, expected {spec.expected(role)}")
        if (
            spec.out_of_scope_kwargs is not None
            and role in spec.allowed
            and role not in spec.national_roles
        ):
            status = _request(_client_for(user, spec), spec, spec.out_of_scope_kwargs(world), world)
            if status != HIDDEN:
                failures.append(f"{role.value} outside scope: got {status}, expected {HIDDEN}")
    assert not failures, f"{spec.name}: " + "; ".join(failures)


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    world = build_world()
    for spec in SPECS:
        if spec.name in {"core:login", "core:set_language"} or spec.name.startswith("API "):
            continue
        status = _request(Client(), spec, spec.kwargs(world), world)
        assert status in {302, 405}, f"{spec.name} answered {status} to an anonymous visitor"
