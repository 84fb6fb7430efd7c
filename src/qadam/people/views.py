"""Search, the person page, merges and the subject-access export.

Each view: check the capability (403), get the person or merge in the user's scope (404), call one
search or service, audit what was shown, render.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qadam.core.audit import audit_export, audit_search, audit_view
from qadam.core.errors import ServiceError
from qadam.core.exports import EXPORT_FORMATS, export_response
from qadam.core.http import AuthenticatedHttpRequest
from qadam.core.pagination import paginate, sort_key
from qadam.core.policies import has_capability, require
from qadam.people import policies, services
from qadam.people.forms import (
    MergeDecisionForm,
    MergeFilterForm,
    MergeRequestForm,
    MergeUndoForm,
    SearchForm,
)
from qadam.people.models import Person, PersonMerge
from qadam.people.record import PersonRecord, Whereabouts, person_record
from qadam.people.search import LEGAL_STATUS_FILTERS, search_persons
from qadam.people.sections import sections_for
from qadam.people.subject_access import subject_access_json, subject_access_parts

TIMELINE_PAGE_SIZE = 20
SEARCH_SORTS = {
    "relevance": "relevance",
    "surname": "surname",
    "birth_date": "birth_date",
    "case_number": "case_number",
}


def url_or_none(name: str, *args: Any, **kwargs: Any) -> str | None:
    """The URL of a route another module may not have built yet; None when it does not exist."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _visible_person(request: AuthenticatedHttpRequest, pk: int) -> Person:
    person: Person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related(
            "current_institution", "last_institution", "home_region"
        ),
        pk=pk,
    )
    return person


