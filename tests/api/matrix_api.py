"""The API operations (and the second-factor pages) in the permission matrix.

API requests carry a bearer token of each role's user. Only roles holding `use_api` (reception,
psychologist, probation, head) may use tokens; every other role gets 403 before anything else.
Of those, all read persons and ledgers, only reception and the head record movements or read
institutions and population. Records outside the client's scope answer 404.
"""

from typing import Any

from factories import PersonFactory, moment
from permission_matrix import API_CLIENTS, REDIRECT, RouteSpec, everyone, roles
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis

MOVEMENT_RECORDERS = roles(Role.RECEPTION, Role.REGIME, Role.HEAD) & API_CLIENTS
POPULATION_READERS = (
    roles(
        Role.RECEPTION,
        Role.REGIME,
        Role.HEAD,
        Role.ANALYST,
        Role.PROSECUTOR,
        Role.MONITOR,
        Role.ADMIN,
    )
    & API_CLIENTS
)
CREATED = 201


def _fresh_person_in_a(world: dict[str, Any]) -> dict[str, Any]:
    """A new person held in A, so that each role's write meets the same ledger state."""
    person = PersonFactory()
    basis = services.basis_record(
        actor=world["setup_user"],
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number=f"M-{person.pk}",
        issued_on=moment(40).date(),
        valid_until=moment(-30).date(),
    )
    services.person_admit(
        actor=world["setup_user"],
        person=person,
        data=services.MovementInput(occurred_at=moment(30), institution=world["a"]),
        legal_status="remand",
        basis=basis,
    )
    return {"person_id": person.pk}


ROUTES = [
    RouteSpec("API GET /api/v1/me", API_CLIENTS),
    RouteSpec("API GET /api/v1/persons", API_CLIENTS),
    RouteSpec(
        "API GET /api/v1/persons/{person_id}",
        API_CLIENTS,
        kwargs=lambda w: {"person_id": w["pa"].pk},
        out_of_scope_kwargs=lambda w: {"person_id": w["pb"].pk},
    ),
    RouteSpec(
        "API GET /api/v1/persons/{person_id}/movements",
        API_CLIENTS,
        kwargs=lambda w: {"person_id": w["pa"].pk},
        out_of_scope_kwargs=lambda w: {"person_id": w["pb"].pk},
    ),
    RouteSpec(
        "API POST /api/v1/persons/{person_id}/movements",
        MOVEMENT_RECORDERS,
        method="POST",
        ok=CREATED,
        kwargs=_fresh_person_in_a,
        data=lambda w: {"kind": "escape", "occurred_at": moment(1).isoformat()},
        out_of_scope_kwargs=lambda w: {"person_id": w["pb"].pk},
    ),
    RouteSpec("API GET /api/v1/institutions", POPULATION_READERS),
    RouteSpec(
        "API GET /api/v1/institutions/{institution_id}",
        POPULATION_READERS,
        kwargs=lambda w: {"institution_id": w["a"].pk},
        out_of_scope_kwargs=lambda w: {"institution_id": w["b"].pk},
    ),
    RouteSpec("API GET /api/v1/population", POPULATION_READERS),
    # Second factor (core.views_otp): any member of staff may enrol; without a device the
    # verification step has nothing to ask and sends them on.
    RouteSpec("core:otp_enrol", everyone()),
    RouteSpec("core:otp_verify", everyone(), ok=REDIRECT),
]
