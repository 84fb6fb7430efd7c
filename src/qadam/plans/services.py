"""Every write to a resocialisation plan: keyword-only, one transaction, policy check, audit row.

Changes to needs, goals and steps go into the plan's open draft version (a new version is opened
when the latest one is countersigned); progress (status, evidence), agreement and reviews are
recorded against the latest version without changing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qadam.core.audit import audit_write
from qadam.core.errors import Message, ServiceError
from qadam.core.models import AuditEvent, Organisation
from qadam.core.policies import require
from qadam.plans import policies, schedule
from qadam.plans.models import (
    AgencyType,
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
    Stage,
    StepStatus,
)
from qadam.plans.progress import PROOF_KINDS

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.people.models import Person
    from qadam.probation.models import ProbationOffice

PRIORITY_BY_LEVEL = {"very_high": 1, "high": 1, "medium": 2, "moderate": 2, "low": 3}
IGNORED_LEVELS = frozenset({"", "none", "no_need"})


def _today() -> date:
    return timezone.localdate()


def _require_in_scope(actor: User, person: Person) -> None:
    from qadam.people.models import Person

    require(
        Person.objects.visible_to(actor).filter(pk=person.pk).exists(),
        _("This person is outside what you may see."),
    )


def _require_manage(actor: User, person: Person) -> None:
    require(policies.can_manage_plan(actor))
    _require_in_scope(actor, person)


def end_of_sentence(person: Person) -> date | None:
    """The end of the sentence for review scheduling: `lawful_until` of sentenced persons."""
    return person.lawful_until if person.legal_status == "sentenced" else None


def default_organisation(kind: str) -> Organisation:
    organisation = Organisation.objects.filter(kind=kind).order_by("code").first()
    if organisation is None:
        raise ServiceError(_("No organisation of this kind is registered; ask an administrator."))
    return organisation


def _audit(
    actor: User | None,
    plan: Plan,
    verb: str,
    obj: Any = None,
    *,
    action: str = AuditEvent.Action.UPDATE,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    audit_write(
        actor=actor,
        action=action,
        verb=verb,
        obj=obj if obj is not None else plan,
        person_id=plan.person_id,
        reason=reason,
        details=details,
    )


def latest_version(plan: Plan) -> PlanVersion:
    version = plan.versions.order_by("-number").first()
    assert version is not None  # a plan is created with its first version
    return version


def _lock(plan: Plan) -> Plan:
    locked: Plan = Plan.objects.select_for_update().get(pk=plan.pk)
    return locked


def _open_draft(plan: Plan, actor: User, change: str) -> PlanVersion:
    """The draft that this change goes into: the open one, or a new version after a signed one."""
    latest = latest_version(plan)
    if latest.status == PlanVersion.Status.DRAFT:
        version = latest
    else:
        version = PlanVersion.objects.create(
            plan=plan, number=latest.number + 1, stage=plan.stage, author=actor
        )
    version.changes = [
        *version.changes,
        {"by": actor.pk, "at": timezone.now().isoformat(), "what": change},
    ]
    version.save(update_fields=["changes"])
    return version


def _not_future(day: date, field: str) -> None:
    if day > _today():
        raise ServiceError(_("The date must not be in the future."), field)


@transaction.atomic
def plan_start(*, person: Person, actor: User) -> Plan:
    _require_manage(actor, person)
    if Plan.objects.filter(person=person).exists():
        raise ServiceError(_("This person already has a plan; it continues across stages."))
    in_custody = person.current_institution_id is not None
    organisation = default_organisation(
        Organisation.Kind.PENAL_SYSTEM if in_custody else Organisation.Kind.PROBATION_AGENCY
    )
    stage = Stage.PENITENTIARY if in_custody else Stage.POST_RELEASE
    due = schedule.next_regular_review(today=_today(), end_of_sentence=end_of_sentence(person))
    plan = Plan.objects.create(
        person=person,
        stage=stage,
        organisation=organisation,
        institution_id=person.current_institution_id or person.last_institution_id,
        created_by=actor,
        next_review_due=due.due,
        next_review_rule=due.rule,
    )
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        stage=stage,
        author=actor,
        changes=[{"by": actor.pk, "at": timezone.now().isoformat(), "what": "plan started"}],
    )
    _audit(actor, plan, "plan started", action=AuditEvent.Action.CREATE, details={"stage": stage})
    return plan


def _need_add(
    *,
    plan: Plan,
    need_area: NeedArea,
    priority: int,
    source: str,
    actor: User,
    rationale: str = "",
    assessment_id: int | None = None,
    assessed_level: str = "",
) -> PlanNeed:
    if not need_area.is_active:
        raise ServiceError(_("This need area is no longer in use; choose another."), "need_area")
    if priority not in PlanNeed.Priority.values:
        raise ServiceError(_("Choose a priority: high, medium or low."), "priority")
    if plan.needs.filter(need_area=need_area).exists():
        raise ServiceError(
            _("This need area is already in the plan; add a goal to it instead."), "need_area"
        )
    version = _open_draft(plan, actor, f"need area added: {need_area.code}")
    need = PlanNeed.objects.create(
        plan=plan,
        need_area=need_area,
        priority=priority,
        source=source,
        rationale=rationale,
        assessment_id=assessment_id,
        assessed_level=assessed_level,
        added_in=version,
    )
    _audit(
        actor,
        plan,
        "plan need area added",
        need,
        action=AuditEvent.Action.CREATE,
        details={"need_area": need_area.code, "version": version.number},
    )
    return need


@transaction.atomic
def plan_need_add(
    *,
    plan: Plan,
    need_area: NeedArea,
    priority: int,
    source: str,
    actor: User,
    rationale: str = "",
) -> PlanNeed:
    _require_manage(actor, plan.person)
    if source not in PlanNeed.Source.values:
        raise ServiceError(_("Choose where this need comes from."), "source")
    plan = _lock(plan)
    return _need_add(
        plan=plan,
        need_area=need_area,
        priority=priority,
        source=source,
        actor=actor,
        rationale=rationale,
    )


@transaction.atomic
def plan_from_assessment(
    *,
    person: Person,
    needs: Sequence[tuple[str, str]],
    actor: User,
    assessment_id: int | None = None,
) -> list[PlanNeed]:
    """The assessment module's hook: (need_area_code, level) pairs from a new assessment.

    Starts the plan when the person has none; adds each need area with a level that calls for
    work (priority from the level), or brings an existing need's level and source up to date.
    Levels "", "none" and "no_need" are skipped. Unknown codes or levels: nothing is written.
    """
    areas = {a.code: a for a in NeedArea.objects.filter(code__in=[c for c, _l in needs])}
    problems: list[Message] = []
    for code, level in needs:
        if code not in areas:
            problems.append(_("Unknown need area: %(code)s.") % {"code": code})
        if level not in PRIORITY_BY_LEVEL and level not in IGNORED_LEVELS:
            problems.append(
                _("Unknown level %(level)s for %(code)s.") % {"level": level, "code": code}
            )
    if problems:
        raise ServiceError({"needs": problems})
    plan = Plan.objects.filter(person=person).first() or plan_start(person=person, actor=actor)
    _require_manage(actor, person)
    plan = _lock(plan)
    existing = {n.need_area.code: n for n in plan.needs.select_related("need_area")}
    result: list[PlanNeed] = []
    for code, level in needs:
        if level in IGNORED_LEVELS:
            continue
        priority = PRIORITY_BY_LEVEL[level]
        need = existing.get(code)
        if need is None:
            need = _need_add(
                plan=plan,
                need_area=areas[code],
                priority=priority,
                source=PlanNeed.Source.ASSESSMENT,
                actor=actor,
                assessment_id=assessment_id,
                assessed_level=level,
            )
        elif (need.assessed_level, need.priority, need.assessment_id) != (
            level,
            priority,
            assessment_id,
        ):
            version = _open_draft(plan, actor, f"need level from assessment: {code} {level}")
            need.assessed_level, need.priority = level, priority
            need.assessment_id, need.source = assessment_id, PlanNeed.Source.ASSESSMENT
            need.save(update_fields=["assessed_level", "priority", "assessment_id", "source"])
            _audit(
                actor,
                plan,
                "plan need updated from assessment",
                need,
                details={"need_area": code, "level": level, "version": version.number},
            )
        result.append(need)
    return result


from_assessment = plan_from_assessment


@transaction.atomic
def plan_goal_add(*, need: PlanNeed, text: str, actor: User, plain_text: str = "") -> PlanGoal:
    plan = need.plan
    _require_manage(actor, plan.person)
    if not text.strip():
        raise ServiceError(_("Write the goal."), "text")
    plan = _lock(plan)
    version = _open_draft(plan, actor, f"goal added to {need.need_area.code}")
    goal = PlanGoal.objects.create(
        need=need, text=text.strip(), plain_text=plain_text.strip(), added_in=version
    )
    _audit(
        actor,
        plan,
        "plan goal added",
        goal,
        action=AuditEvent.Action.CREATE,
        details={"version": version.number},
    )
    return goal


@transaction.atomic
def plan_step_add(
    *,
    goal: PlanGoal,
    text: str,
    agency_type: AgencyType,
    deadline: date,
    actor: User,
    responsible: str = "",
) -> PlanStep:
    plan = goal.need.plan
    _require_manage(actor, plan.person)
    errors: dict[str, list[Any]] = {}
    if not text.strip():
        errors["text"] = [_("Write what is to be done.")]
    if not agency_type.is_active:
        errors["agency_type"] = [_("This agency type is no longer in use; choose another.")]
    if deadline < _today():
        errors["deadline"] = [_("The deadline must be today or later.")]
    if errors:
        raise ServiceError(errors)
    plan = _lock(plan)
    version = _open_draft(plan, actor, f"step added: {agency_type.code}")
    step = PlanStep.objects.create(
        goal=goal,
        text=text.strip(),
        agency_type=agency_type,
        responsible=responsible.strip(),
        deadline=deadline,
        added_in=version,
    )
    _audit(
        actor,
        plan,
        "plan step added",
        step,
        action=AuditEvent.Action.CREATE,
        details={"version": version.number, "deadline": deadline.isoformat()},
    )
    return step


ALLOWED_TRANSITIONS = {
    StepStatus.PLANNED: {StepStatus.IN_PROGRESS, StepStatus.DONE, StepStatus.CANCELLED},
    StepStatus.IN_PROGRESS: {StepStatus.DONE, StepStatus.CANCELLED},
    StepStatus.DONE: set(),
    StepStatus.CANCELLED: set(),
}


@transaction.atomic
def plan_step_set_status(*, step: PlanStep, status: str, actor: User, reason: str = "") -> PlanStep:
    """Move a step on. Done needs proof recorded (evidence other than a note); cancelling needs
    a reason and changes the plan (a new draft version)."""
    plan = step.goal.need.plan
    _require_manage(actor, plan.person)
    plan = _lock(plan)
    step = PlanStep.objects.get(pk=step.pk)
    if status not in StepStatus.values:
        raise ServiceError(_("Choose a status."), "status")
    if status not in ALLOWED_TRANSITIONS[StepStatus(step.status)]:
        raise ServiceError(
            _("A step that is %(current)s cannot become %(new)s.")
            % {
                "current": step.get_status_display().lower(),
                "new": StepStatus(status).label.lower(),
            },
            "status",
        )
    if status == StepStatus.DONE and not step.evidence.filter(kind__in=PROOF_KINDS).exists():
        raise ServiceError(
            _(
                "A step is done only with evidence: record a certificate, work record, "
                "attendance or document first."
            ),
            "status",
        )
    if status == StepStatus.CANCELLED:
        if not reason.strip():
            raise ServiceError(_("Say why the step is cancelled."), "reason")
        _open_draft(plan, actor, f"step cancelled: {step.pk}")
        step.cancel_reason = reason.strip()
    previous = step.status
    step.status = status
    step.status_changed_at = timezone.now()
    step.save(update_fields=["status", "status_changed_at", "cancel_reason"])
    _audit(
        actor,
        plan,
        "plan step status changed",
        step,
        reason=reason.strip(),
        details={"from": previous, "to": status},
    )
    return step


@transaction.atomic
def plan_evidence_add(
    *,
    step: PlanStep,
    kind: str,
    description: str,
    dated: date,
    actor: User,
    reference: str = "",
    mark_done: bool = False,
) -> Evidence:
    plan = step.goal.need.plan
    _require_manage(actor, plan.person)
    errors: dict[str, list[Any]] = {}
    if kind not in Evidence.Kind.values:
        errors["kind"] = [_("Choose the kind of evidence.")]
    if not description.strip():
        errors["description"] = [_("Say what the evidence shows.")]
    if dated > _today():
        errors["dated"] = [_("The date must not be in the future.")]
    if step.status == StepStatus.CANCELLED:
        errors[""] = [_("This step was cancelled; evidence cannot be added to it.")]
    if (
        mark_done
        and kind not in PROOF_KINDS
        and not step.evidence.filter(kind__in=PROOF_KINDS).exists()
    ):
        errors["mark_done"] = [
            _(
                "A note alone does not prove a step is done: record a certificate, work record, "
                "attendance or document."
            )
        ]
    if errors:
        raise ServiceError(errors)
    _lock(plan)
    evidence = Evidence.objects.create(
        step=step,
        kind=kind,
        description=description.strip(),
        reference=reference.strip(),
        dated=dated,
        recorded_by=actor,
    )
    _audit(
        actor,
        plan,
        "plan evidence recorded",
        evidence,
        action=AuditEvent.Action.CREATE,
        details={"step": step.pk, "kind": kind},
    )
    if mark_done and step.status != StepStatus.DONE:
        plan_step_set_status(step=step, status=StepStatus.DONE, actor=actor)
    return evidence


# Field names of the two services above → the parameters of plan_step_progress_record.
_PROGRESS_FIELDS = {
    "kind": "evidence_kind",
    "description": "note",
    "reference": "evidence_reference",
    "reason": "note",
}


@transaction.atomic
def plan_step_progress_record(
    *,
    step: PlanStep,
    status: str,
    dated: date,
    actor: User,
    note: str = "",
    evidence_kind: str = "",
    evidence_reference: str = "",
) -> PlanStep:
    """Progress reported on a step by whoever carries it out (an agency's system or officer): the
    step's status and, dated when it happened, a note or a piece of evidence with its reference.

    One transaction through `plan_evidence_add` and `plan_step_set_status`, so the plan page's
    rules and audit rows hold: done only with proof (the evidence sent now or recorded before),
    cancelled only with a reason (the note), nothing more on a cancelled step. A note without
    `evidence_kind` is recorded as evidence of the kind "note". Every refusal names one of this
    function's parameters, all of them at once, and nothing is written."""
    plan = step.goal.need.plan
    _require_manage(actor, plan.person)
    _lock(plan)
    step = PlanStep.objects.select_related("goal__need__plan__person").get(pk=step.pk)
    current = StepStatus(step.status)
    note, evidence_reference = note.strip(), evidence_reference.strip()
    changes = status != current
    errors: dict[str, list[Any]] = {}
    if status not in StepStatus.values:
        errors["status"] = [_("Choose a status.")]
    elif current == StepStatus.CANCELLED:
        errors["status"] = [_("This step was cancelled; nothing more can be recorded on it.")]
    elif changes and status not in ALLOWED_TRANSITIONS[current]:
        errors["status"] = [
            _("A step that is %(current)s cannot become %(new)s.")
            % {"current": current.label.lower(), "new": StepStatus(status).label.lower()}
        ]
    elif not changes and not (note or evidence_kind):
        errors["status"] = [
            _("The step is already %(current)s: send another status, a note or evidence.")
            % {"current": current.label.lower()}
        ]
    elif (
        status == StepStatus.DONE
        and changes
        and evidence_kind not in PROOF_KINDS
        and not step.evidence.filter(kind__in=PROOF_KINDS).exists()
    ):
        errors["status"] = [
            _(
                "A step is done only with evidence: send a certificate, work record, attendance "
                "or document with it."
            )
        ]
    if evidence_kind and evidence_kind not in Evidence.Kind.values:
        errors["evidence_kind"] = [_("Choose the kind of evidence.")]
    elif evidence_reference and not evidence_kind:
        errors["evidence_kind"] = [_("Say what kind of evidence the reference is for.")]
    elif evidence_kind and status == StepStatus.CANCELLED:
        errors["evidence_kind"] = [_("A step being cancelled takes no evidence; send a note.")]
    if status == StepStatus.CANCELLED and changes and not note:
        errors["note"] = [_("Say why the step is cancelled.")]
    elif evidence_kind and not note:
        errors["note"] = [_("Say what the evidence shows.")]
    if dated > _today():
        errors["dated"] = [_("The date must not be in the future.")]
    if errors:
        raise ServiceError(errors)
    try:
        if status != StepStatus.CANCELLED and (note or evidence_kind):
            plan_evidence_add(
                step=step,
                kind=evidence_kind or Evidence.Kind.NOTE,
                description=note,
                reference=evidence_reference,
                dated=dated,
                actor=actor,
            )
        if changes:
            plan_step_set_status(
                step=step,
                status=status,
                actor=actor,
                reason=note if status == StepStatus.CANCELLED else "",
            )
    except ServiceError as error:
        renamed: dict[str, list[Message]] = {}
        for name, messages in error.errors.items():
            renamed.setdefault(_PROGRESS_FIELDS.get(name, name), []).extend(messages)
        raise ServiceError(renamed) from None
    return PlanStep.objects.select_related(
        "goal__need__plan__person", "goal__need__need_area", "agency_type"
    ).get(pk=step.pk)


@transaction.atomic
def plan_agreement_record(
    *,
    plan: Plan,
    answer: str,
    dated: date,
    actor: User,
    persons_words: str = "",
    unable_reason: str = "",
) -> Agreement:
    _require_manage(actor, plan.person)
    plan = _lock(plan)
    version = latest_version(plan)
    errors: dict[str, list[Any]] = {}
    if answer not in Agreement.Answer.values:
        errors["answer"] = [_("Choose the person's answer.")]
    if answer == Agreement.Answer.DISAGREES and not persons_words.strip():
        errors["persons_words"] = [_("Write down what the person said, in their own words.")]
    if answer == Agreement.Answer.UNABLE and not unable_reason.strip():
        errors["unable_reason"] = [_("Say why the person cannot take part.")]
    if dated > _today():
        errors["dated"] = [_("The date must not be in the future.")]
    elif dated < timezone.localtime(version.created_at).date():
        errors["dated"] = [_("The date must not be before this version of the plan was made.")]
    if errors:
        raise ServiceError(errors)
    agreement = Agreement.objects.create(
        version=version,
        answer=answer,
        persons_words=persons_words.strip(),
        unable_reason=unable_reason.strip(),
        dated=dated,
        recorded_by=actor,
    )
    _audit(
        actor,
        plan,
        "plan agreement recorded",
        agreement,
        action=AuditEvent.Action.CREATE,
        details={"version": version.number, "answer": answer},
    )
    return agreement


def snapshot(plan: Plan) -> dict[str, Any]:
    """The plan's content as it stands: what a countersignature freezes."""
    needs = []
    for need in plan.needs.select_related("need_area").prefetch_related(
        "goals__steps__agency_type"
    ):
        needs.append(
            {
                "need_area": need.need_area.code,
                "priority": need.priority,
                "source": need.source,
                "assessment_id": need.assessment_id,
                "goals": [
                    {
                        "id": goal.pk,
                        "text": goal.text,
                        "steps": [
                            {
                                "id": step.pk,
                                "text": step.text,
                                "agency_type": step.agency_type.code,
                                "responsible": step.responsible,
                                "deadline": step.deadline.isoformat(),
                                "status": step.status,
                            }
                            for step in goal.steps.all()
                        ],
                    }
                    for goal in need.goals.all()
                ],
            }
        )
    return {"stage": plan.stage, "needs": needs}


@transaction.atomic
def plan_countersign(*, plan: Plan, actor: User) -> PlanVersion:
    require(policies.can_countersign(actor))
    _require_in_scope(actor, plan.person)
    plan = _lock(plan)
    version = latest_version(plan)
    if version.status != PlanVersion.Status.DRAFT:
        raise ServiceError(_("There is no draft to countersign: the latest version is signed."))
    contributors = {version.author_id} | {c.get("by") for c in version.changes}
    if actor.pk in contributors:
        raise ServiceError(
            _("The countersignature must come from a supervisor who did not write this version.")
        )
    content = snapshot(plan)
    if not any(goal["steps"] for need in content["needs"] for goal in need["goals"]):
        raise ServiceError(
            _("The plan needs at least one need area with a goal and a step before signing.")
        )
    version.status = PlanVersion.Status.COUNTERSIGNED
    version.countersigned_by = actor
    version.countersigned_at = timezone.now()
    version.snapshot = content
    version.save(update_fields=["status", "countersigned_by", "countersigned_at", "snapshot"])
    _audit(
        actor,
        plan,
        "plan version countersigned",
        version,
        action=AuditEvent.Action.APPROVE,
        details={"version": version.number},
    )
    return version


@transaction.atomic
def plan_review_record(
    *,
    plan: Plan,
    reviewed_on: date,
    outcome: str,
    actor: User,
    notes: str = "",
    next_review_due: date | None = None,
) -> Review:
    """Record a review; the next one falls due by the schedule rule (or sooner if chosen)."""
    _require_manage(actor, plan.person)
    plan = _lock(plan)
    errors: dict[str, list[Any]] = {}
    if outcome not in Review.Outcome.values:
        errors["outcome"] = [_("Choose the outcome of the review.")]
    if reviewed_on > _today():
        errors["reviewed_on"] = [_("The date must not be in the future.")]
    regular = schedule.next_regular_review(
        today=reviewed_on, end_of_sentence=end_of_sentence(plan.person)
    )
    due = next_review_due or regular.due
    if due <= reviewed_on:
        errors["next_review_due"] = [_("The next review must be after this one.")]
    elif due > regular.due:
        errors["next_review_due"] = [
            _("By the review rule the next review is due by %(date)s at the latest.")
            % {"date": regular.due.isoformat()}
        ]
    if errors:
        raise ServiceError(errors)
    review = Review.objects.create(
        plan=plan,
        reviewed_on=reviewed_on,
        reviewer=actor,
        outcome=outcome,
        notes=notes.strip(),
        next_review_due=due,
        version=latest_version(plan),
    )
    plan.next_review_due = due
    plan.next_review_rule = regular.rule if due == regular.due else "set sooner at review"
    plan.save(update_fields=["next_review_due", "next_review_rule"])
    _audit(
        actor,
        plan,
        "plan reviewed",
        review,
        action=AuditEvent.Action.CREATE,
        details={"outcome": outcome, "next_review_due": due.isoformat()},
    )
    return review


@transaction.atomic
def plan_hand_over(
    *,
    plan: Plan,
    to_organisation: Organisation,
    to_stage: str,
    reason: str,
    actor: User,
    probation_office: ProbationOffice | None = None,
) -> Handover:
    """Hand the same plan to another organisation and/or stage (custody → probation).

    After release (the post-release stage) the plan goes to one probation office, whose officers
    then see the person and continue the plan; at any other stage it is with no office. Moving a
    post-release plan to another office (the person moved) is a hand-over too."""
    _require_manage(actor, plan.person)
    plan = _lock(plan)
    errors: dict[str, list[Any]] = {}
    after_release = to_stage == Stage.POST_RELEASE
    if to_stage not in Stage.values:
        errors["to_stage"] = [_("Choose the stage the plan moves to.")]
    elif (
        to_stage == plan.stage
        and to_organisation.pk == plan.organisation_id
        and (probation_office.pk if probation_office else None) == plan.probation_office_id
    ):
        errors["to_organisation"] = [_("The plan is already with this organisation at this stage.")]
    if to_stage in Stage.values and after_release and probation_office is None:
        errors["probation_office"] = [
            _("Choose the probation office that continues the plan after release.")
        ]
    elif to_stage in Stage.values and not after_release and probation_office is not None:
        errors["probation_office"] = [
            _(
                "A probation office receives the plan only after release: leave the office empty "
                "for this stage."
            )
        ]
    elif probation_office is not None and not probation_office.is_active:
        errors["probation_office"] = [_("This probation office is closed; choose another.")]
    elif probation_office is not None and probation_office.organisation_id != to_organisation.pk:
        errors["probation_office"] = [
            _("This office belongs to %(organisation)s: choose it as the receiving organisation.")
            % {"organisation": probation_office.organisation.name}
        ]
    if not reason.strip():
        errors["reason"] = [_("Say why the plan is handed over.")]
    if errors:
        raise ServiceError(errors)
    handover = Handover.objects.create(
        plan=plan,
        from_organisation_id=plan.organisation_id,
        to_organisation=to_organisation,
        from_stage=plan.stage,
        to_stage=to_stage,
        to_probation_office=probation_office,
        reason=reason.strip(),
        handed_over_by=actor,
    )
    from_office_id = plan.probation_office_id
    plan.organisation = to_organisation
    plan.stage = to_stage
    plan.probation_office = probation_office
    plan.save(update_fields=["organisation", "stage", "probation_office"])
    if handover.from_stage != to_stage:
        version = _open_draft(plan, actor, f"stage: {handover.from_stage} → {to_stage}")
        version.stage = to_stage
        version.save(update_fields=["stage"])
    _audit(
        actor,
        plan,
        "plan handed over",
        handover,
        reason=reason.strip(),
        details={
            "from_organisation": handover.from_organisation_id,
            "to_organisation": to_organisation.pk,
            "from_stage": handover.from_stage,
            "to_stage": to_stage,
            "from_probation_office": from_office_id,
            "to_probation_office": probation_office.pk if probation_office else None,
        },
    )
    return handover


@transaction.atomic
def plan_pre_release_items_add(*, plan: Plan, actor: User) -> list[PlanNeed]:
    """Add the pre-release checklist areas that the plan does not have yet (high priority)."""
    _require_manage(actor, plan.person)
    plan = _lock(plan)
    present = set(plan.needs.values_list("need_area_id", flat=True))
    added = []
    for area in NeedArea.objects.filter(checklist=True, is_active=True).exclude(pk__in=present):
        added.append(
            _need_add(
                plan=plan,
                need_area=area,
                priority=PlanNeed.Priority.HIGH,
                source=PlanNeed.Source.PRE_RELEASE,
                actor=actor,
            )
        )
    return added


@transaction.atomic
def plan_schedule_review(*, person: Person, reason: str, actor: User | None) -> Plan | None:
    """Bring the plan's review forward after an event (admission, transfer, new assessment, the
    pre-release window).

    Called in the transaction of the event (custody's `movement_recorded` receiver, the
    assessment service, the daily pre-release job) on behalf of the member of staff whose event it
    is (None for the daily job); `reason` names the event in the audit row. Returns None when the
    person has no plan yet (nothing to schedule).
    """
    require(policies.can_schedule_review(actor))
    plan: Plan | None = Plan.objects.select_for_update().filter(person=person).first()
    if plan is None:
        return None
    due = schedule.review_after_event(
        today=_today(),
        current_due=plan.next_review_due,
        end_of_sentence=end_of_sentence(person),
    )
    institution_id = person.current_institution_id or plan.institution_id
    plan.next_review_due, plan.next_review_rule = due.due, due.rule[:120]
    plan.institution_id = institution_id
    plan.save(update_fields=["next_review_due", "next_review_rule", "institution"])
    _audit(
        actor,
        plan,
        "plan review rescheduled",
        reason=reason,
        details={"next_review_due": due.due.isoformat(), "rule": due.rule},
    )
    return plan
