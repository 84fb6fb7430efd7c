"""Plan pages read as a user reads them: no stored English codes or audit wording on the page,
one heading per form page, titles cut at a word with an ellipsis, no "0 of 0 done" printed for an
area without steps, no answer ticked in advance where the answer is a finding, and institutions in
natural order in the filter."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from plans_helpers import area, plan_with_step, world

from factories import InstitutionFactory, staff
from qadam.core.roles import Role
from qadam.plans import services
from qadam.plans.models import Evidence, Plan, Review

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _htmx_from(page: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"}


class TestPlanPage:
    def test_assessed_level_in_words_not_its_code(self) -> None:
        w = world()
        plan = services.plan_start(person=w["person"], actor=w["psychologist"])
        services.plan_from_assessment(
            person=w["person"],
            needs=[("substance_use", "high"), ("education_employment", "medium")],
            actor=w["psychologist"],
        )
        assert set(plan.needs.values_list("assessed_level", flat=True)) == {"high", "medium"}
        html = (
            _client(w["psychologist"])
            .get(reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk}))
            .content.decode()
        )
        assert "(high need)" in html
        assert "(some need)" in html
        assert "(high)" not in html
        assert "(medium)" not in html

    def test_review_rule_in_the_readers_words_not_the_audit_text(self) -> None:
        w = world(days_left=400)
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        Plan.objects.filter(pk=plan.pk).update(next_review_rule="demo data")
        html = (
            _client(w["psychologist"])
            .get(reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk}))
            .content.decode()
        )
        end = formats.date_format(w["person"].lawful_until, "SHORT_DATE_FORMAT")
        assert f"The sentence ends on {end}: the plan is reviewed every 6 months" in html
        assert "within 30 days after an admission, a transfer or a new assessment" in html
        assert "demo data" not in html

    def test_links_back_to_the_person(self) -> None:
        w = world()
        html = (
            _client(w["psychologist"])
            .get(reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk}))
            .content.decode()
        )
        assert f'href="{reverse("people:person_detail", kwargs={"pk": w["person"].pk})}"' in html


class TestFormPages:
    def test_standalone_page_keeps_one_heading_after_bad_input_through_htmx(self) -> None:
        w = world()
        plan_with_step(w["person"], w["psychologist"])
        url = reverse("plans:agreement_record", kwargs={"person_pk": w["person"].pk})
        client = _client(w["psychologist"])
        refused = client.post(
            url,
            {"answer": "disagrees", "dated": timezone.localdate().isoformat()},
            headers=_htmx_from(url),
        )
        html = refused.content.decode()
        assert "Write down what the person said" in html
        assert "Record the person&#x27;s agreement</h3>" not in html
        # Opened inline on the plan page, the form brings its own heading.
        plan_page = reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk})
        inline = client.get(url, headers=_htmx_from(plan_page)).content.decode()
        assert "<h3>Record the person&#x27;s agreement</h3>" in inline

    def test_radio_answers_form_a_group_named_by_its_question(self) -> None:
        w = world()
        plan_with_step(w["person"], w["psychologist"])
        url = reverse("plans:agreement_record", kwargs={"person_pk": w["person"].pk})
        html = _client(w["psychologist"]).get(url).content.decode()
        assert '<fieldset class="field" id="id_answer">' in html
        assert "<legend>The person&#x27;s answer" in html
        assert '<label for="id_answer_0">Agrees with the plan</label>' in html

    def test_long_texts_in_titles_end_at_a_word_with_an_ellipsis(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        long_text = "Attend the welding course " + "and practise every weekday " * 5
        step.text = long_text
        step.save(update_fields=["text"])
        url = reverse(
            "plans:evidence_add", kwargs={"person_pk": w["person"].pk, "step_pk": step.pk}
        )
        html = _client(w["psychologist"]).get(url).content.decode()
        title = html.split("<h1>", 1)[1].split("</h1>", 1)[0]
        assert title.endswith("…")
        assert title.startswith("Record evidence for the step: Attend the welding course")
        assert len(title) - len("Record evidence for the step: ") == 80

    def test_evidence_kind_is_chosen_not_preselected(self) -> None:
        w = world()
        _plan, step = plan_with_step(w["person"], w["psychologist"])
        url = reverse(
            "plans:evidence_add", kwargs={"person_pk": w["person"].pk, "step_pk": step.pk}
        )
        client = _client(w["psychologist"])
        assert '<option value="" selected>—</option>' in client.get(url).content.decode()
        response = client.post(
            url,
            {"description": "Order No. 17", "dated": timezone.localdate().isoformat()},
        )
        assert response.status_code == 400
        assert 'id="id_kind_error"' in response.content.decode()
        assert not Evidence.objects.exists()

    def test_review_outcome_is_chosen_not_preselected(self) -> None:
        w = world()
        plan_with_step(w["person"], w["psychologist"])
        url = reverse("plans:review_record", kwargs={"person_pk": w["person"].pk})
        client = _client(w["psychologist"])
        assert '<option value="" selected>—</option>' in client.get(url).content.decode()
        response = client.post(url, {"reviewed_on": timezone.localdate().isoformat()})
        assert response.status_code == 400
        assert 'id="id_outcome_error"' in response.content.decode()
        assert not Review.objects.exists()


class TestPrintedPlan:
    def test_area_without_steps_prints_no_zero_of_zero(self) -> None:
        w = world()
        plan, _step = plan_with_step(w["person"], w["psychologist"])
        services.plan_need_add(
            plan=plan,
            need_area=area("substance_use"),
            priority=2,
            source="staff",
            actor=w["psychologist"],
        )
        url = reverse("plans:plan_print", kwargs={"person_pk": w["person"].pk})
        client = _client(w["psychologist"])
        en = client.get(url + "?lang=en").content.decode()
        assert "0 of 1 done" in en  # the area with a step
        assert "0 of 0 done" not in en
        assert "Staying off alcohol and drugs" in en  # the area without steps is still listed
        kk = client.get(url + "?lang=kk").content.decode()
        assert "0 қадамның 0" not in kk
        assert '<link rel="icon" href="data:,">' in kk  # no request for a missing favicon


class TestFilters:
    def test_overdue_list_institutions_in_natural_order(self) -> None:
        ten, three = InstitutionFactory(code="ЕЦ-151/10"), InstitutionFactory(code="ЕЦ-151/3")
        head = staff(Role.HEAD, ten, three)
        html = _client(head).get(reverse("plans:overdue_list")).content.decode()
        assert html.index(f'value="{three.pk}"') < html.index(f'value="{ten.pk}"')


def test_review_rule_without_an_end_of_sentence() -> None:
    from qadam.plans.views import review_rule_text

    w = world()
    person = w["person"]
    person.legal_status = "remand"
    text = review_rule_text(person, timezone.localdate())
    assert text.startswith("The plan is reviewed every 6 months (no end of sentence is known)")
