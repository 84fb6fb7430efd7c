"""Plan pages: parse → scoped get-or-404 → form → one service → render or redirect.

Forms open inline with htmx (the plan page swaps in the form, then the refreshed plan) and work as
plain pages without JavaScript. Every route that shows a person writes one audit event naming them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Q
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from qadam.core.audit import audit_export, audit_search, audit_view
from qadam.core.exports import export_response
from qadam.core.form_pages import HtmxPartial, person_form_page
from qadam.core.http import AuthenticatedHttpRequest
from qadam.core.pagination import paginate, sort_key
from qadam.core.policies import require
from qadam.custody.models import Institution
from qadam.people.models import Person
from qadam.plans import forms, policies, schedule, services
from qadam.plans.models import Plan, PlanGoal, PlanNeed, PlanStep
from qadam.plans.overview import plan_overview
from qadam.plans.reference import print_texts

PRINT_LANGUAGES = ("kk", "ru", "en")
# The level an assessment gave a need area (PlanNeed.assessed_level: the levels that
# services.PRIORITY_BY_LEVEL accepts), in the words the assessment result uses.
ASSESSED_LEVEL_LABELS = {
    "very_high": gettext_lazy("very high need"),
    "high": gettext_lazy("high need"),
    "medium": gettext_lazy("some need"),
    "moderate": gettext_lazy("some need"),
    "low": gettext_lazy("low need"),
}
TITLE_TEXT_CHARS = 80


def _data(request: AuthenticatedHttpRequest) -> Any:
    """The submitted data on POST (even when empty), None on GET: an unbound form."""
    return request.POST if request.method == "POST" else None


def _person(request: AuthenticatedHttpRequest, person_pk: int) -> Person:
    person: Person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("current_institution"),
        pk=person_pk,
    )
    return person


def _plan(person: Person) -> Plan:
    plan: Plan = get_object_or_404(
        Plan.objects.select_related("organisation", "institution", "probation_office"),
        person=person,
    )
    plan.person = person
    return plan


def _detail_url(person: Person, anchor: str = "") -> str:
    return reverse("plans:plan_detail", kwargs={"person_pk": person.pk}) + anchor


def _short(text: str) -> str:
    """A goal's or step's text in a page title: whole words, with an ellipsis when cut."""
    return Truncator(text).chars(TITLE_TEXT_CHARS)


def review_rule_text(person: Person, today: date) -> str:
    """The review rule for this person in the reader's language. (`Plan.next_review_rule` says
    in English, for the audit trail, which part of the rule set the stored date.)"""
    end = services.end_of_sentence(person)
    months = schedule.review_interval_months(today=today, end_of_sentence=end)
    if end is None:
        return ngettext(
            "The plan is reviewed every %(months)s month (no end of sentence is known), and "
            "within %(days)s days after an admission, a transfer or a new assessment.",
            "The plan is reviewed every %(months)s months (no end of sentence is known), and "
            "within %(days)s days after an admission, a transfer or a new assessment.",
            months,
        ) % {"months": months, "days": schedule.EVENT_REVIEW_DAYS}
    return ngettext(
        "The sentence ends on %(date)s: the plan is reviewed every %(months)s month, and "
        "within %(days)s days after an admission, a transfer or a new assessment.",
        "The sentence ends on %(date)s: the plan is reviewed every %(months)s months, and "
        "within %(days)s days after an admission, a transfer or a new assessment.",
        months,
    ) % {
        "date": formats.date_format(end, "SHORT_DATE_FORMAT"),
        "months": months,
        "days": schedule.EVENT_REVIEW_DAYS,
    }


def _page_context(
    request: AuthenticatedHttpRequest, person: Person, plan: Plan | None
) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    return {
        "person": person,
        "plan": plan,
        "overview": plan_overview(plan, today) if plan is not None else None,
        "review_rule": review_rule_text(person, today) if plan is not None else "",
        "level_labels": ASSESSED_LEVEL_LABELS,
        "can_manage": policies.can_manage_plan(user),
        "can_countersign": policies.can_countersign(user),
    }


@login_required
def plan_detail(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    require(policies.can_view_plan(request.user))
    person = _person(request, person_pk)
    plan = (
        Plan.objects.select_related("organisation", "institution", "probation_office")
        .filter(person=person)
        .first()
    )
    if plan is not None:
        plan.person = person
    audit_view(actor=request.user, person_id=person.pk, verb="plan viewed")
    return render(request, "plans/plan_detail.html", _page_context(request, person, plan))


def _form_page(
    request: AuthenticatedHttpRequest,
    *,
    person: Person,
    form: django_forms.Form,
    title: str,
    action: Callable[[dict[str, Any]], Any],
    success: str,
    anchor: str = "",
    intro: str = "",
    verb: str,
) -> HttpResponse:
    """A plan form: inline on the plan page (htmx swaps the form, then the refreshed plan body)
    or as its own page (redirect to the plan after saving)."""
    back_url = _detail_url(person, anchor)
    # Inline, the form carries its own heading; on its own page the page's heading names it,
    # also when htmx swaps the form in place after bad input.
    current = request.htmx.current_url_abs_path if request.htmx else None
    inline = current is not None and urlsplit(current).path != request.path
    return person_form_page(
        request,
        person=person,
        form=form,
        action=action,
        template="plans/form_page.html",
        form_partial="plans/form_page.html#plan-form",
        context={
            "title": title,
            "intro": intro,
            "action_url": request.path,
            "back_url": back_url,
            "inline": inline,
        },
        success_message=success,
        redirect_to=back_url,
        audit_verb=verb,
        htmx_partial=HtmxPartial(
            template="plans/plan_detail.html#plan-body",
            target="#plan-body",
            page_url=_detail_url(person),
            context=lambda: _page_context(request, person, _plan(person)),
        ),
    )


def _managed(request: AuthenticatedHttpRequest, person_pk: int) -> tuple[Person, Plan]:
    require(policies.can_manage_plan(request.user))
    person = _person(request, person_pk)
    return person, _plan(person)


@login_required
def plan_start(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    require(policies.can_manage_plan(request.user))
    person = _person(request, person_pk)
    form = django_forms.Form(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Start a resocialisation plan"),
        intro=_(
            "One plan follows the person from custody to probation. Start it here; need areas, "
            "goals and steps are added next."
        ),
        action=lambda data: services.plan_start(person=person, actor=request.user),
        success=_("The plan was started."),
        verb="plan start form",
    )


@login_required
def need_add(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    form = forms.NeedForm(_data(request), plan=plan)
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Add a need area"),
        action=lambda d: services.plan_need_add(
            plan=plan,
            need_area=d["need_area"],
            priority=d["priority"],
            source=d["source"],
            rationale=d["rationale"],
            actor=request.user,
        ),
        success=_("The need area was added to the draft."),
        anchor="#needs",
        verb="plan need form",
    )


@login_required
def goal_add(request: AuthenticatedHttpRequest, person_pk: int, need_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    need = get_object_or_404(PlanNeed.objects.select_related("need_area"), pk=need_pk, plan=plan)
    need.plan = plan
    form = forms.GoalForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Add a goal: %(area)s") % {"area": need.need_area.name},
        action=lambda d: services.plan_goal_add(
            need=need, text=d["text"], plain_text=d["plain_text"], actor=request.user
        ),
        success=_("The goal was added to the draft."),
        anchor=f"#need-{need.pk}",
        verb="plan goal form",
    )


@login_required
def step_add(request: AuthenticatedHttpRequest, person_pk: int, goal_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    goal = get_object_or_404(PlanGoal.objects.select_related("need"), pk=goal_pk, need__plan=plan)
    goal.need.plan = plan
    form = forms.StepForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Add a step to the goal: %(goal)s") % {"goal": _short(goal.text)},
        action=lambda d: services.plan_step_add(
            goal=goal,
            text=d["text"],
            agency_type=d["agency_type"],
            responsible=d["responsible"],
            deadline=d["deadline"],
            actor=request.user,
        ),
        success=_("The step was added to the draft."),
        anchor=f"#goal-{goal.pk}",
        verb="plan step form",
    )


def _step(plan: Plan, step_pk: int) -> PlanStep:
    step: PlanStep = get_object_or_404(
        PlanStep.objects.select_related("goal__need"), pk=step_pk, goal__need__plan=plan
    )
    step.goal.need.plan = plan
    return step


@login_required
def step_status(request: AuthenticatedHttpRequest, person_pk: int, step_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    step = _step(plan, step_pk)
    form = forms.StepStatusForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Change the status of the step: %(step)s") % {"step": _short(step.text)},
        action=lambda d: services.plan_step_set_status(
            step=step, status=d["status"], reason=d["reason"], actor=request.user
        ),
        success=_("The status of the step was changed."),
        anchor=f"#step-{step.pk}",
        verb="plan step status form",
    )


@login_required
def evidence_add(request: AuthenticatedHttpRequest, person_pk: int, step_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    step = _step(plan, step_pk)
    form = forms.EvidenceForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Record evidence for the step: %(step)s") % {"step": _short(step.text)},
        action=lambda d: services.plan_evidence_add(
            step=step,
            kind=d["kind"],
            description=d["description"],
            reference=d["reference"],
            dated=d["dated"],
            mark_done=d["mark_done"],
            actor=request.user,
        ),
        success=_("The evidence was recorded."),
        anchor=f"#step-{step.pk}",
        verb="plan evidence form",
    )


@login_required
def agreement_record(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    form = forms.AgreementForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Record the person's agreement"),
        intro=_(
            "Read the plan with the person in a language they understand (print it in their "
            "language) and record their answer to the latest version."
        ),
        action=lambda d: services.plan_agreement_record(
            plan=plan,
            answer=d["answer"],
            persons_words=d["persons_words"],
            unable_reason=d["unable_reason"],
            dated=d["dated"],
            actor=request.user,
        ),
        success=_("The person's answer was recorded."),
        anchor="#agreement",
        verb="plan agreement form",
    )


@login_required
def review_record(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    form = forms.ReviewForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Record a review of the plan"),
        action=lambda d: services.plan_review_record(
            plan=plan,
            reviewed_on=d["reviewed_on"],
            outcome=d["outcome"],
            notes=d["notes"],
            next_review_due=d["next_review_due"],
            actor=request.user,
        ),
        success=_("The review was recorded."),
        anchor="#reviews",
        verb="plan review form",
    )


@login_required
def countersign(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    require(policies.can_countersign(request.user))
    person = _person(request, person_pk)
    plan = _plan(person)
    form = forms.CountersignForm(_data(request))
    version = services.latest_version(plan)
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Countersign version %(number)s of the plan") % {"number": version.number},
        intro=_(
            "The countersignature confirms the plan as a supervisor. It must come from someone "
            "who did not write this version."
        ),
        action=lambda d: services.plan_countersign(plan=plan, actor=request.user),
        success=_("The version was countersigned."),
        anchor="#versions",
        verb="plan countersign form",
    )


@login_required
def hand_over(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    form = forms.HandoverForm(_data(request))
    return _form_page(
        request,
        person=person,
        form=form,
        title=_("Hand the plan over"),
        intro=_(
            "The same plan continues with the receiving organisation (for example the probation "
            "service after release): nothing is re-keyed and the hand-over is recorded."
        ),
        action=lambda d: services.plan_hand_over(
            plan=plan,
            to_organisation=d["to_organisation"],
            to_stage=d["to_stage"],
            probation_office=d["probation_office"],
            reason=d["reason"],
            actor=request.user,
        ),
        success=_("The plan was handed over."),
        verb="plan hand-over form",
    )


@login_required
@require_POST
def pre_release_add(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person, plan = _managed(request, person_pk)
    audit_view(actor=request.user, person_id=person.pk, verb="plan pre-release items")
    added = services.plan_pre_release_items_add(plan=plan, actor=request.user)
    if added:
        messages.success(request, _("The pre-release items were added to the draft."))
    else:
        messages.info(request, _("All pre-release items are already in the plan."))
    return HttpResponseRedirect(_detail_url(person, "#checklist"))


def _print_language(request: AuthenticatedHttpRequest, person: Person) -> str:
    requested = request.GET.get("lang", "")
    return requested if requested in PRINT_LANGUAGES else (person.language or "kk")


def _print_context(
    request: AuthenticatedHttpRequest, person_pk: int
) -> tuple[Person, dict[str, Any]]:
    require(policies.can_view_plan(request.user))
    person = _person(request, person_pk)
    plan = Plan.objects.select_related("organisation").filter(person=person).first()
    language = _print_language(request, person)
    texts = {key: value[language] for key, value in print_texts().items()}
    context: dict[str, Any] = {"person": person, "plan": plan, "t": texts, "lang": language}
    if plan is not None:
        plan.person = person
        overview = plan_overview(plan, timezone.localdate())
        context["overview"] = overview
        context["stage_text"] = texts[f"stage_{plan.stage}"]
        context["areas"] = [
            {
                "name": view.need.need_area.plain(language),
                "goals": [
                    {
                        "text": g.goal.plain_text or g.goal.text,
                        "steps": [
                            {
                                "text": s.step.text,
                                "who": s.step.agency_type.name_in(language)
                                + (f" — {s.step.responsible}" if s.step.responsible else ""),
                                "deadline": s.step.deadline,
                                "state": texts[f"status_{s.state}"],
                            }
                            for s in g.steps
                        ],
                    }
                    for g in view.goals
                ],
                # An area with no steps yet prints no "0 of 0 done".
                "progress": texts["progress_of"].format(
                    done=view.progress.completed, total=view.progress.steps
                )
                if view.progress.steps
                else "",
            }
            for view in overview.needs
        ]
        context["checklist"] = [
            {"name": item.area.plain(language), "ready": item.state == "ready"}
            for item in overview.checklist
        ]
    return person, context


@login_required
def plan_print(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person, context = _print_context(request, person_pk)
    audit_view(
        actor=request.user,
        person_id=person.pk,
        verb="plan printed",
        details={"language": context["lang"], "format": "html"},
    )
    with translation.override(context["lang"]):
        return render(request, "plans/plan_print.html", {**context, "for_pdf": False})


@login_required
def plan_pdf(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    from weasyprint import HTML

    person, context = _print_context(request, person_pk)
    audit_view(
        actor=request.user,
        person_id=person.pk,
        verb="plan printed",
        details={"language": context["lang"], "format": "pdf"},
    )
    with translation.override(context["lang"]):
        html = render_to_string("plans/plan_print.html", {**context, "for_pdf": True}, request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="plan-{person.case_number}-{context["lang"]}.pdf"'
    )
    return response


OVERDUE_SORTS = {
    "due": "next_review_due",
    "name": "person__surname",
    "institution": "person__last_institution__code",
    "last_review": "last_review",
}


@login_required
def overdue_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require(policies.can_view_plan(request.user))
    user = request.user
    today = timezone.localdate()
    institutions = Institution.objects.visible_to(user).order_by("code")
    form = forms.OverdueFilterForm(request.GET or None, institutions=institutions)
    plans = (
        Plan.objects.visible_to(user)
        .review_overdue(today)
        .select_related("person", "person__last_institution", "organisation")
        .annotate(last_review=Max("reviews__reviewed_on"))
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["institution"]:
            plans = plans.filter(person__last_institution=data["institution"])
        if data["stage"]:
            plans = plans.filter(stage=data["stage"])
        if data["name"]:
            term = data["name"].strip()
            plans = plans.filter(
                Q(person__surname__icontains=term)
                | Q(person__surname_latin__icontains=term)
                | Q(person__case_number__iexact=term)
            )
    sort, order = sort_key(request, OVERDUE_SORTS, "due")
    plans = plans.order_by(order, "pk")
    filters = {k: v for k, v in request.GET.items() if k not in {"page", "format"} and v}
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        require(policies.can_export(user))
        rows = [
            (
                p.person.case_number,
                p.person.full_name,
                p.person.last_institution.code if p.person.last_institution else "",
                p.get_stage_display(),
                p.next_review_due,
                (today - p.next_review_due).days if p.next_review_due else "",
                p.last_review,
            )
            for p in plans[:100_000]
        ]
        audit_export(
            actor=user, verb="overdue plan reviews exported", filters=filters, row_count=len(rows)
        )
        return export_response(
            filename="overdue-plan-reviews",
            fmt=fmt,
            header=[
                _("Case number"),
                _("Name"),
                _("Institution"),
                _("Stage"),
                _("Review was due"),
                _("Days overdue"),
                _("Last review"),
            ],
            rows=rows,
        )
    context = paginate(request, plans)
    audit_search(
        actor=user,
        verb="overdue plan reviews listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    for plan in context["object_list"]:
        plan.days_overdue = (today - plan.next_review_due).days
    return render(
        request,
        "plans/overdue_list.html",
        {"form": form, "sort": sort, "can_export": policies.can_export(user), **context},
    )
