"""Assessment pages: parse → scoped get-or-404 → form → one service → render or redirect.

Every route that shows a person writes one audit event naming them; lists write a search event
with their filters and result count; exports an export event. Bad input is shown on the fields
that need fixing (HTTP 400 without htmx), never as a server error.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qadam.assessment import charts, forms, policies, services
from qadam.assessment.models import Assessment, BandOverride, Instrument, Reassessment
from qadam.assessment.texts import (
    LAYER_LABELS,
    NEED_AREA_LABELS,
    NEED_LEVEL_LABELS,
    band_text,
    explanation,
    item_text,
    option_text,
)
from qadam.core.audit import audit_export, audit_search, audit_view
from qadam.core.errors import ServiceError
from qadam.core.exports import export_response
from qadam.core.form_pages import apply_service_errors, person_form_page
from qadam.core.http import AuthenticatedHttpRequest
from qadam.core.pagination import paginate, sort_key
from qadam.core.policies import has_capability, require
from qadam.custody.models import Institution
from qadam.people.models import Person

DUE_WINDOW_DAYS = 30
EXPORT_LIMIT = 100_000


def _data(request: AuthenticatedHttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _person(request: AuthenticatedHttpRequest, person_pk: int) -> Person:
    person: Person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related(
            "current_institution", "last_institution"
        ),
        pk=person_pk,
    )
    return person


def _assessment(request: AuthenticatedHttpRequest, pk: int) -> Assessment:
    assessment: Assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related(
            "person", "instrument", "assessor", "institution"
        ),
        pk=pk,
    )
    return assessment


def _percent(value: float | None) -> str:
    return "—" if value is None else number_format(round(100 * value, 1)) + " %"


def _filters(request: AuthenticatedHttpRequest) -> dict[str, str]:
    return {k: str(v) for k, v in request.GET.items() if k not in {"page", "format"} and v}


# --- Person's assessments ------------------------------------------------------------------------


@login_required
def person_assessments(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """The person's history of assessments with the change over time (chart and table)."""
    require(policies.can_view_assessment(request.user))
    person = _person(request, person_pk)
    assessments = list(
        Assessment.objects.filter(person=person)
        .select_related("instrument", "assessor")
        .order_by("assessed_on", "pk")
    )
    history = services.history_points(assessments)
    for row in history:
        row["band_text"] = band_text(row["assessment"].instrument.engine, row["band"])
        # Signed as in the charts: "+2", "−3" (a true minus sign), "0".
        row["change_text"] = "—" if row["change"] is None else charts.signed_points(row["change"])
    schedule = Reassessment.objects.filter(person=person).first()
    audit_view(actor=request.user, person_id=person.pk, verb="assessment history viewed")
    chart = None
    if history:
        chart = charts.history_chart(
            [charts.Point(r["date"], r["points"], r["band_text"]) for r in history],
            title=_("Points at each assessment"),
            description=_(
                "Total points at each assessment, oldest first; the table beside it gives the same figures."
            ),
        )
    return render(
        request,
        "assessment/person_assessments.html",
        {
            "person": person,
            "history": list(reversed(history)),
            "chart": chart,
            "schedule": schedule,
            "today": timezone.localdate(),
            "can_assess": policies.can_assess(request.user),
        },
    )


def _assessment_form(
    request: AuthenticatedHttpRequest, person: Person, instrument: Instrument
) -> forms.AssessmentForm:
    latest = Assessment.objects.filter(person=person).order_by("-assessed_on", "-pk").first()
    schedule = Reassessment.objects.filter(person=person).first()
    form = forms.AssessmentForm(
        _data(request),
        instrument=instrument.engine,
        person=person,
        previous_answers=dict(latest.answers) if latest is not None else None,
        kind=schedule.suggested_kind if schedule is not None else "admission",
    )
    return form


def _instrument_or_404() -> Instrument:
    instrument = services.instrument_in_force()
    if instrument is None:
        from django.http import Http404

        raise Http404(_("No assessment instrument is in force today."))
    return instrument


def _assess_context(
    person: Person, instrument: Instrument, form: forms.AssessmentForm
) -> dict[str, Any]:
    return {
        "instrument": instrument,
        "layers": form.layers(),
        "preview": _preview_stored(form, instrument),
        "preview_url": reverse("assessment:preview", kwargs={"person_pk": person.pk}),
    }


