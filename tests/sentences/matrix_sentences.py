"""Every sentences route and API operation × every role. Person `pa` is held in A (in scope),
`pb` in B (outside). Roles holding `view_sentence` read; reception enters; the head approves
overrides; the administrator recalculates and activates legislation. Through the API (bearer
tokens, roles holding `use_api`) the readers among the API clients read and reception enters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from permission_matrix import API_CLIENTS, REDIRECT, RouteSpec, roles
from qadam.core.roles import Role

READERS = roles(
    Role.RECEPTION,
    Role.REGIME,
    Role.PSYCHOLOGIST,
    Role.PROBATION,
    Role.HEAD,
    Role.PROSECUTOR,
    Role.AUDITOR,
)
MANAGERS = roles(Role.RECEPTION)
APPROVERS = roles(Role.HEAD)
LEGISLATORS = roles(Role.ADMIN)
CREATED = 201


def _sentenced(world: dict[str, Any], key: str) -> Any:
    """The person's verdict, entered once through the service (idempotent across roles)."""
    from django.utils import timezone

    from factories import institution_type, offence
    from qadam.sentences import services
    from qadam.sentences.models import Verdict

    person = world[key]
    existing = Verdict.objects.filter(person=person).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return services.sentence_enter(
        actor=world["setup_user"],
        person=person,
        verdict=services.VerdictInput(
            court="Court",
            verdict_date=today - timedelta(days=10),
            case_number=f"M-{person.pk}",
            institution_type=institution_type("MED"),
            start_date=today - timedelta(days=5),
        ),
        counts=[
            services.CountInput(
                offence=offence("188", "2"), offence_date=today - timedelta(days=100), years=2
            )
        ],
        detention=[
            services.PeriodInput(
                date_from=today - timedelta(days=30), date_to=today - timedelta(days=6), source="R"
            )
        ],
    )


def _person(key: str) -> Any:
    def kwargs(world: dict[str, Any]) -> dict[str, Any]:
        _sentenced(world, key)
        return {"person_pk": world[key].pk}

    return kwargs


def _override(world: dict[str, Any], key: str) -> dict[str, Any]:
    from django.utils import timezone

    from qadam.sentences.models import DateOverride

    verdict = _sentenced(world, key)
    row, _created = DateOverride.objects.get_or_create(
        person=world[key],
        field="parole",
        status=DateOverride.Status.REQUESTED,
        defaults={
            "verdict": verdict,
            "new_date": timezone.localdate(),
            "reason": "matrix",
            "requested_by": world["setup_user"],
        },
    )
    return {"pk": row.pk}


def _run(world: dict[str, Any]) -> dict[str, Any]:
    from qadam.sentences.models import RecalculationRun

    run, _created = RecalculationRun.objects.get_or_create(
        rules_dir="/nonexistent", ruleset_version="matrix", status=RecalculationRun.Status.FAILED
    )
    return {"pk": run.pk}


def _sentence_body(world: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from factories import offence

    today = timezone.localdate()
    return {
        "court": "Court",
        "case_number": "API-1",
        "verdict_date": (today - timedelta(days=10)).isoformat(),
        "start_date": (today - timedelta(days=5)).isoformat(),
        "institution_type": "MED",
        "counts": [
            {
                "offence_id": offence("188", "2").pk,
                "offence_date": (today - timedelta(days=100)).isoformat(),
                "years": 2,
            }
        ],
    }


def _adjustment_body(world: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    today = timezone.localdate()
    return {
        "kind": "amnesty",
        "date": (today - timedelta(days=1)).isoformat(),
        "source": "Amnesty law",
        "months": 1,
    }


def _api_person(key: str, *, sentenced: bool = True) -> Any:
    def kwargs(world: dict[str, Any]) -> dict[str, Any]:
        if sentenced:
            _sentenced(world, key)
        return {"person_id": world[key].pk}

    return kwargs


ROUTES = [
    RouteSpec("sentences:worklists", READERS),
    RouteSpec("sentences:worklist", READERS, kwargs=lambda w: {"kind": "release_due"}),
    RouteSpec("sentences:override_list", roles(Role.RECEPTION, Role.HEAD)),
    RouteSpec(
        "sentences:override_decide",
        APPROVERS,
        kwargs=lambda w: _override(w, "pa"),
        out_of_scope_kwargs=lambda w: _override(w, "pb"),
    ),
    RouteSpec("sentences:recalculation_list", LEGISLATORS),
    RouteSpec("sentences:recalculation_detail", LEGISLATORS, kwargs=_run),
    RouteSpec(
        "sentences:recalculation_activate",
        LEGISLATORS,
        method="POST",
        ok=REDIRECT,
        kwargs=_run,
    ),
    RouteSpec(
        "sentences:detail",
        READERS,
        kwargs=_person("pa"),
        out_of_scope_kwargs=_person("pb"),
    ),
    RouteSpec("sentences:enter", MANAGERS, kwargs=_person("pa"), out_of_scope_kwargs=_person("pb")),
    RouteSpec(
        "sentences:preview",
        MANAGERS,
        method="POST",
        kwargs=_person("pa"),
        out_of_scope_kwargs=_person("pb"),
    ),
    RouteSpec(
        "sentences:adjustment_add",
        MANAGERS,
        kwargs=_person("pa"),
        out_of_scope_kwargs=_person("pb"),
    ),
    RouteSpec(
        "sentences:in_force", MANAGERS, kwargs=_person("pa"), out_of_scope_kwargs=_person("pb")
    ),
    RouteSpec(
        "sentences:override_request",
        MANAGERS,
        kwargs=_person("pa"),
        out_of_scope_kwargs=_person("pb"),
    ),
    RouteSpec("sentences:sheet", READERS, kwargs=_person("pa"), out_of_scope_kwargs=_person("pb")),
    RouteSpec(
        "sentences:sheet_pdf", READERS, kwargs=_person("pa"), out_of_scope_kwargs=_person("pb")
    ),
    RouteSpec(
        "API GET /api/v1/persons/{person_id}/sentence",
        READERS & API_CLIENTS,
        kwargs=_api_person("pa"),
        out_of_scope_kwargs=_api_person("pb"),
    ),
    RouteSpec(
        "API POST /api/v1/persons/{person_id}/sentence",
        MANAGERS,
        method="POST",
        ok=CREATED,
        kwargs=_api_person("pa", sentenced=False),
        data=_sentence_body,
        out_of_scope_kwargs=_api_person("pb", sentenced=False),
    ),
    RouteSpec(
        "API POST /api/v1/persons/{person_id}/sentence/adjustments",
        MANAGERS,
        method="POST",
        ok=CREATED,
        kwargs=_api_person("pa"),
        data=_adjustment_body,
        out_of_scope_kwargs=_api_person("pb"),
    ),
    RouteSpec(
        "API GET /api/v1/sentences/worklists/{kind}",
        READERS & API_CLIENTS,
        kwargs=lambda w: {"kind": "parole_now"},
    ),
]
