"""Golden cases: expected values worked out by hand (see each case's ``working``)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from sentences_golden_loader import GoldenCase, load_cases

from qadam.sentences.engine import DATE, DatedResult, calculate

CASES = load_cases()

EXPECTED_KEYS = {
    "end",
    "parole",
    "mandatory_parole",
    "replacement",
    "transfer_MIN",
    "transfer_MAX",
    "transfer_MED",
    "no_transfers",
    "preferential",
    "issues",
    "parole_law",
    "parole_unverified",
    "parole_rule",
    "transfer_conditions_met",
    "preferential_conditions_met",
}


def _outcome(result: DatedResult) -> date | str:
    """A date, or "status:reason" when there is none."""
    if result.status == DATE:
        assert result.date is not None
        return result.date
    return f"{result.status}:{result.reason}"


def _check(name: str, expected: Any, result: DatedResult) -> None:
    got = _outcome(result)
    assert got == expected, f"{name}: expected {expected}, got {got}\n" + "\n".join(
        result.breakdown.texts
    )


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 150
    ids = Counter(c.id for c in CASES)
    assert [i for i, n in ids.items() if n > 1] == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case(case: GoldenCase) -> None:
    expected = case.expected
    assert set(expected) <= EXPECTED_KEYS, set(expected) - EXPECTED_KEYS
    assert case.article.strip()
    assert case.working.strip()
    calc = calculate(case.sentence, as_of=case.as_of, rules=case.rules)
    if "issues" in expected:
        assert sorted({i.code for i in calc.issues}) == sorted(expected["issues"])
        if expected["issues"]:
            assert calc.dates is None
            return
    assert calc.issues == (), [i.message for i in calc.issues]
    dates = calc.dates
    assert dates is not None
    if "end" in expected:
        _check("end", expected["end"], dates.end_of_sentence)
    if "parole" in expected:
        _check("parole", expected["parole"], dates.parole)
    if "mandatory_parole" in expected:
        assert dates.mandatory_parole_candidate.value is expected["mandatory_parole"]
    if "replacement" in expected:
        _check("replacement", expected["replacement"], dates.replacement_by_milder)
    transfers = {t.target: t for t in dates.transfers}
    for target in ("MIN", "MAX", "MED"):
        key = f"transfer_{target}"
        if key in expected:
            assert target in transfers, f"no transfer to {target}: {sorted(transfers)}"
            _check(key, expected[key], transfers[target])
    if expected.get("no_transfers"):
        assert dates.transfers == ()
    if "transfer_conditions_met" in expected:
        assert all(t.conditions_met for t in dates.transfers) is expected["transfer_conditions_met"]
    if "preferential" in expected:
        _check("preferential", expected["preferential"], dates.preferential_conditions)
    if "preferential_conditions_met" in expected:
        assert (
            dates.preferential_conditions.conditions_met is expected["preferential_conditions_met"]
        )
    if "parole_law" in expected:
        assert dates.parole.breakdown.law == expected["parole_law"]
    if "parole_unverified" in expected:
        assert dates.parole.breakdown.unverified is expected["parole_unverified"]
    if "parole_rule" in expected:
        assert expected["parole_rule"] in [r.rule_id for r in dates.parole.breakdown.rules]