def _preview_stored(form: forms.AssessmentForm, instrument: Instrument) -> dict[str, Any]:
    engine = instrument.engine
    answered = form.raw_answers()
    known = {
        code: option
        for code, value in answered.items()
        if (item := engine.item(code)) is not None and (option := item.option(value)) is not None
    }
    preview: dict[str, Any] = {
        "answered": len(known),
        "items": len(engine.items),
        "points": number_format(sum(o.points for o in known.values())),
        "complete": len(known) == len(engine.items),
    }
    if preview["complete"]:
        scored = services.score(instrument, answered)
        preview.update(
            points=number_format(scored.total_points),
            band=band_text(engine, scored.band),
            year1=_percent(scored.probabilities.get("year1")),
            year2=_percent(scored.probabilities.get("year2")),
        )
    return preview


@login_required
def assess(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """The assessment form: items by layer, radio buttons, live score preview (htmx or the
    "Show the score" button without JavaScript); saving scores and stores it."""
    require(policies.can_assess(request.user))
    person = _person(request, person_pk)
    instrument = _instrument_or_404()
    form = _assessment_form(request, person, instrument)
    if request.method == "POST" and "preview" in request.POST:
        audit_view(actor=request.user, person_id=person.pk, verb="assessment form")
        form.is_valid()
        form.errors.clear()  # a preview does not judge the answers yet
        return render(
            request,
            "assessment/assess.html",
            {"person": person, "form": form, **_assess_context(person, instrument, form)},
        )
    return person_form_page(
        request,
        person=person,
        form=form,
        action=lambda data: services.assessment_create(
            person=person,
            actor=request.user,
            instrument=instrument,
            kind=data["kind"],
            assessed_on=data["assessed_on"],
            answers=form.answers(),
            notes=data["notes"],
        ),
        template="assessment/assess.html",
        context=lambda: _assess_context(person, instrument, form),
        success_message=_("The assessment was saved."),
        redirect_to=lambda assessment: reverse("assessment:detail", kwargs={"pk": assessment.pk}),
        audit_verb="assessment form",
    )


@login_required
@require_POST
def preview(request: AuthenticatedHttpRequest, person_pk: int) -> HttpResponse:
    """htmx partial: the score of the answers ticked so far (nothing is saved)."""
    require(policies.can_assess(request.user))
    person = _person(request, person_pk)
    instrument = _instrument_or_404()
    form = _assessment_form(request, person, instrument)
    audit_view(actor=request.user, person_id=person.pk, verb="assessment score preview")
    return render(
        request,
        "assessment/assess.html#score-preview",
        {"person": person, "preview": _preview_stored(form, instrument)},
    )


# --- One assessment ------------------------------------------------------------------------------


def _result_rows(assessment: Assessment) -> list[dict[str, Any]]:
    engine = assessment.instrument.engine
    rows = []
    for row in assessment.contributions:
        rows.append(
            {
                "item": item_text(engine, row["item"]),
                "answer": option_text(engine, row["item"], row["option"]),
                "points": row["points"],
                # The table shows the same signed figures as the chart beside it.
                "points_text": charts.signed_points(float(row["points"])),
                "share": number_format(round(100 * float(row["share"]), 1)).replace("-", "−"),
                "layer": LAYER_LABELS.get(row["layer"], row["layer"]),
                "layer_code": row["layer"],
                "need_area": NEED_AREA_LABELS.get(row["need_area"] or "", ""),
                "words": explanation(engine, row),
            }
        )
    return rows


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The result: points, probabilities, band (and an approved override), each item's
    contribution as a chart with its table and in words, and what the person can change."""
    require(policies.can_view_assessment(request.user))
    assessment = _assessment(request, pk)
    engine = assessment.instrument.engine
    person = assessment.person
    rows = _result_rows(assessment)
    overrides = list(
        assessment.overrides.select_related("requested_by", "decided_by").order_by("-pk")
    )
    audit_view(actor=request.user, person_id=person.pk, verb="assessment viewed")
    chart = charts.contribution_chart(
        [charts.Bar(r["item"], float(r["points"])) for r in rows],
        title=_("Points each item adds to or takes off the score"),
        description=_(
            "Bars to the right add points, bars to the left take points off; the table beside "
            "the chart gives each item's answer, points and share."
        ),
    )
    changeable = [
        {
            "item": item_text(engine, c["item"]),
            "answer": option_text(engine, c["item"], c["option"]),
            "layer": c["layer"],
            "need_area": NEED_AREA_LABELS.get(c["need_area"] or "", ""),
            "can_gain": c["can_gain"],
            "better": [option_text(engine, c["item"], code) for code in c["better"]],
        }
        for c in services.change_items(assessment)
    ]
    needs = [
        (NEED_AREA_LABELS.get(area, area), NEED_LEVEL_LABELS[level])
        for area, level in services.need_levels(assessment)
        if level != "none"
    ]
    user = request.user
    return render(
        request,
        "assessment/detail.html",
        {
            "assessment": assessment,
            "person": person,
            "instrument": assessment.instrument,
            "rows": rows,
            "chart": chart,
            "band": band_text(engine, assessment.band),
            "override_band": band_text(engine, assessment.override_band)
            if assessment.override_band
            else "",
            "year1": _percent(assessment.probability_year1),
            "year2": _percent(assessment.probability_year2),
            "overrides": overrides,
            "pending_override": next(
                (o for o in overrides if o.status == BandOverride.Status.REQUESTED), None
            ),
            "changeable": changeable,
            "needs": needs,
            "can_assess": policies.can_assess(user),
            "can_approve": policies.can_approve_override(user),
            "can_plan": services.plan_hook_available() and _can_manage_plan(user),
            "band_texts": {b.code: b.text.get(_language()) for b in engine.bands},
        },
    )


def _can_manage_plan(user: Any) -> bool:
    try:
        from qadam.plans.policies import can_manage_plan
    except ImportError:
        return False
    return bool(can_manage_plan(user))


@login_required
@require_POST
def plan_needs(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Create or update the person's plan need areas from this assessment (plans hook)."""
    require(policies.can_view_assessment(request.user) and _can_manage_plan(request.user))
    assessment = _assessment(request, pk)
    try:
        needs = services.assessment_plan_needs(assessment=assessment, actor=request.user)
    except ServiceError as error:
        for message in error.as_list():
            messages.error(request, message)
        return HttpResponseRedirect(reverse("assessment:detail", kwargs={"pk": pk}))
    messages.success(
        request,
        _("The plan's need areas were updated from the assessment: %(count)s need areas.")
        % {"count": len(needs)},
    )
    return HttpResponseRedirect(
        reverse("plans:plan_detail", kwargs={"person_pk": assessment.person_id})
    )


# --- Overrides -----------------------------------------------------------------------------------


@login_required
def override_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_assess(request.user))
    assessment = _assessment(request, pk)
    engine = assessment.instrument.engine
    bands = [(b.code, b.text.get(_language())) for b in engine.bands if b.code != assessment.band]
    form = forms.OverrideRequestForm(_data(request), bands=bands)
    return person_form_page(
        request,
        person=assessment.person,
        form=form,
        action=lambda data: services.override_request(
            actor=request.user, assessment=assessment, band=data["band"], reason=data["reason"]
        ),
        template="assessment/override_request.html",
        context={"assessment": assessment, "band": band_text(engine, assessment.band)},
        success_message=_("The override was requested; a supervisor must approve it."),
        redirect_to=reverse("assessment:detail", kwargs={"pk": pk}),
        audit_verb="band override form",
    )


