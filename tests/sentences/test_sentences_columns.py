"""The column-wise bulk path (numpy) gives exactly the scalar path's dates, row for row.

``calculate_columns`` computes the common shapes of sentence column-wise and sends the others to
``calculate``; either way each row must equal ``calculate(..., explain=False)``: every status,
reason, date, the mandatory-parole flag, the transfers (targets, dates, conditions met) and the
preferential-conditions date and conditions.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sentences_golden_loader import GoldenCase, load_cases
from sentences_samples import GRAVITIES, GROUPS, TYPES
from test_sentences_fast_path import sentences as any_sentences

from qadam.sentences.engine import (
    LIFE,
    Amnesty,
    Behaviour,
    Calculation,
    Count,
    DatedResult,
    DetentionPeriod,
    Escape,
    Pardon,
    PersonFacts,
    RuleSet,
    Sentence,
    Term,
    calculate,
    calculate_columns,
    columns_from_sentences,
    default_rules,
)
from qadam.sentences.engine.calendar import add_months_ord, birthday
from qadam.sentences.engine.columns import add_months_columns

CASES = load_cases()
# Days around which the wording of the law changes in the shipped rule files.
PIVOTS = (date(2015, 1, 1), date(2020, 12, 30), date(2024, 7, 11))


def _scenario_rules() -> list[RuleSet]:
    """The shipped rules and a few policy scenarios (other fractions, ratios and switches)."""
    base = default_rules()
    return [
        base,
        base.with_params("pretrial_credit_counts_as_served", counts_as_served=False),
        base.with_params("parole_fraction_general", grave="2/3", medium="1/2"),
        base.with_params("mandatory_parole", active=False),
        base.with_params("mandatory_parole", requires_damage_compensated=False),
        base.with_params("parole_minimum_served", months=9),
        base.with_params("pretrial_credit_ratio", MAX="3/2", MIN="5/2"),
        base.with_params("preferential_conditions", months_before_release=6),
        base.with_params("transfer_to_minimum_exclusions", groups_unless_compensated=[]),
        base.with_params("transfer_from_full", targets=["MED"], fraction="2/5"),
        base.with_params("parole_exclusion_sexual_offence_against_minor", except_vulnerable=True),
        base.with_params("parole_exclusion_corruption", exception_uses_general_fraction=False),
    ]


RULESETS = _scenario_rules()


def _plain(calc: Calculation) -> tuple[Any, ...]:
    """The scalar result as plain values, in the shape of ``ColumnResult.outcome``."""
    d = calc.dates
    if d is None:
        return ("issues",)

    def dated(r: DatedResult) -> tuple[str, str, date | None]:
        return (r.status, r.reason, r.date)

    return (
        dated(d.end_of_sentence),
        dated(d.parole),
        d.mandatory_parole_candidate.value,
        dated(d.replacement_by_milder),
        tuple((t.target, t.status, t.reason, t.date, t.conditions_met) for t in d.transfers),
        (*dated(d.preferential_conditions), d.preferential_conditions.conditions_met),
    )


def _check(batch: list[Sentence], as_of: date, rules: RuleSet | None = None) -> int:
    """Compare every row; return how many rows the column path computed itself."""
    result = calculate_columns(columns_from_sentences(batch), as_of=as_of, rules=rules)
    for i, sentence in enumerate(batch):
        scalar = calculate(sentence, as_of=as_of, rules=rules, explain=False)
        assert result.outcome(i) == _plain(scalar), (i, sentence)
    return int((~result.fallback).sum())


# -- sentences of the shapes the column path computes (and a few it hands back) -----------------

terms = st.builds(
    Term, years=st.integers(0, 14), months=st.integers(0, 11), days=st.integers(0, 40)
).filter(lambda t: t.years + t.months + t.days > 0)


@st.composite
def offence_dates(draw: st.DrawFn, start: date) -> date:
    if draw(st.booleans()):
        pivot = draw(st.sampled_from(PIVOTS))
        day = pivot + timedelta(days=draw(st.integers(-3, 3)))
    else:
        day = start - timedelta(days=draw(st.integers(1, 2500)))
    return max(min(day, start), date(2015, 1, 1))


@st.composite
def common_sentences(draw: st.DrawFn, as_of: date) -> Sentence:
    start = draw(st.dates(date(2015, 3, 1), as_of))
    n_counts = draw(st.sampled_from((1, 1, 1, 2, 3)))
    counts = []
    for _ in range(n_counts):
        life = draw(st.integers(0, 12)) == 0
        counts.append(
            Count(
                article="188",
                gravity=draw(st.sampled_from(GRAVITIES)),
                term=LIFE if life else draw(terms),
                offence_date=draw(offence_dates(start)),
                groups=tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))),
            )
        )
    life = any(c.term.life for c in counts)
    detention: tuple[DetentionPeriod, ...] = ()
    if draw(st.booleans()):
        last = start - timedelta(days=draw(st.integers(1, 30)))
        detention = (DetentionPeriod(last - timedelta(days=draw(st.integers(0, 700))), last),)
    adjustments: list[Escape | Amnesty | Pardon] = []
    span = max((as_of - start).days, 0)
    if draw(st.integers(0, 3)) == 0:
        first = start + timedelta(days=draw(st.integers(0, span)))
        to = min(first + timedelta(days=draw(st.integers(0, 90))), as_of)
        adjustments.append(Escape(first, to, "escape report"))
    for _ in range(0 if life else draw(st.integers(0, 2))):
        day = start + timedelta(days=draw(st.integers(0, span)))
        reduce_by = Term(0, draw(st.integers(0, 11)), draw(st.integers(0, 20)))
        adjustments.append(Amnesty(day, "amnesty act", reduce_by, draw(st.integers(0, 6)) == 0))
    if draw(st.integers(0, 25)) == 0:
        # Not a column shape: the scalar path does it.
        day = start + timedelta(days=draw(st.integers(0, span)))
        adjustments.append(Pardon(day, "pardon", Term(months=3)))
    sex = draw(st.sampled_from(("F", "M", "M", "")))
    birth = draw(st.one_of(st.none(), st.dates(date(1945, 1, 1), date(2004, 1, 1))))
    minor = False
    if birth is not None:
        minor = max(c.offence_date for c in counts) < birthday(birth, 18)
    person = PersonFacts(
        sex=sex,
        birth_date=birth,
        minor_at_offence=minor,
        pregnant=sex == "F" and draw(st.integers(0, 8)) == 0,
        has_minor_child=draw(st.booleans()),
        single_father=draw(st.integers(0, 6)) == 0,
        disability_group=draw(st.sampled_from((0, 0, 0, 1, 2, 3))),
    )
    since = draw(st.one_of(st.none(), st.dates(start, as_of)))
    return Sentence(
        counts=tuple(counts),
        institution_type=draw(st.sampled_from(TYPES)),
        start_date=start,
        combination=draw(st.sampled_from(("absorption", "consecutive", "partial"))),
        partial_share=draw(st.sampled_from(("1/2", "1/3", "2/3"))),
        detention=detention,
        adjustments=tuple(adjustments),
        person=person,
        behaviour=Behaviour(
            malicious_violator=draw(st.booleans()),
            positive_degree=draw(st.integers(0, 3)),
            conditions=draw(st.sampled_from(("strict", "ordinary", "facilitated", "preferential"))),
            conditions_since=since,
            damage_compensated=draw(st.booleans()),
        ),
        cooperation_agreement=draw(st.integers(0, 4)) == 0,
        earlier_parole_revoked=draw(st.integers(0, 4)) == 0,
        assists_counter_terrorism=draw(st.integers(0, 6)) == 0,
        death_sentence_commuted=draw(st.integers(0, 12)) == 0,
    )


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Sentence], date, RuleSet]:
    as_of = draw(st.dates(date(2016, 1, 1), date(2031, 12, 31)))
    batch = draw(st.lists(common_sentences(as_of), min_size=1, max_size=12))
    return batch, as_of, draw(st.sampled_from(RULESETS))


@settings(max_examples=150, deadline=None)
@given(batches())
def test_columns_equal_scalar_on_common_shapes(drawn: tuple[list[Sentence], date, RuleSet]) -> None:
    batch, as_of, rules = drawn
    _check(batch, as_of, rules)


@settings(max_examples=100, deadline=None)
@given(st.lists(any_sentences(), min_size=1, max_size=8))
def test_columns_equal_scalar_on_any_shape(drawn: list[tuple[Sentence, date]]) -> None:
    """Every shape the engine accepts or refuses (the fast-path strategy): fallback included."""
    as_of = max(a for _, a in drawn)
    _check([s for s, _ in drawn], as_of)


def test_common_shapes_stay_on_the_column_path() -> None:
    """The shapes of a national mix are computed column-wise, not handed to the scalar path."""
    as_of = date(2026, 1, 1)
    batch = [
        Sentence(
            counts=(Count("188", g, Term(y, m), date(2019, 5, 1), groups=grp),),
            institution_type=itype,
            start_date=date(2019, 11, 2),
            detention=(DetentionPeriod(date(2019, 6, 1), date(2019, 11, 1)),),
            adjustments=(Amnesty(date(2021, 12, 16), "Amnesty 2021", Term(months=6)),),
            person=PersonFacts(sex="M", birth_date=date(1961, 2, 28)),
        )
        for g in GRAVITIES
        for y, m in ((0, 8), (3, 0), (12, 11))
        for itype in TYPES
        for grp in ((), ("corruption_grave",), ("sexual_offence_against_minor",))
    ]
    computed = _check(batch, as_of)
    assert computed == len(batch)


# -- golden cases through the column path --------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case_through_columns(case: GoldenCase) -> None:
    _check([case.sentence], case.as_of, case.rules)


def test_golden_cases_in_batches() -> None:
    """All golden cases, batched by calculation date and rule set as a bulk run would."""
    groups: dict[tuple[date, int], list[GoldenCase]] = defaultdict(list)
    for case in CASES:
        groups[(case.as_of, id(case.rules))].append(case)
    computed = 0
    for cases in groups.values():
        computed += _check([c.sentence for c in cases], cases[0].as_of, cases[0].rules)
    assert computed > len(CASES) // 2


# -- pieces --------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.integers(date(200, 1, 1).toordinal(), date(9000, 1, 1).toordinal()),
        min_size=1,
        max_size=20,
    ),
    st.integers(-1200, 1200),
)
def test_month_addition_matches_calendar(ordinals: list[int], months: int) -> None:
    arr = np.asarray(ordinals, dtype=np.int64)
    expected = [add_months_ord(o, months) for o in ordinals]
    assert add_months_columns(arr, months).tolist() == expected
    per_row = np.full(len(ordinals), months, dtype=np.int64)
    assert add_months_columns(arr, per_row).tolist() == expected


def test_fallback_rows_need_their_sentences() -> None:
    sentence = Sentence(
        counts=(Count("188", "grave", Term(5), date(2020, 1, 1)),),
        institution_type="MED",
        start_date=date(2020, 3, 1),
        adjustments=(Pardon(date(2021, 1, 1), "pardon", Term(months=3)),),
    )
    table = columns_from_sentences([sentence])
    assert not table.supported[0]
    result = calculate_columns(table, as_of=date(2026, 1, 1))
    assert result.fallback[0]
    assert result.outcome(0) == _plain(calculate(sentence, as_of=date(2026, 1, 1)))
    bare = dataclasses.replace(table, sentences=None)
    with pytest.raises(ValueError, match="scalar path"):
        calculate_columns(bare, as_of=date(2026, 1, 1))


def test_invalid_rows_report_issues() -> None:
    sentence = Sentence(
        counts=(Count("", "grave", Term(5), date(2020, 1, 1)),),
        institution_type="MED",
        start_date=date(2020, 3, 1),
    )
    result = calculate_columns(columns_from_sentences([sentence]), as_of=date(2026, 1, 1))
    assert not result.ok[0]
    assert result.calculations[0].issues
    assert result.outcome(0) == ("issues",)


def test_empty_table() -> None:
    result = calculate_columns(columns_from_sentences([]), as_of=date(2026, 1, 1))
    assert result.n == 0
