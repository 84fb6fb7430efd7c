"""Sections that later modules add to the person page (dates, risk, plan, probation, ...).

A module registers a `PersonSection` from its AppConfig.ready():

    from qadam.people.sections import PersonSection, register

    register(PersonSection(
        key="sentence",
        title=_("Sentence and dates"),
        template="sentences/person_section.html",
        context=sentence_section_context,   # (request, record) -> dict, or None to hide
        capability="view_person",
        order=10,
    ))

Only registered sections are drawn, and a section whose `context` returns None is left out: the
page never shows an empty placeholder. The template receives the returned dict's keys directly
(prefix them, e.g. `section_plan`), plus `person`, `record` and `section` (the dict itself). `context` must run a fixed number of queries (the person
page's query count is asserted in a test). `subject_access`, when given, returns the section's
data for the subject-access export (plain JSON-serialisable values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

from qadam.core.policies import has_capability

if TYPE_CHECKING:
    from qadam.core.http import AuthenticatedHttpRequest
    from qadam.people.record import PersonRecord

SectionContext = Callable[["AuthenticatedHttpRequest", "PersonRecord"], dict[str, Any] | None]
SubjectAccess = Callable[["PersonRecord"], Any]


@dataclass(frozen=True)
class PersonSection:
    key: str
    title: str | Promise
    template: str
    context: SectionContext
    capability: str | None = "view_person"
    order: int = 100
    subject_access: SubjectAccess | None = None


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: str
    html: SafeString


_SECTIONS: dict[str, PersonSection] = {}


def register(section: PersonSection) -> None:
    """Add (or replace, by key) a section of the person page."""
    _SECTIONS[section.key] = section


def unregister(key: str) -> None:
    _SECTIONS.pop(key, None)


def registered() -> list[PersonSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def sections_for(request: AuthenticatedHttpRequest, record: PersonRecord) -> list[RenderedSection]:
    """The sections this user may see that have something to show for this person."""
    rendered: list[RenderedSection] = []
    for section in registered():
        if section.capability and not has_capability(request.user, section.capability):
            continue
        context = section.context(request, record)
        if context is None:
            continue
        html = render_to_string(
            section.template,
            {**context, "person": record.person, "record": record, "section": context},
            request,
        )
        rendered.append(RenderedSection(section.key, str(section.title), mark_safe(html)))
    return rendered


def subject_access_data(record: PersonRecord) -> dict[str, Any]:
    """Each registered section's data for the subject-access export, by section key."""
    return {
        section.key: section.subject_access(record)
        for section in registered()
        if section.subject_access is not None
    }
