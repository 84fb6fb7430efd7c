"""Every plans route × every role. Plans are shown to roles holding `view_plan` (reception,
regime, psychologist, probation, head), changed by `manage_plan` (psychologist, probation) and
countersigned by `countersign_plan` (head); a person outside the user's scope is a 404. The
probation officer's scope is their office: `pa`'s plan is with it after release, `pb`'s with
another office.

Through the API (bearer tokens, roles holding `use_api`: reception, psychologist, probation, head)
reception, the psychologist, the probation officer and the head read plans and the worklist of
steps, and the psychologist and the probation officer report progress on a step; a step of a
person outside the client's scope is a 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from permission_matrix import API_CLIENTS, REDIRECT, RouteSpec, roles
from qadam.core.roles import Role

VIEWERS = roles(Role.RECEPTION, Role.REGIME, Role.PSYCHOLOGIST, Role.PROBATION, Role.HEAD)
MANAGERS = roles(Role.PSYCHOLOGIST, Role.PROBATION)
SIGNERS = roles(Role.HEAD)


def _plan(world: dict[str, Any], key: str) -> dict[str, int]:
    """A plan with one need, goal and step for person `key` (made once per world)."""
    cache = world.setdefault("_plans", {})
    if key not in cache:
        from factories import staff
        from qadam.plans import services
        from qadam.plans.models import AgencyType, NeedArea, Plan

        actor = staff(Role.PSYCHOLOGIST, world["a"], world["b"], username=f"plan-setup-{key}")
        person = world[key]
        # The world's plans are with the probation offices already (permission_matrix).
        plan = Plan.objects.get(person=person)
        need = services.plan_need_add(
            plan=plan,
            need_area=NeedArea.objects.get(code="education_employment"),
            priority=1,
            source="staff",
            actor=actor,
        )
        goal = services.plan_goal_add(need=need, text="Learn a trade", actor=actor)
        step = services.plan_step_add(
            goal=goal,
            text="Welding course",
            agency_type=AgencyType.objects.get(code="teacher"),
            deadline=timezone.localdate() + timedelta(days=30),
            actor=actor,
        )
        cache[key] = {
            "person_pk": person.pk,
            "need_pk": need.pk,
            "goal_pk": goal.pk,
            "step_pk": step.pk,
        }
    return dict(cache[key])


def _api_person(key: str) -> Any:
    def kwargs(world: dict[str, Any]) -> dict[str, Any]:
        _plan(world, key)
        return {"person_id": world[key].pk}

    return kwargs


def _api_step(key: str) -> Any:
    return lambda w: {"step_id": _plan(w, key)["step_pk"]}


def _progress_body(world: dict[str, Any]) -> dict[str, Any]:
    """Valid for every allowed role in turn: the first moves the step on, the next add a note."""
    return {"status": "in_progress", "note": "Attended the first session."}


def person_of(key: str) -> Any:
    return lambda w: {"person_pk": w[key].pk}


def with_plan(key: str, *names: str) -> Any:
    return lambda w: {
        name: value for name, value in _plan(w, key).items() if name == "person_pk" or name in names
    }


ROUTES = [
    RouteSpec("plans:overdue_list", VIEWERS),
    RouteSpec(
        "plans:plan_detail", VIEWERS, kwargs=person_of("pa"), out_of_scope_kwargs=person_of("pb")
    ),
    RouteSpec(
        "plans:plan_start", MANAGERS, kwargs=person_of("pa"), out_of_scope_kwargs=person_of("pb")
    ),
    RouteSpec(
        "plans:plan_print",
        VIEWERS,
        kwargs=with_plan("pa"),
        out_of_scope_kwargs=with_plan("pb"),
        query="?lang=ru",
    ),
    RouteSpec(
        "plans:plan_pdf", VIEWERS, kwargs=with_plan("pa"), out_of_scope_kwargs=with_plan("pb")
    ),
    RouteSpec(
        "plans:need_add", MANAGERS, kwargs=with_plan("pa"), out_of_scope_kwargs=with_plan("pb")
    ),
    RouteSpec(
        "plans:goal_add",
        MANAGERS,
        kwargs=with_plan("pa", "need_pk"),
        out_of_scope_kwargs=with_plan("pb", "need_pk"),
    ),
    RouteSpec(
        "plans:step_add",
        MANAGERS,
        kwargs=with_plan("pa", "goal_pk"),
        out_of_scope_kwargs=with_plan("pb", "goal_pk"),
    ),
    RouteSpec(
        "plans:step_status",
        MANAGERS,
        kwargs=with_plan("pa", "step_pk"),
        out_of_scope_kwargs=with_plan("pb", "step_pk"),
    ),
    RouteSpec(
        "plans:evidence_add",
        MANAGERS,
        kwargs=with_plan("pa", "step_pk"),
        out_of_scope_kwargs=with_plan("pb", "step_pk"),
    ),
    RouteSpec(
        "plans:agreement_record",
        MANAGERS,
        kwargs=with_plan("pa"),
        out_of_scope_kwargs=with_plan("pb"),
    ),
    RouteSpec(
        "plans:review_record", MANAGERS, kwargs=with_plan("pa"), out_of_scope_kwargs=with_plan("pb")
    ),
    RouteSpec(
        "plans:countersign", SIGNERS, kwargs=with_plan("pa"), out_of_scope_kwargs=with_plan("pb")
    ),
    RouteSpec(
        "plans:hand_over", MANAGERS, kwargs=with_plan("pa"), out_of_scope_kwargs=with_plan("pb")
    ),
    RouteSpec(
        "API GET /api/v1/persons/{person_id}/plan",
        VIEWERS & API_CLIENTS,
        kwargs=_api_person("pa"),
        out_of_scope_kwargs=_api_person("pb"),
    ),
    RouteSpec(
        "API GET /api/v1/plans/steps",
        VIEWERS & API_CLIENTS,
        query="?responsible=teacher&status=planned",
    ),
    RouteSpec(
        "API POST /api/v1/plans/steps/{step_id}/status",
        MANAGERS & API_CLIENTS,
        method="POST",
        kwargs=_api_step("pa"),
        data=_progress_body,
        out_of_scope_kwargs=_api_step("pb"),
    ),
    RouteSpec(
        "plans:pre_release_add",
        MANAGERS,
        method="POST",
        ok=REDIRECT,
        kwargs=with_plan("pa"),
        out_of_scope_kwargs=with_plan("pb"),
    ),
]
