"""The permission matrix: every role × every route → the status code it must get.

Each module lists its routes in `tests/<module>/matrix_<module>.py` as `ROUTES: list[RouteSpec]`
(web pages by URL name, API operations by method and path). `tests/core/test_permission_matrix.py`
collects them, takes the list of routes from the URL resolver and the OpenAPI schema, fails for any
route without an expectation, and requests each one as each role.

The world: institution A (the users' scope) and B (outside it), in different regions; person
`pa` held in A and `pb` held in B. Institution-scoped users are scoped to A, regional users to A's
region, and the national roles (analyst, auditor, administrator) to the whole country. The
probation officer is scoped to the probation office of A's region, which holds `pa`'s plan after
release; `pb`'s plan is with the office of B's region. (Both are still held: the matrix checks
scope, which for a probation officer follows the plan, not the person's story.)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qadam.core.roles import Role

ALL_ROLES = tuple(Role)

OK = 200
REDIRECT = 302
DENIED = 403
HIDDEN = 404
NOT_ALLOWED = 405


@dataclass(frozen=True)
class RouteSpec:
    """One route and what each role must get. `kwargs` builds the URL arguments from the world.

    `allowed` lists the roles that get `ok` (200 by default); every other role gets `denied`
    (403 by default). `out_of_scope_kwargs`, when given, builds arguments naming a record outside
    the user's scope: every allowed role that is not national must then get `hidden` (404).
    """

    name: str  # URL name ("custody:institution_detail") or "API METHOD /api/v1/path"
    allowed: frozenset[Role]
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = lambda world: {}
    method: str = "GET"
    data: Callable[[dict[str, Any]], dict[str, Any]] = lambda world: {}
    ok: int = OK
    denied: int = DENIED
    out_of_scope_kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    query: str = ""
    national_roles: frozenset[Role] = field(default_factory=lambda: NATIONAL_ROLES)

    def expected(self, role: Role) -> int:
        return self.ok if role in self.allowed else self.denied


NATIONAL_ROLES = frozenset({Role.ANALYST, Role.AUDITOR, Role.ADMIN})
REGIONAL_ROLES = frozenset({Role.EM_OPERATOR, Role.MONITOR, Role.PROSECUTOR})
PROBATION_OFFICE_ROLES = frozenset({Role.PROBATION})


def roles(*items: Role) -> frozenset[Role]:
    return frozenset(items)


# Roles holding `use_api`: the matrix requests every API operation with a bearer token, which only
# they may use; every other role gets 403 before anything else. An API operation's allowed roles
# are the route's own roles `& API_CLIENTS`.
API_CLIENTS = roles(Role.RECEPTION, Role.PSYCHOLOGIST, Role.PROBATION, Role.HEAD)


def everyone() -> frozenset[Role]:
    return frozenset(ALL_ROLES)


def collect_specs() -> list[RouteSpec]:
    specs: list[RouteSpec] = []
    tests_dir = Path(__file__).resolve().parent
    for path in sorted(tests_dir.glob("*/matrix_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        specs.extend(module.ROUTES)
    return specs


def _plans_with_probation(persons: dict[str, Any], offices: dict[str, Any], actor: Any) -> None:
    """Each person's plan, started and handed over to their probation office (post-release)."""
    from qadam.core.models import Organisation
    from qadam.plans import services

    probation = Organisation.objects.get(code="probation-service")
    for key, person in persons.items():
        services.plan_hand_over(
            plan=services.plan_start(person=person, actor=actor),
            to_organisation=probation,
            to_stage="post_release",
            probation_office=offices[key],
            reason="Matrix world: supervised by the probation office",
            actor=actor,
        )


def build_world() -> dict[str, Any]:
    """Two institutions, one person in each, one user per role. Returns the objects by name."""
    from factories import InstitutionFactory, PersonFactory, probation_office, region, staff
    from qadam.custody import services
    from qadam.custody.models import DetentionBasis

    a = InstitutionFactory(code="A", region=region("KZ-35"))
    b = InstitutionFactory(code="B", region=region("KZ-55"))
    admin_actor = staff(Role.RECEPTION, a, b, username="matrix-setup")
    persons = {}
    for key, institution, surname in (("pa", a, "Ахметов"), ("pb", b, "Борисов")):
        person = PersonFactory(surname=surname)
        from factories import moment

        basis = services.basis_record(
            actor=admin_actor,
            person=person,
            kind=DetentionBasis.Kind.REMAND_ORDER,
            authority="Court",
            document_number=f"{key}-1",
            issued_on=moment(40).date(),
            valid_until=moment(-30).date(),
        )
        services.person_admit(
            actor=admin_actor,
            person=person,
            data=services.MovementInput(occurred_at=moment(30), institution=institution),
            legal_status="remand",
            basis=basis,
        )
        person.refresh_from_db()
        persons[key] = person
    offices = {"pa": probation_office("PO-35-01"), "pb": probation_office("PO-55-01")}
    _plans_with_probation(persons, offices, staff(Role.PSYCHOLOGIST, a, b, username="matrix-plans"))
    users = {}
    for role in ALL_ROLES:
        if role in NATIONAL_ROLES:
            users[role] = staff(role, national=True, username=f"m-{role.value}")
        elif role in REGIONAL_ROLES:
            users[role] = staff(role, a.region, username=f"m-{role.value}")
        elif role in PROBATION_OFFICE_ROLES:
            users[role] = staff(role, offices["pa"], username=f"m-{role.value}")
        else:
            users[role] = staff(role, a, username=f"m-{role.value}")
    return {"a": a, "b": b, **persons, "users": users, "setup_user": admin_actor}
