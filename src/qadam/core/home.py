"""What each role sees first: panels contributed by the modules, in order of urgency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qadam.core.http import AuthenticatedHttpRequest

Panel = dict[str, Any]
_PROVIDERS: list[Callable[[AuthenticatedHttpRequest], list[Panel]]] = []


def register(provider: Callable[[AuthenticatedHttpRequest], list[Panel]]) -> None:
    """A module adds a function returning panels (template name + context) for the home page."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def home_panels(request: AuthenticatedHttpRequest) -> list[Panel]:
    panels: list[Panel] = []
    for provider in _PROVIDERS:
        panels.extend(provider(request))
    return sorted(panels, key=lambda p: p.get("order", 100))
