"""When a plan is reviewed: the rule, in one place, with no Django imports.

The rule (issue 5 §3): the less time a sentenced person has left to serve, the more often the plan
is reviewed, so that the last months before release are used well.

- end of sentence (`Person.lawful_until`) within 12 months of the review → next review in 3 months;
- within 36 months → in 6 months;
- later → in 12 months;
- no end date known (remand, probation without a fixed end) → in 6 months.

A review is never scheduled after the end of the sentence: if the interval would pass it, the review
falls due on the end date itself (a review held on that date sets the next one by the interval, so
the next review is always after the one held).

Events (admission, transfer, a new assessment) reset the schedule: the plan must be reviewed within
`EVENT_REVIEW_DAYS` of the event, or on its regular date if that is sooner.

Pre-release items are shown as a checklist in the last `PRE_RELEASE_WINDOW_MONTHS` months before
the end of the sentence.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

# (months of sentence left at most, review interval in months), checked in order.
REVIEW_INTERVALS: tuple[tuple[int, int], ...] = ((12, 3), (36, 6))
LONG_SENTENCE_INTERVAL_MONTHS = 12
NO_END_DATE_INTERVAL_MONTHS = 6
EVENT_REVIEW_DAYS = 30
PRE_RELEASE_WINDOW_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewDue:
    due: date
    interval_months: int | None  # None when an event set the date
    rule: str  # which part of the rule set the date, in English (for the audit trail)


def review_interval_months(*, today: date, end_of_sentence: date | None) -> int:
    if end_of_sentence is None:
        return NO_END_DATE_INTERVAL_MONTHS
    for months_left, interval in REVIEW_INTERVALS:
        if end_of_sentence <= add_months(today, months_left):
            return interval
    return LONG_SENTENCE_INTERVAL_MONTHS


def next_regular_review(*, today: date, end_of_sentence: date | None) -> ReviewDue:
    interval = review_interval_months(today=today, end_of_sentence=end_of_sentence)
    due = add_months(today, interval)
    if end_of_sentence is None:
        return ReviewDue(due, interval, f"no end date known: every {interval} months")
    if end_of_sentence > today and due > end_of_sentence:
        return ReviewDue(end_of_sentence, interval, "review on the end date of the sentence")
    return ReviewDue(due, interval, f"sentence ends {end_of_sentence}: every {interval} months")


def review_after_event(
    *, today: date, current_due: date | None, end_of_sentence: date | None
) -> ReviewDue:
    """An event (admission, transfer, new assessment) brings the review forward."""
    regular = next_regular_review(today=today, end_of_sentence=end_of_sentence)
    soon = today + timedelta(days=EVENT_REVIEW_DAYS)
    candidates = [regular.due, soon] + ([current_due] if current_due is not None else [])
    due = max(today, min(candidates))
    if due == regular.due:
        return regular
    if due == soon:
        return ReviewDue(due, None, f"event: review within {EVENT_REVIEW_DAYS} days")
    return ReviewDue(due, None, "the review already due earlier is kept")


def in_pre_release_window(*, today: date, end_of_sentence: date | None) -> bool:
    if end_of_sentence is None or end_of_sentence < today:
        return False
    return end_of_sentence <= add_months(today, PRE_RELEASE_WINDOW_MONTHS)
