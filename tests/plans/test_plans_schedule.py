"""The review schedule: intervals from time left to serve, event resets, pre-release window.
Expected dates are worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qadam.plans.schedule import (
    EVENT_REVIEW_DAYS,
    add_months,
    in_pre_release_window,
    next_regular_review,
    review_after_event,
    review_interval_months,
)

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("end", "months"),
    [
        (date(2026, 9, 1), 3),  # 5½ months left
        (date(2027, 3, 15), 3),  # exactly 12 months left: still ≤ 1 year
        (date(2027, 3, 16), 6),  # one day more than a year
        (date(2029, 3, 15), 6),  # exactly 36 months
        (date(2029, 3, 16), 12),
        (None, 6),  # no end date (remand, probation without a fixed end)
    ],
)
def test_interval_by_time_left(end: date | None, months: int) -> None:
    assert review_interval_months(today=TODAY, end_of_sentence=end) == months


def test_next_review_never_after_the_end_of_sentence() -> None:
    # 1 month left: the 3-month interval would pass the end → the end date itself
    due = next_regular_review(today=TODAY, end_of_sentence=date(2026, 4, 15))
    assert due.due == date(2026, 4, 15)


def test_review_held_on_the_end_date_sets_a_later_one() -> None:
    # The demo data once failed here: a review on the end date got itself as the next date.
    end = date(2026, 4, 15)
    due = next_regular_review(today=end, end_of_sentence=end)
    assert due.due == date(2026, 7, 15)
    assert due.due > end


def test_regular_review_dates() -> None:
    assert next_regular_review(today=TODAY, end_of_sentence=date(2030, 1, 1)).due == date(
        2027, 3, 15
    )
    assert next_regular_review(today=TODAY, end_of_sentence=date(2028, 1, 1)).due == date(
        2026, 9, 15
    )
    assert next_regular_review(
        today=date(2026, 11, 30), end_of_sentence=date(2027, 6, 1)
    ).due == date(2027, 2, 28)  # 30 Nov + 3 months → the last day of February


def test_event_brings_the_review_forward_but_never_later() -> None:
    later = review_after_event(today=TODAY, current_due=date(2026, 12, 1), end_of_sentence=None)
    assert later.due == date(2026, 4, 14)  # 15 March + 30 days
    sooner = review_after_event(today=TODAY, current_due=date(2026, 3, 20), end_of_sentence=None)
    assert sooner.due == date(2026, 3, 20)


def test_pre_release_window() -> None:
    assert in_pre_release_window(today=TODAY, end_of_sentence=date(2026, 9, 15))
    assert not in_pre_release_window(today=TODAY, end_of_sentence=date(2026, 9, 16))
    assert not in_pre_release_window(today=TODAY, end_of_sentence=date(2026, 3, 14))
    assert not in_pre_release_window(today=TODAY, end_of_sentence=None)


@given(st.dates(date(2020, 1, 1), date(2035, 1, 1)), st.integers(0, 40))
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day


@given(
    st.dates(date(2020, 1, 1), date(2035, 1, 1)),
    st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2045, 1, 1))),
)
def test_review_is_after_today_and_within_a_year(today: date, end: date | None) -> None:
    due = next_regular_review(today=today, end_of_sentence=end).due
    assert due >= today
    assert due <= add_months(today, 12)
    event = review_after_event(today=today, current_due=None, end_of_sentence=end).due
    assert (
        today
        <= event
        <= max(today, min(due, date.fromordinal(today.toordinal() + EVENT_REVIEW_DAYS)))
    )
