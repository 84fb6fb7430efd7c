"""Sentence pages: parse → scoped get-or-404 → form → one service → render or redirect.

The entry form recalculates live (htmx posts the form to `preview` on every change and swaps in
the dates panel, saving nothing); without JavaScript the form is simply submitted. Every route
that shows a person writes one audit event naming them; lists write a search event; exports an
export event.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qadam.core.audit import audit_export, audit_search, audit_view
from qadam.core.errors import ServiceError
from qadam.core.exports import export_response
from qadam.core.form_pages import apply_service_errors, person_form_page
from qadam.core.http import AuthenticatedHttpRequest
from qadam.core.models import Region
from qadam.core.pagination import paginate, sort_key
from qadam.core.policies import require
from qadam.custody.models import Institution
from qadam.people.models import Person
from qadam.sentences import display, forms, policies, services, worklists
from qadam.sentences.models import (
    Adjustment,
    CalculationField,
    Count,
    DateOverride,
    RecalculationChange,
    RecalculationRun,
    SentenceCalculation,
    Verdict,
)

PRINT_LANGUAGES = ("kk", "ru", "en")


def _person(request: AuthenticatedHttpRequest, person_pk: int) -> Person:
    require(policies.can_view_sentence(request.user))
    person: Person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("current_institution"),
        pk=person_pk,
    )
    return person


def _sentence_context(person: Person) -> dict[str, Any]:
    verdict = (
        Verdict.objects.filter(person=person)
        .select_related("institution_type", "recorded_by")
        .order_by("-verdict_date", "-id")
        .first()
    )
    calculation = SentenceCalculation.objects.filter(person=person).first()
    overrides = list(
        DateOverride.objects.filter(person=person)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at")
    )
    counts: list[Count] = []
    adjustments: list[Adjustment] = []
    if verdict is not None:
        counts = list(verdict.counts.select_related("offence"))
        adjustments = list(verdict.adjustments.select_related("new_institution_type"))
    result = calculation.result if calculation else {}
    if calculation is None and verdict is not None:
        # A sentence served before the stored dates were kept: computed now, not stored.
        from qadam.sentences import adapters, recalculation

        batch = recalculation.compute_batch(
            [person.pk], [verdict.pk], adapters.active_rules(), timezone.localdate()
        )
        if batch.rows:
            result = batch.rows[0].result
    return {
        "person": person,
        "verdict": verdict,
        "counts": counts,
        "adjustments": adjustments,
        "calculation": calculation,
        "dates": display.date_views(
            result,
            calculation=calculation,
            overrides=[o for o in overrides if o.status in ("approved", "requested")],
        ),
        "inputs": display.inputs_view(result),
        "issues": display.issues_view(result),
        "overrides": overrides,
        "earlier_verdicts": Verdict.objects.filter(person=person).count() - (1 if verdict else 0),
    }


@login_required
def sentence_detail(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """The sentence timeline: each date with its rule, article, version and arithmetic."""
    person = _person(request, person_pk)
    context = _sentence_context(person)
    audit_view(actor=request.user, person_id=person.pk, verb="sentence viewed")
    context.update(
        {
            "can_manage": policies.can_manage_sentence(request.user),
            "can_approve": policies.can_approve_override(request.user),
            "languages": PRINT_LANGUAGES,
        }
    )
    return render(request, "sentences/sentence_detail.html", context)


def _entry_forms(
    request: AuthenticatedHttpRequest,
) -> tuple[forms.VerdictForm, Any, Any]:
    data = request.POST if request.method == "POST" else None
    return (
        forms.VerdictForm(data),
        forms.CountFormSet(data, prefix="count"),
        forms.PeriodFormSet(data, prefix="detention"),
    )


def _entry_inputs(
    verdict_form: forms.VerdictForm, counts: Any, periods: Any
) -> tuple[services.VerdictInput, list[services.CountInput], list[services.PeriodInput]] | None:
    if not (verdict_form.is_valid() and counts.is_valid() and periods.is_valid()):
        return None
    count_inputs = [c for c in (f.count_input() for f in counts.forms) if c is not None]
    period_inputs = [p for p in (f.period_input() for f in periods.forms) if p is not None]
    return verdict_form.verdict_input(), count_inputs, period_inputs


@login_required
def sentence_enter(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """Enter a verdict with its counts and pre-trial detention."""
    person = _person(request, person_pk)
    require(policies.can_manage_sentence(request.user))
    audit_view(actor=request.user, person_id=person.pk, verb="sentence entry form")
    verdict_form, counts, periods = _entry_forms(request)
    status = 200
    preview: dict[str, Any] = {}
    if request.method == "POST":
        inputs = _entry_inputs(verdict_form, counts, periods)
        if inputs is not None:
            verdict_input, count_inputs, period_inputs = inputs
            try:
                services.sentence_enter(
                    actor=request.user,
                    person=person,
                    verdict=verdict_input,
                    counts=count_inputs,
                    detention=period_inputs,
                )
            except ServiceError as error:
                apply_service_errors(error, verdict_form, [*counts.forms, *periods.forms])
            else:
                messages.success(request, _("The verdict was recorded and the dates calculated."))
                return HttpResponseRedirect(
                    reverse("sentences:detail", kwargs={"person_pk": person.pk})
                )
        status = 400
        preview = _preview_context(person, verdict_form, counts, periods, validate=False)
    return render(
        request,
        "sentences/sentence_form.html",
        {
            "person": person,
            "form": verdict_form,
            "counts": counts,
            "periods": periods,
            **preview,
        },
        status=status,
    )


def _preview_context(
    person: Person,
    verdict_form: forms.VerdictForm,
    counts: Any,
    periods: Any,
    *,
    validate: bool = True,
) -> dict[str, Any]:
    inputs = _entry_inputs(verdict_form, counts, periods) if validate else None
    if validate and inputs is None:
        return {"preview_missing": True}
    if inputs is None:
        if not (verdict_form.is_valid() and counts.is_valid() and periods.is_valid()):
            return {"preview_missing": True}
        inputs = _entry_inputs(verdict_form, counts, periods)
        assert inputs is not None
    verdict_input, count_inputs, period_inputs = inputs
    if not count_inputs:
        return {"preview_missing": True}
    errors = services.check_verdict(verdict_input, timezone.localdate())
    errors.update(services.check_counts(count_inputs))
    if errors:
        return {"preview_issues": [m for ms in errors.values() for m in ms]}
    calc = services.sentence_preview(
        person=person, verdict=verdict_input, counts=count_inputs, detention=period_inputs
    )
    from qadam.sentences import adapters

    result = adapters.calculation_json(calc)
    return {
        "preview_dates": display.date_views(result),
        "preview_inputs": display.inputs_view(result),
        "preview_issues": display.issues_view(result),
    }


@login_required
@require_POST
def sentence_preview(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """The dates panel for the form as it stands, computed without saving (htmx partial)."""
    person = _person(request, person_pk)
    require(policies.can_manage_sentence(request.user))
    audit_view(actor=request.user, person_id=person.pk, verb="sentence recalculated live")
    verdict_form, counts, periods = _entry_forms(request)
    context = {"person": person, **_preview_context(person, verdict_form, counts, periods)}
    return render(request, "sentences/sentence_form.html#dates-panel", context)


def _simple_form(
    request: AuthenticatedHttpRequest,
    *,
    person: Person,
    form: django_forms.Form,
    title: str,
    action: Any,
    success: str,
    verb: str,
    intro: str = "",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    return person_form_page(
        request,
        person=person,
        form=form,
        action=action,
        template="sentences/simple_form.html",
        context={"title": title, "intro": intro, **(extra or {})},
        success_message=success,
        redirect_to=reverse("sentences:detail", kwargs={"person_pk": person.pk}),
        audit_verb=verb,
    )


def _current_verdict(person: Person) -> Verdict:
    verdict: Verdict = get_object_or_404(
        Verdict.objects.filter(person=person).order_by("-verdict_date", "-id")[:1]
    )
    return verdict


@login_required
def adjustment_add(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person = _person(request, person_pk)
    require(policies.can_manage_sentence(request.user))
    verdict = _current_verdict(person)
    form = forms.AdjustmentForm(request.POST or None)
    return _simple_form(
        request,
        person=person,
        form=form,
        title=_("Record an adjustment"),
        intro=_(
            "Each adjustment is dated and names its source document; the dates are recalculated "
            "when it is saved."
        ),
        action=lambda d: services.adjustment_add(
            actor=request.user, verdict=verdict, data=form.adjustment_input()
        ),
        success=_("The adjustment was recorded and the dates recalculated."),
        verb="sentence adjustment form",
    )


@login_required
def verdict_in_force(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person = _person(request, person_pk)
    require(policies.can_manage_sentence(request.user))
    verdict = _current_verdict(person)
    form = forms.InForceForm(request.POST or None)
    return _simple_form(
        request,
        person=person,
        form=form,
        title=_("The verdict entered into force"),
        intro=_(
            "From this day the verdict is the legal basis of detention, lawful until the end of "
            "sentence; a person on remand becomes sentenced."
        ),
        action=lambda d: services.verdict_enter_into_force(
            actor=request.user, verdict=verdict, entered_into_force=d["entered_into_force"]
        ),
        success=_("The verdict is in force."),
        verb="verdict in force form",
    )


@login_required
def override_request(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    person = _person(request, person_pk)
    require(policies.can_manage_sentence(request.user))
    form = forms.OverrideRequestForm(request.POST or None, initial=request.GET or None)
    return _simple_form(
        request,
        person=person,
        form=form,
        title=_("Request a date set by hand"),
        intro=_(
            "The date set by hand replaces the computed one only after a second member of staff "
            "approves it; both stay visible."
        ),
        action=lambda d: services.override_request(
            actor=request.user,
            person=person,
            field=d["field"],
            new_date=d["new_date"],
            reason=d["reason"],
        ),
        success=_("The override was requested; it takes effect once approved."),
        verb="date override form",
    )


@login_required
def override_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_approve_override(request.user))
    override: DateOverride = get_object_or_404(
        DateOverride.objects.visible_to(request.user).select_related("person", "requested_by"),
        pk=pk,
    )
    person = override.person
    form = forms.OverrideDecisionForm(request.POST or None)
    return _simple_form(
        request,
        person=person,
        form=form,
        title=_("Decide on a date set by hand"),
        action=lambda d: services.override_decide(
            actor=request.user,
            override=override,
            approve=d["decision"] == "approve",
            note=d.get("note") or "",
        ),
        success=_("The decision was recorded."),
        verb="date override decision form",
        extra={"override": override},
    )


@login_required
def override_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Overrides awaiting a second person's approval, in scope."""
    require(
        policies.can_approve_override(request.user) or policies.can_manage_sentence(request.user)
    )
    rows = (
        DateOverride.objects.visible_to(request.user)
        .filter(status=DateOverride.Status.REQUESTED)
        .select_related("person", "requested_by")
        .order_by("requested_at", "pk")
    )
    context = paginate(request, rows)
    audit_search(
        actor=request.user,
        verb="date overrides listed",
        filters={"status": "requested"},
        result_count=context["page_obj"].paginator.count,
    )
    return render(
        request,
        "sentences/override_list.html",
        {**context, "can_approve": policies.can_approve_override(request.user)},
    )


