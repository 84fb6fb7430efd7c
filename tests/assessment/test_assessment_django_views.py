"""Assessment pages: content, scoping, audit, bad input on the fields, fixed query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from assessment_helpers import answers, assess, default_instrument, world
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import staff
from qadam.assessment import services
from qadam.assessment.models import Assessment, BandOverride, Reassessment
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, Any]:
    return world()


def client_for(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _form_data(**changes: str) -> dict[str, str]:
    data = {f"answer_{code}": value for code, value in answers(pick="last").items()}
    data.update(kind="periodic", assessed_on=timezone.localdate().isoformat(), notes="")
    data.update(changes)
    return data


class TestAssessmentForm:
    def test_items_grouped_by_layer_as_labelled_radio_buttons(self, w: dict[str, Any]) -> None:
        response = client_for(w["psychologist"]).get(
            reverse("assessment:assess", kwargs={"person_pk": w["pa"].pk})
        )
        html = response.content.decode()
        assert response.status_code == 200
        for heading in ("Static factors", "Needs the person can work on", "Progress the person"):
            assert heading in html
        assert html.count('type="radio"') == sum(
            len(i.options) for i in default_instrument().engine.items
        )
        assert '<label for="id_answer_substance_use_2">Current' in html
        assert "<legend>Alcohol and drug use" in html
        assert 'hx-post="/assessment/person/' in html
        for protected in ("ethnic", "nationality", 'race"', "ұлты"):
            assert f'name="answer_{protected}' not in html
        # Age and sex are suggested from the record (born 1990, male).
        assert 'value="male" checked' in html

    def test_missing_and_bad_answers_are_named_and_nothing_is_saved(
        self, w: dict[str, Any]
    ) -> None:
        data = _form_data(answer_sex="alien")
        del data["answer_leisure_recreation"]
        response = client_for(w["psychologist"]).post(
            reverse("assessment:assess", kwargs={"person_pk": w["pa"].pk}), data
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "Choose an answer for “Leisure time”." in html
        assert "“alien” is not one of the answers to “Sex”" in html
        assert 'href="#id_answer_leisure_recreation"' in html
        assert not Assessment.objects.exists()

    def test_saving_redirects_to_the_result(self, w: dict[str, Any]) -> None:
        response = client_for(w["psychologist"]).post(
            reverse("assessment:assess", kwargs={"person_pk": w["pa"].pk}), _form_data()
        )
        assessment = Assessment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("assessment:detail", kwargs={"pk": assessment.pk})
        assert assessment.answers == answers(pick="last")

    def test_preview_without_javascript_saves_nothing(self, w: dict[str, Any]) -> None:
        response = client_for(w["psychologist"]).post(
            reverse("assessment:assess", kwargs={"person_pk": w["pa"].pk}),
            {**_form_data(), "preview": "1"},
        )
        assert response.status_code == 200
        # Last options: 0+0+3+2+1+1 static, 2+2+2+2+2+1+2 dynamic, -2-1-2-2 change = 13,
        # which the bands of qadam_core_v1.toml put in "medium" (8 ≤ 13 < 16).
        html = response.content.decode()
        assert "13 points · band: Medium" in html
        assert not Assessment.objects.exists()

    def test_htmx_preview_partial(self, w: dict[str, Any]) -> None:
        data = {"answer_sex": "male", "answer_substance_use": "current"}
        response = client_for(w["psychologist"]).post(
            reverse("assessment:preview", kwargs={"person_pk": w["pa"].pk}),
            data,
            headers={"HX-Request": "true"},
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert html.strip().startswith('<div id="score-preview"')
        assert "2 of 17 items answered; 3 points so far." in html
        assert "<html" not in html
        event = AuditEvent.objects.get(verb="assessment score preview")
        assert event.person_id == w["pa"].pk

    def test_person_outside_scope_is_not_found(self, w: dict[str, Any]) -> None:
        client = client_for(w["psychologist"])
        assert (
            client.get(reverse("assessment:assess", kwargs={"person_pk": w["pb"].pk})).status_code
            == 404
        )


class TestResultPage:
    def test_points_probabilities_band_and_each_contribution(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"], pick="last")
        response = client_for(w["head"]).get(
            reverse("assessment:detail", kwargs={"pk": assessment.pk})
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
        assert '<table id="contributions-table">' in html
        assert html.count('<th scope="row">') >= len(default_instrument().engine.items)
        assert "Points and share of each item" in html
        assert "&quot;Current&quot; adds 2 points" in html  # substance use, in words
        assert "is progress the person has made; it takes 2 points off." in html
        assert "Not yet validated on Kazakh data" in html
        assert f"{round(100 * assessment.probability_year1, 1)} %" in html
        assert "What the person can change" in html

    def test_showing_it_is_audited_once_naming_the_person(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        before = AuditEvent.objects.count()
        client_for(w["head"]).get(reverse("assessment:detail", kwargs={"pk": assessment.pk}))
        events = list(AuditEvent.objects.order_by("id")[before:])
        assert [(e.action, e.person_id) for e in events] == [("view", w["pa"].pk)]

    def test_outside_scope_is_not_found(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        outsider = staff(Role.HEAD, w["b"])
        response = client_for(outsider).get(
            reverse("assessment:detail", kwargs={"pk": assessment.pk})
        )
        assert response.status_code == 404

    def test_fixed_number_of_queries(
        self, w: dict[str, Any], django_assert_max_num_queries: Any
    ) -> None:
        first = assess(w["pa"], w["psychologist"], pick="last")
        services.override_request(
            actor=w["psychologist"], assessment=first, band="low", reason="x" * 20
        )
        client = client_for(w["head"])
        url = reverse("assessment:detail", kwargs={"pk": first.pk})
        client.get(url)  # warm the compiled-instrument cache
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        count = len(captured.captured_queries)
        for _ in range(3):
            second = assess(w["pa"], w["psychologist"], pick="first")
        with django_assert_max_num_queries(count):
            client.get(reverse("assessment:detail", kwargs={"pk": second.pk}))


class TestOverridePages:
    def test_psychologist_requests_and_the_head_approves(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        psychologist, head = client_for(w["psychologist"]), client_for(w["head"])
        url = reverse("assessment:override_request", kwargs={"pk": assessment.pk})
        response = psychologist.post(url, {"band": "high", "reason": "short"})
        assert response.status_code == 400
        assert "Explain why the computed band is wrong" in response.content.decode()
        assert not BandOverride.objects.exists()
        response = psychologist.post(
            url, {"band": "high", "reason": "Threats recorded after the interview."}
        )
        assert response.status_code == 302
        override = BandOverride.objects.get()
        pending = head.get(reverse("assessment:override_list")).content.decode()
        assert reverse("assessment:override_decide", kwargs={"pk": override.pk}) in pending
        decide = reverse("assessment:override_decide", kwargs={"pk": override.pk})
        response = head.post(decide, {"decision": "reject"})
        assert response.status_code == 400
        assert "Say why the override is rejected." in response.content.decode()
        response = head.post(decide, {"decision": "approve", "note": ""})
        assert response.status_code == 302
        html = head.get(reverse("assessment:detail", kwargs={"pk": assessment.pk})).content
        text = html.decode()
        assert "After an approved override; computed band: Low" in text
        assert '<p class="figure">High</p>' in text


class TestLists:
    def test_due_list_scoped_sorted_and_exported(self, w: dict[str, Any]) -> None:
        # The admissions (custody services) put both on the schedule: never assessed, a first
        # assessment due 30 days after they were admitted (200 days ago: overdue).
        due = (timezone.localdate() - timedelta(days=200)) + timedelta(days=30)
        assert set(Reassessment.objects.values_list("person_id", "due_on", "reason")) == {
            (w["pa"].pk, due, "first"),
            (w["pb"].pk, due, "first"),
        }
        client = client_for(w["psychologist"])
        response = client.get(reverse("assessment:due_list"))
        html = response.content.decode()
        assert w["pa"].full_name in html
        assert w["pb"].full_name not in html
        search = AuditEvent.objects.filter(verb="assessments due listed").get()
        assert search.details["result_count"] == 1
        export = client.get(reverse("assessment:due_list") + "?format=csv")
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert rows[0][0].lstrip("\ufeff") == "Case number"
        assert [r[0] for r in rows[1:]] == [w["pa"].case_number]
        exported = AuditEvent.objects.get(verb="assessments due exported")
        assert exported.details["row_count"] == 1

    def test_empty_state(self, w: dict[str, Any]) -> None:
        assess(w["pa"], w["psychologist"])  # assessed now: next due in six months
        html = client_for(w["head"]).get(reverse("assessment:due_list")).content.decode()
        assert "No assessments are due in your scope." in html

    def test_history_shows_change_over_time(self, w: dict[str, Any]) -> None:
        assess(w["pa"], w["psychologist"], pick="last")
        assess(w["pa"], w["psychologist"], pick="last", overrides={"substance_use": "none"})
        html = (
            client_for(w["head"])
            .get(reverse("assessment:person_assessments", kwargs={"person_pk": w["pa"].pk}))
            .content.decode()
        )
        assert 'aria-labelledby="chart-history-title chart-history-desc"' in html
        assert '<td class="num">−2</td>' in html  # substance use: current (+2) → none (0)

    def test_person_page_section(self, w: dict[str, Any]) -> None:
        assess(w["pa"], w["psychologist"])
        html = (
            client_for(w["head"])
            .get(reverse("people:person_detail", kwargs={"pk": w["pa"].pk}))
            .content.decode()
        )
        assert "Risk and needs" in html
        assert "band Low" in html

    def test_plan_button_fills_the_plan(self, w: dict[str, Any]) -> None:
        from qadam.plans.models import Plan

        assessment = assess(w["pa"], w["psychologist"], pick="last")
        response = client_for(w["psychologist"]).post(
            reverse("assessment:plan_needs", kwargs={"pk": assessment.pk})
        )
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "plans:plan_detail", kwargs={"person_pk": w["pa"].pk}
        )
        plan = Plan.objects.get(person=w["pa"])
        assert plan.needs.filter(assessment_id=assessment.pk).count() == 7


def test_instrument_page_shows_local_figures_and_changes_label(w: dict[str, Any]) -> None:
    instrument = default_instrument()
    client = client_for(staff(Role.ANALYST, national=True))
    url = reverse("assessment:instrument_detail", kwargs={"pk": instrument.pk})
    assert "Not yet validated on Kazakh data" in client.get(url).content.decode()
    services.instrument_record_local_validation(
        instrument=instrument,
        figures={
            "cohort": {"years": 2, "releases": 250, "outcome_known": 200},
            "summary": [{"horizon": "year1", "stratum": "all", "rows": 200, "auc": 0.71}],
        },
        actor=None,
    )
    html = client.get(url).content.decode()
    assert "Validated on Kazakh registry data" in html
    assert '<p class="warning"><strong>Not yet validated' not in html
    assert "0.71" in html
