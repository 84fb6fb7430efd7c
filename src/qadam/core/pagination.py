"""One way to page, sort and filter lists, shared by every list page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(
    request: HttpRequest, queryset: QuerySet[Any] | list[Any], per_page: int | None = None
) -> dict[str, Any]:
    paginator = Paginator(queryset, per_page or settings.PAGE_SIZE)
    page: Page[Any] = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return {
        "page_obj": page,
        "object_list": page.object_list,
        "querystring_without_page": f"{encoded}&" if encoded else "",
    }


def sort_key(request: HttpRequest, allowed: dict[str, str], default: str) -> tuple[str, str]:
    """The ORDER BY for the `sort` parameter (prefix '-' for descending), limited to `allowed`."""
    requested = request.GET.get("sort", default)
    name = requested.lstrip("-")
    if name not in allowed:
        requested, name = default, default.lstrip("-")
    descending = requested.startswith("-")
    return requested, ("-" if descending else "") + allowed[name]
