"""The ledger, institutions and population in the machine API.

Movements are recorded through the same services as the forms. A write may carry an
`Idempotency-Key`: the same key with the same request answers as the first time without writing
again; the same key with a different request is a conflict (409).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.params import P, PathEx, QueryEx

from qadam.core import idempotency
from qadam.core.api import MAX_ID, IdempotencyKey, PersonId, Text, actor, responses
from qadam.core.audit import audit_search, audit_view
from qadam.core.errors import ConflictError, Message, ServiceError
from qadam.core.models import Region, User
from qadam.core.policies import require_capability
from qadam.core.sorting import natural_key
from qadam.custody import arrivals, services
from qadam.custody.models import (
    Cell,
    Institution,
    InstitutionType,
    LegalStatus,
    Movement,
    Section,
    Stay,
)
from qadam.custody.population import population_table
from qadam.custody.schemas import (
    EARLIEST_YEAR,
    GroupBy,
    InstitutionDetailOut,
    InstitutionListOut,
    InstitutionOut,
    MovementIn,
    MovementListOut,
    MovementOut,
    PopulationOut,
    RefOut,
)
from qadam.people.api import person_in_scope
from qadam.people.models import Person

router = Router(tags=["custody"])


# --- Movements -------------------------------------------------------------------------------------


@router.get(
    "/persons/{person_id}/movements",
    response=responses({200: MovementListOut}),
    summary="A person's ledger",
)
def movements_list(
    request: HttpRequest,
    person_id: PersonId,
    include_corrections: QueryEx[
        bool, P(description="Also list corrections and the events they reversed.")
    ] = False,
) -> dict[str, Any]:
    """The person's ledger events in order; by default only the effective ones (as known now)."""
    user = actor(request)
    person = person_in_scope(user, person_id)
    movements = Movement.objects.filter(person=person).select_related(
        "institution", "destination", "section", "cell"
    )
    if not include_corrections:
        movements = movements.effective()
    rows = list(movements.order_by("occurred_at", "id"))
    reversed_ids = set(
        Movement.objects.filter(person=person, reverses__isnull=False).values_list(
            "reverses_id", flat=True
        )
    )
    audit_view(
        actor=user,
        person_id=person.pk,
        verb="movements shown (API)",
        details={"include_corrections": include_corrections, "count": len(rows)},
    )
    return {
        "count": len(rows),
        "items": [MovementOut.of(m, reversed_ids=reversed_ids) for m in rows],
    }