def _language() -> str:
    from qadam.assessment.texts import language

    return language()


@login_required
def override_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_approve_override(request.user))
    override: BandOverride = get_object_or_404(
        BandOverride.objects.visible_to(request.user).select_related(
            "assessment", "assessment__person", "assessment__instrument", "requested_by"
        ),
        pk=pk,
    )
    assessment = override.assessment
    engine = assessment.instrument.engine
    form = forms.OverrideDecisionForm(_data(request))
    return person_form_page(
        request,
        person=assessment.person,
        form=form,
        action=lambda data: services.override_decide(
            actor=request.user,
            override=override,
            approve=data["decision"] == "approve",
            note=data["note"],
        ),
        template="assessment/override_decide.html",
        context={
            "override": override,
            "assessment": assessment,
            "computed": band_text(engine, override.computed_band),
            "requested": band_text(engine, override.requested_band),
        },
        success_message=_("The decision was recorded."),
        redirect_to=reverse("assessment:detail", kwargs={"pk": assessment.pk}),
        audit_verb="band override viewed",
    )


OVERRIDE_SORTS = {"requested": "requested_at", "name": "assessment__person__surname"}


@login_required
def override_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require(policies.can_view_assessment(request.user))
    user = request.user
    form = forms.OverrideFilterForm(request.GET or None)
    rows = BandOverride.objects.visible_to(user).select_related(
        "assessment", "assessment__person", "assessment__instrument", "requested_by", "decided_by"
    )
    status_filter = BandOverride.Status.REQUESTED
    if form.is_valid():
        status_filter = form.cleaned_data["status"]
    elif request.GET.get("status") is None:
        status_filter = BandOverride.Status.REQUESTED
    if status_filter:
        rows = rows.filter(status=status_filter)
    sort, order = sort_key(request, OVERRIDE_SORTS, "-requested")
    rows = rows.order_by(order, "pk")
    filters = _filters(request)
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        require(policies.can_export(user))
        data = [
            (
                o.assessment.person.case_number,
                o.assessment.person.full_name,
                o.assessment.assessed_on,
                band_text(o.assessment.instrument.engine, o.computed_band),
                band_text(o.assessment.instrument.engine, o.requested_band),
                o.reason,
                o.requested_by.username,
                o.requested_at,
                o.get_status_display(),
                o.decided_by.username if o.decided_by else "",
                o.decided_at,
            )
            for o in rows[:EXPORT_LIMIT]
        ]
        audit_export(
            actor=user, verb="band overrides exported", filters=filters, row_count=len(data)
        )
        return export_response(
            filename="band-overrides",
            fmt=fmt,
            header=[
                _("Case number"),
                _("Name"),
                _("Date of assessment"),
                _("Computed band"),
                _("Requested band"),
                _("Reason"),
                _("Requested by"),
                _("Requested"),
                _("Status"),
                _("Decided by"),
                _("Decided"),
            ],
            rows=data,
        )
    context = paginate(request, rows)
    audit_search(
        actor=user,
        verb="band overrides listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    for o in context["object_list"]:
        engine = o.assessment.instrument.engine
        o.computed_text = band_text(engine, o.computed_band)
        o.requested_text = band_text(engine, o.requested_band)
    return render(
        request,
        "assessment/override_list.html",
        {
            "form": form,
            "sort": sort,
            "can_export": policies.can_export(user),
            "can_approve": policies.can_approve_override(user),
            **context,
        },
    )


# --- Assessments due -----------------------------------------------------------------------------

DUE_SORTS = {
    "due": "due_on",
    "name": "person__surname",
    "institution": "person__last_institution__code",
}


def _due_rows(
    request: AuthenticatedHttpRequest, form: forms.DueFilterForm
) -> QuerySet[Reassessment]:
    today = timezone.localdate()
    rows = Reassessment.objects.visible_to(request.user).select_related(
        "person", "person__last_institution", "last_assessment"
    )
    status = ""
    if form.is_valid():
        data = form.cleaned_data
        status = data["status"]
        if data["institution"]:
            rows = rows.filter(person__last_institution=data["institution"])
        if data["name"]:
            term = data["name"].strip()
            rows = rows.filter(
                Q(person__surname__icontains=term)
                | Q(person__surname_latin__icontains=term)
                | Q(person__case_number__iexact=term)
            )
    if status == "overdue":
        rows = rows.filter(due_on__lt=today)
    elif status != "all":
        rows = rows.due_by(today + timedelta(days=DUE_WINDOW_DAYS))
    return rows


@login_required
def due_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Assessments overdue or due soon in the user's scope, per institution."""
    require(policies.can_view_assessment(request.user))
    user = request.user
    today = timezone.localdate()
    institutions = Institution.objects.visible_to(user).order_by("code")
    form = forms.DueFilterForm(request.GET or None, institutions=institutions)
    rows = _due_rows(request, form)
    sort, order = sort_key(request, DUE_SORTS, "due")
    rows = rows.order_by(order, "pk")
    filters = _filters(request)
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        require(policies.can_export(user))
        data = [
            (
                r.person.case_number,
                r.person.full_name,
                r.person.last_institution.code if r.person.last_institution else "",
                r.due_on,
                services.overdue_days(r.due_on, today),
                r.get_reason_display(),
                r.last_assessment.assessed_on if r.last_assessment else "",
            )
            for r in rows[:EXPORT_LIMIT]
        ]
        audit_export(
            actor=user, verb="assessments due exported", filters=filters, row_count=len(data)
        )
        return export_response(
            filename="assessments-due",
            fmt=fmt,
            header=[
                _("Case number"),
                _("Name"),
                _("Institution"),
                _("Due on"),
                _("Days overdue"),
                _("Reason"),
                _("Last assessment"),
            ],
            rows=data,
        )
    context = paginate(request, rows)
    audit_search(
        actor=user,
        verb="assessments due listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    for r in context["object_list"]:
        r.days_overdue = services.overdue_days(r.due_on, today)
    return render(
        request,
        "assessment/due_list.html",
        {
            "form": form,
            "sort": sort,
            "today": today,
            "can_export": policies.can_export(user),
            **context,
        },
    )


# --- Instruments ---------------------------------------------------------------------------------


@login_required
def instrument_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policies.can_view_instruments(request.user))
    instruments = list(Instrument.objects.order_by("code", "-valid_from"))
    today = timezone.localdate()
    return render(
        request,
        "assessment/instrument_list.html",
        {"instruments": instruments, "today": today},
    )


@login_required
def instrument_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_view_instruments(request.user))
    instrument = get_object_or_404(Instrument, pk=pk)
    engine = instrument.engine
    lang = _language()
    items = [
        {
            "code": item.code,
            "text": item.text.get(lang),
            "layer": LAYER_LABELS.get(item.layer, item.layer),
            "need_area": NEED_AREA_LABELS.get(item.need_area or "", ""),
            "options": [(o.text.get(lang), o.points) for o in item.options],
        }
        for item in engine.items
    ]
    local = instrument.local_validation or {}
    return render(
        request,
        "assessment/instrument_detail.html",
        {
            "instrument": instrument,
            "engine": engine,
            "name": engine.name.get(lang),
            "description": engine.description.get(lang) if engine.description else "",
            "items": items,
            "bands": [(b.text.get(lang), b.min_points) for b in engine.bands],
            "calibration": [(h, c.intercept, c.slope) for h, c in engine.calibration.items()],
            "local": local,
            "local_summary": local.get("summary", []),
            "local_cohort": local.get("cohort", {}),
            "can_validate": policies.can_validate_instruments(request.user),
        },
    )


