"""A plan handed over at release: the probation officer of the receiving office finds the person,
opens the same plan and continues it; an officer of another office gets 404 everywhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from probation_helpers import plan_with_step, released, world

from qadam.core.models import AuditEvent, Organisation
from qadam.plans import services as plans
from qadam.plans.models import AgencyType, Handover, Plan, PlanGoal, PlanStep

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def person_urls(person_pk: int) -> dict[str, str]:
    return {
        "person": reverse("people:person_detail", kwargs={"pk": person_pk}),
        "plan": reverse("plans:plan_detail", kwargs={"person_pk": person_pk}),
        "print": reverse("plans:plan_print", kwargs={"person_pk": person_pk}),
        "assessments": reverse("assessment:person_assessments", kwargs={"person_pk": person_pk}),
        "hand_over": reverse("plans:hand_over", kwargs={"person_pk": person_pk}),
        "review": reverse("plans:review_record", kwargs={"person_pk": person_pk}),
    }


def test_the_receiving_office_continues_the_same_plan_and_no_other_office_sees_it() -> None:
    w = world()
    person = w["person"]
    plan = plan_with_step(person, w["psychologist"])
    plans.plan_countersign(plan=plan, actor=w["head"])
    released(person, w["a"])
    urls = person_urls(person.pk)
    psychologist, officer, stranger = (
        client_for(w["psychologist"]),
        client_for(w["officer"]),
        client_for(w["other_officer"]),
    )
    probation = Organisation.objects.get(code="probation-service")
    assert officer.get(urls["plan"]).status_code == 404  # not with their office yet

    # The hand-over form asks for the office after release and refuses it without one.
    form = psychologist.get(urls["hand_over"]).content.decode()
    assert 'name="probation_office"' in form
    assert w["office"].name_en in form
    answer = psychologist.post(
        urls["hand_over"],
        {"to_organisation": probation.pk, "to_stage": "post_release", "reason": "Parole"},
    )
    assert answer.status_code == 400
    assert "Choose the probation office that continues the plan after release." in (
        answer.content.decode()
    )
    assert not Handover.objects.exists()
    answer = psychologist.post(
        urls["hand_over"],
        {
            "to_organisation": probation.pk,
            "to_stage": "post_release",
            "probation_office": w["office"].pk,
            "reason": "Released on parole",
        },
    )
    assert answer.status_code == 302
    plan.refresh_from_db()
    assert (plan.stage, plan.probation_office) == ("post_release", w["office"])

    # The officer of that office finds the person and opens the person page and the plan.
    found = officer.get(reverse("people:search"), {"q": person.surname}).content.decode()
    assert urls["person"] in found
    assert officer.get(urls["person"]).status_code == 200
    page = officer.get(urls["plan"]).content.decode()
    assert w["office"].name_en in page
    assert "Welding course" in page
    assert officer.get(urls["print"]).status_code == 200
    assert officer.get(urls["assessments"]).status_code == 200  # read-only: no assessing
    assert officer.get(
        reverse("assessment:assess", kwargs={"person_pk": person.pk})
    ).status_code == (403)

    # ... and continues it: a step of their own, evidence, a review.
    goal = PlanGoal.objects.get(need__plan=plan)
    answer = officer.post(
        reverse("plans:step_add", kwargs={"person_pk": person.pk, "goal_pk": goal.pk}),
        {
            "text": "Register at the district employment centre",
            "agency_type": AgencyType.objects.get(code="employment_centre").pk,
            "responsible": "",
            "deadline": (timezone.localdate() + timedelta(days=14)).isoformat(),
        },
    )
    assert answer.status_code == 302
    step = PlanStep.objects.get(text="Register at the district employment centre")
    answer = officer.post(
        reverse("plans:evidence_add", kwargs={"person_pk": person.pk, "step_pk": step.pk}),
        {
            "kind": "document",
            "description": "Registered as a jobseeker",
            "reference": "EC-118",
            "dated": timezone.localdate().isoformat(),
            "mark_done": "on",
        },
    )
    assert answer.status_code == 302
    answer = officer.post(
        urls["review"],
        {"reviewed_on": timezone.localdate().isoformat(), "outcome": "on_track", "notes": ""},
    )
    assert answer.status_code == 302
    step.refresh_from_db()
    assert step.status == "done"

    # One plan, its versions continuing: v1 countersigned in custody, v2 after release.
    assert Plan.objects.filter(person=person).count() == 1
    versions = list(plan.versions.order_by("number").values_list("number", "stage", "status"))
    assert versions == [(1, "penitentiary", "countersigned"), (2, "post_release", "draft")]
    assert step.added_in.number == 2
    assert plan.reviews.get().reviewer == w["officer"]
    assert AuditEvent.objects.filter(
        actor=w["officer"], person_id=person.pk, verb="plan viewed"
    ).exists()

    # An officer of another office: nothing, wherever they look.
    for name, url in urls.items():
        assert stranger.get(url).status_code == 404, name
    assert (
        stranger.get(
            reverse("plans:step_status", kwargs={"person_pk": person.pk, "step_pk": step.pk})
        ).status_code
        == 404
    )
    assert (
        urls["person"]
        not in stranger.get(reverse("people:search"), {"q": person.surname}).content.decode()
    )
    # The institution's staff keep the person (released from their institution).
    assert w["office"].name_en in psychologist.get(urls["plan"]).content.decode()


def test_an_office_before_release_is_refused_on_the_form() -> None:
    w = world()
    person = w["person"]
    plan_with_step(person, w["psychologist"])
    answer = client_for(w["psychologist"]).post(
        person_urls(person.pk)["hand_over"],
        {
            "to_organisation": Organisation.objects.get(code="penal-system").pk,
            "to_stage": "pre_release",
            "probation_office": w["office"].pk,
            "reason": "Six months left",
        },
    )
    assert answer.status_code == 400
    assert "A probation office receives the plan only after release" in answer.content.decode()
    assert not Handover.objects.exists()
