"""The plan's write services: happy paths, each refusal, and nothing written on refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from plans_helpers import agency, area, plan_with_step, world

from factories import probation_office, staff
from qadam.core.errors import ServiceError
from qadam.core.models import AuditEvent, Organisation, User
from qadam.core.roles import Role
from qadam.core.roles_sync import group_for
from qadam.people.models import Person
from qadam.plans import services
from qadam.plans.models import (
    Agreement,
    Evidence,
    Handover,
    Plan,
    PlanNeed,
    PlanStep,
    PlanVersion,
    Review,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (
            Plan,
            PlanVersion,
            PlanNeed,
            PlanStep,
            Evidence,
            Agreement,
            Review,
            Handover,
            AuditEvent,
        )
    )


class TestPlanStart:
    def test_starts_one_plan_with_a_draft_version_and_a_review_date(self) -> None:
        w = world(days_left=200)
        plan = services.plan_start(person=w["person"], actor=w["psychologist"])
        assert plan.stage == "penitentiary"
        assert plan.organisation.kind == Organisation.Kind.PENAL_SYSTEM
        assert plan.institution_id == w["a"].pk
        version = plan.versions.get()
        assert (version.number, version.status) == (1, "draft")
        # 200 days left (≤ 12 months) → every 3 months
        assert plan.next_review_due is not None
        assert 89 <= (plan.next_review_due - TODAY()).days <= 92
        event = AuditEvent.objects.get(verb="plan started")
        assert event.person_id == w["person"].pk

    def test_second_plan_is_refused_and_nothing_written(self) -> None:
        w = world()
        services.plan_start(person=w["person"], actor=w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError, match="already has a plan"):
            services.plan_start(person=w["person"], actor=w["psychologist"])
        assert _counts() == before

    def test_role_without_manage_plan_is_refused(self) -> None:
        w = world()
        with pytest.raises(PermissionDenied):
            services.plan_start(person=w["person"], actor=w["regime"])
        assert Plan.objects.count() == 0

    def test_person_outside_scope_is_refused(self) -> None:
        w = world()
        with pytest.raises(PermissionDenied):
            services.plan_start(person=w["other"], actor=w["psychologist"])
        assert Plan.objects.count() == 0


class TestNeedsGoalsSteps:
    def test_changes_go_into_one_draft_then_a_new_version_after_signing(self) -> None:
        w = world()
        plan, step = plan_with_step(w["person"], w["psychologist"])
        assert plan.versions.count() == 1
        services.plan_countersign(plan=plan, actor=w["head"])
        need = plan.needs.get()
        services.plan_goal_add(need=need, text="Get a job offer", actor=w["psychologist"])
        versions = list(plan.versions.order_by("number").values_list("number", "status"))
        assert versions == [(1, "countersigned"), (2, "draft")]
        signed = plan.versions.get(number=1)
        assert signed.snapshot["needs"][0]["goals"][0]["steps"][0]["text"] == step.text

    def test_duplicate_need_area_refused(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_need_add(
                plan=plan,
                need_area=area("education_employment"),
                priority=2,
                source="staff",
                actor=w["psychologist"],
            )
        assert "need_area" in caught.value.errors
        assert _counts() == before

    def test_inactive_need_area_refused(self) -> None:
        w = world()
        plan = services.plan_start(person=w["person"], actor=w["psychologist"])
        housing = area("housing")
        housing.is_active = False
        housing.save()
        with pytest.raises(ServiceError) as caught:
            services.plan_need_add(
                plan=plan, need_area=housing, priority=1, source="staff", actor=w["psychologist"]
            )
        assert list(caught.value.errors) == ["need_area"]
        assert plan.needs.count() == 0

    def test_step_in_the_past_and_without_text_refused(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_step_add(
                goal=step.goal,
                text="  ",
                agency_type=agency(),
                deadline=TODAY() - timedelta(days=1),
                actor=w["psychologist"],
            )
        assert set(caught.value.errors) == {"text", "deadline"}
        assert _counts() == before


class TestStatusAndEvidence:
    def test_done_needs_proof(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        services.plan_evidence_add(
            step=step, kind="note", description="Attends", dated=TODAY(), actor=w["psychologist"]
        )
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_step_set_status(step=step, status="done", actor=w["psychologist"])
        assert "status" in caught.value.errors
        assert _counts() == before
        step.refresh_from_db()
        assert step.status == "planned"

    def test_evidence_with_mark_done_completes_the_step(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        services.plan_evidence_add(
            step=step,
            kind="certificate",
            description="Welder, 3rd grade",
            reference="C-123",
            dated=TODAY(),
            mark_done=True,
            actor=w["psychologist"],
        )
        step.refresh_from_db()
        assert step.status == "done"
        assert AuditEvent.objects.filter(verb="plan step status changed").count() == 1

    def test_note_with_mark_done_refused_and_nothing_written(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_evidence_add(
                step=step,
                kind="note",
                description="Said it went well",
                dated=TODAY(),
                mark_done=True,
                actor=w["psychologist"],
            )
        assert "mark_done" in caught.value.errors
        assert _counts() == before

    def test_future_evidence_refused(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        with pytest.raises(ServiceError) as caught:
            services.plan_evidence_add(
                step=step,
                kind="certificate",
                description="x",
                dated=TODAY() + timedelta(days=2),
                actor=w["psychologist"],
            )
        assert "dated" in caught.value.errors
        assert Evidence.objects.count() == 0

    def test_cancel_needs_reason_and_opens_a_version(self) -> None:
        w = world()
        plan, step = plan_with_step(w["person"], w["psychologist"])
        services.plan_countersign(plan=plan, actor=w["head"])
        with pytest.raises(ServiceError) as caught:
            services.plan_step_set_status(step=step, status="cancelled", actor=w["psychologist"])
        assert "reason" in caught.value.errors
        assert plan.versions.count() == 1
        services.plan_step_set_status(
            step=step, status="cancelled", reason="Course closed", actor=w["psychologist"]
        )
        assert plan.versions.count() == 2
        with pytest.raises(ServiceError):
            services.plan_step_set_status(step=step, status="in_progress", actor=w["psychologist"])


class TestCountersign:
    def test_author_cannot_countersign_own_version(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        # a writer of the draft who also holds the countersigning capability may not sign it
        writer = w["psychologist"]
        writer.groups.add(group_for("head"))
        writer = User.objects.get(pk=writer.pk)
        before = _counts()
        with pytest.raises(ServiceError, match="did not write"):
            services.plan_countersign(plan=plan, actor=writer)
        assert _counts() == before

    def test_psychologist_may_not_countersign(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        with pytest.raises(PermissionDenied):
            services.plan_countersign(plan=plan, actor=w["psychologist2"])

    def test_empty_plan_cannot_be_signed(self) -> None:
        w = world()
        plan = services.plan_start(person=w["person"], actor=w["psychologist"])
        with pytest.raises(ServiceError, match="at least one"):
            services.plan_countersign(plan=plan, actor=w["head"])
        assert plan.versions.get().status == "draft"

    def test_nothing_to_sign_after_signing(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        version = services.plan_countersign(plan=plan, actor=w["head"])
        assert version.countersigned_by == w["head"]
        with pytest.raises(ServiceError, match="no draft"):
            services.plan_countersign(plan=plan, actor=w["head"])


class TestAgreement:
    def test_disagreement_needs_the_persons_words(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        with pytest.raises(ServiceError) as caught:
            services.plan_agreement_record(
                plan=plan, answer="disagrees", dated=TODAY(), actor=w["psychologist"]
            )
        assert list(caught.value.errors) == ["persons_words"]
        assert Agreement.objects.count() == 0
        agreement = services.plan_agreement_record(
            plan=plan,
            answer="disagrees",
            persons_words="I want to work, not to study",
            dated=TODAY(),
            actor=w["psychologist"],
        )
        assert agreement.version.number == 1

    def test_unable_needs_a_reason(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        with pytest.raises(ServiceError) as caught:
            services.plan_agreement_record(
                plan=plan, answer="unable", dated=TODAY(), actor=w["psychologist"]
            )
        assert list(caught.value.errors) == ["unable_reason"]

    def test_future_date_refused(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        with pytest.raises(ServiceError) as caught:
            services.plan_agreement_record(
                plan=plan,
                answer="agrees",
                dated=TODAY() + timedelta(days=1),
                actor=w["psychologist"],
            )
        assert list(caught.value.errors) == ["dated"]


class TestReview:
    def test_review_sets_the_next_date_by_the_rule(self) -> None:
        w = world(days_left=2 * 365)
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        review = services.plan_review_record(
            plan=plan, reviewed_on=TODAY(), outcome="on_track", actor=w["psychologist"]
        )
        plan.refresh_from_db()
        # 2 years left → every 6 months
        assert 181 <= (review.next_review_due - TODAY()).days <= 184
        assert plan.next_review_due == review.next_review_due

    def test_next_review_later_than_the_rule_refused(self) -> None:
        w = world(days_left=200)
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_review_record(
                plan=plan,
                reviewed_on=TODAY(),
                outcome="on_track",
                next_review_due=TODAY() + timedelta(days=150),
                actor=w["psychologist"],
            )
        assert list(caught.value.errors) == ["next_review_due"]
        assert _counts() == before


class TestHandover:
    def test_same_plan_continues_with_probation(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        probation = Organisation.objects.get(code="probation-service")
        office = probation_office("PO-35-01")
        handover = services.plan_hand_over(
            plan=plan,
            to_organisation=probation,
            to_stage="post_release",
            probation_office=office,
            reason="Released on parole",
            actor=w["psychologist"],
        )
        plan.refresh_from_db()
        assert (plan.stage, plan.organisation_id) == ("post_release", probation.pk)
        assert plan.probation_office == office
        assert handover.to_probation_office == office
        assert Plan.objects.filter(person=w["person"]).count() == 1
        assert handover.from_stage == "penitentiary"
        assert plan.versions.order_by("-number").first().stage == "post_release"
        event = AuditEvent.objects.get(verb="plan handed over", person_id=w["person"].pk)
        assert event.details["to_probation_office"] == office.pk
        assert event.details["from_probation_office"] is None

    def test_hand_over_to_where_it_is_refused(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_hand_over(
                plan=plan,
                to_organisation=plan.organisation,
                to_stage=plan.stage,
                reason="",
                actor=w["psychologist"],
            )
        assert set(caught.value.errors) == {"to_organisation", "reason"}
        assert _counts() == before

    def test_after_release_without_an_office_is_refused(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_hand_over(
                plan=plan,
                to_organisation=Organisation.objects.get(code="probation-service"),
                to_stage="post_release",
                reason="Released on parole",
                actor=w["psychologist"],
            )
        assert set(caught.value.errors) == {"probation_office"}
        assert "probation office" in str(caught.value.errors["probation_office"][0])
        assert _counts() == before

    def test_an_office_before_release_is_refused(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as caught:
            services.plan_hand_over(
                plan=plan,
                to_organisation=plan.organisation,
                to_stage="pre_release",
                probation_office=probation_office("PO-35-01"),
                reason="Six months left",
                actor=w["psychologist"],
            )
        assert set(caught.value.errors) == {"probation_office"}
        assert "only after release" in str(caught.value.errors["probation_office"][0])
        assert _counts() == before

    def test_a_closed_office_or_one_of_another_organisation_is_refused(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        closed = probation_office("PO-35-01")
        closed.is_active = False
        closed.save()
        before = _counts()
        probation = Organisation.objects.get(code="probation-service")
        for office, organisation, message in (
            (closed, probation, "closed"),
            (probation_office("PO-55-01"), plan.organisation, "belongs to Probation service"),
        ):
            with pytest.raises(ServiceError) as caught:
                services.plan_hand_over(
                    plan=plan,
                    to_organisation=organisation,
                    to_stage="post_release",
                    probation_office=office,
                    reason="Released on parole",
                    actor=w["psychologist"],
                )
            assert message in str(caught.value.errors["probation_office"][0])
        assert _counts() == before

    def test_moving_to_another_office_and_back_into_custody(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        probation = Organisation.objects.get(code="probation-service")
        first, second = probation_office("PO-35-01"), probation_office("PO-55-01")
        services.plan_hand_over(
            plan=plan,
            to_organisation=probation,
            to_stage="post_release",
            probation_office=first,
            reason="Released on parole",
            actor=w["psychologist"],
        )
        versions = plan.versions.count()
        officer = staff(Role.PROBATION, first)
        moved = services.plan_hand_over(
            plan=plan,
            to_organisation=probation,
            to_stage="post_release",
            probation_office=second,
            reason="Moved to Pavlodar",
            actor=officer,
        )
        plan.refresh_from_db()
        assert plan.probation_office == second
        assert (moved.from_stage, moved.to_stage) == ("post_release", "post_release")
        assert plan.versions.count() == versions  # same stage: no new version
        # The first office's officer no longer sees the person; the second office's does.
        assert not Person.objects.visible_to(officer).filter(pk=w["person"].pk).exists()
        with pytest.raises(PermissionDenied):
            services.plan_hand_over(
                plan=plan,
                to_organisation=probation,
                to_stage="post_release",
                probation_office=first,
                reason="Back again",
                actor=officer,
            )
        services.plan_hand_over(
            plan=plan,
            to_organisation=Organisation.objects.get(code="penal-system"),
            to_stage="penitentiary",
            reason="Admitted on a new sentence",
            actor=w["psychologist"],
        )
        plan.refresh_from_db()
        assert (plan.stage, plan.probation_office) == ("penitentiary", None)
        assert not Person.objects.visible_to(staff(Role.PROBATION, second)).exists()


class TestAssessmentHookAndSchedule:
    def test_from_assessment_starts_the_plan_and_maps_levels(self) -> None:
        w = world()
        needs = services.from_assessment(
            person=w["person"],
            needs=[
                ("substance_use", "high"),
                ("family_marital", "low"),
                ("leisure_recreation", "none"),
            ],
            assessment_id=77,
            actor=w["psychologist"],
        )
        assert {(n.need_area.code, n.priority, n.assessment_id) for n in needs} == {
            ("substance_use", 1, 77),
            ("family_marital", 3, 77),
        }
        again = services.from_assessment(
            person=w["person"],
            needs=[("substance_use", "medium")],
            assessment_id=78,
            actor=w["psychologist"],
        )
        assert (again[0].priority, again[0].assessment_id) == (2, 78)
        assert PlanNeed.objects.count() == 2

    def test_from_assessment_refuses_unknown_codes_and_writes_nothing(self) -> None:
        w = world()
        with pytest.raises(ServiceError) as caught:
            services.from_assessment(
                person=w["person"],
                needs=[("astrology", "high"), ("substance_use", "extreme")],
                actor=w["psychologist"],
            )
        assert len(caught.value.errors["needs"]) == 2
        assert Plan.objects.count() == 0

    def test_schedule_review_after_transfer_brings_the_review_forward(self) -> None:
        w = world(days_left=5 * 365)
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        assert (plan.next_review_due - TODAY()).days > 300  # > 3 years left → 12 months
        services.plan_schedule_review(
            person=w["person"], reason="transfer", actor=w["psychologist"]
        )
        plan.refresh_from_db()
        assert plan.next_review_due == TODAY() + timedelta(days=30)
        event = AuditEvent.objects.get(verb="plan review rescheduled")
        assert event.reason == "transfer"

    def test_schedule_review_without_a_plan_does_nothing(self) -> None:
        w = world()
        assert (
            services.plan_schedule_review(
                person=w["person"], reason="admission", actor=w["psychologist"]
            )
            is None
        )
        assert AuditEvent.objects.filter(verb="plan review rescheduled").count() == 0

    def test_pre_release_items_added_once(self) -> None:
        w = world(days_left=100)
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        added = services.plan_pre_release_items_add(plan=plan, actor=w["psychologist"])
        assert {n.need_area.code for n in added} == {
            "identity_documents",
            "registration",
            "housing",
            "employment",
            "benefits",
            "health_continuity",
        }
        assert services.plan_pre_release_items_add(plan=plan, actor=w["psychologist"]) == []