# --- Loading an instrument version ---------------------------------------------------------------


def _can_load_instruments(user: Any) -> bool:
    """The analysts who validate instruments and the administrators of reference data (the
    service's own check)."""
    return policies.can_validate_instruments(user) or has_capability(user, "manage_reference_data")


def _short_date(day: date | None) -> str:
    return "—" if day is None else date_format(day, "SHORT_DATE_FORMAT")


def _loaded_message(instrument: Instrument, timeline: list[Any], today: date) -> str:
    """What the upload did and from when staff assess with the version."""
    stored = _("%(instrument)s was loaded: valid from %(valid_from)s to %(valid_to)s.") % {
        "instrument": f"{instrument.name} {instrument.version}",
        "valid_from": _short_date(instrument.valid_from),
        "valid_to": _short_date(instrument.valid_to),
    }
    start = next(
        (
            period.start
            for period in timeline
            if period.instrument is not None and period.instrument.pk == instrument.pk
        ),
        None,
    )
    if start is None:
        in_force = _(
            "It is not in force on any day from today on: its validity has ended, or a version "
            "that starts later is in force over all of it."
        )
    elif start == today:
        in_force = _("New assessments use it from today.")
    else:
        in_force = _("New assessments use it from %(date)s.") % {"date": _short_date(start)}
    return f"{stored} {in_force}"


