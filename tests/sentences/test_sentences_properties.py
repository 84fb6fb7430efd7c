"""Property-based tests of the sentence engine (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from qadam.sentences.engine import (
    DATE,
    Count,
    DetentionPeriod,
    Escape,
    PersonFacts,
    Sentence,
    Term,
    calculate,
)
from qadam.sentences.engine.calendar import add_months, days_inclusive, term_last_day

AS_OF = date(2030, 1, 1)
GRAVITIES = ("minor", "medium", "grave", "especially_grave")
TYPES = ("MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA")
GROUPS = ("", "corruption_grave", "sexual_offence_against_minor", "against_life", "corruption")

terms = st.builds(
    Term,
    years=st.integers(0, 15),
    months=st.integers(0, 11),
    days=st.integers(0, 40),
).filter(lambda t: t.years + t.months + t.days > 0)


@st.composite
def sentences(draw: st.DrawFn) -> Sentence:
    start = draw(st.dates(date(2016, 1, 1), date(2024, 12, 31)))
    offence = start - timedelta(days=draw(st.integers(1, 300)))
    offence = max(offence, date(2015, 1, 1))
    group = draw(st.sampled_from(GROUPS))
    count = Count(
        article="188",
        gravity=draw(st.sampled_from(GRAVITIES)),
        term=draw(terms),
        offence_date=offence,
        groups=(group,) if group else (),
    )
    detention_days = draw(st.integers(0, 400))
    detention: tuple[DetentionPeriod, ...] = ()
    if detention_days:
        detention = (
            DetentionPeriod(start - timedelta(days=detention_days), start - timedelta(days=1)),
        )
    person = PersonFacts(
        sex=draw(st.sampled_from(("F", "M"))),
        has_minor_child=draw(st.booleans()),
        birth_date=draw(st.dates(date(1950, 1, 1), date(1990, 1, 1))),
    )
    return Sentence(
        counts=(count,),
        institution_type=draw(st.sampled_from(TYPES)),
        start_date=start,
        detention=detention,
        person=person,
        cooperation_agreement=draw(st.booleans()),
    )


def _dates(sentence: Sentence) -> tuple[date, date | None]:
    calc = calculate(sentence, as_of=AS_OF)
    assert calc.issues == (), [i.message for i in calc.issues]
    assert calc.dates is not None
    end = calc.dates.end_of_sentence.date
    assert end is not None
    parole = calc.dates.parole
    return end, parole.date if parole.status == DATE else None


@settings(max_examples=150, deadline=None)
@given(sentences())
def test_parole_never_after_end(sentence: Sentence) -> None:
    calc = calculate(sentence, as_of=AS_OF)
    assert calc.dates is not None
    end = calc.dates.end_of_sentence.date
    assert end is not None
    for result in (calc.dates.parole, calc.dates.replacement_by_milder, *calc.dates.transfers):
        if result.status == DATE:
            assert result.date is not None
            assert result.date <= end
            assert result.date >= sentence.start_date - timedelta(days=800)


@settings(max_examples=150, deadline=None)
@given(sentences(), st.integers(1, 200))
def test_more_credit_never_gives_a_later_date(sentence: Sentence, extra: int) -> None:
    start = sentence.start_date
    first = sentence.detention[0].start if sentence.detention else start
    more = replace(
        sentence,
        detention=(DetentionPeriod(first - timedelta(days=extra), start - timedelta(days=1)),),
    )
    end_a, parole_a = _dates(sentence)
    end_b, parole_b = _dates(more)
    assert end_b <= end_a
    if parole_a is not None and parole_b is not None:
        assert parole_b <= parole_a
    if parole_a is not None:
        # More credit cannot take away an eligibility that existed (it can only come earlier).
        assert parole_b is not None or end_b < parole_a


@settings(max_examples=150, deadline=None)
@given(sentences(), terms)
def test_adding_a_consecutive_count_never_shortens(sentence: Sentence, extra: Term) -> None:
    count = sentence.counts[0]
    added = replace(
        sentence,
        combination="consecutive",
        counts=(count, replace(count, term=extra, groups=())),
    )
    end_a, _ = _dates(sentence)
    end_b, _ = _dates(added)
    assert end_b > end_a


@settings(max_examples=150, deadline=None)
@given(sentences(), st.integers(1, 30))
def test_end_of_sentence_monotone_in_term(sentence: Sentence, more_days: int) -> None:
    count = sentence.counts[0]
    longer = replace(count, term=replace(count.term, days=count.term.days + more_days))
    end_a, parole_a = _dates(sentence)
    end_b, parole_b = _dates(replace(sentence, counts=(longer,)))
    assert end_b - end_a == timedelta(days=more_days)
    if parole_a is not None and parole_b is not None:
        assert parole_b >= parole_a


@settings(max_examples=100, deadline=None)
@given(sentences(), st.integers(0, 1500), st.integers(1, 60))
def test_an_escape_moves_the_end_by_the_days_at_large(
    sentence: Sentence, after: int, length: int
) -> None:
    first = sentence.start_date + timedelta(days=after)
    escape = Escape(first, first + timedelta(days=length - 1), "report")
    end_a, parole_a = _dates(sentence)
    calc = calculate(replace(sentence, adjustments=(escape,)), as_of=AS_OF)
    if first > end_a:
        return  # an escape after the end is not a real case
    assert calc.dates is not None
    assert calc.dates.end_of_sentence.date == end_a + timedelta(days=length)
    parole_b = calc.dates.parole
    if parole_a is not None and parole_b.status == DATE:
        assert parole_b.date is not None
        assert parole_a <= parole_b.date <= parole_a + timedelta(days=length)


@settings(max_examples=150, deadline=None)
@given(sentences())
def test_every_date_has_a_breakdown_with_a_cited_rule(sentence: Sentence) -> None:
    calc = calculate(sentence, as_of=AS_OF)
    assert calc.dates is not None
    for result in (
        calc.dates.parole,
        calc.dates.replacement_by_milder,
        calc.dates.preferential_conditions,
    ):
        if result.status == DATE:
            assert result.breakdown.rules
            assert all(r.citation for r in result.breakdown.rules)
            assert result.breakdown.steps
            for text in result.breakdown.texts:
                assert "{" not in text


@given(st.dates(date(1990, 1, 1), date(2040, 12, 31)), st.integers(0, 400))
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    assert moved.day == day.day or moved.month != (moved + timedelta(days=1)).month


@given(st.dates(date(1990, 1, 1), date(2040, 12, 31)), st.integers(0, 240), st.integers(0, 60))
def test_term_length_in_days_is_calendar_length(day: date, months: int, days: int) -> None:
    if months + days == 0:
        return
    start = day.toordinal()
    last = term_last_day(start, months, days)
    assert days_inclusive(start, last) == (add_months(day, months) - day).days + days
