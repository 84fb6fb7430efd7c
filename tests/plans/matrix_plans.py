"""Every plans route × every role. Plans are shown to roles holding `view_plan` (reception,
regime, psychologist, probation, head), changed by `manage_plan` (psychologist, probation) and
countersigned by `countersign_plan` (head); a person outside the user's scope is a 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from permission_matrix import REDIRECT, RouteSpec, roles
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
        from qadam.plans.models import AgencyType, NeedArea

        actor = staff(Role.PSYCHOLOGIST, world["a"], world["b"], username=f"plan-setup-{key}")
        person = world[key]
        plan = services.plan_start(person=person, actor=actor)
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
        "plans:pre_release_add",
        MANAGERS,
        method="POST",
        ok=REDIRECT,
        kwargs=with_plan("pa"),
        out_of_scope_kwargs=with_plan("pb"),
    ),
]
