"""What the plan page, the printed plan and the person-page section show, read in a fixed number
of queries (the tree of needs → goals → steps → evidence is prefetched, never walked lazily)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qadam.plans import schedule
from qadam.plans.models import (
    Agreement,
    Evidence,
    Handover,
    NeedArea,
    Plan,
    PlanGoal,
    PlanNeed,
    PlanStep,
    PlanVersion,
    Review,
)
from qadam.plans.progress import (
    AreaProgress,
    StepFacts,
    area_progress,
    overall_progress,
    step_state,
)
from qadam.plans.services import end_of_sentence

STATE_LABELS: dict[str, Promise] = {
    "planned": _("Planned"),
    "in_progress": _("In progress"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
    "overdue": _("Overdue"),
}
STATE_BADGES = {"done": "badge-ok", "overdue": "badge-danger", "in_progress": "badge-warn"}
LEVEL_LABELS: dict[str, Promise] = {
    "none": _("No steps yet"),
    "not_started": _("Not started"),
    "started": _("Started"),
    "advancing": _("Half or more done"),
    "achieved": _("All steps done"),
}
CHECKLIST_LABELS: dict[str, Promise] = {
    "ready": _("Ready: all steps done with evidence"),
    "in_progress": _("In the plan, not finished"),
    "missing": _("Not in the plan yet"),
}


@dataclass
class StepView:
    step: PlanStep
    state: str
    evidence: list[Evidence]

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def badge(self) -> str:
        return STATE_BADGES.get(self.state, "")


@dataclass
class GoalView:
    goal: PlanGoal
    steps: list[StepView]


@dataclass
class NeedView:
    need: PlanNeed
    goals: list[GoalView]
    progress: AreaProgress

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.progress.level])


@dataclass
class ChecklistItem:
    area: NeedArea
    state: str  # ready, in_progress, missing

    @property
    def label(self) -> str:
        return str(CHECKLIST_LABELS[self.state])


@dataclass
class PlanOverview:
    plan: Plan
    today: date
    needs: list[NeedView]
    overall: AreaProgress
    versions: list[PlanVersion]
    agreement: Agreement | None
    reviews: list[Review]
    handovers: list[Handover]
    checklist: list[ChecklistItem] = field(default_factory=list)
    pre_release_window: bool = False

    @property
    def latest(self) -> PlanVersion:
        return self.versions[0]

    @property
    def review_overdue(self) -> bool:
        return self.plan.review_overdue(self.today)


def plan_overview(plan: Plan, today: date) -> PlanOverview:
    steps = PlanStep.objects.select_related("agency_type").prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.order_by("dated", "id"))
    )
    needs = list(
        PlanNeed.objects.filter(plan=plan)
        .select_related("need_area")
        .prefetch_related(
            Prefetch("goals", queryset=PlanGoal.objects.prefetch_related(Prefetch("steps", steps)))
        )
        .order_by("priority", "need_area__order")
    )
    facts: list[StepFacts] = []
    need_views: list[NeedView] = []
    for need in needs:
        goal_views = []
        for goal in need.goals.all():
            step_views = []
            for step in goal.steps.all():
                evidence = list(step.evidence.all())
                fact = StepFacts(
                    need.need_area.code, step.status, step.deadline, tuple(e.kind for e in evidence)
                )
                facts.append(fact)
                step_views.append(StepView(step, step_state(fact, today), evidence))
            goal_views.append(GoalView(goal, step_views))
        need_views.append(NeedView(need, goal_views, AreaProgress(need.need_area.code, *[0] * 7)))
    progress = area_progress(facts, today)
    for view in need_views:
        view.progress = progress.get(view.need.need_area.code, view.progress)
    versions = list(
        PlanVersion.objects.filter(plan=plan)
        .select_related("author", "countersigned_by")
        .order_by("-number")
    )
    agreement = (
        Agreement.objects.filter(version=versions[0]).select_related("recorded_by").first()
        if versions
        else None
    )
    overview = PlanOverview(
        plan=plan,
        today=today,
        needs=need_views,
        overall=overall_progress(progress.values()),
        versions=versions,
        agreement=agreement,
        reviews=list(Review.objects.filter(plan=plan).select_related("reviewer")[:20]),
        handovers=list(
            Handover.objects.filter(plan=plan).select_related(
                "from_organisation", "to_organisation", "to_probation_office", "handed_over_by"
            )
        ),
    )
    end = end_of_sentence(plan.person)
    overview.pre_release_window = schedule.in_pre_release_window(today=today, end_of_sentence=end)
    if overview.pre_release_window or plan.stage == "pre_release":
        by_area = {v.need.need_area_id: v for v in need_views}
        for area in NeedArea.objects.filter(checklist=True, is_active=True):
            found = by_area.get(area.pk)
            if found is None:
                state = "missing"
            elif found.progress.level == "achieved":
                state = "ready"
            else:
                state = "in_progress"
            overview.checklist.append(ChecklistItem(area, state))
    return overview
