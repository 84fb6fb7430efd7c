"""Breakdowns and messages: what staff see beside each date."""

from __future__ import annotations

from datetime import date

from qadam.sentences.engine import (
    Count,
    DetentionPeriod,
    Escape,
    Sentence,
    Term,
    calculate,
)
from qadam.sentences.engine.explain import STEP_TEXT


def _sentence(**kwargs: object) -> Sentence:
    base: dict[str, object] = {
        "counts": (Count("188", "grave", Term(years=5), date(2019, 6, 1), part="3"),),
        "institution_type": "MED",
        "start_date": date(2020, 3, 1),
    }
    base.update(kwargs)
    return Sentence(**base)  # type: ignore[arg-type]


def test_parole_breakdown_names_rule_citation_version_and_arithmetic() -> None:
    calc = calculate(_sentence(), as_of=date(2024, 1, 1))
    assert calc.dates is not None
    parole = calc.dates.parole
    assert parole.date == date(2022, 8, 30)
    rule = parole.breakdown.rules[0]
    assert rule.rule_id == "parole_fraction_general"
    assert rule.citation == "CC art. 72 part 3"
    assert rule.version == date(2015, 1, 1)
    assert rule.confidence == "P"
    steps = {s.code: s.params for s in parole.breakdown.steps}
    assert steps["fraction_of_term"] == {"fraction": "1/2", "term_days": 1826, "result_days": 913}
    assert "1/2 of 1826 day(s) = 913 day(s) (rounded up)." in parole.breakdown.texts


def test_every_step_code_has_a_template() -> None:
    sentence = _sentence(
        detention=(DetentionPeriod(date(2019, 9, 1), date(2020, 2, 29)),),
        adjustments=(Escape(date(2021, 1, 1), date(2021, 1, 10), "report 1"),),
    )
    calc = calculate(sentence, as_of=date(2024, 1, 1))
    assert calc.dates is not None
    for result in (calc.dates.end_of_sentence, calc.dates.parole, *calc.dates.transfers):
        for step in result.breakdown.steps:
            assert step.code in STEP_TEXT
            assert step.text


def test_later_law_breakdown_shows_both_results() -> None:
    sentence = _sentence(
        counts=(
            Count("366", "grave", Term(years=5), date(2019, 5, 1), groups=("corruption_grave",)),
        )
    )
    calc = calculate(sentence, as_of=date(2024, 1, 1))
    assert calc.dates is not None
    parole = calc.dates.parole
    assert parole.breakdown.law == "offence"
    other = parole.breakdown.alternative
    assert other is not None
    assert other.breakdown.law == "later"
    assert other.reason == "part8_exclusion"
    assert parole.breakdown.steps[-1].code == "more_favourable_law"


def test_issue_messages_name_the_count_and_field() -> None:
    sentence = _sentence(
        counts=(
            Count("188", "grave", Term(years=5), date(2019, 6, 1)),
            Count("", "medium", Term(years=1), date(2019, 6, 1)),
        ),
        detention=(DetentionPeriod(date(2020, 1, 1), date(2020, 3, 1)),),
    )
    calc = calculate(sentence, as_of=date(2024, 1, 1))
    assert calc.dates is None
    by_code = {i.code: i for i in calc.issues}
    assert by_code["count_missing_article"].field == "counts[1].article"
    assert "Count 2 has no article" in by_code["count_missing_article"].message
    assert by_code["credit_overlaps_sentence"].field == "detention[0].end"
    assert "day before the start" in by_code["credit_overlaps_sentence"].message


def test_unverified_rule_is_visible() -> None:
    sentence = _sentence(
        counts=(Count("99", "especially_grave", Term(years=12), date(2019, 6, 1)),),
        institution_type="MAX",
    )
    calc = calculate(sentence, as_of=date(2024, 1, 1))
    assert calc.dates is not None
    assert calc.dates.replacement_by_milder.breakdown.unverified
    assert not calc.dates.end_of_sentence.breakdown.unverified