@login_required
def instrument_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a new instrument version (TOML). The form reads and validates the file and shows
    every problem in the user's language; `services.instrument_load` stores and audits it.
    Nothing is stored on error; the same file again changes nothing."""
    from qadam.assessment.local_command import in_force_timeline

    user = request.user
    require(_can_load_instruments(user))
    form = forms.InstrumentUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            text: str = form.cleaned_data["definition"]
            digest = hashlib.sha256(text.encode()).hexdigest()
            stored_before = Instrument.objects.filter(definition_sha256=digest).exists()
            try:
                instrument = services.instrument_load(text=text, actor=user, origin=form.origin)
            except ServiceError as error:
                apply_service_errors(error, form)
            else:
                today = timezone.localdate()
                if stored_before:
                    messages.info(
                        request,
                        _("%(instrument)s is already stored with this definition; nothing changed.")
                        % {"instrument": f"{instrument.name} {instrument.version}"},
                    )
                else:
                    messages.success(
                        request, _loaded_message(instrument, in_force_timeline(today), today)
                    )
                target = (
                    "assessment:instrument_list"
                    if policies.can_view_instruments(user)
                    else "assessment:instrument_upload"
                )
                return HttpResponseRedirect(reverse(target))
        status = 400
    return render(
        request,
        "assessment/instrument_upload.html",
        {
            "form": form,
            "timeline": in_force_timeline(),
            "today": timezone.localdate(),
            "can_view_instruments": policies.can_view_instruments(user),
        },
        status=status,
    )
