"""How the reassessment schedule follows other modules' events (connected in
`AssessmentConfig.ready()`): an admission, an arrival after a transfer and the opening of the
pre-release window bring the next assessment forward (`services.assessment_due_on_event`), in the
transaction of the event, on behalf of whoever recorded it. A sentenced person never assessed is
put on the schedule for a first assessment instead (`services.assessment_first_due`), from the
admission or from the verdict taking effect while they are held. Persons on remand are not
scheduled (`services.SCHEDULED_LEGAL_STATUS` says why)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from qadam.assessment import services
from qadam.assessment.models import Assessment, DueReason, Reassessment
from qadam.custody.models import MovementKind
from qadam.custody.signals import placing_event_reason

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.custody.models import Movement
    from qadam.people.models import Person

EVENT_BY_MOVEMENT: dict[str, str] = {
    MovementKind.ADMISSION: DueReason.ADMISSION,
    MovementKind.TRANSFER_IN: DueReason.TRANSFER,
}


def reassessment_after_movement(
    sender: type[Movement],
    *,
    person: Person,
    movement: Movement,
    actor: User,
    **kwargs: Any,
) -> Reassessment | None:
    """Admission or arrival of a sentenced person → the next assessment within `EVENT_DUE_DAYS`
    of today, or, when never assessed, the first assessment (due `FIRST_ASSESSMENT_DUE_DAYS` after
    the admission); the verdict taking effect while held → the first assessment too.

    Only an event that placed the person where they are now counts (`placing_event_reason`), and
    a change of legal status only where the person is held now."""
    if person.legal_status != services.SCHEDULED_LEGAL_STATUS:
        return None
    if movement.kind == MovementKind.STATUS_CHANGE:
        if person.current_institution_id != movement.institution_id:
            return None
        return services.assessment_first_due(
            person=person,
            actor=actor,
            reason=f"legal status changed to sentenced (ledger event {movement.pk})",
        )
    event = EVENT_BY_MOVEMENT.get(movement.kind)
    reason = placing_event_reason(person=person, movement=movement)
    if event is None or reason is None:
        return None
    if not Assessment.objects.filter(person=person).exists():
        return services.assessment_first_due(person=person, actor=actor, reason=reason)
    return services.assessment_due_on_event(person=person, event=event, actor=actor, reason=reason)


def reassessment_before_release(
    sender: Any,
    *,
    person: Person,
    opened_on: date,
    today: date,
    end_of_sentence: date,
    actor: User | None = None,
    **kwargs: Any,
) -> Reassessment | None:
    """The pre-release window opened → a pre-release assessment within `EVENT_DUE_DAYS`, unless
    the person was assessed since the window opened or is already due that soon (so the daily job
    can run again without writing again)."""
    if Assessment.objects.filter(person=person, assessed_on__gte=opened_on).exists():
        return None
    horizon = today + timedelta(days=services.EVENT_DUE_DAYS[DueReason.PRE_RELEASE])
    if Reassessment.objects.filter(person=person, due_on__lte=horizon).exists():
        return None
    return services.assessment_due_on_event(
        person=person,
        event=DueReason.PRE_RELEASE,
        actor=actor,
        on=today,
        reason=f"pre-release window opened on {opened_on} (sentence ends {end_of_sentence})",
    )
