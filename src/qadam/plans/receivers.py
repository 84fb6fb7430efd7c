"""How the plan's review date follows custody events (connected in `PlansConfig.ready()`): an
admission or an arrival after a transfer brings the review forward
(`services.plan_schedule_review`), in the custody transaction, on behalf of whoever recorded it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qadam.custody.models import MovementKind
from qadam.plans import services

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.custody.models import Movement
    from qadam.people.models import Person
    from qadam.plans.models import Plan

# The audit trail's reasons are English, like its verbs.
EVENT_WORDS: dict[str, str] = {
    MovementKind.ADMISSION: "admission",
    MovementKind.TRANSFER_IN: "arrival on transfer",
}


def review_after_movement(
    sender: type[Movement],
    *,
    person: Person,
    movement: Movement,
    actor: User,
    **kwargs: Any,
) -> Plan | None:
    """Admission or arrival → the plan is reviewed within `schedule.EVENT_REVIEW_DAYS`.

    Only an event that placed the person where they are now counts: an earlier episode entered
    after the fact does not reset today's schedule."""
    words = EVENT_WORDS.get(movement.kind)
    if words is None or person.current_institution_id != movement.institution_id:
        return None
    return services.plan_schedule_review(
        person=person, reason=f"{words} recorded (ledger event {movement.pk})", actor=actor
    )
