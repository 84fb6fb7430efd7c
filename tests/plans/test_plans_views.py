"""Plan pages: content, scoping (404 outside scope), audit events, forms with errors, htmx,
the overdue list with exports, and the printable plan in kk / ru and as PDF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from plans_helpers import plan_with_step, world

from qadam.core.models import AuditEvent
from qadam.plans import services
from qadam.plans.models import Evidence, Plan, PlanGoal

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_plan_page_shows_the_tree_progress_and_is_audited() -> None:
    w = world()
    _plan, step = plan_with_step(w["person"], w["psychologist"])
    services.plan_evidence_add(
        step=step,
        kind="certificate",
        description="Welder certificate",
        dated=timezone.localdate(),
        mark_done=True,
        actor=w["psychologist"],
    )
    response = _client(w["regime"]).get(
        reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Finish vocational course" in html
    assert "Welder certificate" in html
    assert "1 of 1 steps done with evidence" in html
    # regime may see but not change the plan
    assert reverse("plans:need_add", kwargs={"person_pk": w["person"].pk}) not in html
    event = AuditEvent.objects.filter(verb="plan viewed").get()
    assert (event.person_id, event.actor_id) == (w["person"].pk, w["regime"].pk)


def test_person_outside_scope_is_404() -> None:
    w = world()
    for name in ("plans:plan_detail", "plans:plan_print", "plans:plan_start"):
        response = _client(w["psychologist"]).get(
            reverse(name, kwargs={"person_pk": w["other"].pk})
        )
        assert response.status_code == 404, name
    assert not AuditEvent.objects.filter(person_id=w["other"].pk, action="view").exists()


def test_start_then_add_need_goal_step_without_javascript() -> None:
    w = world()
    client = _client(w["psychologist"])
    pk = w["person"].pk
    response = client.post(reverse("plans:plan_start", kwargs={"person_pk": pk}))
    assert response.status_code == 302
    plan = Plan.objects.get(person=w["person"])
    from plans_helpers import area

    response = client.post(
        reverse("plans:need_add", kwargs={"person_pk": pk}),
        {"need_area": area("substance_use").pk, "priority": 1, "source": "staff"},
    )
    assert response.status_code == 302
    need = plan.needs.get()
    client.post(
        reverse("plans:goal_add", kwargs={"person_pk": pk, "need_pk": need.pk}),
        {"text": "Stay sober"},
    )
    goal = PlanGoal.objects.get(need=need)
    response = client.post(
        reverse("plans:step_add", kwargs={"person_pk": pk, "goal_pk": goal.pk}),
        {
            "text": "Attend the AA group weekly",
            "agency_type": __import__("plans_helpers").agency("ngo").pk,
            "deadline": (timezone.localdate() + timedelta(days=60)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert goal.steps.get().text == "Attend the AA group weekly"


def test_bad_input_names_the_field_and_writes_nothing() -> None:
    w = world()
    _plan, step = plan_with_step(w["person"], w["psychologist"])
    url = reverse("plans:step_status", kwargs={"person_pk": w["person"].pk, "step_pk": step.pk})
    response = _client(w["psychologist"]).post(url, {"status": "done"})
    assert response.status_code == 400
    assert "A step is done only with evidence" in response.content.decode()
    step.refresh_from_db()
    assert step.status == "planned"
    url = reverse("plans:evidence_add", kwargs={"person_pk": w["person"].pk, "step_pk": step.pk})
    response = _client(w["psychologist"]).post(
        url, {"kind": "certificate", "description": "", "dated": "not a date"}
    )
    assert response.status_code == 400
    assert 'id="id_description_error"' in response.content.decode()
    assert Evidence.objects.count() == 0


def _htmx_from(page: str) -> dict[str, str]:
    """The headers htmx sends for a request made from `page` (this test server's address)."""
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"}


def test_htmx_form_and_refreshed_plan_body() -> None:
    w = world()
    _plan, step = plan_with_step(w["person"], w["psychologist"])
    client = _client(w["psychologist"])
    url = reverse("plans:evidence_add", kwargs={"person_pk": w["person"].pk, "step_pk": step.pk})
    plan_page = reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk})
    partial = client.get(url, headers=_htmx_from(plan_page))
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'hx-post="' in partial.content.decode()
    done = client.post(
        url,
        {
            "kind": "attendance",
            "description": "10 of 10 sessions",
            "dated": timezone.localdate().isoformat(),
        },
        headers=_htmx_from(plan_page + "?tab=1#step-1"),
    )
    assert done.status_code == 200
    assert done["HX-Retarget"] == "#plan-body"
    assert done["HX-Reswap"] == "outerHTML"
    assert 'id="plan-body"' in done.content.decode()
    assert "10 of 10 sessions" in done.content.decode()


