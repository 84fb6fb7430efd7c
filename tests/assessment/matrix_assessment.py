"""Every assessment route × every role. Assessments are shown to roles holding
`view_assessment` (psychologist, probation, head), made by `assess_person` (psychologist),
overrides decided by `approve_assessment_override` (head); instruments are also shown to the
analyst (`validate_instruments`), and new versions loaded by the analyst and the administrator
(`manage_reference_data`). A person outside the user's scope is a 404.

The API takes bearer tokens, which only roles holding `use_api` (reception, psychologist,
probation, head) may use: the psychologist, the probation officer and the head read assessments
through it, and the psychologist records them (an assessment tablet acts in the psychologist's
name)."""

from __future__ import annotations

from typing import Any

from permission_matrix import API_CLIENTS, REDIRECT, RouteSpec, roles
from qadam.core.roles import Role

VIEWERS = roles(Role.PSYCHOLOGIST, Role.PROBATION, Role.HEAD)
ASSESSORS = roles(Role.PSYCHOLOGIST)
APPROVERS = roles(Role.HEAD)
INSTRUMENT_READERS = roles(Role.PSYCHOLOGIST, Role.PROBATION, Role.HEAD, Role.ANALYST)
# A new instrument version is loaded by those who validate instruments (`validate_instruments`)
# and by the administrators of reference data (`manage_reference_data`).
INSTRUMENT_LOADERS = roles(Role.ANALYST, Role.ADMIN)
PLANNERS = roles(Role.PSYCHOLOGIST, Role.PROBATION)
CREATED = 201


def _assessment(world: dict[str, Any], key: str) -> Any:
    """One assessment of person `key` with a pending override (made once per world)."""
    cache = world.setdefault("_assessments", {})
    if key not in cache:
        from django.utils import timezone

        from factories import staff
        from qadam.assessment import services
        from qadam.assessment.models import BandOverride

        actor = staff(Role.PSYCHOLOGIST, world["a"], world["b"], username=f"assess-setup-{key}")
        instrument = services.instrument_in_force()
        assert instrument is not None
        answers = {item.code: item.options[-1].code for item in instrument.engine.items}
        assessment = services.assessment_create(
            person=world[key],
            actor=actor,
            instrument=instrument,
            kind="admission",
            assessed_on=timezone.localdate(),
            answers=answers,
        )
        other = next(b.code for b in instrument.engine.bands if b.code != assessment.band)
        override = BandOverride.objects.create(
            assessment=assessment,
            computed_band=assessment.band,
            requested_band=other,
            reason="Matrix: the file shows more than the items do.",
            requested_by=actor,
        )
        cache[key] = {"assessment": assessment.pk, "override": override.pk}
    return cache[key]


def person_of(key: str) -> Any:
    return lambda w: {"person_pk": w[key].pk}


def assessment_of(key: str) -> Any:
    return lambda w: {"pk": _assessment(w, key)["assessment"]}


def override_of(key: str) -> Any:
    return lambda w: {"pk": _assessment(w, key)["override"]}


def _api_person(key: str) -> Any:
    return lambda w: {"person_id": w[key].pk}


def _api_assessment(key: str) -> Any:
    return lambda w: {"assessment_id": _assessment(w, key)["assessment"]}


def _api_instrument(world: dict[str, Any]) -> dict[str, Any]:
    return {"instrument_id": _instrument(world)["pk"]}


def _assessment_body(world: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from qadam.assessment.services import instrument_in_force

    instrument = instrument_in_force()
    assert instrument is not None
    return {
        "kind": "periodic",
        "assessed_on": timezone.localdate().isoformat(),
        "answers": {item.code: item.options[0].code for item in instrument.engine.items},
    }


def _instrument(world: dict[str, Any]) -> dict[str, Any]:
    from qadam.assessment.services import instrument_in_force

    instrument = instrument_in_force()
    assert instrument is not None
    return {"pk": instrument.pk}


ROUTES = [
    RouteSpec("assessment:due_list", VIEWERS),
    RouteSpec("assessment:override_list", VIEWERS),
    RouteSpec("assessment:instrument_list", INSTRUMENT_READERS),
    RouteSpec("assessment:instrument_detail", INSTRUMENT_READERS, kwargs=_instrument),
    RouteSpec("assessment:instrument_upload", INSTRUMENT_LOADERS),
    RouteSpec(
        "assessment:person_assessments",
        VIEWERS,
        kwargs=person_of("pa"),
        out_of_scope_kwargs=person_of("pb"),
    ),
    RouteSpec(
        "assessment:assess", ASSESSORS, kwargs=person_of("pa"), out_of_scope_kwargs=person_of("pb")
    ),
    RouteSpec(
        "assessment:preview",
        ASSESSORS,
        method="POST",
        kwargs=person_of("pa"),
        out_of_scope_kwargs=person_of("pb"),
    ),
    RouteSpec(
        "assessment:detail",
        VIEWERS,
        kwargs=assessment_of("pa"),
        out_of_scope_kwargs=assessment_of("pb"),
    ),
    RouteSpec(
        "assessment:override_request",
        ASSESSORS,
        kwargs=assessment_of("pa"),
        out_of_scope_kwargs=assessment_of("pb"),
    ),
    RouteSpec(
        "assessment:override_decide",
        APPROVERS,
        kwargs=override_of("pa"),
        out_of_scope_kwargs=override_of("pb"),
    ),
    RouteSpec(
        "assessment:plan_needs",
        PLANNERS,
        method="POST",
        ok=REDIRECT,
        kwargs=assessment_of("pa"),
        out_of_scope_kwargs=assessment_of("pb"),
    ),
    RouteSpec("API GET /api/v1/assessments/instruments", INSTRUMENT_READERS & API_CLIENTS),
    RouteSpec(
        "API GET /api/v1/assessments/instruments/{instrument_id}",
        INSTRUMENT_READERS & API_CLIENTS,
        kwargs=_api_instrument,
    ),
    RouteSpec(
        "API GET /api/v1/assessments/{assessment_id}",
        VIEWERS & API_CLIENTS,
        kwargs=_api_assessment("pa"),
        out_of_scope_kwargs=_api_assessment("pb"),
    ),
    RouteSpec(
        "API GET /api/v1/persons/{person_id}/assessments",
        VIEWERS & API_CLIENTS,
        kwargs=_api_person("pa"),
        out_of_scope_kwargs=_api_person("pb"),
    ),
    RouteSpec(
        "API POST /api/v1/persons/{person_id}/assessments",
        ASSESSORS & API_CLIENTS,
        method="POST",
        ok=CREATED,
        kwargs=_api_person("pa"),
        data=_assessment_body,
        out_of_scope_kwargs=_api_person("pb"),
    ),
]
