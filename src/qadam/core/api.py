"""The machine API's shared parts: authentication, the error shape, exception handlers, `/me`.

Machine clients send `Authorization: Bearer <token>` (tokens from `qadam api_token create`) and
need the `use_api` capability; staff in the browser use their session (with CSRF) and are held to
the same second-factor rule as the pages. Every error is JSON `{"errors": {"field": ["message"]}}`
in the language of the request (Accept-Language for machine clients, the account's language for
staff); a message about the request as a whole is filed under `__all__`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params import HeaderEx, P, PathEx
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator

from qadam.core.api_tokens import user_for_token
from qadam.core.errors import ServiceError
from qadam.core.models import User
from qadam.core.policies import has_capability
from qadam.core.roles import CAPABILITIES

if TYPE_CHECKING:
    from ninja import NinjaAPI


class UnprocessableError(ServiceError):
    """The request is well formed but its content breaks the record's rules: 422 with the
    problems per field (answered by the handler registered for ServiceError)."""

    status_code = 422


WHOLE_REQUEST = "__all__"
MAX_ID = 2**63 - 1


# --- Input types that refuse what the database cannot store --------------------------------------


def _storable(value: str) -> str:
    """Refuse NUL characters and lone surrogates: PostgreSQL cannot store them."""
    if "\x00" in value:
        raise ValueError(_("The text contains a NUL character; remove it."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("The text is not valid Unicode.")) from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PersonId = PathEx[int, P(ge=1, le=MAX_ID, description="The person's id.")]
IdempotencyKey = HeaderEx[
    str | None,
    P(
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description=(
            "A key of your choosing (a UUID) for this request: sending it again with the same body "
            "within the idempotency window (24 hours unless configured) returns the first answer "
            "without recording anything a second time; reusing it with another body is refused "
            "with 409. After the window the key no longer matches: the request is a new one."
        ),
    ),
]


# --- The error shape -------------------------------------------------------------------------------


class ErrorOut(Schema):
    """Every error answer: field name → messages saying what to fix."""

    errors: dict[str, list[str]] = Field(
        ...,
        description="Field name (or `__all__` for the request as a whole) → messages.",
        examples=[{"occurred_at": ["The date and time cannot be in the future."]}],
    )


ERRORS: dict[int, type[ErrorOut]] = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


def responses(ok: dict[int, Any]) -> dict[int, Any]:
    """The documented answers of an operation: its own plus every error status."""
    return {**ok, **ERRORS}


def error_body(errors: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    return {"errors": {(field or WHOLE_REQUEST): messages for field, messages in errors.items()}}


# Pydantic error types → translated messages (pydantic's own text is English only).
def _validation_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    messages: dict[str, str] = {
        "missing": _("This field is required."),
        "int_parsing": _("Give a whole number."),
        "int_type": _("Give a whole number."),
        "int_from_float": _("Give a whole number."),
        "bool_parsing": _("Give true or false."),
        "bool_type": _("Give true or false."),
        "string_type": _("Give text."),
        "date_parsing": _("Give a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Give a date as YYYY-MM-DD."),
        "date_from_datetime_inexact": _("Give a date as YYYY-MM-DD."),
        "date_type": _("Give a date as YYYY-MM-DD."),
        "datetime_parsing": _("Give a date and time as YYYY-MM-DDTHH:MM:SS+05:00."),
        "datetime_from_date_parsing": _("Give a date and time as YYYY-MM-DDTHH:MM:SS+05:00."),
        "datetime_type": _("Give a date and time as YYYY-MM-DDTHH:MM:SS+05:00."),
        "timezone_aware": _("Give the time with its time zone, e.g. +05:00."),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("Send a JSON object."),
        "dict_type": _("Send a JSON object."),
        "extra_forbidden": _("This field is not accepted; remove it."),
        "enum": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "literal_error": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "greater_than_equal": _("Give a value of at least %(limit)s.")
        % {"limit": ctx.get("ge", "")},
        "greater_than": _("Give a value greater than %(limit)s.") % {"limit": ctx.get("gt", "")},
        "less_than_equal": _("Give a value of at most %(limit)s.") % {"limit": ctx.get("le", "")},
        "less_than": _("Give a value less than %(limit)s.") % {"limit": ctx.get("lt", "")},
        "string_too_long": _("Shorten this to at most %(limit)s characters.")
        % {"limit": ctx.get("max_length", "")},
        "string_too_short": _("Give at least %(limit)s characters.")
        % {"limit": ctx.get("min_length", "")},
        "string_pattern_mismatch": _("This value does not have the expected form."),
    }
    if kind in messages:
        return messages[kind]
    if kind == "value_error" and isinstance(ctx.get("error"), Exception):
        return str(ctx["error"])
    return _("This value is not valid.")


def _field_name(location: Any) -> str:
    parts = [str(p) for p in (location or [])]
    if not parts:
        return WHOLE_REQUEST
    source, rest = parts[0], parts[1:]
    if source == "body" and rest:
        rest = rest[1:]  # the operation's parameter name, which clients never see
    return ".".join(rest) or (source if source != "body" else WHOLE_REQUEST)


def validation_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for error in errors:
        result.setdefault(_field_name(error.get("loc")), []).append(_validation_message(error))
    return result


def install_error_handlers(api: NinjaAPI) -> None:
    """Bad input and refusals answer as JSON errors with the right status, never a 500."""

    def send(request: HttpRequest, status: int, errors: dict[str, list[str]]) -> HttpResponse:
        return api.create_response(request, error_body(errors), status=status)

    def on_service_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, ServiceError)
        return send(request, exc.status_code, exc.errors)

    def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        message = str(exc) or _("You do not have permission to do this.")
        return send(request, 403, {WHOLE_REQUEST: [message]})

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return send(request, 404, {WHOLE_REQUEST: [_("Not found, or outside what you may see.")]})

    def on_validation_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, NinjaValidationError)
        return send(request, 422, validation_errors(list(exc.errors)))

    def on_django_validation_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, DjangoValidationError)
        if hasattr(exc, "error_dict"):
            return send(request, 400, {k: list(v) for k, v in exc.message_dict.items()})
        return send(request, 400, {WHOLE_REQUEST: list(exc.messages)})

    def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        message = _(
            "Authentication required: send a valid API token as 'Authorization: Bearer <token>', "
            "or log in."
        )
        response = send(request, 401, {WHOLE_REQUEST: [message]})
        response["WWW-Authenticate"] = 'Bearer realm="qadam"'
        return response

    def on_http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, HttpError)
        message = str(exc)
        if exc.status_code == 403 and "CSRF" in message:
            message = _("The CSRF check failed: send the X-CSRFToken header with the session.")
        elif exc.status_code == 400:
            message = _("The request body could not be read: send valid JSON.")
        return send(request, exc.status_code, {WHOLE_REQUEST: [message]})

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (ServiceError, on_service_error),
        (PermissionDenied, on_permission_denied),
        (Http404, on_not_found),
        (NinjaValidationError, on_validation_error),
        (DjangoValidationError, on_django_validation_error),
        (AuthenticationError, on_unauthenticated),
        (HttpError, on_http_error),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)


# --- Authentication --------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` for machine clients holding the `use_api` capability."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token.strip())
        if user is None:
            return None
        if not has_capability(user, "use_api"):
            raise PermissionDenied(_("This account may not use the machine API."))
        request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """The browser session of a member of staff (CSRF-checked), once any second factor passed."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        from qadam.core.otp import second_factor_pending

        user = request.user
        if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
            return None
        if second_factor_pending(request):
            return None
        return user


