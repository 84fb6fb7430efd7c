"""Risk and needs assessments in the machine API: the instruments, a person's assessments, one
assessment with each item's contribution, probabilities and band, and recording an assessment
through the same service as the form.

Scoped like the pages (a person outside the client's scope answers 404), capability-checked,
audited (every read of a person's assessments is a person read); errors are the shared
`{"errors": {"field": ["message"]}}` shape. Answers that do not fit the instrument answer 422 with
the item named (`answers.<item>`). A write may carry an `Idempotency-Key`: the same key with the
same request answers as the first time without writing again; with another request, 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.params import P, PathEx

from qadam.assessment import policies, services
from qadam.assessment.models import Assessment, Instrument, Reassessment
from qadam.assessment.texts import (
    NEED_AREA_LABELS,
    band_text,
    explanation,
    item_text,
    language,
    option_text,
)
from qadam.core import idempotency
from qadam.core.api import (
    MAX_ID,
    Id,
    IdempotencyKey,
    PersonId,
    Text,
    UnprocessableError,
    actor,
    responses,
)
from qadam.core.audit import audit_view
from qadam.core.errors import ConflictError, Message, ServiceError
from qadam.core.models import User
from qadam.core.policies import require
from qadam.people.api import person_in_scope

router = Router(tags=["assessment"])

AssessmentId = PathEx[int, P(ge=1, le=MAX_ID, description="The assessment's id.")]
InstrumentId = PathEx[int, P(ge=1, le=MAX_ID, description="The instrument version's id.")]
Code = Annotated[Text, Field(min_length=1, max_length=64)]


# --- Schemas ---------------------------------------------------------------------------------------


class OptionOut(Schema):
    code: str = Field(..., examples=["current"])
    points: float = Field(..., examples=[2])
    text: str = Field(..., description="In the language of the request.")


class ItemOut(Schema):
    code: str = Field(..., examples=["substance_use"])
    layer: Literal["static", "dynamic", "change"]
    need_area: str | None = Field(None, examples=["substance_use"])
    text: str
    options: list[OptionOut]


class BandOut(Schema):
    code: str = Field(..., examples=["high"])
    min_points: float
    text: str


class CalibrationOut(Schema):
    horizon: str = Field(..., examples=["year1"])
    intercept: float
    slope: float


class InstrumentOut(Schema):
    id: int
    code: str = Field(..., examples=["qadam-core"])
    version: str = Field(..., examples=["1.0.0"])
    name: str
    valid_from: dt.date
    valid_to: dt.date | None
    in_force: bool = Field(..., description="In force today.")
    validation: str = Field(..., examples=["Not yet validated on Kazakh data"])
    validated_on_local_data: bool
    items: int = Field(..., description="How many items the instrument asks.")


class InstrumentListOut(Schema):
    count: int
    items: list[InstrumentOut]


class InstrumentDetailOut(InstrumentOut):
    description: str
    points_kind: str
    decision_band: str
    item_definitions: list[ItemOut]
    bands: list[BandOut]
    calibration: list[CalibrationOut]


class InstrumentRef(Schema):
    id: int
    code: str
    version: str


class ContributionOut(Schema):
    item: str = Field(..., examples=["substance_use"])
    item_text: str
    option: str = Field(..., examples=["current"])
    option_text: str
    points: float = Field(..., description="Points this answer adds (negative: takes off).")
    share: float = Field(..., description="Share of the total weight of the answers, 0–1.")
    layer: Literal["static", "dynamic", "change"]
    need_area: str | None
    explanation: str = Field(..., description="The contribution in words.")


class NeedOut(Schema):
    need_area: str = Field(..., examples=["education_employment"])
    name: str
    level: Literal["none", "medium", "high"]


class AssessmentSummaryOut(Schema):
    id: int
    kind: str = Field(..., examples=["admission"])
    assessed_on: dt.date
    instrument: InstrumentRef
    total_points: float
    probability_year1: float | None = Field(None, description="Of re-offending within a year.")
    probability_year2: float | None = Field(None, description="Of re-offending within 2 years.")
    band: str = Field(..., description="The band the points give.", examples=["medium"])
    override_band: str = Field(..., description="A supervisor's approved band, or empty.")
    effective_band: str = Field(..., description="The band in effect (the override, if any).")
    effective_band_text: str


class AssessmentOut(AssessmentSummaryOut):
    person_id: int
    assessor: str = Field(..., description="Login of the member of staff who assessed.")
    institution: str | None = Field(None, description="Institution code at the time.")
    notes: str
    contributions: list[ContributionOut]
    needs: list[NeedOut] = Field(..., description="Need level per need area (dynamic items).")


class NextDueOut(Schema):
    due_on: dt.date
    reason: str = Field(..., examples=["admission"])
    suggested_kind: str = Field(..., examples=["admission"])


class PersonAssessmentsOut(Schema):
    person_id: int
    count: int
    next_due: NextDueOut | None = Field(None, description="When the next assessment is due.")
    items: list[AssessmentSummaryOut] = Field(..., description="Newest first.")


class AssessmentIn(Schema):
    """One assessment: an answer (option code) for every item of the instrument."""

    kind: Literal["admission", "transfer", "periodic", "pre_release", "override_review"]
    assessed_on: dt.date
    answers: dict[Code, Code] = Field(
        ...,
        max_length=200,
        description="Item code → option code, for every item of the instrument.",
        examples=[{"age": "23_29", "substance_use": "current"}],
    )
    instrument_id: Id | None = Field(
        None, description="The instrument version; by default the one in force on the date."
    )
    notes: Text = Field("", max_length=4000)

    model_config = {"extra": "forbid"}


# --- Helpers -----------------------------------------------------------------------------------------


def _instrument_out(instrument: Instrument, today: dt.date) -> dict[str, Any]:
    return {
        "id": instrument.pk,
        "code": instrument.code,
        "version": instrument.version,
        "name": instrument.name,
        "valid_from": instrument.valid_from,
        "valid_to": instrument.valid_to,
        "in_force": instrument.in_force_on(today),
        "validation": instrument.validation_label,
        "validated_on_local_data": instrument.validated_on_local_data,
        "items": len(instrument.engine.items),
    }


def _summary(assessment: Assessment) -> dict[str, Any]:
    instrument = assessment.instrument
    return {
        "id": assessment.pk,
        "kind": assessment.kind,
        "assessed_on": assessment.assessed_on,
        "instrument": {
            "id": instrument.pk,
            "code": instrument.code,
            "version": instrument.version,
        },
        "total_points": assessment.total_points,
        "probability_year1": assessment.probability_year1,
        "probability_year2": assessment.probability_year2,
        "band": assessment.band,
        "override_band": assessment.override_band,
        "effective_band": assessment.effective_band,
        "effective_band_text": band_text(instrument.engine, assessment.effective_band),
    }


def _assessment_out(assessment: Assessment) -> dict[str, Any]:
    engine = assessment.instrument.engine
    return {
        **_summary(assessment),
        "person_id": assessment.person_id,
        "assessor": assessment.assessor.username,
        "institution": assessment.institution.code if assessment.institution else None,
        "notes": assessment.notes,
        "contributions": [
            {
                "item": row["item"],
                "item_text": item_text(engine, row["item"]),
                "option": row["option"],
                "option_text": option_text(engine, row["item"], row["option"]),
                "points": row["points"],
                "share": row["share"],
                "layer": row["layer"],
                "need_area": row["need_area"],
                "explanation": explanation(engine, row),
            }
            for row in assessment.contributions
        ],
        "needs": [
            {"need_area": area, "name": str(NEED_AREA_LABELS.get(area, area)), "level": level}
            for area, level in services.need_levels(assessment)
        ],
    }


def _with_rows(queryset: Any) -> Any:
    return queryset.select_related("instrument", "assessor", "institution")


def _instrument_for(body: AssessmentIn) -> Instrument:
    if body.instrument_id is not None:
        instrument: Instrument | None = Instrument.objects.filter(pk=body.instrument_id).first()
        if instrument is None:
            raise UnprocessableError({"instrument_id": [_("Unknown instrument.")]})
        return instrument
    found = services.instrument_in_force(body.assessed_on)
    if found is None:
        raise UnprocessableError(
            {"assessed_on": [_("No assessment instrument is in force on this date.")]}
        )
    return found


def api_fields(errors: dict[str, list[str]]) -> dict[str, list[Message]]:
    """The service's form field names ("answer_<item>") → API paths ("answers.<item>")."""
    prefix = services.answer_field("")
    out: dict[str, list[Message]] = {}
    for key, messages in errors.items():
        name = f"answers.{key.removeprefix(prefix)}" if key.startswith(prefix) else key
        out.setdefault(name, []).extend(messages)
    return out


