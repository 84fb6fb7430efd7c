"""Resocialisation plans in the machine API: a person's plan as the plan page shows it, the
worklist of steps that an agency (employment centre, akimat, NGO, probation office, health
service) carries out, and progress reported on a step through the same service and rules as
the plan page.

Scoped like the pages (a person or step outside the client's scope answers 404), capability-
checked, audited (the plan is a person read, the worklist a search with its filters and count,
progress is written with the service's audit rows). Errors are the shared
`{"errors": {"field": ["message"]}}` shape; progress that the plan's rules refuse answers 422
naming the field. A write may carry an `Idempotency-Key`: the same key with the same request
answers as the first time without writing again; with another request, 409.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.params import P, PathEx

from qadam.core import idempotency
from qadam.core.api import MAX_ID, IdempotencyKey, PersonId, UnprocessableError, actor, responses
from qadam.core.audit import audit_search, audit_view
from qadam.core.errors import ConflictError, Message, ServiceError
from qadam.core.models import User
from qadam.core.policies import require
from qadam.people.api import person_in_scope
from qadam.plans import policies, services
from qadam.plans.models import AgencyType, Evidence, Plan, PlanStep, PlanVersion, StepStatus
from qadam.plans.overview import LEVEL_LABELS, STATE_LABELS, PlanOverview, plan_overview
from qadam.plans.progress import AreaProgress, StepFacts, step_state
from qadam.plans.schemas import (
    PlanOut,
    StepFilters,
    StepListOut,
    StepOut,
    StepProgressIn,
)

router = Router(tags=["plans"])

StepId = PathEx[int, P(ge=1, le=MAX_ID, description="The plan step's id.")]


# --- Rendering ---------------------------------------------------------------------------------------


def _progress(progress: AreaProgress) -> dict[str, Any]:
    return {
        "need_area": progress.need_area,
        "steps": progress.steps,
        "completed": progress.completed,
        "overdue": progress.overdue,
        "percent": progress.percent,
        "level": progress.level,
        "level_text": str(LEVEL_LABELS[progress.level]),
        "certificates": progress.certificates,
        "work_records": progress.work_records,
        "attendance": progress.attendance,
        "documents": progress.documents,
    }


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "kind_text": evidence.get_kind_display(),
        "description": evidence.description,
        "reference": evidence.reference,
        "dated": evidence.dated,
        "recorded_at": evidence.recorded_at,
    }


def _step(step: PlanStep, state: str, evidence: list[Evidence]) -> dict[str, Any]:
    return {
        "id": step.pk,
        "text": step.text,
        "agency_type": step.agency_type.code,
        "agency_type_text": step.agency_type.name,
        "responsible": step.responsible,
        "deadline": step.deadline,
        "status": step.status,
        "state": state,
        "state_text": str(STATE_LABELS[state]),
        "status_changed_at": step.status_changed_at,
        "cancel_reason": step.cancel_reason,
        "evidence": [_evidence(e) for e in evidence],
    }


def _version(version: PlanVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "stage": version.stage,
        "status": version.status,
        "author": version.author.username,
        "created_at": version.created_at,
        "countersigned_by": version.countersigned_by.username if version.countersigned_by else None,
        "countersigned_at": version.countersigned_at,
    }


def _plan(overview: PlanOverview) -> dict[str, Any]:
    plan = overview.plan
    signed = next(
        (v for v in overview.versions if v.status == PlanVersion.Status.COUNTERSIGNED), None
    )
    agreement = overview.agreement
    numbers = {v.pk: v.number for v in overview.versions}
    return {
        "person_id": plan.person_id,
        "plan_id": plan.pk,
        "stage": plan.stage,
        "stage_text": plan.get_stage_display(),
        "organisation": plan.organisation.code,
        "organisation_text": plan.organisation.name,
        "institution": plan.institution.code if plan.institution else None,
        "started_at": plan.created_at,
        "next_review_due": plan.next_review_due,
        "review_overdue": overview.review_overdue,
        "current_version": _version(overview.latest),
        "countersigned_version": _version(signed) if signed is not None else None,
        "agreement": (
            {
                "version": overview.latest.number,
                "answer": agreement.answer,
                "answer_text": agreement.get_answer_display(),
                "persons_words": agreement.persons_words,
                "unable_reason": agreement.unable_reason,
                "dated": agreement.dated,
            }
            if agreement is not None
            else None
        ),
        "reviews": [
            {
                "reviewed_on": review.reviewed_on,
                "outcome": review.outcome,
                "outcome_text": review.get_outcome_display(),
                "notes": review.notes,
                "next_review_due": review.next_review_due,
                "reviewer": review.reviewer.username,
                "version": numbers[review.version_id],
            }
            for review in overview.reviews
        ],
        "overall": _progress(overview.overall),
        "needs": [
            {
                "id": view.need.pk,
                "need_area": view.need.need_area.code,
                "need_area_text": view.need.need_area.name,
                "priority": view.need.priority,
                "priority_text": view.need.get_priority_display(),
                "source": view.need.source,
                "assessed_level": view.need.assessed_level,
                "rationale": view.need.rationale,
                "progress": _progress(view.progress),
                "goals": [
                    {
                        "id": goal.goal.pk,
                        "text": goal.goal.text,
                        "plain_text": goal.goal.plain_text,
                        "steps": [_step(s.step, s.state, s.evidence) for s in goal.steps],
                    }
                    for goal in view.goals
                ],
            }
            for view in overview.needs
        ],
        "pre_release_window": overview.pre_release_window,
        "checklist": [
            {
                "need_area": item.area.code,
                "need_area_text": item.area.name,
                "state": item.state,
                "state_text": item.label,
            }
            for item in overview.checklist
        ],
    }


def _state(step: PlanStep, need_area: str, evidence: list[Evidence]) -> str:
    facts = StepFacts(need_area, step.status, step.deadline, tuple(e.kind for e in evidence))
    return step_state(facts, timezone.localdate())


def _steps_in_scope(user: User) -> QuerySet[PlanStep]:
    """Steps of plans the user may see (persons in scope, `view_plan`)."""
    return PlanStep.objects.filter(goal__need__plan__in=Plan.objects.visible_to(user).values("pk"))


def _step_in_scope(user: User, step_id: int) -> PlanStep:
    step: PlanStep | None = (
        _steps_in_scope(user).select_related("goal__need__plan__person").filter(pk=step_id).first()
    )
    if step is None:
        raise Http404
    return step


def _record_progress(user: User, step_id: int, body: StepProgressIn) -> dict[str, Any]:
    step = _step_in_scope(user, step_id)
    try:
        step = services.plan_step_progress_record(
            step=step,
            status=body.status,
            dated=body.dated or timezone.localdate(),
            note=body.note,
            evidence_kind=body.evidence_kind or "",
            evidence_reference=body.evidence_reference,
            actor=user,
        )
    except ConflictError:
        raise
    except ServiceError as error:
        errors: dict[str, list[Message]] = {k: [*v] for k, v in error.errors.items()}
        raise UnprocessableError(errors) from None
    evidence = list(step.evidence.order_by("dated", "id"))
    need_area = step.goal.need.need_area.code
    return StepOut(**_step(step, _state(step, need_area, evidence), evidence)).model_dump(
        mode="json"
    )


# --- Operations ----------------------------------------------------------------------------------------


@router.get(
    "/persons/{person_id}/plan",
    response=responses({200: PlanOut}),
    summary="A person's resocialisation plan",
)
def plan_get(request: HttpRequest, person_id: PersonId) -> dict[str, Any]:
    """The plan as the plan page shows it: its stage and organisation, the current version and
    the latest countersigned one, the person's agreement, the reviews and the next review date,
    the need areas with their goals and steps (responsible agency, deadline, status, evidence)
    and progress per need area derived from the evidence. 404 when the person is outside the
    client's scope or has no plan."""
    user = actor(request)
    require(policies.can_view_plan(user))
    person = person_in_scope(user, person_id)
    plan = (
        Plan.objects.visible_to(user)
        .select_related("organisation", "institution")
        .filter(person=person)
        .first()
    )
    if plan is None:
        raise Http404
    plan.person = person
    overview = plan_overview(plan, timezone.localdate())
    audit_view(actor=user, person_id=person.pk, verb="plan shown (API)")
    return _plan(overview)


