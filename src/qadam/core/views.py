"""The shell: log in and out, home page, language, audit viewer."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qadam.core import forms
from qadam.core.audit import audit_export, audit_search, audit_write
from qadam.core.exports import export_response
from qadam.core.http import AuthenticatedHttpRequest
from qadam.core.models import AuditEvent, User
from qadam.core.pagination import paginate
from qadam.core.policies import require_capability


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        audit_write(actor=user, action=AuditEvent.Action.LOGIN, verb="logged in")
        if user.language:
            response.set_cookie("django_language", user.language, samesite="Lax")
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(form.data.get("username", ""))[:150]
        audit_write(
            actor=None,
            action=AuditEvent.Action.LOGIN_FAILED,
            verb="failed login",
            details={"username": username},
        )
        return super().form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    if request.user.is_authenticated:
        audit_write(
            actor=request.user,
            action=AuditEvent.Action.LOGOUT,
            verb="logged out",
        )
    logout(request)
    return HttpResponseRedirect("/login/")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; for staff it is remembered on their account."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in {"kk", "ru", "en"}:
        return response
    if request.user.is_authenticated:
        user: User = request.user
        user.language = language
        user.save(update_fields=["language"])
    translation.activate(language)
    response.set_cookie("django_language", language, samesite="Lax", max_age=365 * 86400)
    return response


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    from qadam.core.home import home_panels

    return render(request, "core/home.html", {"panels": home_panels(request)})


def _audit_filters(request: AuthenticatedHttpRequest) -> tuple[forms.AuditFilterForm, Any]:
    form = forms.AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor").order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["staff"]:
            events = events.filter(actor__username=data["staff"])
        if data["person"]:
            events = events.filter(person_id=data["person"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["date_from"]:
            events = events.filter(
                at__gte=timezone.make_aware(datetime.combine(data["date_from"], time.min))
            )
        if data["date_to"]:
            end: date = data["date_to"]
            events = events.filter(at__lt=timezone.make_aware(datetime.combine(end, time.max)))
    return form, events


@login_required
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    require_capability(request.user, "view_audit")
    form, events = _audit_filters(request)
    filters = {k: v for k, v in request.GET.items() if k not in {"page", "format"} and v}
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        rows = [
            (
                e.pk,
                e.at,
                e.actor.username if e.actor else "",
                e.actor_role,
                e.get_action_display(),
                e.verb,
                e.object_type,
                e.object_id,
                e.person_id,
                e.reason,
                e.request_id,
                e.chain_hash,
            )
            for e in events[:100_000]
        ]
        audit_export(
            actor=request.user, verb="audit trail exported", filters=filters, row_count=len(rows)
        )
        return export_response(
            filename="audit",
            fmt=fmt,
            header=[
                _("Id"),
                _("When"),
                _("Staff member"),
                _("Role"),
                _("Action"),
                _("What"),
                _("Object type"),
                _("Object"),
                _("Person"),
                _("Reason"),
                _("Request id"),
                _("Chain hash"),
            ],
            rows=rows,
        )
    context = paginate(request, events)
    audit_search(
        actor=request.user,
        verb="audit trail searched",
        filters=filters,
        result_count=context["page_obj"].paginator.count,
    )
    return render(request, "core/audit_list.html", {"form": form, **context})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    messages.error(request, _("The form had expired. Please try again."))
    return render(
        request,
        "core/error.html",
        {
            "title": _("The form had expired"),
            "message": _("Please go back, reload the page and try again."),
        },
        status=403,
    )


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception)
        if exception and str(exception)
        else _("You do not have permission to see this page.")
    )
    return render(
        request, "core/error.html", {"title": _("Access denied"), "message": message}, status=403
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": _("Not found"),
            "message": _("This page does not exist, or it is outside what you may see."),
        },
        status=404,
    )


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": _("Something went wrong"),
            "message": _("The error has been logged. Nothing was saved; please try again."),
        },
        status=500,
    )
