"""Sentences in the machine API: a person's sentence with every date and its breakdown, entry of a
verdict and of adjustments through the same services as the forms, and the worklists.

Scoped like the pages (records outside the client's scope answer 404), capability-checked,
audited; errors are the shared `{"errors": {"field": ["message"]}}` shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from qadam.core.api import Id, PersonId, Text, actor, responses
from qadam.core.audit import audit_search, audit_view
from qadam.core.errors import ServiceError
from qadam.core.models import Offence
from qadam.core.policies import require
from qadam.custody.models import Institution, InstitutionType
from qadam.people.api import person_in_scope
from qadam.people.models import Person
from qadam.sentences import policies, services, worklists
from qadam.sentences.models import Combination, DateOverride, SentenceCalculation, Verdict

router = Router(tags=["sentences"])

WorklistKind = Literal["release_due", "parole_now", "parole_soon", "transfer", "not_eligible"]


# --- Schemas ---------------------------------------------------------------------------------------


class CountIn(Schema):
    offence_id: Id = Field(..., description="Offence catalogue id (article and part).")
    offence_date: dt.date
    years: int = Field(0, ge=0, le=30)
    months: int = Field(0, ge=0, le=11)
    days: int = Field(0, ge=0, le=30)
    life: bool = False
    gravity: Literal["", "misdemeanour", "minor", "medium", "grave", "especially_grave"] = Field(
        "", description="Gravity as the verdict determined it; empty: the catalogue's."
    )

    model_config = {"extra": "forbid"}


class PeriodIn(Schema):
    date_from: dt.date
    date_to: dt.date
    source: Text = Field(..., max_length=255)

    model_config = {"extra": "forbid"}


class SentenceIn(Schema):
    """A verdict with its counts and the periods of pre-trial detention to credit."""

    court: Text = Field(..., max_length=255, examples=["Almaty city court No. 2"])
    case_number: Text = Field(..., max_length=64, examples=["1-245/2025"])
    verdict_date: dt.date
    entered_into_force: dt.date | None = None
    start_date: dt.date
    institution_type: Literal["MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA"]
    combination: Literal["absorption", "consecutive", "partial"] = "absorption"
    partial_share: Text = Field("1/2", max_length=8)
    additional_punishments: Text = Field("", max_length=2000)
    dangerous_recidivism: bool = False
    cooperation_agreement: bool = False
    earlier_parole_revoked: bool = False
    counts: list[CountIn] = Field(..., min_length=1, max_length=20)
    detention: list[PeriodIn] = Field(default_factory=list, max_length=20)

    model_config = {"extra": "forbid"}


class AdjustmentIn(Schema):
    kind: Literal[
        "detention", "escape", "amnesty", "pardon", "court_change", "replacement", "recall"
    ]
    date: dt.date
    source: Text = Field(..., max_length=255)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    years: int = Field(0, ge=0, le=30)
    months: int = Field(0, ge=0, le=11)
    days: int = Field(0, ge=0, le=30)
    life: bool = False
    commute: bool = False
    release: bool = False
    new_institution_type: Literal["MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA"] | None = None
    milder_punishment: Text = Field("", max_length=255)
    released_on: dt.date | None = None
    days_to_serve: int | None = Field(None, ge=1, le=20_000)

    model_config = {"extra": "forbid"}


class CountOut(Schema):
    number: int
    article: str
    gravity: str
    years: int
    months: int
    days: int
    life: bool
    offence_date: dt.date


class AdjustmentOut(Schema):
    id: int
    kind: str
    date: dt.date
    source: str
    date_from: dt.date | None
    date_to: dt.date | None


class VerdictOut(Schema):
    id: int
    court: str
    case_number: str
    verdict_date: dt.date
    entered_into_force: dt.date | None
    start_date: dt.date
    institution_type: str
    combination: str
    counts: list[CountOut]
    adjustments: list[AdjustmentOut]


class DatesOut(Schema):
    end_of_sentence: dt.date | None
    parole: dt.date | None
    parole_status: str
    parole_reason: str
    replacement: dt.date | None
    transfer: dt.date | None
    transfer_target: str
    preferential: dt.date | None
    mandatory_parole: bool
    overridden: list[str] = Field(..., description="Dates set by hand (approved) in effect.")


class OverrideOut(Schema):
    field: str
    computed_date: dt.date | None
    new_date: dt.date
    reason: str
    status: str


class SentenceOut(Schema):
    person_id: int
    verdict: VerdictOut | None
    dates: DatesOut | None
    ruleset_version: str | None
    calculated_at: dt.datetime | None
    breakdown: dict[str, Any] | None = Field(
        None,
        description=(
            "The engine's result: for each date its status, date, reason, conditions and "
            "breakdown (rules used with citation, version and confidence tag; arithmetic steps as "
            "codes with parameters); or the validation issues."
        ),
    )
    overrides: list[OverrideOut]


class WorklistRowOut(Schema):
    person_id: int
    case_number: str
    name: str
    institution: str
    date: dt.date | None
    end_of_sentence: dt.date | None
    note: str


class WorklistOut(Schema):
    kind: str
    count: int
    limit: int
    offset: int
    items: list[WorklistRowOut]


class WorklistFilters(Schema):
    institution: str | None = Field(None, max_length=16, description="Institution code.")
    region: str | None = Field(None, max_length=8, description="Region ISO code.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


# --- Helpers -----------------------------------------------------------------------------------------


def _sentence(person: Person) -> dict[str, Any]:
    verdict = (
        Verdict.objects.filter(person=person)
        .select_related("institution_type")
        .order_by("-verdict_date", "-id")
        .first()
    )
    calc = SentenceCalculation.objects.filter(person=person).first()
    overrides = DateOverride.objects.filter(person=person).order_by("-requested_at")
    verdict_out = None
    if verdict is not None:
        verdict_out = {
            "id": verdict.pk,
            "court": verdict.court,
            "case_number": verdict.case_number,
            "verdict_date": verdict.verdict_date,
            "entered_into_force": verdict.entered_into_force,
            "start_date": verdict.start_date,
            "institution_type": verdict.institution_type.code,
            "combination": verdict.combination,
            "counts": [
                {
                    "number": c.number,
                    "article": c.offence.citation,
                    "gravity": c.gravity,
                    "years": c.term_years,
                    "months": c.term_months,
                    "days": c.term_days,
                    "life": c.life,
                    "offence_date": c.offence_date,
                }
                for c in verdict.counts.select_related("offence")
            ],
            "adjustments": [
                {
                    "id": a.pk,
                    "kind": a.kind,
                    "date": a.date,
                    "source": a.source,
                    "date_from": a.date_from,
                    "date_to": a.date_to,
                }
                for a in verdict.adjustments.all()
            ],
        }
    dates = None
    if calc is not None:
        dates = {
            "end_of_sentence": calc.end_of_sentence,
            "parole": calc.parole_date,
            "parole_status": calc.parole_status,
            "parole_reason": calc.parole_reason,
            "replacement": calc.replacement_date,
            "transfer": calc.transfer_date,
            "transfer_target": calc.transfer_target,
            "preferential": calc.preferential_date,
            "mandatory_parole": calc.mandatory_parole,
            "overridden": list(calc.overridden),
        }
    return {
        "person_id": person.pk,
        "verdict": verdict_out,
        "dates": dates,
        "ruleset_version": calc.ruleset_version if calc else None,
        "calculated_at": calc.computed_at if calc else None,
        "breakdown": calc.result if calc else None,
        "overrides": [
            {
                "field": o.field,
                "computed_date": o.computed_date,
                "new_date": o.new_date,
                "reason": o.reason,
                "status": o.status,
            }
            for o in overrides
        ],
    }


def _type(code: str | None) -> InstitutionType | None:
    if code is None:
        return None
    found = InstitutionType.objects.filter(code=code).first()
    if found is None:
        raise ServiceError({"institution_type": [_("Unknown institution type.")]})
    return found


# --- Operations ----------------------------------------------------------------------------------------


@router.get(
    "/persons/{person_id}/sentence",
    response=responses({200: SentenceOut}),
    summary="A person's sentence and dates",
)
def sentence_get(request: HttpRequest, person_id: PersonId) -> dict[str, Any]:
    """The current verdict with counts and adjustments, the dates in effect (overrides applied),
    and the engine's breakdown of each date."""
    user = actor(request)
    require(policies.can_view_sentence(user))
    person = person_in_scope(user, person_id)
    audit_view(actor=user, person_id=person.pk, verb="sentence shown (API)")
    return _sentence(person)