def actor(request: HttpRequest) -> User:
    """The authenticated staff member or machine client behind an API request."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - every operation requires authentication
        raise PermissionDenied(_("You do not have permission to do this."))
    return user


# --- /me -------------------------------------------------------------------------------------------

router = Router(tags=["account"])


class MeOut(Schema):
    username: str = Field(..., examples=["registry-bot-almaty"])
    role: str = Field(..., examples=["reception"])
    role_label: str = Field(..., examples=["Reception and registry officer"])
    scope_level: str = Field(..., examples=["institution"])
    institutions: list[str] = Field(..., description="Codes of institutions in scope.")
    regions: list[str] = Field(..., description="ISO codes of regions in scope.")
    capabilities: list[str] = Field(..., examples=[["view_person", "record_movement"]])
    is_machine_client: bool


@router.get("/me", response=responses({200: MeOut}), summary="Who the token or session is")
def me(request: HttpRequest) -> dict[str, Any]:
    """The account behind this request, its scope and capabilities: check a token with it."""
    user = actor(request)
    return {
        "username": user.username,
        "role": user.role,
        "role_label": user.role_label,
        "scope_level": user.scope_level,
        "institutions": sorted(user.institutions.values_list("code", flat=True)),
        "regions": sorted(user.regions.values_list("code", flat=True)),
        "capabilities": sorted(code for code in CAPABILITIES if has_capability(user, code)),
        "is_machine_client": user.is_machine_client,
    }
