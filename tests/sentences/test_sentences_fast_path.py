"""The fast path (explain=False, calculate_many) gives exactly the dates of the explained path.

Breakdowns without explanation carry the rules and the law but no steps and no inputs; every other
part of a result (status, date, reason, target, conditions, the alternative under the other law)
must be the same as with explain=True.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sentences_golden_loader import GoldenCase, load_cases
from sentences_samples import GRAVITIES, GROUPS, TYPES

from qadam.sentences.engine import (
    Amnesty,
    Behaviour,
    Breakdown,
    Calculation,
    Count,
    CourtChange,
    DatedResult,
    DetentionPeriod,
    Escape,
    Flag,
    Pardon,
    PersonFacts,
    Recall,
    Replacement,
    Sentence,
    Term,
    calculate,
    calculate_many,
    default_rules,
    validate,
)
from qadam.sentences.engine.calendar import birthday
from qadam.sentences.engine.explain import new_breakdown, new_dated
from qadam.sentences.engine.model import Adjustment
from qadam.sentences.engine.validation import looks_valid

CASES = load_cases()


def _result(r: DatedResult) -> tuple[Any, ...]:
    bd = r.breakdown
    alternative = _result(bd.alternative) if bd.alternative is not None else None
    return (
        r.status,
        r.date,
        r.reason,
        dict(r.reason_params) if r.reason_params else None,
        r.target,
        [(c.code, c.met, dict(c.params)) for c in r.conditions],
        bd.rules,
        bd.law,
        alternative,
    )


def _flag(f: Flag) -> tuple[Any, ...]:
    return (f.value, f.breakdown.rules, f.breakdown.law)


def _outcome(calc: Calculation) -> tuple[Any, ...]:
    """Everything in a calculation except the steps and inputs of the breakdowns."""
    d = calc.dates
    if d is None:
        return ("issues", calc.issues)
    return (
        _result(d.end_of_sentence),
        _result(d.parole),
        _flag(d.mandatory_parole_candidate),
        _result(d.replacement_by_milder),
        [_result(t) for t in d.transfers],
        _result(d.preferential_conditions),
    )


def _no_explanation(calc: Calculation) -> None:
    d = calc.dates
    if d is None:
        return
    results = [
        d.end_of_sentence,
        d.parole,
        d.replacement_by_milder,
        *d.transfers,
        d.preferential_conditions,
    ]
    breakdowns = [r.breakdown for r in results] + [d.mandatory_parole_candidate.breakdown]
    breakdowns += [r.breakdown.alternative.breakdown for r in results if r.breakdown.alternative]
    for bd in breakdowns:
        assert bd.steps == ()
        assert dict(bd.inputs) == {}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case_same_without_explanation(case: GoldenCase) -> None:
    full = calculate(case.sentence, as_of=case.as_of, rules=case.rules)
    fast = calculate(case.sentence, as_of=case.as_of, rules=case.rules, explain=False)
    assert _outcome(fast) == _outcome(full)
    _no_explanation(fast)
    [many] = calculate_many([case.sentence], as_of=case.as_of, rules=case.rules)
    assert _outcome(many) == _outcome(full)


# -- random sentences, of every shape the engine accepts (and some it refuses) -------------------

terms = st.builds(
    Term, years=st.integers(0, 14), months=st.integers(0, 11), days=st.integers(0, 40)
).filter(lambda t: t.years + t.months + t.days > 0)
small_terms = st.builds(
    Term, years=st.integers(0, 2), months=st.integers(0, 11), days=st.integers(0, 20)
)


@st.composite
def counts(draw: st.DrawFn, start: date) -> Count:
    offence = start - timedelta(days=draw(st.integers(1, 3000)))
    life = draw(st.integers(0, 15)) == 0
    groups = draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))
    return Count(
        article=draw(st.sampled_from(("188", "99", "366", ""))) if draw(st.booleans()) else "188",
        gravity=draw(st.sampled_from(GRAVITIES)),
        term=Term(life=True) if life else draw(terms),
        offence_date=max(offence, date(2015, 1, 1)),
        part=draw(st.sampled_from(("", "2", "3"))),
        groups=tuple(groups),
        article_max_years=draw(st.sampled_from((None, None, None, 5, 15))),
    )


@st.composite
def adjustments(draw: st.DrawFn, start: date, as_of: date) -> Adjustment:
    span = max((as_of - start).days, 1)
    day = start + timedelta(days=draw(st.integers(0, span)))
    kind = draw(st.sampled_from(("escape", "amnesty", "pardon", "court", "replace", "recall")))
    source = draw(st.sampled_from(("act 1", "", "decision 7")))
    if kind == "escape":
        return Escape(day, day + timedelta(days=draw(st.integers(0, 60))), source)
    if kind == "amnesty":
        return Amnesty(day, source, draw(small_terms), draw(st.integers(0, 5)) == 0)
    if kind == "pardon":
        commute = draw(st.one_of(st.none(), terms))
        return Pardon(day, source, draw(small_terms), commute, draw(st.integers(0, 5)) == 0)
    if kind == "court":
        return CourtChange(
            day,
            source,
            draw(st.one_of(st.none(), terms)),
            draw(st.one_of(st.none(), st.sampled_from(TYPES))),
        )
    if kind == "replace":
        return Replacement(day, source, "restriction of liberty")
    released = day - timedelta(days=draw(st.integers(1, 400)))
    return Recall(day, source, released, draw(st.one_of(st.none(), st.integers(1, 900))))


@st.composite
def sentences(draw: st.DrawFn) -> tuple[Sentence, date]:
    start = draw(st.dates(date(2015, 6, 1), date(2025, 6, 30)))
    as_of = start + timedelta(days=draw(st.integers(0, 4000)))
    n_counts = draw(st.integers(1, 3))
    detention: list[DetentionPeriod] = []
    for _ in range(draw(st.integers(0, 2))):
        end = start - timedelta(days=draw(st.integers(1, 500)))
        detention.append(DetentionPeriod(end - timedelta(days=draw(st.integers(0, 300))), end))
    person = PersonFacts(
        sex=draw(st.sampled_from(("F", "M", "M", ""))),
        birth_date=draw(st.one_of(st.none(), st.dates(date(1950, 1, 1), date(2004, 1, 1)))),
        pregnant=draw(st.integers(0, 10)) == 0,
        has_minor_child=draw(st.booleans()),
        single_father=draw(st.integers(0, 10)) == 0,
        disability_group=draw(st.sampled_from((0, 0, 0, 1, 2, 3))),
    )
    sentence = Sentence(
        counts=tuple(draw(counts(start)) for _ in range(n_counts)),
        institution_type=draw(st.sampled_from(TYPES)),
        start_date=start,
        combination=draw(st.sampled_from(("absorption", "consecutive", "partial"))),
        partial_share=draw(st.sampled_from(("1/2", "1/3", "2/3"))),
        detention=tuple(detention),
        adjustments=tuple(draw(adjustments(start, as_of)) for _ in range(draw(st.integers(0, 3)))),
        person=person,
        behaviour=Behaviour(
            malicious_violator=draw(st.booleans()),
            positive_degree=draw(st.integers(0, 3)),
            conditions=draw(st.sampled_from(("strict", "ordinary", "facilitated"))),
            conditions_since=draw(st.one_of(st.none(), st.just(start))),
            damage_compensated=draw(st.booleans()),
        ),
        cooperation_agreement=draw(st.integers(0, 6)) == 0,
        earlier_parole_revoked=draw(st.integers(0, 6)) == 0,
        assists_counter_terrorism=draw(st.integers(0, 10)) == 0,
        death_sentence_commuted=draw(st.integers(0, 20)) == 0,
    )
    if person.birth_date is not None:
        # Keep the "minor at offence" flag consistent, but not always (a validation issue).
        last = max(c.offence_date for c in sentence.counts)
        minor = (last < birthday(person.birth_date, 18)) != (draw(st.integers(0, 10)) == 0)
        sentence = dataclasses.replace(
            sentence, person=dataclasses.replace(person, minor_at_offence=minor)
        )
    return sentence, as_of


@settings(max_examples=400, deadline=None)
@given(sentences())
def test_same_dates_with_and_without_explanation(drawn: tuple[Sentence, date]) -> None:
    sentence, as_of = drawn
    full = calculate(sentence, as_of=as_of)
    fast = calculate(sentence, as_of=as_of, explain=False)
    assert _outcome(fast) == _outcome(full)
    _no_explanation(fast)


@settings(max_examples=400, deadline=None)
@given(sentences())
def test_fast_check_never_passes_an_invalid_sentence(drawn: tuple[Sentence, date]) -> None:
    sentence, as_of = drawn
    if looks_valid(sentence, as_of):
        assert validate(sentence, default_rules(), as_of) == []


@settings(max_examples=50, deadline=None)
@given(st.lists(sentences(), min_size=1, max_size=8))
def test_calculate_many_is_calculate(drawn: list[tuple[Sentence, date]]) -> None:
    as_of = max(a for _, a in drawn)
    batch = [s for s, _ in drawn]
    for explain in (False, True):
        many = calculate_many(batch, as_of=as_of, explain=explain)
        one = [calculate(s, as_of=as_of, explain=explain) for s in batch]
        assert [_outcome(c) for c in many] == [_outcome(c) for c in one]


def test_fast_results_are_ordinary_frozen_dataclasses() -> None:
    bd = new_breakdown((), {}, (), "single")
    assert type(bd) is Breakdown
    assert bd == Breakdown((), {}, ())
    result = new_dated("date", date(2024, 1, 1), bd, target="MIN")
    assert type(result) is DatedResult
    assert result == DatedResult("date", date(2024, 1, 1), bd, target="MIN")
    assert repr(result) == repr(DatedResult("date", date(2024, 1, 1), bd, target="MIN"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "other"  # type: ignore[misc]
    assert dataclasses.replace(result, target="MAX").target == "MAX"