@router.post(
    "/persons/{person_id}/sentence",
    response=responses({201: SentenceOut}),
    summary="Enter a verdict",
)
def sentence_post(request: HttpRequest, person_id: PersonId, body: SentenceIn) -> Status[Any]:
    """Record a verdict with its counts and pre-trial detention; the dates are computed and
    stored. Refused with field messages (nothing written) when the engine reports an issue."""
    user = actor(request)
    require(policies.can_manage_sentence(user))
    person = person_in_scope(user, person_id)
    offences = {o.pk: o for o in Offence.objects.filter(pk__in=[c.offence_id for c in body.counts])}
    missing: dict[str, list[Any]] = {
        f"counts.{i}.offence_id": [_("Unknown article: choose one from the offence catalogue.")]
        for i, c in enumerate(body.counts)
        if c.offence_id not in offences
    }
    if missing:
        raise ServiceError(missing)
    institution_type = _type(body.institution_type)
    assert institution_type is not None
    try:
        services.sentence_enter(
            actor=user,
            person=person,
            verdict=services.VerdictInput(
                court=body.court,
                verdict_date=body.verdict_date,
                case_number=body.case_number,
                institution_type=institution_type,
                start_date=body.start_date,
                entered_into_force=body.entered_into_force,
                combination=body.combination or Combination.ABSORPTION,
                partial_share=body.partial_share,
                additional_punishments=body.additional_punishments,
                dangerous_recidivism=body.dangerous_recidivism,
                cooperation_agreement=body.cooperation_agreement,
                earlier_parole_revoked=body.earlier_parole_revoked,
            ),
            counts=[
                services.CountInput(
                    offence=offences[c.offence_id],
                    offence_date=c.offence_date,
                    years=c.years,
                    months=c.months,
                    days=c.days,
                    life=c.life,
                    gravity=c.gravity,
                )
                for c in body.counts
            ],
            detention=[
                services.PeriodInput(date_from=p.date_from, date_to=p.date_to, source=p.source)
                for p in body.detention
            ],
        )
    except ServiceError as error:
        raise ServiceError(_api_fields(error.errors)) from None
    person.refresh_from_db()
    return Status(201, _sentence(person))