def _person_for_event(user: User, person_id: int) -> Person:
    """The person if in scope, or in transit to an institution in the user's scope (arrivals)."""
    try:
        return person_in_scope(user, person_id)
    except Http404:
        pass
    person: Person | None = arrivals.persons_arriving(user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def _institution(user: User, payload: MovementIn, person: Person) -> Institution:
    scoped = Institution.objects.visible_to(user)
    if payload.institution_id is not None:
        institution: Institution | None = scoped.filter(pk=payload.institution_id).first()
        if institution is None:
            raise ServiceError(
                {"institution_id": [_("Unknown institution, or one outside your scope.")]}
            )
        return institution
    default_id = person.current_institution_id
    if payload.kind == "transfer_in":
        pending = services.pending_transfer(person)
        if pending is None:
            raise ConflictError({"kind": [services.LEDGER_MESSAGES["not_in_transit"]]})
        default_id = pending.destination_id
    if default_id is None:
        raise ServiceError(
            {"institution_id": [_("Give the institution where the event took place.")]}
        )
    held: Institution | None = scoped.filter(pk=default_id).first()
    if held is None:
        raise ServiceError(
            {"institution_id": [_("You may record events only in institutions in your scope.")]}
        )
    return held


def _placement(payload: MovementIn, institution: Institution) -> tuple[Section | None, Cell | None]:
    section = cell = None
    if payload.section_id is not None:
        section = Section.objects.filter(pk=payload.section_id, institution=institution).first()
        if section is None:
            raise ServiceError({"section_id": [_("No such section in this institution.")]})
    if payload.cell_id is not None:
        cell = Cell.objects.filter(pk=payload.cell_id, section=section).first()
        if cell is None:
            raise ServiceError({"cell_id": [_("No such cell in the chosen section.")]})
    return section, cell


def _required(payload: MovementIn, *names: str) -> None:
    missing: dict[str, list[Message]] = {
        name: [_("This field is required for this kind of event.")]
        for name in names
        if getattr(payload, name) in (None, "")
    }
    if missing:
        raise ServiceError(missing)


def _record(user: User, person: Person, payload: MovementIn, key: str | None) -> Movement:
    """Call the one service for this kind of event, as the forms do."""
    institution = _institution(user, payload, person)
    section, cell = _placement(payload, institution)
    data = services.MovementInput(
        occurred_at=payload.occurred_at,
        institution=institution,
        section=section,
        cell=cell,
        reason=payload.reason.strip(),
    )
    common: dict[str, Any] = {"actor": user, "person": person, "data": data, "idempotency_key": key}
    kind = payload.kind
    if kind == "transfer_out":
        _required(payload, "destination_id", "escort", "reason")
        destination = Institution.objects.filter(
            pk=payload.destination_id or 0, is_active=True
        ).first()
        if destination is None:
            raise ServiceError({"destination_id": [_("Unknown institution.")]})
        return services.person_transfer_out(
            **common,
            destination=destination,
            escort=payload.escort,
            vehicle=payload.vehicle,
            conditions=payload.conditions,
            departure_at=payload.departure_at,
            capacity_override_reason=payload.capacity_override_reason,
        )
    if kind == "transfer_in":
        return services.person_transfer_in(**common)
    if kind == "release":
        _required(payload, "release_reason")
        return services.person_release(**common, release_reason=str(payload.release_reason))
    if kind == "absence_out":
        _required(payload, "absence_reason")
        return services.person_absence_out(
            **common, absence_reason=str(payload.absence_reason), escort=payload.escort.strip()
        )
    if kind == "absence_return":
        movement: Movement = services.person_absence_return(**common)
        return movement
    if kind == "escape":
        movement = services.person_escape(**common)
        return movement
    if kind == "recapture":
        _required(payload, "institution_id")
        movement = services.person_recapture(**common)
        return movement
    if kind == "section_move":
        _required(payload, "section_id")
        movement = services.person_move_section(**common)
        return movement
    _required(payload, "reason")
    return services.person_death(**common)


@router.post(
    "/persons/{person_id}/movements",
    response=responses({201: MovementOut}),
    summary="Record a movement",
)
def movement_create(
    request: HttpRequest,
    payload: MovementIn,
    person_id: PersonId,
    idempotency_key: IdempotencyKey = None,
) -> Status[dict[str, Any]]:
    """Record a transfer, arrival, absence, escape, recapture, move, release or death."""
    user = actor(request)
    require_capability(user, "record_movement")
    fingerprint = idempotency.fingerprint(person_id=person_id, body=payload.model_dump(mode="json"))

    def write(record_key: str | None) -> dict[str, Any]:
        person = _person_for_event(user, person_id)
        movement = _record(user, person, payload, record_key)
        movement = Movement.objects.select_related(
            "institution", "destination", "section", "cell"
        ).get(pk=movement.pk)
        body: dict[str, Any] = MovementOut.of(movement).model_dump(mode="json")
        return body

    return Status(*idempotency.answer_once(user, idempotency_key, fingerprint, write))


# --- Institutions ----------------------------------------------------------------------------------


class InstitutionFilters(Schema):
    q: Text | None = Field(None, max_length=100, description="Part of the code or name.")
    region: Text | None = Field(None, max_length=8, examples=["KZ-75"])
    type: Text | None = Field(None, max_length=12, examples=["MED"])
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)
    sort: str = Field(
        "code",
        pattern=r"^-?(code|population|capacity)$",
        description="code, population or capacity; prefix '-' for descending.",
    )


def _with_population(institutions: QuerySet[Institution]) -> QuerySet[Institution]:
    return institutions.select_related("type", "region").annotate(
        population=Count("stays", filter=Q(stays__end__isnull=True))
    )


def _institution_out(institution: Institution) -> dict[str, Any]:
    population: int = institution.population  # type: ignore[attr-defined]
    capacity = institution.operational_capacity
    return {
        "id": institution.pk,
        "code": institution.code,
        "name": institution.name,
        "type": RefOut(code=institution.type.code, name=institution.type.name),
        "region": RefOut(code=institution.region.code, name=institution.region.name),
        "sex_profile": institution.sex_profile,
        "age_profile": institution.age_profile,
        "design_capacity": institution.design_capacity,
        "operational_capacity": capacity,
        "population": population,
        "occupancy_percent": round(100 * population / capacity, 1) if capacity else None,
        "is_active": institution.is_active,
    }


