"""The ledger's state machine, with no Django imports.

`replay` walks one person's events in order and either returns the stays they imply or the first
event that breaks the rules (an event before admission, after release, a transfer arriving where it
was not sent, two places at once). Services replay the person's ledger with the new event in its
chronological place before writing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    OUT = "out"  # never admitted, or released
    IN = "in"  # on an institution's roll and present
    ABSENT = "absent"  # on the roll, temporarily away (court, hospital)
    IN_TRANSIT = "in_transit"  # transferred out, not yet arrived
    AT_LARGE = "at_large"  # escaped
    DEAD = "dead"


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    occurred_at: datetime
    institution_id: int
    section_id: int | None = None
    cell_id: int | None = None
    destination_id: int | None = None
    legal_status: str = ""
    transfer_out_id: int | None = None


@dataclass(frozen=True)
class StayInterval:
    institution_id: int
    section_id: int | None
    cell_id: int | None
    legal_status: str
    start: datetime
    end: datetime | None
    start_event_id: int
    end_event_id: int | None


@dataclass
class State:
    status: Status = Status.OUT
    institution_id: int | None = None
    section_id: int | None = None
    cell_id: int | None = None
    legal_status: str = ""
    destination_id: int | None = None
    transfer_out_id: int | None = None
    ever_admitted: bool = False
    stays: list[StayInterval] = field(default_factory=list)
    _open: tuple[datetime, int] | None = None

    def open_stay(self, event: Event) -> None:
        self._open = (event.occurred_at, event.id)

    def close_stay(self, event: Event) -> None:
        assert self._open is not None
        assert self.institution_id is not None
        start, start_id = self._open
        self.stays.append(
            StayInterval(
                self.institution_id,
                self.section_id,
                self.cell_id,
                self.legal_status,
                start,
                event.occurred_at,
                start_id,
                event.id,
            )
        )
        self._open = None

    def finish(self) -> list[StayInterval]:
        if self._open is not None and self.institution_id is not None:
            start, start_id = self._open
            return [
                *self.stays,
                StayInterval(
                    self.institution_id,
                    self.section_id,
                    self.cell_id,
                    self.legal_status,
                    start,
                    None,
                    start_id,
                    None,
                ),
            ]
        return list(self.stays)


class LedgerError(ValueError):
    """An event that the ledger cannot accept; `code` selects the translated message."""

    def __init__(self, code: str, event: Event, status: Status) -> None:
        super().__init__(f"{code}: {event.kind} at {event.occurred_at:%Y-%m-%d %H:%M} ({status})")
        self.code = code
        self.event = event
        self.status = status


ON_ROLL = frozenset({Status.IN, Status.ABSENT})


def apply(state: State, event: Event) -> None:
    kind, status = event.kind, state.status

    def fail(code: str) -> LedgerError:
        return LedgerError(code, event, status)

    if status == Status.DEAD:
        raise fail("after_death")
    if kind == "admission":
        if status != Status.OUT:
            raise fail("already_in_custody")
        if not event.legal_status:
            raise fail("legal_status_required")
        state.status = Status.IN
        state.ever_admitted = True
        state.institution_id, state.section_id, state.cell_id = (
            event.institution_id,
            event.section_id,
            event.cell_id,
        )
        state.legal_status = event.legal_status
        state.open_stay(event)
        return
    if status == Status.OUT:
        raise fail("released" if state.ever_admitted else "not_admitted")
    if kind == "section_move":
        if status not in ON_ROLL:
            raise fail("not_present")
        if event.institution_id != state.institution_id:
            raise fail("wrong_institution")
        state.close_stay(event)
        state.section_id, state.cell_id = event.section_id, event.cell_id
        state.open_stay(event)
    elif kind == "status_change":
        if status not in ON_ROLL:
            raise fail("not_present")
        if event.institution_id != state.institution_id:
            raise fail("wrong_institution")
        if not event.legal_status or event.legal_status == state.legal_status:
            raise fail("legal_status_unchanged")
        state.close_stay(event)
        state.legal_status = event.legal_status
        state.open_stay(event)
    elif kind == "transfer_out":
        if status != Status.IN:
            raise fail("not_present")
        if event.institution_id != state.institution_id:
            raise fail("wrong_institution")
        if event.destination_id is None or event.destination_id == state.institution_id:
            raise fail("bad_destination")
        state.close_stay(event)
        state.status = Status.IN_TRANSIT
        state.destination_id = event.destination_id
        state.transfer_out_id = event.id
    elif kind == "transfer_in":
        if status != Status.IN_TRANSIT:
            raise fail("not_in_transit")
        if event.institution_id != state.destination_id:
            raise fail("arrived_elsewhere")
        if event.transfer_out_id is not None and event.transfer_out_id != state.transfer_out_id:
            raise fail("arrived_elsewhere")
        state.status = Status.IN
        state.institution_id, state.section_id, state.cell_id = (
            event.institution_id,
            event.section_id,
            event.cell_id,
        )
        state.destination_id = state.transfer_out_id = None
        state.open_stay(event)
    elif kind == "absence_out":
        if status != Status.IN:
            raise fail("not_present")
        if event.institution_id != state.institution_id:
            raise fail("wrong_institution")
        state.status = Status.ABSENT
    elif kind == "absence_return":
        if status != Status.ABSENT:
            raise fail("not_absent")
        if event.institution_id != state.institution_id:
            raise fail("wrong_institution")
        state.status = Status.IN
    elif kind == "escape":
        if status not in (*ON_ROLL, Status.IN_TRANSIT):
            raise fail("not_present")
        if status in ON_ROLL:
            state.close_stay(event)
        state.status = Status.AT_LARGE
    elif kind == "recapture":
        if status != Status.AT_LARGE:
            raise fail("not_at_large")
        state.status = Status.IN
        state.institution_id, state.section_id, state.cell_id = (
            event.institution_id,
            event.section_id,
            event.cell_id,
        )
        state.open_stay(event)
    elif kind == "release":
        if status not in ON_ROLL:
            raise fail("not_present")
        if event.institution_id != state.institution_id:
            raise fail("wrong_institution")
        state.close_stay(event)
        state.status = Status.OUT
    elif kind == "death":
        if status in ON_ROLL:
            state.close_stay(event)
        state.status = Status.DEAD
    else:
        raise fail("unknown_event")


def replay(events: Iterable[Event]) -> State:
    """Apply events in chronological order (ties by id); raises LedgerError on the first bad one."""
    state = State()
    previous: datetime | None = None
    for event in sorted(events, key=lambda e: (e.occurred_at, e.id)):
        if previous is not None and event.occurred_at < previous:  # pragma: no cover - sorted
            raise LedgerError("out_of_order", event, state.status)
        apply(state, event)
        previous = event.occurred_at
    return state


def stays_of(events: Sequence[Event]) -> list[StayInterval]:
    return replay(events).finish()