@router.get(
    "/plans/steps",
    response=responses({200: StepListOut}),
    summary="Plan steps to carry out",
)
def steps_list(request: HttpRequest, filters: Query[StepFilters]) -> dict[str, Any]:
    """Steps of the plans in the client's scope — what an agency's officer has to do — by
    deadline, then id, a page at a time (limit/offset). `responsible` is an agency type code;
    `status` the recorded status or `overdue` (planned or in progress past the deadline);
    `due_before` keeps deadlines earlier than the date."""
    user = actor(request)
    require(policies.can_view_plan(user))
    today = timezone.localdate()
    steps = _steps_in_scope(user)
    if filters.responsible is not None:
        agency = AgencyType.objects.filter(code=filters.responsible).first()
        if agency is None:
            raise UnprocessableError(
                {"responsible": [_("Unknown responsible agency: give an agency type code.")]}
            )
        steps = steps.filter(agency_type=agency)
    if filters.status == "overdue":
        steps = steps.filter(
            status__in=[StepStatus.PLANNED, StepStatus.IN_PROGRESS], deadline__lt=today
        )
    elif filters.status is not None:
        steps = steps.filter(status=filters.status)
    if filters.due_before is not None:
        steps = steps.filter(deadline__lt=filters.due_before)
    total = steps.count()
    page = list(
        steps.select_related("agency_type", "goal__need__need_area", "goal__need__plan__person")
        .prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.only("id", "kind", "step"))
        )
        .order_by("deadline", "pk")[filters.offset : filters.offset + filters.limit]
    )
    audit_search(
        actor=user,
        verb="plan steps listed (API)",
        filters=filters.model_dump(mode="json", exclude_none=True),
        result_count=total,
    )
    items = []
    for step in page:
        need = step.goal.need
        person = need.plan.person
        state = _state(step, need.need_area.code, list(step.evidence.all()))
        items.append(
            {
                "id": step.pk,
                "person_id": person.pk,
                "case_number": person.case_number,
                "name": person.full_name,
                "plan_id": need.plan_id,
                "stage": need.plan.stage,
                "need_area": need.need_area.code,
                "need_area_text": need.need_area.name,
                "goal": step.goal.text,
                "text": step.text,
                "agency_type": step.agency_type.code,
                "agency_type_text": step.agency_type.name,
                "responsible": step.responsible,
                "deadline": step.deadline,
                "status": step.status,
                "state": state,
                "state_text": str(STATE_LABELS[state]),
                "status_changed_at": step.status_changed_at,
            }
        )
    return {"count": total, "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post(
    "/plans/steps/{step_id}/status",
    response=responses({200: StepOut}),
    summary="Report progress on a plan step",
)
def step_progress_post(
    request: HttpRequest,
    step_id: StepId,
    body: StepProgressIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[dict[str, Any]]:
    """Record the step's new status and, dated when it happened, a note or a piece of evidence
    with its reference, through the same service and rules as the plan page: a step is done only
    with proof (sent now or recorded before), cancelled only with a reason (the note), and nothing
    more is recorded on a cancelled step. Refusals answer 422 naming the field; nothing is written.
    Answers the step as it now stands."""
    user = actor(request)
    require(policies.can_manage_plan(user))
    fingerprint = idempotency.fingerprint(
        operation="plan step progress", step_id=step_id, body=body.model_dump(mode="json")
    )
    return Status(
        *idempotency.answer_once(
            user,
            idempotency_key,
            fingerprint,
            lambda _record_key: _record_progress(user, step_id, body),
            status_code=200,
        )
    )


__all__ = ["router"]