def _api_fields(errors: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Form field names ("count-0-years") → API paths ("counts.0.years")."""
    out: dict[str, list[Any]] = {}
    for key, messages in errors.items():
        name = key
        for prefix, path in (("count-", "counts."), ("detention-", "detention.")):
            if key.startswith(prefix):
                index, _sep, rest = key.removeprefix(prefix).partition("-")
                rest = "offence_id" if rest == "offence" else rest
                name = f"{path}{index}.{rest}"
        out.setdefault(name, []).extend(messages)
    return out


@router.post(
    "/persons/{person_id}/sentence/adjustments",
    response=responses({201: SentenceOut}),
    summary="Record an adjustment",
)
def adjustment_post(request: HttpRequest, person_id: PersonId, body: AdjustmentIn) -> Status[Any]:
    """A dated, sourced adjustment of the current verdict; the dates are recomputed."""
    user = actor(request)
    require(policies.can_manage_sentence(user))
    person = person_in_scope(user, person_id)
    verdict = Verdict.objects.filter(person=person).order_by("-verdict_date", "-id").first()
    if verdict is None:
        raise ServiceError({"__all__": [_("No verdict is recorded for this person.")]})
    services.adjustment_add(
        actor=user,
        verdict=verdict,
        data=services.AdjustmentInput(
            kind=body.kind,
            date=body.date,
            source=body.source,
            date_from=body.date_from,
            date_to=body.date_to,
            years=body.years,
            months=body.months,
            days=body.days,
            life=body.life,
            commute=body.commute,
            release=body.release,
            new_institution_type=_type(body.new_institution_type),
            milder_punishment=body.milder_punishment,
            released_on=body.released_on,
            days_to_serve=body.days_to_serve,
        ),
    )
    return Status(201, _sentence(person))


@router.get(
    "/sentences/worklists/{kind}",
    response=responses({200: WorklistOut}),
    summary="A worklist",
)
def worklist_get(
    request: HttpRequest, kind: WorklistKind, filters: Query[WorklistFilters]
) -> dict[str, Any]:
    """Persons in custody in scope on one worklist (release due, parole now, almost eligible,
    transfer, not eligible), ordered by the list's date, a page at a time."""
    user = actor(request)
    require(policies.can_view_sentence(user))
    today = timezone.localdate()
    definition = worklists.LISTS[kind]
    qs: QuerySet[SentenceCalculation] = SentenceCalculation.objects.visible_to(user).worklist(
        kind, today
    )
    institutions = Institution.objects.visible_to(user)
    if filters.institution:
        institution = institutions.filter(code=filters.institution).first()
        if institution is None:
            raise Http404
        qs = qs.filter(person__current_institution=institution)
    if filters.region:
        qs = qs.filter(person__current_institution__region__code=filters.region)
    qs = worklists.rows(qs, kind).order_by(definition.date_column, "pk")
    total = qs.count()
    page = list(qs[filters.offset : filters.offset + filters.limit])
    audit_search(
        actor=user,
        verb=f"worklist {kind} listed (API)",
        filters=filters.model_dump(exclude_none=True),
        result_count=total,
    )
    return {
        "kind": kind,
        "count": total,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {
                "person_id": row.person_id,
                "case_number": row.person.case_number,
                "name": row.person.full_name,
                "institution": row.person.current_institution.code
                if row.person.current_institution
                else "",
                "date": getattr(row, definition.date_column),
                "end_of_sentence": row.end_of_sentence,
                "note": worklists.note(row, kind, today),
            }
            for row in page
        ],
    }


__all__ = ["router"]
