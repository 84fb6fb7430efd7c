"""Values every page of the shell needs: the navigation the user may see and the languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qadam.core.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nav_items": navigation_for(user) if user is not None and user.is_authenticated else [],
        "shell_languages": settings.LANGUAGES,
    }
