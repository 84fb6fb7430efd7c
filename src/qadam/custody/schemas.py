"""API schemas of the custody module: institutions, ledger events, where a person is, population."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AwareDatetime, field_validator

from qadam.core.api import Id, Text
from qadam.custody import engine
from qadam.custody.models import (
    AbsenceReason,
    Institution,
    LegalStatus,
    Movement,
    MovementKind,
    ReleaseReason,
)
from qadam.people.models import Person

EARLIEST_YEAR = 1900


class RefOut(Schema):
    """A reference row: its code and its name in the language of the request."""

    code: str = Field(..., examples=["KZ-75"])
    name: str = Field(..., examples=["Almaty"])


class InstitutionRef(Schema):
    id: int = Field(..., examples=[12])
    code: str = Field(..., examples=["UG-157/1"])
    name: str = Field(..., examples=["Institution UG-157/1"])

    @staticmethod
    def of(institution: Institution | None) -> InstitutionRef | None:
        if institution is None:
            return None
        return InstitutionRef(id=institution.pk, code=institution.code, name=institution.name)


LocationStatus = Literal["in", "absent", "in_transit", "at_large", "out", "dead"]


class LocationOut(Schema):
    """Where the person is now, from the effective ledger."""

    status: LocationStatus = Field(
        ...,
        description=(
            "in: present; absent: on the roll but away (court, hospital); in_transit: "
            "transferred out, not yet arrived; at_large: escaped; out: never admitted or "
            "released; dead: died in custody."
        ),
        examples=["in"],
    )
    institution: InstitutionRef | None = Field(
        None, description="The institution holding the person (on its roll), if any."
    )
    destination: InstitutionRef | None = Field(None, description="Where a transfer is going.")
    section: str | None = Field(None, examples=["Section 3"])
    cell: str | None = Field(None, examples=["12"])
    since: datetime | None = Field(None, description="When the current stay began.")


class MovementOut(Schema):
    """One ledger event."""

    id: int = Field(..., examples=[5321])
    person_id: int = Field(..., examples=[42])
    kind: MovementKind = Field(..., examples=["transfer_out"])
    occurred_at: datetime = Field(..., examples=["2025-03-01T09:30:00+05:00"])
    recorded_at: datetime
    institution: InstitutionRef
    section: str | None = None
    cell: str | None = None
    destination: InstitutionRef | None = None
    transfer_out_id: int | None = Field(None, description="For a transfer in: its transfer out.")
    legal_status: str = Field("", examples=["remand"])
    release_reason: str = Field("", examples=["end_of_sentence"])
    absence_reason: str = Field("", examples=["court"])
    escort: str = ""
    vehicle: str = ""
    conditions: str = ""
    departure_at: datetime | None = None
    arrival_at: datetime | None = None
    reason: str = ""
    capacity_override_reason: str = ""
    reverses_id: int | None = Field(None, description="For a correction: the event it reverses.")
    reversed: bool = Field(False, description="True if a later correction reversed this event.")

    @staticmethod
    def of(movement: Movement, *, reversed_ids: set[int] | None = None) -> MovementOut:
        return MovementOut(
            id=movement.pk,
            person_id=movement.person_id,
            kind=MovementKind(movement.kind),
            occurred_at=movement.occurred_at,
            recorded_at=movement.recorded_at,
            institution=InstitutionRef.of(movement.institution),  # type: ignore[arg-type]
            section=movement.section.name if movement.section else None,
            cell=movement.cell.number if movement.cell else None,
            destination=InstitutionRef.of(movement.destination),
            transfer_out_id=movement.transfer_out_id,
            legal_status=movement.legal_status,
            release_reason=movement.release_reason,
            absence_reason=movement.absence_reason,
            escort=movement.escort,
            vehicle=movement.vehicle,
            conditions=movement.conditions,
            departure_at=movement.departure_at,
            arrival_at=movement.arrival_at,
            reason=movement.reason,
            capacity_override_reason=movement.capacity_override_reason,
            reverses_id=movement.reverses_id,
            reversed=movement.pk in (reversed_ids or set()),
        )


class MovementListOut(Schema):
    count: int = Field(..., examples=[3])
    items: list[MovementOut]


WritableKind = Literal[
    "transfer_out",
    "transfer_in",
    "release",
    "absence_out",
    "absence_return",
    "escape",
    "recapture",
    "section_move",
    "death",
]


class MovementIn(Schema):
    """A new ledger event. Which fields each kind needs:

    - transfer_out: destination_id, escort, reason (vehicle, conditions, departure_at optional;
      capacity_override_reason when the destination is full);
    - transfer_in: nothing more (it completes the pending transfer, where it was sent);
    - release: release_reason; absence_out: absence_reason (escort optional);
    - absence_return, escape: nothing more; recapture: institution_id (where the person is held);
    - section_move: section_id (cell_id optional); death: reason (circumstances and cause).

    `institution_id` defaults to the institution holding the person (for transfer_in: the
    destination of the transfer) and must be in the client's scope.
    """

    kind: WritableKind = Field(..., examples=["transfer_out"])
    occurred_at: AwareDatetime = Field(
        ...,
        description="When it happened, with its time zone; not in the future.",
        examples=["2025-03-01T09:30:00+05:00"],
    )
    institution_id: Id | None = Field(None, examples=[12])
    section_id: Id | None = None
    cell_id: Id | None = None
    destination_id: Id | None = Field(None, examples=[15])
    escort: Text = Field("", max_length=200, examples=["Escort unit 3, two officers"])
    vehicle: Text = Field("", max_length=120, examples=["Special vehicle 045"])
    conditions: Text = Field("", max_length=2000)
    departure_at: AwareDatetime | None = None
    capacity_override_reason: Text = Field("", max_length=2000)
    release_reason: ReleaseReason | None = Field(None, examples=["end_of_sentence"])
    absence_reason: AbsenceReason | None = Field(None, examples=["court"])
    reason: Text = Field("", max_length=2000, examples=["Court order 2-113/2025"])

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "transfer_out",
                    "occurred_at": "2025-03-01T09:30:00+05:00",
                    "destination_id": 15,
                    "escort": "Escort unit 3",
                    "reason": "Court order 2-113/2025",
                },
                {
                    "kind": "release",
                    "occurred_at": "2025-03-01T09:30:00+05:00",
                    "release_reason": "end_of_sentence",
                },
            ]
        },
    }

    @field_validator("occurred_at", "departure_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.year < EARLIEST_YEAR:
            raise ValueError(_("The year must be %(year)s or later.") % {"year": EARLIEST_YEAR})
        return value


class InstitutionOut(Schema):
    id: int = Field(..., examples=[12])
    code: str = Field(..., examples=["UG-157/1"])
    name: str = Field(..., examples=["Institution UG-157/1"])
    type: RefOut
    region: RefOut
    sex_profile: str = Field(..., examples=["M"])
    age_profile: str = Field(..., examples=["adult"])
    design_capacity: int = Field(..., examples=[500])
    operational_capacity: int = Field(..., examples=[450])
    population: int = Field(..., description="On the roll now.", examples=[431])
    occupancy_percent: float | None = Field(
        None, description="Population as a share of operational capacity.", examples=[95.8]
    )
    is_active: bool


class InstitutionListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[InstitutionOut]


class InstitutionDetailOut(InstitutionOut):
    population_by_legal_status: dict[str, int] = Field(..., examples=[{"remand": 120}])
    population_by_sex: dict[str, int] = Field(..., examples=[{"M": 431}])
    sections: list[str] = Field(..., examples=[["Section 1", "Section 2"]])


GroupBy = Literal["institution", "region", "type", "sex", "legal_status"]


class PopulationGroup(Schema):
    key: str = Field(..., examples=["KZ-75"])
    label: str = Field(..., examples=["Almaty"])
    count: int = Field(..., examples=[2310])
    capacity: int | None = Field(
        None, description="Operational capacity (when grouped by institution)."
    )


class PopulationOut(Schema):
    date: dt.date
    group_by: GroupBy
    total: int = Field(..., examples=[37512])
    groups: list[PopulationGroup]


def location_of(person: Person) -> LocationOut:
    """Replay the person's effective ledger: status, institution, section and cell now."""
    movements = list(
        Movement.objects.filter(person=person)
        .effective()
        .select_related("institution", "destination", "section", "cell")
    )
    state = engine.replay(
        engine.Event(
            id=m.pk,
            kind=m.kind,
            occurred_at=m.occurred_at,
            institution_id=m.institution_id,
            section_id=m.section_id,
            cell_id=m.cell_id,
            destination_id=m.destination_id,
            legal_status=m.legal_status,
            transfer_out_id=m.transfer_out_id,
        )
        for m in movements
    )
    institutions = {m.institution_id: m.institution for m in movements}
    institutions.update({m.destination_id: m.destination for m in movements if m.destination})
    sections = {m.section_id: m.section for m in movements if m.section}
    cells = {m.cell_id: m.cell for m in movements if m.cell}
    open_stays = [s for s in state.finish() if s.end is None]
    held = state.status in engine.ON_ROLL
    return LocationOut(
        status=state.status.value,
        institution=InstitutionRef.of(institutions.get(state.institution_id)) if held else None,
        destination=(
            InstitutionRef.of(institutions.get(state.destination_id))
            if state.status == engine.Status.IN_TRANSIT
            else None
        ),
        section=sections[state.section_id].name if held and state.section_id in sections else None,
        cell=cells[state.cell_id].number if held and state.cell_id in cells else None,
        since=open_stays[0].start if open_stays else None,
    )


__all__ = [
    "GroupBy",
    "InstitutionDetailOut",
    "InstitutionListOut",
    "InstitutionOut",
    "InstitutionRef",
    "LegalStatus",
    "LocationOut",
    "MovementIn",
    "MovementListOut",
    "MovementOut",
    "PopulationGroup",
    "PopulationOut",
    "RefOut",
]
