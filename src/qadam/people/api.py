"""Persons in the machine API: scoped list and detail, audited like the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router

from qadam.core.api import PersonId, actor, responses
from qadam.core.audit import audit_search, audit_view
from qadam.core.models import User
from qadam.core.policies import require_capability
from qadam.custody.schemas import InstitutionRef, location_of
from qadam.people.models import Person
from qadam.people.schemas import PersonDetail, PersonFilters, PersonListOut, PersonSummary
from qadam.people.search import search_persons

router = Router(tags=["persons"])

SORTS = {
    "name": ("surname", "first_name", "patronymic", "id"),
    "birth_date": ("birth_date", "id"),
    "case_number": ("case_number",),
    "id": ("id",),
}


def person_in_scope(user: User, person_id: int) -> Person:
    """The person if the user may see them, else 404 (never a hint that the record exists)."""
    require_capability(user, "view_person")
    person: Person | None = (
        Person.objects.visible_to(user)
        .select_related("current_institution")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise Http404
    return person


def summary(person: Person) -> PersonSummary:
    return PersonSummary(
        id=person.pk,
        case_number=person.case_number,
        iin=person.iin,
        full_name=person.full_name,
        full_name_latin=person.full_name_latin,
        birth_date=person.birth_date,
        sex=person.sex,
        legal_status=person.legal_status,
        current_institution=InstitutionRef.of(person.current_institution),
    )


@router.get("/persons", response=responses({200: PersonListOut}), summary="Search persons")
def persons_list(request: HttpRequest, filters: Query[PersonFilters]) -> dict[str, Any]:
    """Persons in the client's scope matching the filters, a page at a time (limit/offset)."""
    user = actor(request)
    require_capability(user, "search_person")
    persons: QuerySet[Person] = Person.objects.visible_to(user).select_related(
        "current_institution"
    )
    ranked: list[int] = []
    if filters.q:
        # The search module's typo-tolerant, transliteration-aware ranking (Cyrillic or Latin).
        result = search_persons(user=user, query=filters.q, audit=False)
        ranked = result.person_ids
        persons = persons.filter(pk__in=ranked)
    if filters.iin:
        persons = persons.filter(iin=filters.iin)
    if filters.institution:
        persons = persons.filter(current_institution_id=filters.institution)
    if filters.legal_status:
        persons = persons.filter(legal_status=filters.legal_status)
    count = persons.count()
    if filters.sort == "relevance" and ranked:
        rank = {pk: position for position, pk in enumerate(ranked)}
        matching = sorted(persons, key=lambda p: rank.get(p.pk, len(rank)))
        page = matching[filters.offset : filters.offset + filters.limit]
    else:
        sort = "name" if filters.sort == "relevance" else filters.sort
        descending = sort.startswith("-")
        order = [("-" if descending else "") + f for f in SORTS[sort.lstrip("-")]]
        page = list(persons.order_by(*order)[filters.offset : filters.offset + filters.limit])
    audit_search(
        actor=user,
        verb="persons searched (API)",
        filters=filters.model_dump(mode="json", exclude_defaults=True),
        result_count=count,
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [summary(p) for p in page],
    }


@router.get("/persons/{person_id}", response=responses({200: PersonDetail}), summary="One person")
def person_detail(request: HttpRequest, person_id: PersonId) -> PersonDetail:
    """Identity, where the person is now, legal status and the lawful date of detention."""
    user = actor(request)
    person = person_in_scope(user, person_id)
    audit_view(actor=user, person_id=person.pk, verb="person shown (API)")
    return PersonDetail(
        **summary(person).model_dump(),
        surname=person.surname,
        first_name=person.first_name,
        patronymic=person.patronymic,
        surname_latin=person.surname_latin,
        first_name_latin=person.first_name_latin,
        patronymic_latin=person.patronymic_latin,
        birth_place=person.birth_place,
        citizenship=person.citizenship,
        language=person.language,
        location=location_of(person),
        lawful_until=person.lawful_until,
    )
