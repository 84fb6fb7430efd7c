"""`movement_recorded`: the one domain signal of the movements ledger.

Plans and assessment depend on custody, never the reverse, yet their schedules follow custody
events: an admission or an arrival after a transfer brings the next assessment and the plan's
review forward. So custody services send `movement_recorded` after each ledger event is written,
inside their transaction, and those modules connect receivers in their `AppConfig.ready()`.

The contract for receivers:
- they run in the custody transaction: an exception in a receiver rolls the event back (the
  signal is sent with `send`, not `send_robust`), so a receiver refuses only what must not be
  recorded at all;
- each receiver writes through its own module's service, which writes its own audit row naming
  the actor (the member of staff whose event it is) and the reason;
- they receive `sender` (the `Movement` class) and the keyword arguments `person`, `movement` and
  `actor`, and must accept `**kwargs` for arguments added later.

Bulk loads (the demo generator) write the ledger without the services and send nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.dispatch import Signal

from qadam.custody.models import MovementKind

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.custody.models import Movement
    from qadam.people.models import Person

movement_recorded = Signal()


class MovementReceiver(Protocol):
    """The shape of a `movement_recorded` receiver (for type-checking the receivers)."""

    def __call__(
        self,
        sender: type[Movement],
        *,
        person: Person,
        movement: Movement,
        actor: User,
        **kwargs: Any,
    ) -> Any: ...


# Events that place a person somewhere new, in the audit trail's English (like its verbs).
PLACING_EVENT_WORDS: dict[str, str] = {
    MovementKind.ADMISSION: "admission",
    MovementKind.TRANSFER_IN: "arrival on transfer",
}


def placing_event_reason(*, person: Person, movement: Movement) -> str | None:
    """The audit reason for schedules that follow an admission or an arrival, or None when the
    movement is neither or did not place the person where they are now (an earlier episode
    entered after the fact does not reset today's schedules)."""
    words = PLACING_EVENT_WORDS.get(movement.kind)
    if words is None or person.current_institution_id != movement.institution_id:
        return None
    return f"{words} recorded (ledger event {movement.pk})"


def send_movement_recorded(*, person: Person, movement: Movement, actor: User) -> None:
    """Tell the other modules that `movement` was written; call inside the transaction."""
    from qadam.custody.models import Movement

    movement_recorded.send(sender=Movement, person=person, movement=movement, actor=actor)


__all__ = [
    "PLACING_EVENT_WORDS",
    "MovementReceiver",
    "movement_recorded",
    "placing_event_reason",
    "send_movement_recorded",
]