def _survivor_redirect(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseRedirect | None:
    """A record merged into another opens the surviving record (if the user may see it)."""
    merged_into = (
        Person.objects.filter(pk=pk, merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if merged_into and Person.objects.visible_to(request.user).filter(pk=merged_into).exists():
        messages.info(request, _("That record was merged into this one; both histories are shown."))
        return HttpResponseRedirect(reverse("people:person_detail", kwargs={"pk": merged_into}))
    return None


# --- search -------------------------------------------------------------------------------------


def _search_row(person: Person) -> list[Any]:
    return [
        person.case_number,
        person.full_name,
        person.full_name_latin,
        person.birth_date,
        _where_now_text(person),
        _legal_status_text(person),
    ]


def _legal_status_text(person: Person) -> str:
    from qadam.custody.models import LegalStatus

    if not person.legal_status or person.current_institution_id is None:
        return ""
    return (
        str(LegalStatus(person.legal_status).label)
        if person.legal_status in LegalStatus.values
        else ""
    )


def _where_now_text(person: Person) -> str:
    code = Whereabouts.from_event(getattr(person, "last_event_kind", None))
    label = Whereabouts.label(code)
    if code in (Whereabouts.IN_CUSTODY, Whereabouts.ABSENT) and person.current_institution:
        return f"{person.current_institution.name} ({label})"
    if person.last_institution and code != Whereabouts.NEVER_ADMITTED:
        return _("%(status)s; last held in %(institution)s") % {
            "status": label,
            "institution": person.last_institution.name,
        }
    return label


@login_required
def search(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require(policies.can_search(request.user))
    form = SearchForm(request.GET or None)
    query, legal_status = "", ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        legal_status = form.cleaned_data["legal_status"]
        if legal_status not in LEGAL_STATUS_FILTERS:
            legal_status = ""
    requested_sort, sort = sort_key(request, SEARCH_SORTS, "relevance")
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        require(policies.can_export_lists(request.user))
        result = search_persons(
            user=request.user, query=query, legal_status=legal_status, audit=False
        )
        persons = result.persons(result.sorted_by(sort))
        audit_export(
            actor=request.user,
            verb="person search exported",
            filters={"q": result.query, "legal_status": legal_status, "sort": requested_sort},
            row_count=len(persons),
        )
        return export_response(
            filename="persons",
            fmt=fmt,
            header=[
                _("Case number"),
                _("Name"),
                _("Name (Latin)"),
                _("Date of birth"),
                _("Where now"),
                _("Legal status"),
            ],
            rows=[_search_row(p) for p in persons],
        )
    result = search_persons(
        user=request.user,
        query=query,
        legal_status=legal_status,
        extra_filters={"sort": requested_sort, "page": request.GET.get("page", "1")},
    )
    context = paginate(request, result.sorted_by(sort))
    persons = result.persons(context["object_list"])
    context.update(
        {
            "form": form,
            "result": result,
            "persons": [(p, _where_now_text(p), _legal_status_text(p)) for p in persons],
            "sort": requested_sort,
            "can_export": policies.can_export_lists(request.user),
            "querystring_without_sort": _querystring_without(request, "sort", "page"),
        }
    )
    template = "people/search.html"
    if request.htmx and request.htmx.target == "search-results":
        template = "people/search.html#results"
    return render(request, template, context)


def _querystring_without(request: AuthenticatedHttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    query.pop("format", None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


# --- the person page ----------------------------------------------------------------------------

MOVEMENT_ACTIONS: dict[str, list[tuple[str, Any]]] = {
    Whereabouts.IN_CUSTODY: [
        ("custody:move", gettext_lazy("Move within the institution")),
        ("custody:transfer", gettext_lazy("Transfer out")),
        ("custody:absence", gettext_lazy("Temporary absence")),
        ("custody:release", gettext_lazy("Release")),
        ("custody:escape", gettext_lazy("Record an escape")),
        ("custody:death", gettext_lazy("Record a death")),
    ],
    Whereabouts.ABSENT: [
        ("custody:absence_return", gettext_lazy("Return from absence")),
        ("custody:escape", gettext_lazy("Record an escape")),
        ("custody:death", gettext_lazy("Record a death")),
    ],
    Whereabouts.IN_TRANSIT: [
        ("custody:arrival", gettext_lazy("Record arrival")),
        ("custody:escape", gettext_lazy("Record an escape")),
        ("custody:death", gettext_lazy("Record a death")),
    ],
    Whereabouts.AT_LARGE: [("custody:recapture", gettext_lazy("Record recapture"))],
}


def _actions(request: AuthenticatedHttpRequest, record: PersonRecord) -> list[tuple[str, str]]:
    """Buttons for what this user may do next with this person (only routes that exist)."""
    user, pk = request.user, record.person.pk
    found: list[tuple[str, str]] = []
    if has_capability(user, "record_movement"):
        for name, label in MOVEMENT_ACTIONS.get(record.whereabouts, []):
            url = url_or_none(name, pk=pk)
            if url:
                found.append((str(label), url))
        if record.on_roll and record.person.legal_status == "remand":
            url = url_or_none("custody:extend", pk=pk)
            if url:
                found.append((_("Extend remand"), url))
    if has_capability(user, "admit_person") and record.whereabouts in (
        Whereabouts.RELEASED,
        Whereabouts.NEVER_ADMITTED,
    ):
        url = url_or_none("custody:admit")
        if url:
            found.append((_("Admit again"), f"{url}?person={pk}"))
    if policies.can_request_merge(user):
        found.append((_("Request a merge"), reverse("people:merge_request", kwargs={"pk": pk})))
    if policies.can_export_subject_access(user):
        found.append(
            (_("Subject-access export"), reverse("people:subject_access", kwargs={"pk": pk}))
        )
    return found


def _timeline_context(request: AuthenticatedHttpRequest, record: PersonRecord) -> dict[str, Any]:
    newest_first = list(reversed(record.timeline))
    page = Paginator(newest_first, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    may_correct = has_capability(request.user, "correct_movement")
    rows = [
        (
            entry,
            url_or_none("custody:correct", movement_pk=entry.movement.pk)
            if may_correct and entry.is_effective and not entry.from_merged_record
            else None,
        )
        for entry in page.object_list
    ]
    return {
        "timeline_page": page,
        "timeline_rows": rows,
        "timeline_url": reverse("people:person_timeline", kwargs={"pk": record.person.pk}),
    }


@login_required
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    require(policies.can_view_person(request.user))
    try:
        person = _visible_person(request, pk)
    except Http404:
        redirect = _survivor_redirect(request, pk)
        if redirect is not None:
            return redirect
        raise
    record = person_record(person, include_children=policies.can_view_children(request.user))
    audit_view(actor=request.user, person_id=person.pk, verb="person page viewed")
    context = {
        "person": person,
        "record": record,
        "actions": _actions(request, record),
        "sections": sections_for(request, record),
        "show_children": policies.can_view_children(request.user),
        "warning_days": record.lawful.days_left,
        **_timeline_context(request, record),
    }
    return render(request, "people/person_detail.html", context)


@login_required
def person_timeline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The movements timeline, one page at a time (htmx partial, or a page of its own)."""
    require(policies.can_view_person(request.user))
    person = _visible_person(request, pk)
    record = person_record(person, include_children=False)
    audit_view(
        actor=request.user,
        person_id=person.pk,
        verb="person timeline viewed",
        details={"page": request.GET.get("page", "1")},
    )
    context = {"person": person, "record": record, **_timeline_context(request, record)}
    template = "people/person_timeline.html"
    if request.htmx:
        template = "people/person_detail.html#timeline"
    return render(request, template, context)


# --- merges -------------------------------------------------------------------------------------


def _visible_merges(request: AuthenticatedHttpRequest) -> Any:
    visible = Person.objects.visible_to(request.user)
    return PersonMerge.objects.filter(survivor__in=visible).select_related(
        "survivor", "duplicate", "requested_by", "decided_by", "undone_by"
    )


MERGE_SORTS = {"requested_at": "requested_at", "status": "status", "survivor": "survivor__surname"}


@login_required
def merge_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require(policies.can_see_merges(request.user))
    form = MergeFilterForm(request.GET or None)
    merges = _visible_merges(request)
    filters: dict[str, str] = {}
    if form.is_valid():
        if form.cleaned_data["status"]:
            merges = merges.filter(status=form.cleaned_data["status"])
            filters["status"] = form.cleaned_data["status"]
        if form.cleaned_data["q"]:
            number = form.cleaned_data["q"].strip()
            merges = merges.filter(
                Q(survivor__case_number=number) | Q(duplicate__case_number=number)
            )
            filters["q"] = number
    requested_sort, order = sort_key(request, MERGE_SORTS, "-requested_at")
    merges = merges.order_by(order, "-id")
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        require(policies.can_export_lists(request.user))
        rows = [
            [
                m.requested_at,
                m.get_status_display(),
                m.survivor.case_number,
                m.survivor.full_name,
                m.duplicate.case_number,
                m.duplicate.full_name,
                m.reason,
                m.decided_at,
            ]
            for m in merges[:10_000]
        ]
        audit_export(
            actor=request.user, verb="merge list exported", filters=filters, row_count=len(rows)
        )
        return export_response(
            filename="merges",
            fmt=fmt,
            header=[
                _("Requested"),
                _("Status"),
                _("Surviving record"),
                _("Name"),
                _("Duplicate record"),
                _("Name"),
                _("Reason"),
                _("Decided"),
            ],
            rows=rows,
        )
    context = paginate(request, merges)
    audit_search(
        actor=request.user,
        verb="merge list viewed",
        filters={**filters, "sort": requested_sort},
        result_count=context["page_obj"].paginator.count,
    )
    context.update(
        {
            "form": form,
            "sort": requested_sort,
            "can_export": policies.can_export_lists(request.user),
            "querystring_without_sort": _querystring_without(request, "sort", "page"),
        }
    )
    return render(request, "people/merge_list.html", context)


@login_required
def merge_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    require(policies.can_request_merge(request.user))
    survivor = _visible_person(request, pk)
    form = MergeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["duplicate_case_number"]
        duplicate = (
            Person.objects.visible_to(request.user)
            .filter(case_number__in={number, number.upper()})
            .first()
        )
        if duplicate is None:
            form.add_error(
                "duplicate_case_number",
                _("No record with this case number in your scope: check the number."),
            )
        else:
            try:
                merge = services.merge_request(
                    actor=request.user,
                    survivor=survivor,
                    duplicate=duplicate,
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as error:
                _errors_to_form(form, error, {"duplicate": "duplicate_case_number"})
            else:
                messages.success(
                    request, _("The merge was requested; another person must approve it.")
                )
                return HttpResponseRedirect(reverse("people:merge_detail", kwargs={"pk": merge.pk}))
    audit_view(actor=request.user, person_id=survivor.pk, verb="merge request form viewed")
    return render(request, "people/merge_request.html", {"person": survivor, "form": form})


def _errors_to_form(form: Any, error: ServiceError, renames: dict[str, str]) -> None:
    for key, texts in error.errors.items():
        field = renames.get(key, key)
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


def _visible_merge(request: AuthenticatedHttpRequest, pk: int) -> PersonMerge:
    merge: PersonMerge = get_object_or_404(_visible_merges(request), pk=pk)
    return merge


@login_required
def merge_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    require(policies.can_see_merges(request.user))
    merge = _visible_merge(request, pk)
    return _render_merge(request, merge, MergeDecisionForm(), MergeUndoForm())


def _render_merge(
    request: AuthenticatedHttpRequest,
    merge: PersonMerge,
    decision_form: MergeDecisionForm,
    undo_form: MergeUndoForm,
    status: int = 200,
) -> HttpResponse:
    for person_id in (merge.survivor_id, merge.duplicate_id):
        audit_view(
            actor=request.user,
            person_id=person_id,
            verb="merge viewed",
            details={"merge": merge.pk},
        )
    user = request.user
    context = {
        "merge": merge,
        "decision_form": decision_form,
        "undo_form": undo_form,
        "can_decide": policies.can_decide_merge(user)
        and merge.status == PersonMerge.Status.REQUESTED,
        "is_requester": merge.requested_by_id == user.pk,
        "can_undo": policies.can_decide_merge(user) and merge.status == PersonMerge.Status.APPROVED,
    }
    return render(request, "people/merge_detail.html", context, status=status)


@login_required
@require_POST
def merge_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    require(policies.can_decide_merge(request.user))
    merge = _visible_merge(request, pk)
    form = MergeDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.merge_decide(
                actor=request.user,
                merge=merge,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            _errors_to_form(form, error, {})
        else:
            messages.success(
                request,
                _("The merge was approved.")
                if form.cleaned_data["decision"] == "approve"
                else _("The merge was rejected."),
            )
            return HttpResponseRedirect(reverse("people:merge_detail", kwargs={"pk": merge.pk}))
    merge.refresh_from_db()
    return _render_merge(request, merge, form, MergeUndoForm(), status=400)


@login_required
@require_POST
def merge_undo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    require(policies.can_decide_merge(request.user))
    merge = _visible_merge(request, pk)
    form = MergeUndoForm(request.POST)
    if form.is_valid():
        try:
            services.merge_undo(actor=request.user, merge=merge, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            _errors_to_form(form, error, {})
        else:
            messages.success(
                request, _("The merge was undone; the two records are separate again.")
            )
            return HttpResponseRedirect(reverse("people:merge_detail", kwargs={"pk": merge.pk}))
    merge.refresh_from_db()
    return _render_merge(request, merge, MergeDecisionForm(), form, status=400)


# --- subject access -----------------------------------------------------------------------------


@login_required
def subject_access(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """Everything held about one person, as JSON, a printable page or a PDF (audited)."""
    require(policies.can_export_subject_access(request.user))
    person = _visible_person(request, pk)
    record = person_record(person)
    fmt = request.GET.get("format", "html")
    if fmt not in ("html", "json", "pdf"):
        fmt = "html"
    stamp = timezone.localdate().isoformat()
    filename = f"subject-access-{person.case_number}-{stamp}"
    if fmt == "json":
        document = subject_access_json(record)
        response: HttpResponse = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2, default=str),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        row_count = sum(len(v) for v in document.values() if isinstance(v, list))
    else:
        parts = subject_access_parts(record)
        row_count = sum(len(part.rows) for part in parts)
        context = {"person": person, "record": record, "parts": parts, "generated": timezone.now()}
        if fmt == "pdf":
            from weasyprint import HTML

            html = render_to_string(
                "people/subject_access.html", {**context, "for_pdf": True}, request
            )
            pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        else:
            response = render(request, "people/subject_access.html", context)
    audit_export(
        actor=request.user,
        verb="subject-access export",
        filters={"format": fmt},
        row_count=row_count,
        person_id=person.pk,
    )
    return response
