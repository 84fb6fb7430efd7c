"""The demo step "plans" on the small demo set: plans built from the demo assessments as the plan
service builds them, progress that follows from evidence, and plans handed over to probation for
persons released in the last year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from demo_helpers import generated_demo
from qadam.assessment.demo import released_after_sentence
from qadam.assessment.models import Assessment
from qadam.assessment.services import need_levels
from qadam.demo.registry import DemoContext
from qadam.people.models import Person
from qadam.plans.models import (
    Agreement,
    Evidence,
    Handover,
    Plan,
    PlanNeed,
    PlanStep,
    PlanVersion,
    Stage,
)
from qadam.plans.progress import PROOF_KINDS
from qadam.plans.services import IGNORED_LEVELS, PRIORITY_BY_LEVEL


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with generated_demo(
        django_db_blocker, only=["institutions", "custody", "assessments", "plans"]
    ) as ctx:
        yield ctx


@pytest.mark.django_db
class TestDemoPlans:
    def test_needs_come_from_the_latest_assessment_as_the_service_takes_them(
        self, demo: DemoContext
    ) -> None:
        plans = list(Plan.objects.all())
        assert len(plans) == demo.summary["plans"]["plans"] > 50
        latest: dict[int, Assessment] = {}
        for assessment in Assessment.objects.select_related("instrument").order_by(
            "person_id", "assessed_on", "id"
        ):
            latest[assessment.person_id] = assessment
        assessments_of: dict[int, set[int]] = defaultdict(set)
        for person_id, pk in Assessment.objects.values_list("person_id", "pk"):
            assessments_of[person_id].add(pk)
        needs: dict[int, dict[str, PlanNeed]] = defaultdict(dict)
        for need in PlanNeed.objects.select_related("need_area", "plan"):
            needs[need.plan.person_id][need.need_area.code] = need
        for plan in plans:
            assessment = latest[plan.person_id]  # every plan holder was assessed
            wanted = [(a, lvl) for a, lvl in need_levels(assessment) if lvl not in IGNORED_LEVELS]
            assert wanted
            for area, level in wanted:
                need = needs[plan.person_id][area]
                assert (need.source, need.assessment_id, need.assessed_level) == (
                    "assessment",
                    assessment.pk,
                    level,
                )
                assert need.priority == PRIORITY_BY_LEVEL[level]
            for need in needs[plan.person_id].values():
                if need.need_area.group == "central_eight":
                    assert need.source == "assessment"
                    assert need.assessment_id in assessments_of[plan.person_id]
                else:
                    assert (need.source, need.need_area.checklist) == ("pre_release", True)
        figures = demo.summary["plans"]
        assert (
            figures["needs_from_assessment"] == PlanNeed.objects.filter(source="assessment").count()
        )

    def test_some_plans_were_handed_over_to_probation_at_release(self, demo: DemoContext) -> None:
        released = {r.person_id: r for r in released_after_sentence(demo.today)}
        after = list(
            Plan.objects.filter(stage=Stage.POST_RELEASE).select_related(
                "organisation", "probation_office", "person__last_institution"
            )
        )
        assert len(after) == demo.summary["plans"]["post_release"] > 5
        handovers = {h.plan_id: h for h in Handover.objects.select_related("to_organisation")}
        assert set(handovers) == {plan.pk for plan in after}
        held = set(
            Person.objects.filter(current_institution__isnull=False).values_list("pk", flat=True)
        )
        for plan in after:
            assert plan.organisation.kind == "probation"
            assert plan.person_id not in held
            release = released[plan.person_id]
            assert release.reason in (
                "parole",
                "milder_punishment",
                "to_probation",
                "end_of_sentence",
            )
            handover = handovers[plan.pk]
            assert handover.to_organisation == plan.organisation
            # The office of the region the person was released from; its officers see them.
            assert plan.probation_office is not None
            assert plan.probation_office.region_id == plan.person.last_institution.region_id
            assert handover.to_probation_office_id == plan.probation_office_id
            assert (handover.from_stage, handover.to_stage) == ("pre_release", "post_release")
            assert handover.handed_over_at.date() == release.released_on
            steps = PlanStep.objects.filter(goal__need__plan=plan)
            # The same plan goes on: registration with the probation service after release...
            assert steps.filter(
                agency_type__code="probation_office", deadline__gt=release.released_on
            ).exists()
            # ...and what was left unfinished inside the institution was cancelled at release.
            inside = steps.filter(agency_type__code__in=["psychologist", "teacher", "employer"])
            assert not inside.filter(status__in=["planned", "in_progress"]).exists()
            newest = PlanVersion.objects.filter(plan=plan).order_by("-number").first()
            assert newest is not None
            assert newest.stage == "post_release"
        in_custody = Plan.objects.exclude(stage=Stage.POST_RELEASE)
        assert not in_custody.exclude(person_id__in=held).exists()

    def test_progress_follows_from_evidence(self, demo: DemoContext) -> None:
        evidence: dict[int, list[Evidence]] = defaultdict(list)
        for item in Evidence.objects.all():
            evidence[item.step_id].append(item)
        steps = list(PlanStep.objects.all())
        assert len(steps) == demo.summary["plans"]["steps"]
        for step in steps:
            kinds = {e.kind for e in evidence[step.pk]}
            if step.status == "done":
                assert kinds & PROOF_KINDS  # never done on a note alone
            elif step.status == "in_progress":
                assert kinds == {"note"}
            else:
                assert not kinds
            for item in evidence[step.pk]:
                assert step.added_at.date() <= item.dated <= demo.today
        done = sum(step.status == "done" for step in steps)
        assert done == demo.summary["plans"]["done"]
        assert 0.2 < done / len(steps) < 0.8

    def test_versions_are_countersigned_and_agreed(self, demo: DemoContext) -> None:
        versions: dict[int, list[PlanVersion]] = defaultdict(list)
        for version in PlanVersion.objects.order_by("plan_id", "number"):
            versions[version.plan_id].append(version)
        assert len(versions) == demo.summary["plans"]["plans"]
        agreed = set(Agreement.objects.values_list("version_id", flat=True))
        for plan_versions in versions.values():
            assert [v.number for v in plan_versions] == list(range(1, len(plan_versions) + 1))
            assert all(v.status == "countersigned" for v in plan_versions[:-1])
            assert plan_versions[0].pk in agreed
        assert any(len(v) > 1 for v in versions.values())  # brought up to date by reassessment
        assert PlanVersion.objects.filter(status="draft").exists()  # some await a signature
