"""Accessibility sweep: every HTML page of the site, as the roles that may open it.

The routes come from the URL resolver; the path arguments come from the permission matrix's world
and builders (tests/*/matrix_*.py), so a route without an expectation there has no way to be
filled and fails here too. Each page must pass axe-core (no serious or critical violation), have
one h1, a skip link that moves focus to the main content, a label for every form control, and
`lang` set to the language of the page. A sample of pages is visited in Kazakh, Russian and
English, the rest in English. One browser, one context, one tab.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from browser_helpers import log_in, page_problems
from permission_matrix import RouteSpec, build_world, collect_specs
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"

IGNORED_NAMESPACES = {"admin"}  # Django's admin site: its own templates, checked by Django
# Roles that open most pages (head, administrator) and the roles with their own tiers.
PRIMARY_ROLES = (Role.HEAD, Role.ADMIN, Role.PSYCHOLOGIST, Role.MEDICAL)
# Pages visited in every interface language (the rest in English).
LANGUAGE_SAMPLE = frozenset(
    {
        "core:home",
        "people:search",
        "people:person_detail",
        "custody:population",
        "custody:admit",
        "sentences:detail",
        "sentences:sheet",
        "assessment:assess",
        "assessment:instrument_upload",
        "plans:plan_detail",
        "plans:plan_print",
    }
)
LANGUAGES = ("kk", "ru", "en")
# Printable documents are in the language asked for with ?lang=, not the interface language.
LANGUAGE_FROM_QUERY = frozenset({"plans:plan_print", "sentences:sheet"})
DOWNLOAD_ENDINGS = (".pdf", ".csv", ".xlsx", "_pdf", "_csv", "_xlsx", "export")
# GET routes that answer the sweep's users with a redirect: the state that shows their page.
SHOWN_APART = frozenset({"core:login", "core:otp_verify"})


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(URL name, route pattern) of every named web route, outside the API and the admin."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in IGNORED_NAMESPACES:
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _routes(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{prefix}{pattern.name}"
            if not name.startswith(("api-", "api:")):
                yield name, str(pattern.pattern)


def _pages(specs: dict[str, RouteSpec]) -> tuple[list[RouteSpec], list[str]]:
    """The HTML GET routes to visit, and the names of routes that cannot be filled."""
    pages, unfilled = [], []
    for name, pattern in sorted(_routes()):
        spec = specs.get(name)
        if spec is None:
            unfilled.append(name)
        elif spec.method != "GET" or name in SHOWN_APART:
            continue  # an action (POST) or a page reached in its own state below
        elif pattern.endswith(DOWNLOAD_ENDINGS) or name.endswith(DOWNLOAD_ENDINGS):
            continue  # a file download
        elif spec.ok != 200:
            unfilled.append(f"{name} (answers {spec.ok}: show its page apart)")
        else:
            pages.append(spec)
    return pages, unfilled


def _plan_visits(pages: list[RouteSpec]) -> list[tuple[Role, list[RouteSpec]]]:
    """Each primary role opens every page it may; other roles open only the pages left over."""
    visits: list[tuple[Role, list[RouteSpec]]] = []
    covered: set[str] = set()
    for role in PRIMARY_ROLES:
        allowed = [spec for spec in pages if role in spec.allowed]
        visits.append((role, allowed))
        covered |= {spec.name for spec in allowed}
    for role in Role:
        if role in PRIMARY_ROLES:
            continue
        left = [spec for spec in pages if spec.name not in covered and role in spec.allowed]
        if left:
            visits.append((role, left))
            covered |= {spec.name for spec in left}
    return visits


def _url(spec: RouteSpec, kwargs: dict[str, Any], language: str) -> str:
    query = dict(parse_qsl(spec.query.lstrip("?")))
    if spec.name in LANGUAGE_FROM_QUERY:
        query["lang"] = language
    url = reverse(spec.name, kwargs=kwargs)
    return f"{url}?{urlencode(query)}" if query else url


def test_every_page_is_accessible_in_each_language(browser_page: Any) -> None:
    started = time.monotonic()
    page = browser_page
    specs = {spec.name: spec for spec in collect_specs() if not spec.name.startswith("API ")}
    pages, unfilled = _pages(specs)
    assert not unfilled, f"routes the sweep cannot fill from the permission matrix: {unfilled}"
    unknown = (LANGUAGE_SAMPLE | LANGUAGE_FROM_QUERY) - {spec.name for spec in pages}
    assert not unknown, f"not pages of the site: {sorted(unknown)}"

    world = build_world()
    # Every builder runs once, so the person in scope has a sentence, an assessment with an
    # override request, a plan, an alert and a merge request: the pages show their tables.
    arguments = {name: spec.kwargs(world) for name, spec in specs.items()}
    users = world["users"]
    problems: list[str] = []
    visited: set[str] = set()
    count = 0

    def visit(url: str, *, context: str, language: str, status: int = 200) -> None:
        nonlocal count
        response = page.goto(url)
        count += 1
        if response is None or response.status != status:
            problems.append(f"{context}: answered {response and response.status}")
            return
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            problems.append(f"{context}: {content_type} is not a page (list it as a download)")
            return
        problems.extend(page_problems(page, context=context, language=language))

    # The login page, logged out.
    visit("/login/", context="core:login (logged out)", language="en")
    visited.add("core:login")

    for role, role_pages in _plan_visits(pages):
        user = users[role]
        log_in(page, user.username, PASSWORD)
        for language in LANGUAGES:
            user.language = language
            user.save(update_fields=["language"])
            for spec in role_pages:
                if language != "en" and spec.name not in LANGUAGE_SAMPLE:
                    continue
                visit(
                    _url(spec, arguments[spec.name], language),
                    context=f"{spec.name} as {role.value} in {language}",
                    language=language,
                )
                visited.add(spec.name)
        if role == PRIMARY_ROLES[0]:
            # The error pages: a record that does not exist, and a page the role may not open.
            visit("/people/0/", context="page not found", language="en", status=404)
            denied = next(spec for spec in pages if role not in spec.allowed)
            visit(
                _url(denied, arguments[denied.name], "en"),
                context=f"access denied ({denied.name})",
                language="en",
                status=403,
            )
        page.context.clear_cookies()

    # The second-factor step of a user with a confirmed device.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=users[Role.HEAD], name="default", confirmed=True)
    log_in(page, users[Role.HEAD].username, PASSWORD)
    visit("/otp/verify/", context="core:otp_verify", language="en")
    visited.add("core:otp_verify")

    missed = sorted(({spec.name for spec in pages} | SHOWN_APART) - visited)
    assert not missed, f"pages no role of the sweep opened: {missed}"
    elapsed = time.monotonic() - started
    print(f"a11y sweep: {count} page visits in {elapsed:.0f} s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
