"""Typed request objects and small helpers shared by the views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from qadam.core.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that passed `login_required`: `user` is a staff member."""

    user: User
    htmx: HtmxDetails