def _create(user: User, person_id: int, body: AssessmentIn) -> dict[str, Any]:
    person = person_in_scope(user, person_id)
    instrument = _instrument_for(body)
    try:
        assessment = services.assessment_create(
            person=person,
            actor=user,
            instrument=instrument,
            kind=body.kind,
            assessed_on=body.assessed_on,
            answers=body.answers,
            notes=body.notes,
        )
    except ConflictError:
        raise
    except ServiceError as error:
        raise UnprocessableError(api_fields(error.errors)) from None
    stored = _with_rows(Assessment.objects).get(pk=assessment.pk)
    return AssessmentOut(**_assessment_out(stored)).model_dump(mode="json")


# --- Operations ----------------------------------------------------------------------------------------


@router.get(
    "/assessments/instruments",
    response=responses({200: InstrumentListOut}),
    summary="Assessment instruments",
)
def instruments_list(request: HttpRequest) -> dict[str, Any]:
    """Every stored instrument version, newest first per code, with its validity and whether it
    has been validated on the registry's own outcomes."""
    user = actor(request)
    require(policies.can_view_instruments(user))
    today = timezone.localdate()
    rows = [_instrument_out(i, today) for i in Instrument.objects.order_by("code", "-valid_from")]
    return {"count": len(rows), "items": rows}


