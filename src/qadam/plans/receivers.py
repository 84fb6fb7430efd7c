"""How the plan's review date follows custody events (connected in `PlansConfig.ready()`): an
admission or an arrival after a transfer brings the review forward
(`services.plan_schedule_review`), in the custody transaction, on behalf of whoever recorded it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qadam.custody.signals import placing_event_reason
from qadam.plans import services

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.custody.models import Movement
    from qadam.people.models import Person
    from qadam.plans.models import Plan


def review_after_movement(
    sender: type[Movement],
    *,
    person: Person,
    movement: Movement,
    actor: User,
    **kwargs: Any,
) -> Plan | None:
    """Admission or arrival → the plan is reviewed within `schedule.EVENT_REVIEW_DAYS`.

    Only an event that placed the person where they are now counts (`placing_event_reason`)."""
    reason = placing_event_reason(person=person, movement=movement)
    if reason is None:
        return None
    return services.plan_schedule_review(person=person, reason=reason, actor=actor)
