"""The plan's section on the person page and its part of the subject-access export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from qadam.plans import policies
from qadam.plans.models import Agreement, Plan, PlanStep, Review
from qadam.plans.progress import StepFacts, area_progress, overall_progress

if TYPE_CHECKING:
    from qadam.core.http import AuthenticatedHttpRequest
    from qadam.people.record import PersonRecord


def _progress(plan: Plan) -> Any:
    today = timezone.localdate()
    steps = PlanStep.objects.filter(goal__need__plan=plan).values_list(
        "id", "goal__need__need_area__code", "status", "deadline"
    )
    from qadam.plans.models import Evidence

    kinds: dict[int, list[str]] = {}
    for step_id, kind in Evidence.objects.filter(step__goal__need__plan=plan).values_list(
        "step_id", "kind"
    ):
        kinds.setdefault(step_id, []).append(kind)
    facts = [
        StepFacts(area, status, deadline, tuple(kinds.get(pk, ())))
        for pk, area, status, deadline in steps
    ]
    return overall_progress(area_progress(facts, today).values())


def section_context(
    request: AuthenticatedHttpRequest, record: PersonRecord
) -> dict[str, Any] | None:
    """Three queries with a plan, one without; None (no section) for a user who can neither see
    a plan nor start one when there is none."""
    plan = Plan.objects.filter(person_id=record.person.pk).first()
    if plan is None and not policies.can_manage_plan(request.user):
        return None
    context: dict[str, Any] = {"section_plan": plan, "section_person_pk": record.person.pk}
    if plan is not None:
        context["section_progress"] = _progress(plan)
        context["section_overdue"] = plan.review_overdue(timezone.localdate())
    return context


def subject_access(record: PersonRecord) -> Any:
    from qadam.plans.services import snapshot

    plan = Plan.objects.filter(person_id=record.person.pk).first()
    if plan is None:
        return None
    return {
        "stage": plan.stage,
        "started": plan.created_at.isoformat(),
        "next_review_due": plan.next_review_due.isoformat() if plan.next_review_due else None,
        "content": snapshot(plan),
        "agreements": [
            {
                "version": a.version.number,
                "answer": a.answer,
                "words": a.persons_words,
                "unable_reason": a.unable_reason,
                "date": a.dated.isoformat(),
            }
            for a in Agreement.objects.filter(version__plan=plan).select_related("version")
        ],
        "reviews": [
            {
                "date": r.reviewed_on.isoformat(),
                "outcome": r.outcome,
                "next": r.next_review_due.isoformat(),
            }
            for r in Review.objects.filter(plan=plan)
        ],
    }
