"""Custody pages: institutions, regions, population, movements, and the ledger forms.

Every view is thin: parse → scoped get-or-404 → form → one service → render/redirect. Every
queryset is scoped with `Institution.objects.visible_to(user)` / `Person.objects.visible_to(user)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qadam.core.audit import audit_export, audit_search, audit_view
from qadam.core.errors import ServiceError
from qadam.core.exports import EXPORT_FORMATS, export_response
from qadam.core.form_pages import apply_service_errors
from qadam.core.http import AuthenticatedHttpRequest
from qadam.core.models import Alert, Region
from qadam.core.pagination import paginate, sort_key
from qadam.core.policies import require
from qadam.core.roles import ScopeLevel
from qadam.custody import arrivals, forms, lawful, policies, population, services
from qadam.custody.models import Institution, Movement
from qadam.people.models import Person

# ---- helpers -------------------------------------------------------------------------------


def person_url(person_id: int) -> str:
    """The person page (people module); empty until that page exists."""
    try:
        return reverse("people:person_detail", kwargs={"pk": person_id})
    except NoReverseMatch:
        return ""


def _institutions(request: AuthenticatedHttpRequest) -> QuerySet[Institution]:
    return Institution.objects.visible_to(request.user)


def _scope_ids(request: AuthenticatedHttpRequest) -> list[int] | None:
    """Institution ids in the user's scope, or None for the whole country (no filter)."""
    if request.user.scope_level == ScopeLevel.NATIONAL:
        return None
    return list(_institutions(request).values_list("pk", flat=True))


def _export_format(request: AuthenticatedHttpRequest) -> str | None:
    fmt = request.GET.get("format")
    if fmt not in EXPORT_FORMATS:
        return None
    require(policies.can_export(request.user))
    return fmt


def _filters(request: AuthenticatedHttpRequest) -> dict[str, str]:
    return {k: str(v) for k, v in request.GET.items() if k not in {"page", "format"} and v}