def test_htmx_submit_from_the_standalone_form_page_goes_to_the_plan() -> None:
    """The standalone page has no #plan-body: a successful htmx submit from it asks the browser
    to open the plan (HX-Redirect) instead of answering with a partial it cannot place."""
    w = world()
    _plan, step = plan_with_step(w["person"], w["psychologist"])
    client = _client(w["psychologist"])
    url = reverse("plans:evidence_add", kwargs={"person_pk": w["person"].pk, "step_pk": step.pk})
    page = client.get(url)
    assert 'id="plan-body"' not in page.content.decode()
    data = {"kind": "attendance", "description": "10 of 10 sessions"}
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused = client.post(url, {**data, "dated": tomorrow.isoformat()}, headers=_htmx_from(url))
    assert refused.status_code == 200  # htmx swaps only successful answers
    assert "HX-Retarget" not in refused
    assert "<html" not in refused.content.decode()
    assert "The date must not be in the future." in refused.content.decode()
    today = timezone.localdate().isoformat()
    done = client.post(url, {**data, "dated": today}, headers=_htmx_from(url))
    assert done.status_code == 200
    assert "HX-Retarget" not in done
    assert (
        done["HX-Redirect"]
        == reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk}) + f"#step-{step.pk}"
    )
    assert Evidence.objects.filter(step=step, description="10 of 10 sessions").count() == 1


def test_countersign_by_head_through_the_page() -> None:
    w = world()
    plan, _step = plan_with_step(w["person"], w["psychologist"])
    url = reverse("plans:countersign", kwargs={"person_pk": w["person"].pk})
    response = _client(w["head"]).post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert plan.versions.get().status == "countersigned"
    assert _client(w["psychologist"]).get(url).status_code == 403


def test_overdue_list_is_scoped_filtered_and_exported() -> None:
    w = world()
    _mine, _s = plan_with_step(w["person"], w["psychologist"])
    other_actor = __import__("factories").staff(w["psychologist"].role, w["b"])
    _theirs, _s2 = plan_with_step(w["other"], other_actor)
    Plan.objects.update(next_review_due=timezone.localdate() - timedelta(days=10))
    client = _client(w["head"])
    response = client.get(reverse("plans:overdue_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert w["person"].case_number in html
    assert w["other"].case_number not in html
    assert ">10<" in html
    search = AuditEvent.objects.get(verb="overdue plan reviews listed")
    assert search.details["result_count"] == 1
    csv = client.get(reverse("plans:overdue_list") + "?format=csv")
    body = b"".join(csv.streaming_content).decode()  # type: ignore[attr-defined]
    assert w["person"].case_number in body
    assert w["other"].case_number not in body
    assert AuditEvent.objects.get(verb="overdue plan reviews exported").details["row_count"] == 1
    xlsx = client.get(reverse("plans:overdue_list") + "?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    empty = client.get(reverse("plans:overdue_list") + "?name=Nobody")
    assert "No plan reviews are overdue" in empty.content.decode()


def test_print_in_kazakh_and_russian_in_plain_words() -> None:
    w = world()
    plan, _step = plan_with_step(w["person"], w["psychologist"])
    services.plan_agreement_record(
        plan=plan,
        answer="disagrees",
        persons_words="Мен жұмыс істегім келеді",
        dated=timezone.localdate(),
        actor=w["psychologist"],
    )
    client = _client(w["psychologist"])
    url = reverse("plans:plan_print", kwargs={"person_pk": w["person"].pk})
    kk = client.get(url + "?lang=kk").content.decode()
    assert 'lang="kk"' in kk
    assert "Сіздің жеке жоспарыңыз" in kk
    assert "Оқу және жұмыс" in kk  # the need area in plain words
    assert "Мұғалім" in kk  # who helps
    assert "Мен жұмыс істегім келеді" in kk
    ru = client.get(url + "?lang=ru").content.decode()
    assert "Ваш личный план" in ru
    assert "Учёба и работа" in ru
    assert "Вы не согласились с планом" in ru
    # without ?lang= the person's own language is used
    w["person"].language = "ru"
    w["person"].save()
    assert "Ваш личный план" in client.get(url).content.decode()
    printed = AuditEvent.objects.filter(verb="plan printed", person_id=w["person"].pk)
    assert printed.count() == 3


def test_pdf_starts_with_pdf_header_and_is_audited() -> None:
    w = world()
    plan_with_step(w["person"], w["psychologist"])
    response = _client(w["regime"]).get(
        reverse("plans:plan_pdf", kwargs={"person_pk": w["person"].pk}) + "?lang=kk"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(verb="plan printed")
    assert event.details == {"language": "kk", "format": "pdf"}


def test_pre_release_checklist_shown_in_the_last_six_months() -> None:
    w = world(days_left=90)
    plan_with_step(w["person"], w["psychologist"])
    html = (
        _client(w["psychologist"])
        .get(reverse("plans:plan_detail", kwargs={"person_pk": w["person"].pk}))
        .content.decode()
    )
    assert "Before release: checklist" in html
    assert "Identity documents" in html
    far = world(days_left=3 * 365)
    plan_with_step(far["person"], far["psychologist"])
    html = (
        _client(far["psychologist"])
        .get(reverse("plans:plan_detail", kwargs={"person_pk": far["person"].pk}))
        .content.decode()
    )
    assert "Before release: checklist" not in html
