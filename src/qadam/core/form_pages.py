"""One form page about one person: GET shows the form; POST validates it, calls the service and
either shows the service's refusals on the fields they name or redirects with a message.

Every module's simple form pages (plans, assessment, sentences) go through `person_form_page`, so
they answer alike: the person's record is audited as viewed, bad input is answered with the
form and HTTP 400 (200 to htmx, which swaps only successful answers), and a success either
redirects or, for an htmx request made from the page that holds the partial's target, answers
with that partial re-rendered in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from qadam.core.audit import audit_view
from qadam.core.errors import ServiceError

if TYPE_CHECKING:
    from qadam.core.http import AuthenticatedHttpRequest
    from qadam.people.models import Person

Context = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def apply_service_errors(
    error: ServiceError, form: forms.BaseForm, related: Sequence[forms.BaseForm] = ()
) -> None:
    """Put each service message on the field it names.

    A key "<prefix>-<field>" goes to the related form with that prefix (a formset's form, as in
    "count-0-years"); a key naming no field of its form goes to the main form's non-field errors.
    """
    by_prefix = {f.prefix or "": f for f in related}
    for key, field_messages in error.errors.items():
        target: forms.BaseForm = form
        name: str | None = key or None
        if key and "-" in key:
            prefix, _sep, rest = key.rpartition("-")
            if prefix in by_prefix:
                target, name = by_prefix[prefix], rest
        if name is not None and name not in target.fields:
            target, name = form, None
        for message in field_messages:
            target.add_error(name, message)


@dataclass(frozen=True)
class HtmxPartial:
    """What a successful htmx submit answers with: `template` ("page.html#partial") rendered with
    `context()` into `target` ("#plan-body"), which only `page_url` holds. A submit from any other
    page (the standalone form page) is sent to the redirect instead."""

    template: str
    target: str
    page_url: str
    context: Callable[[], Mapping[str, Any]]


def _resolve(context: Context) -> Mapping[str, Any]:
    return context() if callable(context) else context


def _from_page(request: AuthenticatedHttpRequest, page_url: str) -> bool:
    """Whether the htmx request was made from `page_url` (the page holding the target)."""
    current = request.htmx.current_url_abs_path
    return current is not None and urlsplit(current).path == urlsplit(page_url).path


def person_form_page(
    request: AuthenticatedHttpRequest,
    *,
    person: Person,
    form: forms.Form,
    action: Callable[[dict[str, Any]], Any],
    template: str,
    success_message: str,
    redirect_to: str | Callable[[Any], str],
    audit_verb: str,
    context: Context | None = None,
    form_partial: str | None = None,
    htmx_partial: HtmxPartial | None = None,
    related_forms: Sequence[forms.Form] = (),
) -> HttpResponse:
    """The GET/POST cycle of a form page about `person`; the caller has already authorised the
    user and fetched `person` through `visible_to`.

    - `action(cleaned_data)` calls the one service; a `ServiceError` is shown on the fields it
      names (`apply_service_errors`, with `related_forms` for formsets); nothing else is caught.
    - `redirect_to` is the URL to go to after success, or a function of what `action` returned.
    - `template` renders the page with `person`, `form` and `context`; `form_partial`
      ("page.html#form") is rendered instead for htmx requests, so that the form is swapped in
      place; `htmx_partial` is the answer to a successful htmx submit (see `HtmxPartial`).
    - `audit_verb` names the audit event recorded for every request: the page shows the person.
    """
    audit_view(actor=request.user, person_id=person.pk, verb=audit_verb)
    status = 200
    if request.method == "POST":
        if form.is_valid() and all(f.is_valid() for f in related_forms):
            try:
                result = action(form.cleaned_data)
            except ServiceError as error:
                apply_service_errors(error, form, related_forms)
            else:
                messages.success(request, success_message)
                url = redirect_to(result) if callable(redirect_to) else redirect_to
                return _after_success(request, url, htmx_partial)
        status = 200 if request.htmx else 400
    page = form_partial if request.htmx and form_partial else template
    data = {"person": person, "form": form, **_resolve(context or {})}
    return render(request, page, data, status=status)


def _after_success(
    request: AuthenticatedHttpRequest, url: str, htmx_partial: HtmxPartial | None
) -> HttpResponse:
    if not request.htmx:
        return HttpResponseRedirect(url)
    if htmx_partial is not None and _from_page(request, htmx_partial.page_url):
        response = render(request, htmx_partial.template, dict(htmx_partial.context()))
        response["HX-Retarget"] = htmx_partial.target
        response["HX-Reswap"] = "outerHTML"
        return response
    # htmx follows a plain redirect inside the request and would swap the whole next page into
    # the form: ask the browser to go there instead.
    return HttpResponseClientRedirect(url)


__all__ = ["HtmxPartial", "apply_service_errors", "person_form_page"]