def _sort_base(request: AuthenticatedHttpRequest) -> str:
    """The current query without sort and page, ready for `sort=` to be appended."""
    query = request.GET.copy()
    for key in ("sort", "page", "format"):
        query.pop(key, None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


def _name_field() -> str:
    return f"name_{(get_language() or 'kk')[:2]}"


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


# ---- institutions and regions --------------------------------------------------------------


@login_required
def institution_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require(policies.can_view_population(request.user))
    form = forms.InstitutionFilterForm(request.GET or None)
    institutions = (
        _institutions(request)
        .select_related("region", "type")
        .annotate(population=Count("stays", filter=Q(stays__end__isnull=True)))
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            term = data["q"].strip()
            institutions = institutions.filter(
                Q(code__icontains=term)
                | Q(name_kk__icontains=term)
                | Q(name_ru__icontains=term)
                | Q(name_en__icontains=term)
            )
        if data["region"]:
            institutions = institutions.filter(region=data["region"])
        if data["type"]:
            institutions = institutions.filter(type=data["type"])
    sort, order = sort_key(
        request,
        {
            "code": "code",
            "name": _name_field(),
            "region": "region__code",
            "type": "type__rank",
            "population": "population",
            "capacity": "operational_capacity",
        },
        "code",
    )
    institutions = institutions.order_by(order, "code")
    filters = _filters(request)
    if (fmt := _export_format(request)) is not None:
        rows = list(institutions)
        occupancy = {o.institution.pk: o for o in population.occupancy_of(rows)}
        audit_export(
            actor=request.user, verb="institutions exported", filters=filters, row_count=len(rows)
        )
        return export_response(
            filename="institutions",
            fmt=fmt,
            header=[
                _("Code"),
                _("Name"),
                _("Region"),
                _("Type"),
                _("Population now"),
                _("Operational capacity"),
                _("Occupancy, %"),
                _("Design capacity"),
                _("Places by living space"),
            ],
            rows=(
                (
                    i.code,
                    i.name,
                    i.region.name,
                    i.type.name,
                    i.population,
                    i.operational_capacity,
                    round(occupancy[i.pk].operational_percent or 0, 1),
                    i.design_capacity,
                    occupancy[i.pk].living_space_places,
                )
                for i in rows
            ),
        )
    context = paginate(request, institutions)
    page_rows = list(context["object_list"])
    occupancy = {o.institution.pk: o for o in population.occupancy_of(page_rows)}
    audit_search(
        actor=request.user,
        verb="institutions listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    return render(
        request,
        "custody/institution_list.html",
        {
            **context,
            "form": form,
            "rows": [(i, occupancy[i.pk]) for i in page_rows],
            "sort": sort,
            "sort_base": _sort_base(request),
            "can_export": policies.can_export(request.user),
        },
    )


@login_required
def institution_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_view_population(request.user))
    institution = get_object_or_404(
        _institutions(request).select_related("region", "type", "department"), pk=pk
    )
    today = timezone.localdate()
    occupancy = population.occupancy_of([institution])[0]
    context: dict[str, Any] = {
        "institution": institution,
        "occupancy": occupancy,
        "by_section": population.population_by_section_and_status(institution, today),
        "today": today,
    }
    shown = 0
    if policies.can_see_movements(request.user):
        recent = (
            Movement.objects.filter(
                institution=institution, person__in=Person.objects.visible_to(request.user)
            )
            .select_related("person", "destination", "section", "cell", "reversed_by")
            .order_by("-occurred_at", "-id")
        )
        context.update(paginate(request, recent, per_page=20))
        context["show_movements"] = True
        shown += len(context["object_list"])
    if policies.can_see_movements(request.user):
        context["arriving"] = list(
            arrivals.pending_transfers([institution])
            .select_related("person", "institution")
            .order_by("occurred_at", "id")
        )
        context["can_record"] = policies.can_record_movement(request.user)
        context["show_arrivals"] = True
        shown += len(context["arriving"])
    if policies.can_see_lawful_lists(request.user):
        lists = lawful.lawful_lists([institution], today)
        context["lawful"] = lists
        shown += len(lists.held_past) + len(lists.due_today) + len(lists.expiring)
    if shown:
        audit_search(
            actor=request.user,
            verb="institution page: movements, expected arrivals and lawful-detention lists",
            filters={"institution": institution.code},
            result_count=shown,
        )
    return render(request, "custody/institution_detail.html", context)


@login_required
def region_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_view_population(request.user))
    region = get_object_or_404(Region, pk=pk)
    institutions = list(
        _institutions(request).filter(region=region).select_related("type").order_by("code")
    )
    if not institutions:
        raise Http404
    occupancy = population.occupancy_of(institutions)
    totals: dict[str, Any] = {
        "population": sum(o.population for o in occupancy),
        "operational": sum(o.institution.operational_capacity for o in occupancy),
        "design": sum(o.institution.design_capacity for o in occupancy),
        "living_space_places": sum(o.living_space_places for o in occupancy),
    }
    totals["percent"] = _percent(totals["population"], totals["operational"])
    return render(
        request,
        "custody/region_detail.html",
        {"region": region, "occupancy": occupancy, "totals": totals},
    )


# ---- population ----------------------------------------------------------------------------