@router.get("/institutions", response=responses({200: InstitutionListOut}), summary="Institutions")
def institutions_list(request: HttpRequest, filters: Query[InstitutionFilters]) -> dict[str, Any]:
    """Institutions in the client's scope with their population now and their capacity."""
    user = actor(request)
    require_capability(user, "view_population")
    institutions = _with_population(Institution.objects.visible_to(user))
    if filters.q:
        term = filters.q.strip()
        institutions = institutions.filter(
            Q(code__icontains=term)
            | Q(name_kk__icontains=term)
            | Q(name_ru__icontains=term)
            | Q(name_en__icontains=term)
        )
    if filters.region:
        institutions = institutions.filter(region__code=filters.region)
    if filters.type:
        institutions = institutions.filter(type__code=filters.type)
    column = {"code": "code", "population": "population", "capacity": "operational_capacity"}
    name = filters.sort.lstrip("-")
    order = ("-" if filters.sort.startswith("-") else "") + column[name]
    count = institutions.count()
    page = institutions.order_by(order, "code")[filters.offset : filters.offset + filters.limit]
    audit_search(
        actor=user,
        verb="institutions listed (API)",
        filters=filters.model_dump(mode="json", exclude_defaults=True),
        result_count=count,
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [InstitutionOut(**_institution_out(i)) for i in page],
    }


@router.get(
    "/institutions/{institution_id}",
    response=responses({200: InstitutionDetailOut}),
    summary="One institution",
)
def institution_detail(
    request: HttpRequest, institution_id: PathEx[int, P(ge=1, le=MAX_ID)]
) -> InstitutionDetailOut:
    """Capacity, population now, by legal status and sex, and the sections."""
    user = actor(request)
    require_capability(user, "view_population")
    institution = (
        _with_population(Institution.objects.visible_to(user)).filter(pk=institution_id).first()
    )
    if institution is None:
        raise Http404
    open_stays = Stay.objects.open().filter(institution=institution).order_by()
    by_status = {
        row["legal_status"]: row["n"]
        for row in open_stays.values("legal_status").annotate(n=Count("id"))
    }
    by_sex = {row["sex"]: row["n"] for row in open_stays.values("sex").annotate(n=Count("id"))}
    return InstitutionDetailOut(
        **_institution_out(institution),
        population_by_legal_status={s: by_status.get(s, 0) for s in LegalStatus.values},
        population_by_sex=by_sex,
        sections=sorted(institution.sections.values_list("name", flat=True), key=natural_key),
    )


# --- Population ------------------------------------------------------------------------------------


class PopulationQuery(Schema):
    date: dt.date | None = Field(
        None, description="The day counted (end of day); today if omitted.", examples=["2025-01-01"]
    )
    group_by: GroupBy = "institution"


# The API's grouping names → custody.population dimensions.
DIMENSION = {
    "institution": "institution",
    "region": "region",
    "type": "institution_type",
    "sex": "sex",
    "legal_status": "legal_status",
}


@router.get("/population", response=responses({200: PopulationOut}), summary="Population on a date")
def population(request: HttpRequest, params: Query[PopulationQuery]) -> dict[str, Any]:
    """Persons on the roll at the end of a day, as known now, in the client's scope, grouped."""
    user = actor(request)
    require_capability(user, "view_population")
    day = params.date or timezone.localdate()
    if day > timezone.localdate():
        raise ServiceError({"date": [_("The date cannot be in the future.")]})
    if day.year < EARLIEST_YEAR:
        raise ServiceError(
            {"date": [_("The year must be %(year)s or later.") % {"year": EARLIEST_YEAR}]}
        )
    visible = Institution.objects.visible_to(user)
    institution_ids = None if user.is_national else list(visible.values_list("pk", flat=True))
    rows = population_table(
        day=day, dimension=DIMENSION[params.group_by], institution_ids=institution_ids
    )
    capacities: dict[Any, int] = {}
    codes: dict[Any, str] = {}
    if params.group_by == "institution":
        for pk, code, capacity in Institution.objects.filter(
            pk__in=[r.key for r in rows]
        ).values_list("pk", "code", "operational_capacity"):
            capacities[pk], codes[pk] = capacity, code
    elif params.group_by == "region":
        codes = dict(Region.objects.filter(pk__in=[r.key for r in rows]).values_list("pk", "code"))
    elif params.group_by == "type":
        codes = dict(
            InstitutionType.objects.filter(pk__in=[r.key for r in rows]).values_list("pk", "code")
        )
    groups = [
        {
            "key": codes.get(row.key, str(row.key)),
            "label": row.label,
            "count": row.count,
            "capacity": capacities.get(row.key),
        }
        for row in rows
    ]
    total = sum(row.count for row in rows)
    audit_search(
        actor=user,
        verb="population counted (API)",
        filters={"date": day.isoformat(), "group_by": params.group_by},
        result_count=total,
    )
    return {"date": day, "group_by": params.group_by, "total": total, "groups": groups}
