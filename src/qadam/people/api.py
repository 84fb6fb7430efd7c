"""Persons in the machine API: scoped list and detail, audited like the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.params import P, PathEx

from qadam.core.api import MAX_ID, actor, responses
from qadam.core.audit import audit_search, audit_view
from qadam.core.models import User
from qadam.core.policies import require_capability
from qadam.custody.schemas import InstitutionRef, location_of
from qadam.people.identity import name_key
from qadam.people.models import Person
from qadam.people.schemas import PersonDetail, PersonFilters, PersonListOut, PersonSummary

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


def name_filter(queryset: QuerySet[Person], text: str) -> QuerySet[Person]:
    """Every word must match a name (Cyrillic or Latin, by phonetic key) or the case number."""
    for word in text.split():
        key = name_key(word)
        condition = (
            Q(surname__icontains=word)
            | Q(first_name__icontains=word)
            | Q(patronymic__icontains=word)
            | Q(surname_latin__icontains=word)
            | Q(first_name_latin__icontains=word)
            | Q(case_number__iexact=word)
        )
        if key:
            condition |= Q(surname_key=key) | Q(first_name_key=key)
        queryset = queryset.filter(condition)
    return queryset


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
    if filters.q:
        persons = name_filter(persons, filters.q)
    if filters.iin:
        persons = persons.filter(iin=filters.iin)
    if filters.institution:
        persons = persons.filter(current_institution_id=filters.institution)
    if filters.legal_status:
        persons = persons.filter(legal_status=filters.legal_status)
    descending = filters.sort.startswith("-")
    order = [("-" if descending else "") + f for f in SORTS[filters.sort.lstrip("-")]]
    count = persons.count()
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
def person_detail(
    request: HttpRequest, person_id: PathEx[int, P(ge=1, le=MAX_ID, description="The person's id.")]
) -> PersonDetail:
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
