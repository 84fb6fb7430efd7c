"""Plans in the machine API: a person's plan, the worklist of steps, progress reported on a step
(the web form's rules, 422 naming the field, idempotent replay, audit rows), and the devices of
psychologists and probation officers using tokens now that their roles hold `use_api`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from plans_helpers import agency, area, plan_with_step, sentenced_person, world

from factories import staff
from qadam.assessment.models import Assessment
from qadam.assessment.services import instrument_in_force
from qadam.core.api_tokens import issue_token
from qadam.core.models import ApiIdempotencyKey, AuditEvent, User
from qadam.core.roles import Role
from qadam.plans import services
from qadam.plans.models import Evidence, PlanStep, PlanVersion

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def w() -> dict[str, Any]:
    """world() from plans_helpers, with a probation officer and reception in A."""
    data = world()
    data["probation"] = staff(Role.PROBATION, data["a"], username="prob-a")
    data["reception"] = staff(Role.RECEPTION, data["a"], username="rec-a")
    return data


def token_client(user: User) -> Client:
    token = issue_token(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


def session_client(user: User) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def report(client: Client, step_id: int, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/plans/steps/{step_id}/status",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def written() -> tuple[int, ...]:
    return (
        Evidence.objects.count(),
        PlanVersion.objects.count(),
        AuditEvent.objects.filter(verb__startswith="plan").count(),
        ApiIdempotencyKey.objects.count(),
    )


def add_step(plan: Any, actor: User, *, agency_code: str, days: int, text: str) -> PlanStep:
    goal = plan.needs.get().goals.first()
    return services.plan_step_add(
        goal=goal,
        text=text,
        agency_type=agency(agency_code),
        deadline=TODAY() + timedelta(days=days),
        actor=actor,
    )


class TestPlanRead:
    def test_answers_the_plan_with_versions_agreement_reviews_and_progress(self, w) -> None:
        psychologist, head = w["psychologist"], w["head"]
        plan, step = plan_with_step(w["person"], psychologist)
        services.plan_evidence_add(
            step=step,
            kind="certificate",
            description="Welding certificate, grade 3",
            reference="CERT-0042",
            dated=TODAY(),
            actor=psychologist,
            mark_done=True,
        )
        services.plan_countersign(plan=plan, actor=head)
        later = add_step(plan, psychologist, agency_code="employment_centre", days=60, text="Job")
        services.plan_agreement_record(
            plan=plan, answer="agrees", dated=TODAY(), actor=psychologist
        )
        services.plan_review_record(
            plan=plan, reviewed_on=TODAY(), outcome="on_track", actor=psychologist
        )

        response = token_client(w["probation"]).get(f"/api/v1/persons/{w['person'].pk}/plan")

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["person_id"], body["plan_id"], body["stage"]) == (
            w["person"].pk,
            plan.pk,
            "penitentiary",
        )
        assert body["current_version"]["number"] == 2
        assert body["current_version"]["status"] == "draft"
        signed = body["countersigned_version"]
        assert (signed["number"], signed["countersigned_by"]) == (1, head.username)
        assert body["agreement"]["answer"] == "agrees"
        assert body["agreement"]["version"] == 2
        assert [r["outcome"] for r in body["reviews"]] == ["on_track"]
        assert body["reviews"][0]["reviewer"] == psychologist.username
        plan.refresh_from_db()
        assert body["next_review_due"] == plan.next_review_due.isoformat()
        [need] = body["needs"]
        assert need["need_area"] == "education_employment"
        assert need["need_area_text"] == area("education_employment").name_en
        [goal] = need["goals"]
        done, job = goal["steps"]
        assert (done["id"], done["agency_type"], done["status"], done["state"]) == (
            step.pk,
            "teacher",
            "done",
            "done",
        )
        assert done["responsible"] == "College No. 3"
        assert [(e["kind"], e["reference"]) for e in done["evidence"]] == [
            ("certificate", "CERT-0042")
        ]
        assert (job["id"], job["deadline"], job["state"]) == (
            later.pk,
            later.deadline.isoformat(),
            "planned",
        )
        assert need["progress"]["steps"] == 2
        assert need["progress"]["completed"] == 1
        assert need["progress"]["percent"] == 50
        assert need["progress"]["level"] == "advancing"
        assert need["progress"]["certificates"] == 1
        assert body["overall"]["need_area"] == "all"
        assert body["overall"]["completed"] == 1
        event = AuditEvent.objects.get(verb="plan shown (API)")
        assert (event.actor, event.person_id, event.action) == (
            w["probation"],
            w["person"].pk,
            AuditEvent.Action.VIEW,
        )

    def test_outside_scope_or_without_plan_is_404_and_nothing_is_audited(self, w) -> None:
        plan_with_step(w["other"], staff(Role.PSYCHOLOGIST, w["b"]))
        client = token_client(w["reception"])
        assert client.get(f"/api/v1/persons/{w['other'].pk}/plan").status_code == 404
        assert client.get(f"/api/v1/persons/{w['person'].pk}/plan").status_code == 404
        assert client.get("/api/v1/persons/999999/plan").status_code == 404
        assert not AuditEvent.objects.filter(verb="plan shown (API)").exists()

    def test_a_role_without_plans_is_refused(self, w) -> None:
        plan_with_step(w["person"], w["psychologist"])
        response = session_client(w["medical"]).get(f"/api/v1/persons/{w['person'].pk}/plan")
        assert response.status_code == 403


class TestStepWorklist:
    @pytest.fixture
    def steps(self, w) -> dict[str, PlanStep]:
        actor = w["psychologist"]
        plan, teacher = plan_with_step(w["person"], actor, days=30)
        second_person = sentenced_person(w["a"], surname="Сапаров")
        plan2, teacher2 = plan_with_step(second_person, actor, days=30)
        job = add_step(plan, actor, agency_code="employment_centre", days=10, text="Register")
        job2 = add_step(plan2, actor, agency_code="employment_centre", days=90, text="Interview")
        overdue = add_step(plan, actor, agency_code="employment_centre", days=5, text="Documents")
        PlanStep.objects.filter(pk=overdue.pk).update(deadline=TODAY() - timedelta(days=3))
        services.plan_step_set_status(step=job2, status="in_progress", actor=actor)
        outside = plan_with_step(w["other"], staff(Role.PSYCHOLOGIST, w["b"]), days=1)[1]
        return {
            "teacher": teacher,
            "teacher2": teacher2,
            "job": job,
            "job2": job2,
            "overdue": overdue,
            "outside": outside,
        }

    def ids(self, client: Client, query: str = "") -> list[int]:
        response = client.get(f"/api/v1/plans/steps{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    def test_lists_steps_in_scope_by_deadline_then_id(self, w, steps) -> None:
        response = token_client(w["probation"]).get("/api/v1/plans/steps")
        body = response.json()
        expected = [
            steps["overdue"].pk,
            steps["job"].pk,
            *sorted([steps["teacher"].pk, steps["teacher2"].pk]),
            steps["job2"].pk,
        ]
        assert [row["id"] for row in body["items"]] == expected
        assert body["count"] == 5
        first = body["items"][0]
        assert first["person_id"] == w["person"].pk
        assert first["case_number"] == w["person"].case_number
        assert (first["agency_type"], first["status"], first["state"]) == (
            "employment_centre",
            "planned",
            "overdue",
        )
        assert first["need_area"] == "education_employment"
        assert first["goal"] == "Finish vocational course"

    def test_filters_by_agency_status_and_deadline(self, w, steps) -> None:
        client = token_client(w["reception"])
        agency_steps = self.ids(client, "?responsible=employment_centre")
        assert agency_steps == [steps["overdue"].pk, steps["job"].pk, steps["job2"].pk]
        assert self.ids(client, "?responsible=employment_centre&status=planned") == [
            steps["overdue"].pk,
            steps["job"].pk,
        ]
        assert self.ids(client, "?status=in_progress") == [steps["job2"].pk]
        assert self.ids(client, "?status=overdue") == [steps["overdue"].pk]
        due = (TODAY() + timedelta(days=30)).isoformat()
        assert self.ids(client, f"?due_before={due}") == [steps["overdue"].pk, steps["job"].pk]
        assert self.ids(client, "?status=done") == []

    def test_pages_are_stable_and_cover_the_list_once(self, w, steps) -> None:
        client = token_client(w["head"])
        whole = self.ids(client)
        pages = [self.ids(client, f"?limit=2&offset={offset}") for offset in (0, 2, 4)]
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [i for page in pages for i in page] == whole
        last = client.get("/api/v1/plans/steps?limit=2&offset=4").json()
        assert (last["count"], last["limit"], last["offset"]) == (5, 2, 4)

    def test_the_list_is_audited_with_its_filters_and_count(self, w, steps) -> None:
        token_client(w["probation"]).get("/api/v1/plans/steps?responsible=employment_centre")
        event = AuditEvent.objects.get(verb="plan steps listed (API)")
        assert event.actor == w["probation"]
        assert event.action == AuditEvent.Action.SEARCH
        assert event.details["result_count"] == 3
        assert event.details["filters"]["responsible"] == "employment_centre"

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("?responsible=astrologer", "responsible"),
            ("?status=finished", "status"),
            ("?due_before=tomorrow", "due_before"),
            ("?limit=0", "limit"),
            ("?offset=-1", "offset"),
        ],
    )
    def test_bad_filters_answer_422_naming_the_field(self, w, query, field) -> None:
        response = token_client(w["reception"]).get(f"/api/v1/plans/steps{query}")
        assert response.status_code == 422
        assert list(response.json()["errors"]) == [field]
        assert not AuditEvent.objects.filter(verb="plan steps listed (API)").exists()


class TestStepProgress:
    @pytest.fixture
    def step(self, w) -> PlanStep:
        return plan_with_step(w["person"], w["psychologist"])[1]

    def test_a_probation_officer_reports_progress_with_a_note(self, w, step) -> None:
        yesterday = TODAY() - timedelta(days=1)
        body = {"status": "in_progress", "dated": yesterday.isoformat(), "note": "First lesson"}

        response = report(token_client(w["probation"]), step.pk, body)

        assert response.status_code == 200, response.content
        answer = response.json()
        assert (answer["id"], answer["status"], answer["state"]) == (
            step.pk,
            "in_progress",
            "in_progress",
        )
        step.refresh_from_db()
        assert step.status == "in_progress"
        note = Evidence.objects.get(step=step)
        assert (note.kind, note.description, note.dated, note.recorded_by) == (
            "note",
            "First lesson",
            yesterday,
            w["probation"],
        )
        verbs = list(
            AuditEvent.objects.filter(actor=w["probation"], verb__startswith="plan")
            .order_by("id")
            .values_list("verb")
        )
        assert verbs == [("plan evidence recorded",), ("plan step status changed",)]
        changed = AuditEvent.objects.get(verb="plan step status changed", actor=w["probation"])
        assert changed.person_id == w["person"].pk
        assert changed.details == {"from": "planned", "to": "in_progress"}

    def test_done_with_a_certificate_and_its_reference(self, w, step) -> None:
        body = {
            "status": "done",
            "note": "Welding certificate",
            "evidence_kind": "certificate",
            "evidence_reference": "CERT-7",
        }
        response = report(token_client(w["psychologist"]), step.pk, body)
        assert response.status_code == 200, response.content
        answer = response.json()
        assert (answer["status"], answer["state"]) == ("done", "done")
        assert [(e["kind"], e["reference"]) for e in answer["evidence"]] == [
            ("certificate", "CERT-7")
        ]
        step.refresh_from_db()
        assert step.status == "done"

    def test_a_note_on_a_step_already_in_progress(self, w, step) -> None:
        services.plan_step_set_status(step=step, status="in_progress", actor=w["psychologist"])
        response = report(
            token_client(w["probation"]), step.pk, {"status": "in_progress", "note": "Week 2"}
        )
        assert response.status_code == 200, response.content
        assert [e["description"] for e in response.json()["evidence"]] == ["Week 2"]

    def test_cancelling_needs_the_reason_and_opens_a_new_version(self, w, step) -> None:
        client = token_client(w["probation"])
        before = written()
        refused = report(client, step.pk, {"status": "cancelled"})
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"note": ["Say why the step is cancelled."]}
        assert written() == before
        services.plan_countersign(plan=step.goal.need.plan, actor=w["head"])
        response = report(client, step.pk, {"status": "cancelled", "note": "Course closed"})
        assert response.status_code == 200, response.content
        step.refresh_from_db()
        assert (step.status, step.cancel_reason) == ("cancelled", "Course closed")
        assert step.goal.need.plan.versions.count() == 2
        assert not Evidence.objects.filter(step=step).exists()

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            (
                {"status": "done", "note": "Finished"},
                {
                    "status": [
                        "A step is done only with evidence: send a certificate, work record, "
                        "attendance or document with it."
                    ]
                },
            ),
            (
                {"status": "planned"},
                {
                    "status": [
                        "The step is already planned: send another status, a note or evidence."
                    ]
                },
            ),
            (
                {"status": "in_progress", "evidence_reference": "N-1"},
                {"evidence_kind": ["Say what kind of evidence the reference is for."]},
            ),
            (
                {"status": "in_progress", "evidence_kind": "document"},
                {"note": ["Say what the evidence shows."]},
            ),
            (
                {"status": "in_progress", "note": "x", "dated": "2999-01-01"},
                {"dated": ["The date must not be in the future."]},
            ),
            ({"status": "finished"}, {"status": None}),
            ({"status": "in_progress", "dated": "yesterday"}, {"dated": None}),
            ({"status": "in_progress", "evidence_kind": "diploma"}, {"evidence_kind": None}),
            ({"status": "in_progress", "note": "a\x00b"}, {"note": None}),
            ({"status": "in_progress", "note": "x", "mark_done": True}, {"mark_done": None}),
            ({"note": "x"}, {"status": None}),
        ],
    )
    def test_bad_input_answers_422_naming_the_field_and_writes_nothing(
        self, w, step, body, errors
    ) -> None:
        before = written()
        response = report(token_client(w["probation"]), step.pk, body, key="k-bad")
        assert response.status_code == 422, response.content
        answer = response.json()["errors"]
        assert list(answer) == list(errors)
        for field, messages in errors.items():
            if messages is not None:
                assert answer[field] == messages
        assert written() == before
        step.refresh_from_db()
        assert step.status == "planned"

    def test_several_refusals_are_answered_together(self, w, step) -> None:
        body = {"status": "cancelled", "evidence_kind": "note", "dated": "2999-01-01"}
        response = report(token_client(w["probation"]), step.pk, body)
        assert response.status_code == 422
        assert set(response.json()["errors"]) == {"evidence_kind", "note", "dated"}

    def test_a_cancelled_step_takes_nothing_more(self, w, step) -> None:
        services.plan_step_set_status(
            step=step, status="cancelled", reason="Moved", actor=w["psychologist"]
        )
        response = report(token_client(w["probation"]), step.pk, {"status": "done"})
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["status"]

    def test_the_same_key_and_request_answer_once(self, w, step) -> None:
        client = token_client(w["probation"])
        body = {"status": "in_progress", "note": "First lesson"}
        first = report(client, step.pk, body, key="step-0001")
        audit_rows = AuditEvent.objects.count()
        again = report(client, step.pk, body, key="step-0001")
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == first.json()
        assert Evidence.objects.filter(step=step).count() == 1
        assert AuditEvent.objects.count() == audit_rows
        other = report(client, step.pk, {**body, "note": "Second lesson"}, key="step-0001")
        assert other.status_code == 409
        assert list(other.json()["errors"]) == ["Idempotency-Key"]
        assert Evidence.objects.filter(step=step).count() == 1

    def test_a_refused_request_leaves_its_key_free(self, w, step) -> None:
        client = token_client(w["probation"])
        refused = report(client, step.pk, {"status": "done", "note": "x"}, key="step-0002")
        assert refused.status_code == 422
        body = {"status": "in_progress", "note": "Started"}
        assert report(client, step.pk, body, key="step-0002").status_code == 200

    def test_outside_scope_is_404_and_without_the_capability_403(self, w, step) -> None:
        outside = plan_with_step(w["other"], staff(Role.PSYCHOLOGIST, w["b"]))[1]
        body = {"status": "in_progress", "note": "x"}
        before = written()
        assert report(token_client(w["probation"]), outside.pk, body).status_code == 404
        assert report(token_client(w["probation"]), 999999, body).status_code == 404
        assert report(token_client(w["reception"]), step.pk, body).status_code == 403
        assert report(session_client(w["head"]), step.pk, body).status_code == 403
        assert written() == before
        step.refresh_from_db()
        assert step.status == "planned"

    def test_answers_in_the_language_asked_for(self, w, step) -> None:
        token = issue_token(user=w["probation"], name="ru")
        client = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "ru"})
        response = report(client, step.pk, {"status": "cancelled"})
        assert response.status_code == 422
        assert response.json()["errors"]["note"] != ["Say why the step is cancelled."]


class TestDevicesOfPsychologistsAndProbationOfficers:
    def test_a_psychologists_token_records_an_assessment(self, w) -> None:
        instrument = instrument_in_force()
        assert instrument is not None
        body = {
            "kind": "periodic",
            "assessed_on": TODAY().isoformat(),
            "answers": {item.code: item.options[0].code for item in instrument.engine.items},
        }
        response = token_client(w["psychologist"]).post(
            f"/api/v1/persons/{w['person'].pk}/assessments",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": "tablet-0001"},
        )
        assert response.status_code == 201, response.content
        assessment = Assessment.objects.get(pk=response.json()["id"])
        assert (assessment.person, assessment.assessor) == (w["person"], w["psychologist"])
        event = AuditEvent.objects.get(verb="assessment recorded")
        assert (event.actor, event.person_id) == (w["psychologist"], w["person"].pk)

    def test_a_probation_officers_token_is_accepted_and_names_the_officer(self, w) -> None:
        body = token_client(w["probation"]).get("/api/v1/me").json()
        assert body["username"] == "prob-a"
        assert "use_api" in body["capabilities"]
        assert "manage_plan" in body["capabilities"]

    def test_a_role_without_the_api_is_still_refused(self, w) -> None:
        response = token_client(w["regime"]).get("/api/v1/plans/steps")
        assert response.status_code == 403
        assert response.json()["errors"]["__all__"] == ["This account may not use the machine API."]


def test_need_area_names_follow_the_request_language(w) -> None:
    plan_with_step(w["person"], w["psychologist"])
    token = issue_token(user=w["head"], name="kk")
    client = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "ru"})
    body = client.get(f"/api/v1/persons/{w['person'].pk}/plan").json()
    assert body["needs"][0]["need_area_text"] == area("education_employment").name_ru