@router.get(
    "/assessments/instruments/{instrument_id}",
    response=responses({200: InstrumentDetailOut}),
    summary="One assessment instrument",
)
def instrument_detail(request: HttpRequest, instrument_id: InstrumentId) -> dict[str, Any]:
    """The instrument's items with their options and points, its bands and calibration: what
    a score is made of. Texts are in the language of the request."""
    user = actor(request)
    require(policies.can_view_instruments(user))
    instrument = Instrument.objects.filter(pk=instrument_id).first()
    if instrument is None:
        raise Http404
    engine = instrument.engine
    lang = language()
    return {
        **_instrument_out(instrument, timezone.localdate()),
        "description": engine.description.get(lang) if engine.description else "",
        "points_kind": engine.points_kind,
        "decision_band": engine.decision_band,
        "item_definitions": [
            {
                "code": item.code,
                "layer": item.layer,
                "need_area": item.need_area,
                "text": item.text.get(lang),
                "options": [
                    {"code": o.code, "points": o.points, "text": o.text.get(lang)}
                    for o in item.options
                ],
            }
            for item in engine.items
        ],
        "bands": [
            {"code": b.code, "min_points": b.min_points, "text": b.text.get(lang)}
            for b in engine.bands
        ],
        "calibration": [
            {"horizon": horizon, "intercept": c.intercept, "slope": c.slope}
            for horizon, c in engine.calibration.items()
        ],
    }


@router.get(
    "/assessments/{assessment_id}",
    response=responses({200: AssessmentOut}),
    summary="One assessment",
)
def assessment_get(request: HttpRequest, assessment_id: AssessmentId) -> dict[str, Any]:
    """The points, the calibrated probabilities, the band (and an approved override), each
    item's contribution in figures and in words, and the need level per area."""
    user = actor(request)
    require(policies.can_view_assessment(user))
    assessment = _with_rows(Assessment.objects.visible_to(user)).filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404
    audit_view(
        actor=user,
        person_id=assessment.person_id,
        verb="assessment shown (API)",
        details={"assessment": assessment.pk},
    )
    return _assessment_out(assessment)


@router.get(
    "/persons/{person_id}/assessments",
    response=responses({200: PersonAssessmentsOut}),
    summary="A person's assessments",
)
def person_assessments(request: HttpRequest, person_id: PersonId) -> dict[str, Any]:
    """The person's assessments, newest first, and when the next one is due."""
    user = actor(request)
    require(policies.can_view_assessment(user))
    person = person_in_scope(user, person_id)
    rows = list(
        _with_rows(Assessment.objects.visible_to(user))
        .filter(person=person)
        .order_by("-assessed_on", "-pk")
    )
    schedule = Reassessment.objects.filter(person=person).first()
    audit_view(
        actor=user,
        person_id=person.pk,
        verb="assessments shown (API)",
        details={"count": len(rows)},
    )
    return {
        "person_id": person.pk,
        "count": len(rows),
        "next_due": (
            {
                "due_on": schedule.due_on,
                "reason": schedule.reason,
                "suggested_kind": schedule.suggested_kind,
            }
            if schedule is not None
            else None
        ),
        "items": [_summary(a) for a in rows],
    }


@router.post(
    "/persons/{person_id}/assessments",
    response=responses({201: AssessmentOut}),
    summary="Record an assessment",
)
def assessment_post(
    request: HttpRequest,
    person_id: PersonId,
    body: AssessmentIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[dict[str, Any]]:
    """Score and store an assessment with the instrument in force on its date (or the one
    given); the next assessment is scheduled and the plan's review brought forward, as from the
    form. Nothing is written when an answer is missing or not one of its item's options (422,
    naming `answers.<item>`)."""
    user = actor(request)
    require(policies.can_assess(user))
    fingerprint = idempotency.fingerprint(
        operation="assessment create", person_id=person_id, body=body.model_dump(mode="json")
    )
    return Status(
        *idempotency.answer_once(
            user, idempotency_key, fingerprint, lambda _record_key: _create(user, person_id, body)
        )
    )


__all__ = ["router"]