@login_required
def population_page(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require(policies.can_view_population(request.user))
    institutions = _institutions(request).order_by("code")
    form = forms.PopulationForm(
        request.GET or None,
        institutions=institutions,
        allow_as_recorded=policies.can_view_as_recorded(request.user),
    )
    context: dict[str, Any] = {"form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "custody/population.html", context)
    data: dict[str, Any] = (
        form.cleaned_data
        if form.is_bound
        else {
            "day": timezone.localdate(),
            "dimension": "institution",
            "flows_from": timezone.localdate().replace(day=1),
            "flows_to": timezone.localdate(),
        }
    )
    chosen: Institution | None = data.get("institution")
    ids = [chosen.pk] if chosen is not None else _scope_ids(request)
    recorded_at = (
        data.get("recorded_at") if data.get("mode") == forms.PopulationForm.AS_RECORDED else None
    )
    rows = population.population_table(
        day=data["day"], dimension=data["dimension"], institution_ids=ids, recorded_at=recorded_at
    )
    total = sum(r.count for r in rows)
    filters = {
        "day": data["day"].isoformat(),
        "dimension": data["dimension"],
        "institution": chosen.code if chosen else "",
        "recorded_at": recorded_at.isoformat() if recorded_at else "",
    }
    dimension_label = population.DIMENSION_LABELS[data["dimension"]]
    if (fmt := _export_format(request)) is not None:
        audit_export(
            actor=request.user, verb="population exported", filters=filters, row_count=len(rows)
        )
        return export_response(
            filename=f"population-{data['day'].isoformat()}",
            fmt=fmt,
            header=[str(dimension_label), _("Persons")],
            rows=[*((r.label, r.count) for r in rows), (_("Total"), total)],
        )
    audit_search(actor=request.user, verb="population counted", filters=filters, result_count=total)
    context.update(
        {
            "rows": rows,
            "total": total,
            "day": data["day"],
            "dimension_label": dimension_label,
            "recorded_at": recorded_at,
            "flows": population.flows(data["flows_from"], data["flows_to"], ids),
            "can_export": policies.can_export(request.user),
            "querystring": request.GET.urlencode(),
        }
    )
    return render(request, "custody/population.html", context)


# ---- movements list ------------------------------------------------------------------------


@login_required
def movement_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    require(policies.can_see_movements(request.user))
    institution = get_object_or_404(_institutions(request), pk=pk)
    form = forms.MovementFilterForm(request.GET or None)
    events = Movement.objects.filter(
        institution=institution, person__in=Person.objects.visible_to(request.user)
    ).select_related("person", "destination", "section", "cell", "reversed_by", "recorded_by")
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["date_from"]:
            start = services.end_of_day(data["date_from"] - timedelta(days=1))
            events = events.filter(occurred_at__gte=start)
        if data["date_to"]:
            events = events.filter(occurred_at__lt=services.end_of_day(data["date_to"]))
    sort, order = sort_key(
        request,
        {
            "occurred_at": "occurred_at",
            "kind": "kind",
            "person": "person__surname",
            "recorded_at": "recorded_at",
        },
        "-occurred_at",
    )
    events = events.order_by(order, "-id")
    filters = {"institution": institution.code, **_filters(request)}
    if (fmt := _export_format(request)) is not None:
        rows = list(events[:100_000])
        audit_export(
            actor=request.user, verb="movements exported", filters=filters, row_count=len(rows)
        )
        return export_response(
            filename=f"movements-{institution.code}",
            fmt=fmt,
            header=[
                _("When"),
                _("Event"),
                _("Case number"),
                _("Person"),
                _("Destination"),
                _("Section"),
                _("Reason"),
                _("Reversed"),
                _("Recorded at"),
            ],
            rows=(
                (
                    m.occurred_at,
                    m.get_kind_display(),
                    m.person.case_number,
                    m.person.full_name,
                    m.destination.code if m.destination else "",
                    m.section.name if m.section else "",
                    m.get_release_reason_display() or m.reason,
                    _("yes") if _is_reversed(m) else "",
                    m.recorded_at,
                )
                for m in rows
            ),
        )
    context = paginate(request, events)
    audit_search(
        actor=request.user,
        verb="movements listed",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    return render(
        request,
        "custody/movement_list.html",
        {
            **context,
            "institution": institution,
            "form": form,
            "sort": sort,
            "sort_base": _sort_base(request),
            "can_export": policies.can_export(request.user),
            "can_correct": policies.can_correct(request.user),
        },
    )


def _is_reversed(movement: Movement) -> bool:
    try:
        return movement.reversed_by is not None
    except Movement.DoesNotExist:
        return False


# ---- ledger forms --------------------------------------------------------------------------


def _describe_errors(*form_list: django_forms.BaseForm) -> None:
    """Point each input at its error container so screen readers read the message."""
    for form in form_list:
        for name, field in form.fields.items():
            field.widget.attrs["aria-describedby"] = f"errors-{form[name].auto_id}"


def _validation_response(
    request: AuthenticatedHttpRequest, form_list: list[django_forms.BaseForm], **extra: Any
) -> HttpResponse:
    """htmx live validation: the error container of each field, swapped out of band. Only
    fields the officer has filled in are judged, so empty ones do not nag before submit."""
    items = []
    for form in form_list:
        form.is_valid()
        for bound in form:
            value = form.data.get(bound.html_name, "")
            touched = bool(str(value).strip()) and bound.widget_type != "hidden"
            items.append((bound.auto_id, bound.errors if touched else []))
    return render(request, "custody/includes/validate.html", {"items": items, **extra})


@dataclass(frozen=True)
class LedgerAction:
    title: str | Promise
    form_class: type[django_forms.Form]
    capability: Callable[[Any], bool]
    success: str | Promise
    submit: str | Promise


ACTIONS: dict[str, LedgerAction] = {
    "transfer": LedgerAction(
        gettext_lazy("Transfer to another institution"),
        forms.TransferForm,
        policies.can_record_movement,
        gettext_lazy("The transfer was recorded; the person is in transit."),
        gettext_lazy("Record the transfer"),
    ),
    "arrival": LedgerAction(
        gettext_lazy("Arrival from a transfer"),
        forms.ArrivalForm,
        policies.can_record_movement,
        gettext_lazy("The arrival was recorded."),
        gettext_lazy("Record the arrival"),
    ),
    "release": LedgerAction(
        gettext_lazy("Release"),
        forms.ReleaseForm,
        policies.can_record_movement,
        gettext_lazy("The release was recorded."),
        gettext_lazy("Record the release"),
    ),
    "absence": LedgerAction(
        gettext_lazy("Temporary absence"),
        forms.AbsenceForm,
        policies.can_record_movement,
        gettext_lazy("The temporary absence was recorded."),
        gettext_lazy("Record the absence"),
    ),
    "absence_return": LedgerAction(
        gettext_lazy("Return from temporary absence"),
        forms.RemarksForm,
        policies.can_record_movement,
        gettext_lazy("The return was recorded."),
        gettext_lazy("Record the return"),
    ),
    "escape": LedgerAction(
        gettext_lazy("Escape"),
        forms.RemarksForm,
        policies.can_record_movement,
        gettext_lazy("The escape was recorded."),
        gettext_lazy("Record the escape"),
    ),
    "recapture": LedgerAction(
        gettext_lazy("Recapture"),
        forms.RecaptureForm,
        policies.can_record_movement,
        gettext_lazy("The recapture was recorded."),
        gettext_lazy("Record the recapture"),
    ),
    "death": LedgerAction(
        gettext_lazy("Death in custody"),
        forms.DeathForm,
        policies.can_record_movement,
        gettext_lazy("The death was recorded. Report it to the independent authority."),
        gettext_lazy("Record the death"),
    ),
    "move": LedgerAction(
        gettext_lazy("Move to another section or cell"),
        forms.MoveForm,
        policies.can_record_movement,
        gettext_lazy("The move was recorded."),
        gettext_lazy("Record the move"),
    ),
    "extend": LedgerAction(
        gettext_lazy("Extension of remand"),
        forms.ExtendForm,
        policies.can_record_movement,
        gettext_lazy("The extension was recorded; the lawful date has moved."),
        gettext_lazy("Record the extension"),
    ),
}


def _person_for(request: AuthenticatedHttpRequest, pk: int, action: str) -> Person:
    user = request.user
    # The receiving institution sees the persons sent to it before they arrive (as the API does).
    persons = (
        arrivals.visible_or_arriving(user)
        if action == "arrival"
        else Person.objects.visible_to(user)
    )
    person: Person = get_object_or_404(
        persons.select_related("current_institution", "last_institution"), pk=pk
    )
    return person


def _pending_destination(person: Person) -> Institution | None:
    pending = services.pending_transfer(person)
    return pending.destination if pending is not None else None


def _form_for(
    request: AuthenticatedHttpRequest,
    action: str,
    person: Person,
    data: Any,
    destination: Institution | None = None,
) -> django_forms.Form:
    spec = ACTIONS[action]
    kwargs: dict[str, Any] = {}
    if action == "transfer":
        kwargs["current"] = person.current_institution
    form = spec.form_class(data, **kwargs)
    if isinstance(form, forms.PlacementMixin):
        if action == "arrival":
            form.limit_placement([destination] if destination is not None else [])
        elif action == "recapture":
            form.limit_placement(_institutions(request))
            field = form.fields["institution"]
            assert isinstance(field, django_forms.ModelChoiceField)
            field.queryset = _institutions(request)
            if person.last_institution_id and not form.is_bound:
                form.initial.setdefault("institution", person.last_institution_id)
        elif person.current_institution is not None:
            form.limit_placement([person.current_institution])
    return form


def _run(
    action: str,
    request: AuthenticatedHttpRequest,
    person: Person,
    form: Any,
    destination: Institution | None = None,
) -> None:
    """Call the one service of the action with the form's cleaned data."""
    user = request.user
    data = form.cleaned_data
    key = form.idempotency_key
    if action == "extend":
        services.detention_extend(
            actor=user,
            person=person,
            authority=data["basis_authority"],
            document_number=data["basis_number"],
            issued_on=data["basis_issued_on"],
            valid_until=data["basis_valid_until"],
            idempotency_key=key,
        )
        return
    here = person.current_institution or person.last_institution
    if action == "arrival":
        here = destination
    elif action == "recapture":
        here = data["institution"]
    if here is None:
        raise ServiceError(
            {"occurred_at": [_("This person is not in custody. Record an admission instead.")]}
        )
    event = services.MovementInput(
        occurred_at=data["occurred_at"],
        institution=here,
        section=data.get("section"),
        cell=data.get("cell"),
        reason=data.get("reason", ""),
    )
    common: dict[str, Any] = {
        "actor": user,
        "person": person,
        "data": event,
        "idempotency_key": key,
    }
    if action == "transfer":
        services.person_transfer_out(
            **common,
            destination=data["destination"],
            escort=data["escort"],
            vehicle=data["vehicle"],
            conditions=data["conditions"],
            departure_at=data["departure_at"],
            capacity_override_reason=data["capacity_override_reason"],
        )
    elif action == "arrival":
        services.person_transfer_in(**common)
    elif action == "release":
        services.person_release(**common, release_reason=data["release_reason"])
    elif action == "absence":
        services.person_absence_out(
            **common, absence_reason=data["absence_reason"], escort=data["escort"]
        )
    elif action == "absence_return":
        services.person_absence_return(**common)
    elif action == "escape":
        services.person_escape(**common)
    elif action == "recapture":
        services.person_recapture(**common)
    elif action == "death":
        services.person_death(**common)
    elif action == "move":
        services.person_move_section(**common)


def _after_person(person: Person) -> HttpResponseRedirect:
    url = person_url(person.pk)
    if not url and person.last_institution_id:
        url = reverse("custody:institution_detail", kwargs={"pk": person.last_institution_id})
    return HttpResponseRedirect(url or reverse("core:home"))


def _ledger_view(
    request: AuthenticatedHttpRequest, pk: int, action: str, validate: bool = False
) -> HttpResponse:
    spec = ACTIONS[action]
    require(spec.capability(request.user))
    if validate and request.method != "POST":
        return HttpResponse(status=405)
    person = _person_for(request, pk, action)
    # An arrival goes where the pending transfer was sent (one replay of the ledger per request).
    destination = _pending_destination(person) if action == "arrival" else None
    form = _form_for(
        request, action, person, request.POST if request.method == "POST" else None, destination
    )
    _describe_errors(form)
    if validate:
        return _validation_response(request, [form])
    if request.method == "POST" and form.is_valid():
        try:
            _run(action, request, person, form, destination)
        except ServiceError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, str(spec.success))
            return _after_person(person)
    audit_view(actor=request.user, person_id=person.pk, verb=f"ledger form: {action}")
    return render(
        request,
        "custody/movement_form.html",
        {
            "form": form,
            "person": person,
            "person_link": person_url(person.pk)
            if Person.objects.visible_to(request.user).filter(pk=person.pk).exists()
            else "",
            "title": spec.title,
            "submit": spec.submit,
            "action_url": reverse(f"custody:{action}", kwargs={"pk": person.pk}),
            "validate_url": reverse(f"custody:{action}_validate", kwargs={"pk": person.pk}),
            "pending_destination": destination,
            "lawful_basis": services.lawful_basis(person) if action == "extend" else None,
        },
    )


def _ledger_route(action: str, validate: bool = False) -> Callable[..., HttpResponse]:
    @login_required
    def view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        return _ledger_view(request, pk, action, validate)

    view.__name__ = f"{action}_validate" if validate else action
    return view


@login_required
def correct(
    request: AuthenticatedHttpRequest, movement_pk: int, validate: bool = False
) -> HttpResponse:
    """Reverse a wrong ledger event (head only): the event stays, a correction reverses it."""
    require(policies.can_correct(request.user))
    movement = get_object_or_404(
        Movement.objects.filter(
            person__in=Person.objects.visible_to(request.user),
            institution__in=_institutions(request),
        ).select_related("person", "institution"),
        pk=movement_pk,
    )
    if validate and request.method != "POST":
        return HttpResponse(status=405)
    form = forms.CorrectForm(request.POST if request.method == "POST" else None)
    _describe_errors(form)
    if validate:
        return _validation_response(request, [form])
    if request.method == "POST" and form.is_valid():
        existing = Movement.objects.filter(reverses=movement).first()
        if (
            existing is not None
            and existing.recorded_by_id == request.user.pk
            and (existing.reason == form.cleaned_data["reason"].strip())
        ):
            # The same correction sent twice (double click): show the result once.
            messages.success(request, _("The event was corrected."))
            return _after_person(movement.person)
        try:
            services.movement_correct(
                actor=request.user, movement=movement, reason=form.cleaned_data["reason"]
            )
        except ServiceError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, _("The event was corrected."))
            return _after_person(movement.person)
    audit_view(actor=request.user, person_id=movement.person_id, verb="ledger form: correct")
    return render(
        request,
        "custody/movement_form.html",
        {
            "form": form,
            "person": movement.person,
            "person_link": person_url(movement.person_id),
            "movement": movement,
            "title": _("Correct a ledger event"),
            "submit": _("Reverse this event"),
            "action_url": reverse("custody:correct", kwargs={"movement_pk": movement.pk}),
            "validate_url": reverse(
                "custody:correct_validate", kwargs={"movement_pk": movement.pk}
            ),
        },
    )


@login_required
def correct_validate(request: AuthenticatedHttpRequest, movement_pk: int) -> HttpResponse:
    return correct(request, movement_pk, validate=True)


# ---- admission -----------------------------------------------------------------------------


def _admission_inputs(
    form: forms.AdmissionForm,
    kin: Any,
    children: Any,
    items: Any,
) -> dict[str, Any]:
    from qadam.people.services import (
        AdmissionRecordInput,
        ChildInput,
        KinInput,
        PropertyInput,
    )

    data = form.cleaned_data
    record = AdmissionRecordInput(
        commitment_reason=data["commitment_reason"],
        commitment_authority=data["commitment_authority"],
        arrested_at=data["arrested_at"],
        arrest_place=data["arrest_place"],
        rights_informed_at=data["rights_informed_at"],
        information_language=data["information_language"],
        visible_injuries=data["visible_injuries"],
        ill_treatment_complaint=data["ill_treatment_complaint"],
        interpreter_needed=data["interpreter_needed"],
        interpreter_name=data["interpreter_name"],
        consulate_notified_at=data["consulate_notified_at"],
        no_next_of_kin_reason=data["no_next_of_kin_reason"],
        property=[
            PropertyInput(
                description=f.cleaned_data["description"],
                quantity=f.cleaned_data.get("quantity") or 1,
                storage=f.cleaned_data.get("storage", ""),
            )
            for f in items.forms
            if f.cleaned_data.get("description")
        ],
        next_of_kin=[
            KinInput(
                name=f.cleaned_data["name"],
                relationship=f.cleaned_data["relationship"],
                phone=f.cleaned_data.get("phone", ""),
                address=f.cleaned_data.get("address", ""),
                is_emergency_contact=f.cleaned_data.get("is_emergency_contact", False),
            )
            for f in kin.forms
            if f.cleaned_data.get("name")
        ],
        children=[
            ChildInput(
                name=f.cleaned_data["name"],
                birth_date=f.cleaned_data["birth_date"],
                whereabouts=f.cleaned_data["whereabouts"],
                carer=f.cleaned_data["carer"],
            )
            for f in children.forms
            if f.cleaned_data.get("name")
        ],
    )
    return {
        "data": services.MovementInput(
            occurred_at=data["occurred_at"],
            institution=data["institution"],
            section=data.get("section"),
            cell=data.get("cell"),
        ),
        "legal_status": data["legal_status"],
        "basis": services.BasisInput(
            kind=data["basis_kind"],
            authority=data["basis_authority"],
            document_number=data["basis_number"],
            issued_on=data["basis_issued_on"],
            valid_until=data["basis_valid_until"],
        ),
        "record": record,
        "capacity_override_reason": data["capacity_override_reason"],
    }


def _apply_admission_errors(
    error: ServiceError, form: forms.AdmissionForm, formsets: dict[str, Any]
) -> list[str]:
    """Map the service's keys to the form, the formsets' rows, or the duplicates box."""
    duplicate_messages: list[str] = []
    for key, messages_ in error.errors.items():
        for message in messages_:
            prefix, _sep, index = key.rpartition("_")
            if key == "duplicates":
                duplicate_messages.append(message)
            elif key == "next_of_kin":
                form.add_error("no_next_of_kin_reason", message)
            elif (
                prefix in formsets and index.isdigit() and int(index) < len(formsets[prefix].forms)
            ):
                formsets[prefix].forms[int(index)].add_error(None, message)
            else:
                form.add_error(key if key in form.fields else None, message)
    return duplicate_messages


@login_required
def admit(request: AuthenticatedHttpRequest, validate: bool = False) -> HttpResponse:
    """Admission of a new person, or of an existing one with `?person=<pk>`."""
    from qadam.people.services import find_duplicates

    require(policies.can_admit(request.user))
    if validate and request.method != "POST":
        return HttpResponse(status=405)
    person: Person | None = None
    if person_param := request.GET.get("person"):
        if not person_param.isdigit():
            raise Http404
        person = get_object_or_404(Person.objects.visible_to(request.user), pk=int(person_param))
    data = request.POST if request.method == "POST" else None
    form = forms.AdmissionForm(data, institutions=_institutions(request), person=person)
    kin = forms.KinFormSet(data, prefix="kin")
    children = forms.ChildFormSet(data, prefix="child")
    items = forms.PropertyFormSet(data, prefix="property")
    _describe_errors(form, *kin.forms, *children.forms, *items.forms)
    duplicates: list[Any] = []
    duplicate_messages: list[str] = []
    if data is not None:
        valid = all([form.is_valid(), kin.is_valid(), children.is_valid(), items.is_valid()])
        identity = form.identity() if person is None else None
        if identity is not None:
            duplicates = find_duplicates(identity)
            visible_ids = set(
                Person.objects.visible_to(request.user)
                .filter(pk__in=[d.person.pk for d in duplicates])
                .values_list("pk", flat=True)
            )
            duplicates = [(d, d.person.pk in visible_ids) for d in duplicates]
            if duplicates:
                audit_search(
                    actor=request.user,
                    verb="duplicate check at admission",
                    filters={"surname": identity.surname, "birth_date": str(identity.birth_date)},
                    result_count=len(duplicates),
                )
        if validate:
            return _validation_response(
                request,
                [form, *kin.forms, *children.forms, *items.forms],
                duplicates=duplicates,
                live=True,
            )
        if valid:
            try:
                movement = services.admission_create(
                    actor=request.user,
                    identity=identity,
                    person=person,
                    allow_duplicate_reason=form.cleaned_data.get("allow_duplicate_reason", ""),
                    idempotency_key=form.idempotency_key,
                    **_admission_inputs(form, kin, children, items),
                )
            except ServiceError as error:
                duplicate_messages = _apply_admission_errors(
                    error, form, {"next_of_kin": kin, "children": children, "property": items}
                )
            else:
                messages.success(
                    request,
                    _("%(name)s was admitted to %(institution)s.")
                    % {"name": movement.person.full_name, "institution": movement.institution.name},
                )
                return _after_person(movement.person)
    if person is not None:
        audit_view(actor=request.user, person_id=person.pk, verb="admission form")
    action_url = reverse("custody:admit") + (f"?person={person.pk}" if person else "")
    return render(
        request,
        "custody/admission_form.html",
        {
            "form": form,
            "kin": kin,
            "children": children,
            "items": items,
            "person": person,
            "person_link": person_url(person.pk) if person else "",
            "duplicates": duplicates,
            "duplicate_messages": duplicate_messages,
            "action_url": action_url,
            "validate_url": reverse("custody:admit_validate")
            + (f"?person={person.pk}" if person else ""),
        },
    )


@login_required
def admit_validate(request: AuthenticatedHttpRequest) -> HttpResponse:
    return admit(request, validate=True)


# ---- alarms --------------------------------------------------------------------------------


@require_POST
@login_required
def alert_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(policies.can_acknowledge_alarms(request.user))
    alert = get_object_or_404(
        Alert.objects.filter(institution__in=_institutions(request)).select_related("person"),
        pk=pk,
    )
    services.alert_acknowledge(actor=request.user, alert=alert)
    if alert.kind == Alert.Kind.REMAND_OUTSIDE_PRETRIAL:
        acknowledged = _(
            "Alarm acknowledged: %(name)s. The person stays on the list until moved to a "
            "pre-trial detention centre or a pre-trial section, released or sentenced."
        )
    else:
        acknowledged = _(
            "Alarm acknowledged: %(name)s. The person stays on the list until released or a new "
            "detention document is recorded."
        )
    messages.success(request, acknowledged % {"name": alert.person.full_name})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("core:home")
    return HttpResponseRedirect(next_url)


def home_panels(request: AuthenticatedHttpRequest) -> list[dict[str, Any]]:
    """Open alarms first (red, each to be acknowledged), then the lawful-detention lists."""
    user = request.user
    panels: list[dict[str, Any]] = []
    shown = 0
    if policies.can_acknowledge_alarms(user):
        alarms = list(lawful.open_alarms(user)[:200])
        today = timezone.localdate()
        panels.append(
            {
                "template": "custody/panels/alarms.html",
                "order": 0,
                "alarms": [
                    (a, (today - a.due_date).days if a.due_date else 0, person_url(a.person_id))
                    for a in alarms
                ],
                # Held past the date but not yet raised (the daily check raises them): the panel
                # must not say that nobody is held past the date.
                "not_yet_raised": 0
                if alarms
                else lawful.held_past_lawful_date(_institutions(request), today).count(),
            }
        )
        shown += len(alarms)
        # Mandela Rule 11(b): persons on remand held where the convicted are; days since then.
        remand = list(lawful.open_alarms(user, Alert.Kind.REMAND_OUTSIDE_PRETRIAL)[:200])
        if remand:
            panels.append(
                {
                    "template": "custody/panels/remand_alarms.html",
                    "order": 0,
                    "alarms": [
                        (a, (today - a.due_date).days if a.due_date else 0, person_url(a.person_id))
                        for a in remand
                    ],
                    "can_record_movement": policies.can_record_movement(user),
                }
            )
            shown += len(remand)
    if policies.can_record_movement(user):
        lists = lawful.lawful_lists(_institutions(request), limit=50)
        if not lists.empty:
            panels.append({"template": "custody/panels/lawful.html", "order": 1, "lawful": lists})
        shown += len(lists.held_past) + len(lists.due_today) + len(lists.expiring)
    if shown:
        audit_search(
            actor=user,
            verb="home page: lawful-detention alarms and lists",
            filters={},
            result_count=shown,
        )
    return panels
