"""The start of the pre-release window, checked daily (`qadam pre_release`).

No ledger event marks the day a sentenced person's last `schedule.PRE_RELEASE_WINDOW_MONTHS`
months begin, so a daily job looks for the persons whose window opened in the last few days
(`CATCH_UP_DAYS`, so that a missed run or two loses nobody) and, for each in its own transaction,
brings the plan's review forward and sends `signals.pre_release_window_opened` (the assessment
module brings the reassessment forward). A person reviewed since the window opened, or already due
within `schedule.EVENT_REVIEW_DAYS`, is left as is: running the job again writes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from qadam.people.models import Person
from qadam.plans import schedule, services
from qadam.plans.models import Plan
from qadam.plans.signals import pre_release_window_opened

CATCH_UP_DAYS = 7


@dataclass(frozen=True)
class PreReleaseRun:
    persons: int
    reviews_brought_forward: int
    other_changes: int  # rows written by the signal's receivers (reassessments brought forward)


def window_opened_on(end_of_sentence: date) -> date:
    return schedule.add_months(end_of_sentence, -schedule.PRE_RELEASE_WINDOW_MONTHS)


def persons_entering_window(today: date, days: int = CATCH_UP_DAYS) -> QuerySet[Person]:
    """Sentenced persons in custody whose pre-release window opened within the last `days` days
    (today included): in the window today, not yet in it `days` days ago."""
    return Person.objects.filter(
        merged_into__isnull=True,
        current_institution__isnull=False,
        legal_status="sentenced",
        lawful_until__gte=today,
        lawful_until__lte=schedule.add_months(today, schedule.PRE_RELEASE_WINDOW_MONTHS),
        lawful_until__gt=schedule.add_months(
            today - timedelta(days=days), schedule.PRE_RELEASE_WINDOW_MONTHS
        ),
    ).order_by("pk")


def _review_before_release(person: Person, opened_on: date, today: date) -> bool:
    plan = Plan.objects.filter(person=person).first()
    if plan is None or plan.reviews.filter(reviewed_on__gte=opened_on).exists():
        return False
    horizon = today + timedelta(days=schedule.EVENT_REVIEW_DAYS)
    if plan.next_review_due is not None and plan.next_review_due <= horizon:
        return False
    services.plan_schedule_review(
        person=person,
        reason=f"pre-release window opened on {opened_on} (sentence ends {person.lawful_until})",
        actor=None,
    )
    return True


def first_assessments_scheduled() -> int:
    """The assessment module's daily check, run by this daily job so that one command keeps the
    schedules: everyone held under a sentence and never assessed is put on the assessment schedule
    (`assessment.services.assessment_first_due_sweep`; idempotent). Returns the rows written; 0
    when the assessment module is not installed."""
    try:
        from qadam.assessment.services import assessment_first_due_sweep
    except ImportError:
        return 0
    return assessment_first_due_sweep(actor=None)


def open_pre_release_windows(*, days: int = CATCH_UP_DAYS) -> PreReleaseRun:
    """Bring forward the plan review and the reassessment of everyone whose window just opened."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = timezone.localdate()
    persons = reviews = others = 0
    for person in persons_entering_window(today, days).iterator(chunk_size=500):
        assert person.lawful_until is not None
        opened_on = window_opened_on(person.lawful_until)
        with transaction.atomic():
            reviews += _review_before_release(person, opened_on, today)
            responses = pre_release_window_opened.send(
                sender=Plan,
                person=person,
                opened_on=opened_on,
                today=today,
                end_of_sentence=person.lawful_until,
                actor=None,
            )
        others += sum(1 for _receiver, result in responses if result is not None)
        persons += 1
    return PreReleaseRun(persons=persons, reviews_brought_forward=reviews, other_changes=others)
