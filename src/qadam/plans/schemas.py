"""What the plans API reads and answers (django-ninja schemas). Codes are stable; every `*_text`
field is in the language of the request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from qadam.core.api import Text

StepStatusCode = Literal["planned", "in_progress", "done", "cancelled"]
StepState = Literal["planned", "in_progress", "done", "cancelled", "overdue"]
EvidenceKind = Literal["certificate", "work_record", "attendance", "document", "note"]
AgencyCode = Annotated[Text, Field(min_length=1, max_length=40)]


class ProgressOut(Schema):
    """Progress derived from recorded evidence (plans/progress.py), never typed in."""

    need_area: str = Field(..., description='The need area\'s code, or "all" for the plan.')
    steps: int = Field(..., description="Steps that count (not cancelled).")
    completed: int = Field(..., description="Steps done with proof recorded.")
    overdue: int
    percent: int = Field(..., ge=0, le=100)
    level: Literal["none", "not_started", "started", "advancing", "achieved"]
    level_text: str
    certificates: int
    work_records: int
    attendance: int
    documents: int


class EvidenceOut(Schema):
    id: int
    kind: EvidenceKind
    kind_text: str
    description: str
    reference: str = Field(..., description="Document number or reference, or empty.")
    dated: dt.date
    recorded_at: dt.datetime


class StepOut(Schema):
    id: int
    text: str
    agency_type: str = Field(..., description="Code of the responsible agency type.")
    agency_type_text: str
    responsible: str = Field(..., description="The responsible organisation or person, or empty.")
    deadline: dt.date
    status: StepStatusCode = Field(..., description="As recorded.")
    state: StepState = Field(
        ...,
        description=(
            "As shown: done only with proof; planned or in progress past the deadline is overdue."
        ),
    )
    state_text: str
    status_changed_at: dt.datetime | None
    cancel_reason: str
    evidence: list[EvidenceOut]


class GoalOut(Schema):
    id: int
    text: str
    plain_text: str = Field(..., description="In plain words for the person, or empty.")
    steps: list[StepOut]


class NeedOut(Schema):
    id: int
    need_area: str = Field(..., examples=["education_employment"])
    need_area_text: str
    priority: Literal[1, 2, 3] = Field(..., description="1 high, 2 medium, 3 low.")
    priority_text: str
    source: Literal["assessment", "staff", "person", "pre_release"]
    assessed_level: str = Field(..., description="The level an assessment gave, or empty.")
    rationale: str
    progress: ProgressOut
    goals: list[GoalOut]


class VersionOut(Schema):
    number: int
    stage: str
    status: Literal["draft", "countersigned"]
    author: str = Field(..., description="Login of the member of staff who opened the version.")
    created_at: dt.datetime
    countersigned_by: str | None = Field(None, description="Login of the supervisor.")
    countersigned_at: dt.datetime | None = None


class AgreementOut(Schema):
    version: int
    answer: Literal["agrees", "disagrees", "unable"]
    answer_text: str
    persons_words: str
    unable_reason: str
    dated: dt.date


class ReviewOut(Schema):
    reviewed_on: dt.date
    outcome: Literal["on_track", "change_needed", "concerns", "stage_change"]
    outcome_text: str
    notes: str
    next_review_due: dt.date
    reviewer: str
    version: int


class ChecklistOut(Schema):
    need_area: str
    need_area_text: str
    state: Literal["ready", "in_progress", "missing"]
    state_text: str


class PlanOut(Schema):
    person_id: int
    plan_id: int
    stage: Literal["penitentiary", "pre_release", "post_release"]
    stage_text: str
    organisation: str = Field(..., description="Code of the responsible organisation.")
    organisation_text: str
    institution: str | None = Field(None, description="Code of the institution keeping the plan.")
    started_at: dt.datetime
    next_review_due: dt.date | None
    review_overdue: bool
    current_version: VersionOut = Field(..., description="The latest version (draft or signed).")
    countersigned_version: VersionOut | None = Field(
        None, description="The latest countersigned version, if any."
    )
    agreement: AgreementOut | None = Field(
        None, description="The person's answer to the current version, if recorded."
    )
    reviews: list[ReviewOut] = Field(..., description="Newest first (at most 20).")
    overall: ProgressOut
    needs: list[NeedOut] = Field(..., description="By priority, then need area.")
    pre_release_window: bool = Field(..., description="In the last six months before release.")
    checklist: list[ChecklistOut] = Field(
        ..., description="The pre-release checklist (in the window or at the pre-release stage)."
    )


class StepRowOut(Schema):
    """One step on an agency's worklist, with the person and need it serves."""

    id: int
    person_id: int
    case_number: str
    name: str
    plan_id: int
    stage: str
    need_area: str
    need_area_text: str
    goal: str
    text: str
    agency_type: str
    agency_type_text: str
    responsible: str
    deadline: dt.date
    status: StepStatusCode
    state: StepState
    state_text: str
    status_changed_at: dt.datetime | None


class StepListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[StepRowOut] = Field(..., description="By deadline, then id.")


class StepFilters(Schema):
    responsible: AgencyCode | None = Field(
        None, description="Code of the responsible agency type (employment_centre, akimat, …)."
    )
    status: StepState | None = Field(
        None,
        description="The recorded status, or overdue (planned or in progress past the deadline).",
    )
    due_before: dt.date | None = Field(None, description="Deadline earlier than this date.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class StepProgressIn(Schema):
    """Progress on a step: its status and, if there is one, a note or a piece of evidence."""

    status: StepStatusCode = Field(
        ..., description="The step's status after this report (the same one to add a note)."
    )
    dated: dt.date | None = Field(
        None, description="The day it happened (the evidence's date); today by default."
    )
    note: Text = Field(
        "",
        max_length=4000,
        description=(
            "What was done or what the evidence shows; the reason when cancelling. Recorded as "
            "evidence of the kind note when no evidence_kind is given."
        ),
    )
    evidence_kind: EvidenceKind | None = Field(
        None, description="certificate, work_record, attendance or document prove a step done."
    )
    evidence_reference: Text = Field(
        "", max_length=120, description="The document's number or reference."
    )

    model_config = {"extra": "forbid"}
