"""Expected answers of the people routes for each role (see tests/permission_matrix.py)."""

from __future__ import annotations

from typing import Any

from permission_matrix import REDIRECT, RouteSpec, roles
from qadam.core.roles import ROLE_CAPABILITIES, Role


def holding(*capabilities: str) -> frozenset[Role]:
    """The roles that hold any of these capabilities."""
    return frozenset(role for role, held in ROLE_CAPABILITIES.items() if held & set(capabilities))


def _merge(world: dict[str, Any], survivor_key: str, *, approved: bool = False) -> dict[str, Any]:
    from factories import PersonFactory
    from qadam.people.models import PersonMerge

    survivor = world[survivor_key]
    duplicate = PersonFactory(surname=survivor.surname, birth_date=survivor.birth_date)
    merge = PersonMerge.objects.create(
        survivor=survivor,
        duplicate=duplicate,
        reason="Same IIN on a second record",
        requested_by=world["setup_user"],
        status=PersonMerge.Status.APPROVED if approved else PersonMerge.Status.REQUESTED,
    )
    if approved:
        duplicate.merged_into = survivor
        duplicate.save(update_fields=["merged_into"])
    return {"pk": merge.pk}


VIEWERS = holding("view_person")
SEARCHERS = holding("search_person")
MERGE_STAFF = holding("request_merge", "approve_merge")

ROUTES = [
    RouteSpec("people:search", SEARCHERS, query="?q=Ахметов"),
    RouteSpec(
        "people:person_detail",
        VIEWERS,
        kwargs=lambda w: {"pk": w["pa"].pk},
        out_of_scope_kwargs=lambda w: {"pk": w["pb"].pk},
    ),
    RouteSpec(
        "people:person_timeline",
        VIEWERS,
        kwargs=lambda w: {"pk": w["pa"].pk},
        out_of_scope_kwargs=lambda w: {"pk": w["pb"].pk},
    ),
    RouteSpec(
        "people:merge_request",
        holding("request_merge"),
        kwargs=lambda w: {"pk": w["pa"].pk},
        out_of_scope_kwargs=lambda w: {"pk": w["pb"].pk},
    ),
    RouteSpec(
        "people:subject_access",
        roles(Role.AUDITOR),
        kwargs=lambda w: {"pk": w["pa"].pk},
    ),
    RouteSpec("people:merge_list", MERGE_STAFF),
    RouteSpec(
        "people:merge_detail",
        MERGE_STAFF,
        kwargs=lambda w: _merge(w, "pa"),
        out_of_scope_kwargs=lambda w: _merge(w, "pb"),
    ),
    RouteSpec(
        "people:merge_decide",
        holding("approve_merge"),
        method="POST",
        ok=REDIRECT,
        kwargs=lambda w: _merge(w, "pa"),
        data=lambda w: {"decision": "reject", "reason": "Different mothers' names"},
        out_of_scope_kwargs=lambda w: _merge(w, "pb"),
    ),
    RouteSpec(
        "people:merge_undo",
        holding("approve_merge"),
        method="POST",
        ok=REDIRECT,
        kwargs=lambda w: _merge(w, "pa", approved=True),
        data=lambda w: {"reason": "Twins, not one person"},
        out_of_scope_kwargs=lambda w: _merge(w, "pb", approved=True),
    ),
]