# --- The calculation sheet --------------------------------------------------------------------------


def _sheet_context(
    request: AuthenticatedHttpRequest, person_pk: int
) -> tuple[Person, str, dict[str, Any]]:
    person = _person(request, person_pk)
    lang = request.GET.get("lang") or person.language or "kk"
    if lang not in PRINT_LANGUAGES:
        lang = "kk"
    return person, lang, {"lang": lang, "today": timezone.localdate()}


@login_required
def sheet(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """The calculation sheet for the person, in plain words, in kk, ru or en (print view)."""
    person, lang, extra = _sheet_context(request, person_pk)
    audit_view(
        actor=request.user,
        person_id=person.pk,
        verb="sentence sheet printed",
        details={"language": lang, "format": "html"},
    )
    with translation.override(lang):
        context = {**_sentence_context(person), **extra, "for_pdf": False}
        return render(request, "sentences/sheet.html", context)


@login_required
def sheet_pdf(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    from weasyprint import HTML

    person, lang, extra = _sheet_context(request, person_pk)
    audit_view(
        actor=request.user,
        person_id=person.pk,
        verb="sentence sheet printed",
        details={"language": lang, "format": "pdf"},
    )
    with translation.override(lang):
        context = {**_sentence_context(person), **extra, "for_pdf": True}
        html = render_to_string("sentences/sheet.html", context, request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sentence-{person.case_number}-{lang}.pdf"'
    return response


# --- Worklists ------------------------------------------------------------------------------------------

WORKLIST_SORTS = {
    "date": "",  # the list's own date column
    "name": "person__surname",
    "institution": "person__current_institution__code",
    "end": "end_of_sentence",
}


def _worklist_scope(
    request: AuthenticatedHttpRequest,
) -> tuple[forms.WorklistFilterForm, QuerySet[Institution], dict[str, Any]]:
    user = request.user
    institutions = (
        Institution.objects.visible_to(user).filter(type__is_pretrial=False).order_by("code")
    )
    regions = Region.objects.filter(pk__in=institutions.values("region")).order_by("code")
    form = forms.WorklistFilterForm(request.GET or None, institutions=institutions, regions=regions)
    filters: dict[str, Any] = {}
    chosen = institutions
    if form.is_valid():
        if form.cleaned_data["institution"]:
            chosen = institutions.filter(pk=form.cleaned_data["institution"].pk)
            filters["institution"] = form.cleaned_data["institution"].code
        if form.cleaned_data["region"]:
            chosen = chosen.filter(region=form.cleaned_data["region"])
            filters["region"] = form.cleaned_data["region"].code
        if form.cleaned_data["name"]:
            filters["name"] = form.cleaned_data["name"].strip()
    return form, chosen, filters


def _worklist_queryset(
    request: AuthenticatedHttpRequest,
    kind: str,
    chosen: QuerySet[Institution],
    filters: dict[str, Any],
) -> QuerySet[SentenceCalculation]:
    """The list as two indexed reads: the persons held in the chosen institutions (by the
    person's current institution), then their stored dates (by person, then date)."""
    today = timezone.localdate()
    qs = SentenceCalculation.objects.visible_to(request.user).worklist(kind, today)
    if "institution" in filters or "region" in filters or not request.user.is_national:
        held = list(
            Person.objects.filter(
                current_institution__in=list(chosen.values_list("pk", flat=True)),
                merged_into__isnull=True,
            ).values_list("pk", flat=True)
        )
        qs = qs.filter(person_id__in=held)
    if "name" in filters:
        term = filters["name"]
        qs = qs.filter(
            Q(person__surname__istartswith=term)
            | Q(person__surname_latin__istartswith=term)
            | Q(person__case_number__iexact=term)
        )
    return qs


@login_required
def worklist_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The worklists with how many persons each holds, for the chosen institution or region."""
    require(policies.can_view_sentence(request.user))
    form, chosen, filters = _worklist_scope(request)
    lists = []
    for kind, worklist in worklists.LISTS.items():
        count = _worklist_queryset(request, kind, chosen, filters).count()
        lists.append((worklist, count))
    audit_search(
        actor=request.user,
        verb="sentence worklists counted",
        filters=filters,
        result_count=sum(c for _w, c in lists),
    )
    query = request.GET.urlencode()
    return render(
        request,
        "sentences/worklist_index.html",
        {"form": form, "lists": lists, "query": query},
    )


@login_required
def worklist(request: AuthenticatedHttpRequest, kind: str) -> HttpResponseBase:
    require(policies.can_view_sentence(request.user))
    if kind not in worklists.LISTS:
        from django.http import Http404

        raise Http404
    definition = worklists.LISTS[kind]
    today = timezone.localdate()
    form, chosen, filters = _worklist_scope(request)
    sorts = {**WORKLIST_SORTS, "date": definition.date_column}
    sort, order = sort_key(request, sorts, "date")
    qs = worklists.rows(_worklist_queryset(request, kind, chosen, filters), kind).order_by(
        order, "pk"
    )
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        require(policies.can_export(request.user))
        rows = worklists.export_rows(qs, kind, today)
        audit_export(
            actor=request.user,
            verb=f"worklist {kind} exported",
            filters={**filters, "format": fmt},
            row_count=len(rows),
        )
        return export_response(
            filename=f"worklist-{kind}-{today.isoformat()}",
            fmt=fmt,
            header=[
                _("Case number"),
                _("Name"),
                _("Institution"),
                _("Region"),
                str(definition.date_label),
                _("End of sentence"),
                _("Note"),
            ],
            rows=rows,
        )
    context = paginate(request, qs)
    audit_search(
        actor=request.user,
        verb=f"worklist {kind} listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    entries = [
        (row, getattr(row, definition.date_column), worklists.note(row, kind, today))
        for row in context["object_list"]
    ]
    return render(
        request,
        "sentences/worklist.html",
        {
            **context,
            "form": form,
            "worklist": definition,
            "entries": entries,
            "sort": sort,
            "today": today,
            "can_export": policies.can_export(request.user),
        },
    )


# --- Legislation: recalculation diff and activation -------------------------------------------------


@login_required
def recalculation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policies.can_activate_legislation(request.user))
    form = forms.RecalculationStartForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.legislation_diff_start(
                    actor=request.user, rules_dir=form.cleaned_data["rules_dir"] or None
                )
            except ServiceError as error:
                apply_service_errors(error, form)
            else:
                from django.db import transaction

                from qadam.sentences import tasks

                transaction.on_commit(lambda: tasks.recalculation_diff.enqueue(run.pk))
                messages.success(
                    request, _("The recalculation started; its progress is shown below.")
                )
                return HttpResponseRedirect(
                    reverse("sentences:recalculation_detail", kwargs={"pk": run.pk})
                )
        status = 400
    from qadam.sentences import adapters
    from qadam.sentences.models import LegislationVersion

    runs = RecalculationRun.objects.select_related("created_by", "activated_by")
    context = paginate(request, runs)
    active = adapters.active_rules()
    return render(
        request,
        "sentences/recalculation_list.html",
        {
            **context,
            "form": form,
            "active": active,
            "activated": LegislationVersion.objects.select_related("activated_by").first(),
            "stored_versions": list(
                SentenceCalculation.objects.values_list("ruleset_version", flat=True)
                .order_by("ruleset_version")
                .distinct()
            ),
        },
        status=status,
    )


@login_required
def recalculation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The diff: how many dates change, by how much, for whom; progress while it runs."""
    require(policies.can_activate_legislation(request.user))
    run: RecalculationRun = get_object_or_404(RecalculationRun, pk=pk)
    form = forms.ChangeFilterForm(request.GET or None)
    changes = RecalculationChange.objects.filter(run=run).select_related("person")
    filters: dict[str, Any] = {"run": run.pk}
    if form.is_valid():
        if form.cleaned_data["field"]:
            changes = changes.filter(field=form.cleaned_data["field"])
            filters["field"] = form.cleaned_data["field"]
        if form.cleaned_data["direction"] == "earlier":
            changes = changes.filter(delta_days__lt=0)
            filters["direction"] = "earlier"
        elif form.cleaned_data["direction"] == "later":
            changes = changes.filter(delta_days__gt=0)
            filters["direction"] = "later"
    sort, order = sort_key(
        request, {"delta": "delta_days", "name": "person__surname", "field": "field"}, "delta"
    )
    changes = changes.order_by(order, "pk")
    labels = dict(CalculationField.choices)
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        rows = [
            (
                c.person.case_number,
                c.person.full_name,
                str(labels.get(c.field, c.field)),
                c.old_date,
                c.new_date,
                c.delta_days,
            )
            for c in changes[:500_000]
        ]
        audit_export(
            actor=request.user,
            verb="recalculation diff exported",
            filters=filters,
            row_count=len(rows),
        )
        return export_response(
            filename=f"recalculation-{run.pk}",
            fmt=fmt,
            header=[_("Case number"), _("Name"), _("Date"), _("Now"), _("New"), _("Days")],
            rows=rows,
        )
    context = paginate(request, changes)
    audit_search(
        actor=request.user,
        verb="recalculation diff listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    summary = [
        (str(labels.get(field, field)), values)
        for field, values in (run.summary or {}).items()
        if values.get("changed")
    ]
    template = (
        "sentences/recalculation_detail.html#progress"
        if request.htmx and request.GET.get("part") == "progress"
        else "sentences/recalculation_detail.html"
    )
    return render(
        request,
        template,
        {
            **context,
            "run": run,
            "form": form,
            "sort": sort,
            "summary": summary,
            "labels": labels,
            "running": run.status
            in (RecalculationRun.Status.RUNNING, RecalculationRun.Status.ACTIVATING),
        },
    )


@login_required
@require_POST
def recalculation_activate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_activate_legislation(request.user))
    run: RecalculationRun = get_object_or_404(RecalculationRun, pk=pk)
    if run.status != RecalculationRun.Status.READY:
        messages.error(request, _("Only a recalculation whose diff is ready can be activated."))
        return HttpResponseRedirect(
            reverse("sentences:recalculation_detail", kwargs={"pk": run.pk})
        )
    from qadam.sentences import tasks

    tasks.recalculation_activate.enqueue(run.pk, request.user.pk)
    messages.success(request, _("Activation started: everyone's dates are being written."))
    return HttpResponseRedirect(reverse("sentences:recalculation_detail", kwargs={"pk": run.pk}))


# --- Person page section ---------------------------------------------------------------------------


def section_context(request: AuthenticatedHttpRequest, record: Any) -> dict[str, Any] | None:
    """One query: the stored dates and reasons; None (no section) without a sentence."""
    calculation = (
        SentenceCalculation.objects.filter(person_id=record.person.pk)
        .only(
            "id", "ok", "result", "overridden", "end_of_sentence", "parole_date", "ruleset_version"
        )
        .first()
    )
    if calculation is None:
        if policies.can_manage_sentence(request.user):
            return {"section_calculation": None, "section_person_pk": record.person.pk}
        return None
    dates = display.date_views(calculation.result)
    for view in dates:
        if view.key in calculation.overridden:
            from qadam.sentences.models import DATE_COLUMNS

            column = DATE_COLUMNS.get(view.key)
            if column:
                view.date = getattr(calculation, column, view.date)
    return {
        "section_calculation": calculation,
        "section_dates": [d for d in dates if d.key != "mandatory"],
        "section_issues": display.issues_view(calculation.result),
        "section_person_pk": record.person.pk,
    }


def section_subject_access(record: Any) -> Any:
    calculation = SentenceCalculation.objects.filter(person_id=record.person.pk).first()
    verdicts = [
        {
            "court": v.court,
            "case_number": v.case_number,
            "verdict_date": v.verdict_date.isoformat(),
            "entered_into_force": v.entered_into_force.isoformat()
            if v.entered_into_force
            else None,
            "institution_type": v.institution_type.code,
            "start_date": v.start_date.isoformat(),
            "counts": [
                {
                    "article": c.offence.citation,
                    "gravity": c.gravity,
                    "term": [c.term_years, c.term_months, c.term_days, c.life],
                    "offence_date": c.offence_date.isoformat(),
                }
                for c in v.counts.select_related("offence")
            ],
            "adjustments": [
                {"kind": a.kind, "date": a.date.isoformat(), "source": a.source}
                for a in v.adjustments.all()
            ],
        }
        for v in Verdict.objects.filter(person_id=record.person.pk).select_related(
            "institution_type"
        )
    ]
    if not verdicts:
        return None
    return {
        "verdicts": verdicts,
        "calculation": calculation.result if calculation else None,
        "ruleset_version": calculation.ruleset_version if calculation else None,
    }
