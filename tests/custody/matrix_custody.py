"""Every custody route × every role. Person `pa` is held in A (in scope), `pb` in B (outside)."""

from __future__ import annotations

from typing import Any

from permission_matrix import REDIRECT, RouteSpec, roles
from qadam.core.roles import Role

VIEWERS = roles(
    Role.RECEPTION,
    Role.REGIME,
    Role.HEAD,
    Role.ANALYST,
    Role.PROSECUTOR,
    Role.MONITOR,
    Role.ADMIN,
)
MOVEMENT_READERS = roles(Role.RECEPTION, Role.REGIME, Role.HEAD, Role.PROSECUTOR)
RECORDERS = roles(Role.RECEPTION, Role.REGIME, Role.HEAD)
LEDGER_ACTIONS = (
    "transfer",
    "arrival",
    "release",
    "absence",
    "absence_return",
    "escape",
    "recapture",
    "death",
    "move",
    "extend",
)


def _admission(world: dict[str, Any], key: str) -> int:
    from qadam.custody.models import Movement

    movement = Movement.objects.filter(person=world[key], kind="admission").first()
    assert movement is not None
    return int(movement.pk)


def _alert(world: dict[str, Any], key: str, institution: str) -> int:
    from qadam.core.models import Alert

    person = world[key]
    alert, _ = Alert.objects.get_or_create(
        kind=Alert.Kind.HELD_PAST_LAWFUL_DATE,
        person=person,
        due_date=person.lawful_until,
        defaults={"institution": world[institution]},
    )
    return int(alert.pk)


ROUTES = [
    RouteSpec("custody:institution_list", VIEWERS),
    RouteSpec(
        "custody:institution_detail",
        VIEWERS,
        kwargs=lambda w: {"pk": w["a"].pk},
        out_of_scope_kwargs=lambda w: {"pk": w["b"].pk},
    ),
    RouteSpec(
        "custody:region_detail",
        VIEWERS,
        kwargs=lambda w: {"pk": w["a"].region_id},
        out_of_scope_kwargs=lambda w: {"pk": w["b"].region_id},
    ),
    RouteSpec("custody:population", VIEWERS),
    RouteSpec(
        "custody:movement_list",
        MOVEMENT_READERS,
        kwargs=lambda w: {"pk": w["a"].pk},
        out_of_scope_kwargs=lambda w: {"pk": w["b"].pk},
    ),
    RouteSpec("custody:admit", roles(Role.RECEPTION)),
    RouteSpec("custody:admit_validate", roles(Role.RECEPTION), method="POST"),
    RouteSpec(
        "custody:correct",
        roles(Role.HEAD),
        kwargs=lambda w: {"movement_pk": _admission(w, "pa")},
        out_of_scope_kwargs=lambda w: {"movement_pk": _admission(w, "pb")},
    ),
    RouteSpec(
        "custody:correct_validate",
        roles(Role.HEAD),
        method="POST",
        kwargs=lambda w: {"movement_pk": _admission(w, "pa")},
        out_of_scope_kwargs=lambda w: {"movement_pk": _admission(w, "pb")},
    ),
    RouteSpec(
        "custody:alert_acknowledge",
        roles(Role.HEAD, Role.PROSECUTOR),
        method="POST",
        ok=REDIRECT,
        kwargs=lambda w: {"pk": _alert(w, "pa", "a")},
        out_of_scope_kwargs=lambda w: {"pk": _alert(w, "pb", "b")},
    ),
]

for _action in LEDGER_ACTIONS:
    ROUTES += [
        RouteSpec(
            f"custody:{_action}",
            RECORDERS,
            kwargs=lambda w: {"pk": w["pa"].pk},
            out_of_scope_kwargs=lambda w: {"pk": w["pb"].pk},
        ),
        RouteSpec(
            f"custody:{_action}_validate",
            RECORDERS,
            method="POST",
            kwargs=lambda w: {"pk": w["pa"].pk},
            out_of_scope_kwargs=lambda w: {"pk": w["pb"].pk},
        ),
    ]
