"""TOTP second factor (django-otp): enrolment helpers, the QR code, and the rule that holds a
session at the verification (or enrolment) step until the second factor is passed.

Whether a user has a confirmed device is looked up once per session and kept in it, so that pages
do not pay a query for it on every request; enrolling in this session updates it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from qadam.core.models import User
from qadam.core.roles import PRIVILEGED_ROLES

SESSION_KEY = "qadam_second_factor"
DEVICE_NAME = "default"

# Routes a session may reach before its second factor is passed.
EXEMPT_VIEWS = frozenset(
    {
        "core:login",
        "core:logout",
        "core:set_language",
        "core:otp_enrol",
        "core:otp_verify",
    }
)


def confirmed_device(user: User) -> TOTPDevice | None:
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    )
    return device


def pending_device(user: User) -> TOTPDevice:
    """The user's unconfirmed device being enrolled (one is created if needed)."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def must_enrol(user: User) -> bool:
    """Privileged roles must have a second factor when settings.REQUIRE_SECOND_FACTOR is on."""
    return bool(settings.REQUIRE_SECOND_FACTOR) and user.role in PRIVILEGED_ROLES


def has_confirmed_device(request: HttpRequest) -> bool:
    user = request.user
    assert isinstance(user, User)
    cached = request.session.get(SESSION_KEY)
    if isinstance(cached, dict) and cached.get("user") == user.pk:
        return bool(cached.get("device"))
    has_device = confirmed_device(user) is not None
    remember_device(request, has_device)
    return has_device


def remember_device(request: HttpRequest, has_device: bool) -> None:
    request.session[SESSION_KEY] = {"user": request.user.pk, "device": has_device}


def is_verified(request: HttpRequest) -> bool:
    check: Callable[[], bool] | None = getattr(request.user, "is_verified", None)
    return bool(check and check())


def second_factor_step(request: HttpRequest) -> str | None:
    """'verify' or 'enrol' when the session must pass that step first; None when it may go on."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated or is_verified(request):
        return None
    if has_confirmed_device(request):
        return "verify"
    if must_enrol(user):
        return "enrol"
    return None


def second_factor_pending(request: HttpRequest) -> bool:
    return second_factor_step(request) is not None


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (no external request, no image file)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg


class SecondFactorMiddleware:
    """Send a logged-in session to verify its code (or to enrol) before any other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name in EXEMPT_VIEWS:
            return None
        if match.namespace == "api" or match.view_name.startswith("api:"):
            return None  # the API's own session authentication applies the same rule
        step = second_factor_step(request)
        if step is None:
            return None
        target = reverse(f"core:otp_{step}") + "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
