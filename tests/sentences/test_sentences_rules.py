"""Rule files: the shipped files load; schema errors name file, rule and field."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from qadam.sentences.engine import RuleFileError, default_rules, load_rules
from qadam.sentences.engine.rules import FAMILIES, REQUIRED_FAMILIES, RULES_DIR

GOOD = """
[[rule]]
id = "parole_minimum_served"
valid_from = 2015-01-01
valid_to = 2020-12-31
citation = "CC art. 72 part 5"
confidence = "C"
[rule.params]
months = 6

[[rule]]
id = "parole_minimum_served"
valid_from = 2021-01-01
citation = "CC art. 72 part 5"
confidence = "C"
[rule.params]
months = 6
"""


def _write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(RuleFileError) as info:
        load_rules(_write(tmp_path, text))
    return info.value.problems


def test_shipped_rules_load_and_cover_every_family() -> None:
    rules = default_rules()
    assert set(rules.families) <= set(FAMILIES)
    view = rules.at(date(2025, 1, 1).toordinal())
    for family in REQUIRED_FAMILIES:
        assert view.get(family) is not None, family
    assert {p.name for p in RULES_DIR.glob("*.toml")} >= {
        "cc_art62_pretrial_credit.toml",
        "cc_art72_parole.toml",
        "cc_art72_part8_exclusions.toml",
        "cc_art73_replacement.toml",
        "pec_art96_transfer.toml",
    }


def test_every_shipped_rule_has_citation_and_confidence() -> None:
    for rule in default_rules().all_rules():
        assert rule.citation.startswith(("CC art.", "PEC art."))
        assert rule.confidence in ("C", "P", "U")


def test_unverified_rules_are_flagged() -> None:
    unverified = {r.id for r in default_rules().all_rules() if r.unverified}
    assert "pretrial_credit_counts_as_served" in unverified
    assert "replacement_fraction_especially_grave" in unverified
    assert "parole_minimum_served" not in unverified


def test_corruption_exclusion_changes_on_30_dec_2020() -> None:
    rules = default_rules()
    before = rules.at(date(2020, 12, 29).toordinal()).get("parole_exclusion_corruption")
    after = rules.at(date(2020, 12, 30).toordinal()).get("parole_exclusion_corruption")
    assert before is not None
    assert after is not None
    assert before.flag("active") is False
    assert after.flag("active") is True
    assert "384-VI" in after.law


def test_death_commuted_exclusion_ends_with_48_np() -> None:
    rules = default_rules()
    assert rules.at(date(2024, 7, 10).toordinal()).get("parole_exclusion_death_commuted")
    assert rules.at(date(2024, 7, 11).toordinal()).get("parole_exclusion_death_commuted") is None


def test_consecutive_versions_load(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, GOOD))
    assert len(rules.families["parole_minimum_served"]) == 2


def test_gap_between_versions(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, GOOD.replace("valid_from = 2021-01-01", "valid_from = 2021-01-05")
    )
    assert len(problems) == 1
    assert "rules.toml" in problems[0]
    assert "'parole_minimum_served'" in problems[0]
    assert "field 'valid_from'" in problems[0]
    assert "gap of 4 day(s)" in problems[0]


def test_overlap_between_versions(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, GOOD.replace("valid_from = 2021-01-01", "valid_from = 2020-06-01")
    )
    assert len(problems) == 1
    assert "overlaps" in problems[0]
    assert "valid_from 2020-06-01" in problems[0]


def test_open_ended_version_followed_by_another(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("valid_to = 2020-12-31\n", ""))
    assert len(problems) == 1
    assert "no valid_to" in problems[0]


def test_gap_across_two_files(tmp_path: Path) -> None:
    first, second = GOOD.split("\n\n[[rule]]")
    _write(tmp_path, first, "a.toml")
    _write(tmp_path, "[[rule]]" + second.replace("2021-01-01", "2021-02-01"), "b.toml")
    with pytest.raises(RuleFileError) as info:
        load_rules(tmp_path)
    assert "b.toml" in info.value.problems[0]
    assert "a.toml" in info.value.problems[0]


def test_missing_citation(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace('citation = "CC art. 72 part 5"\n', "", 1))
    assert any("field 'citation'" in p and "missing" in p for p in problems)


def test_empty_citation(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace('"CC art. 72 part 5"', '" "', 1))
    assert any("field 'citation'" in p for p in problems)


def test_missing_confidence(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace('confidence = "C"\n', "", 1))
    assert any("field 'confidence'" in p and "missing" in p for p in problems)


def test_bad_confidence(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace('confidence = "C"', 'confidence = "maybe"', 1))
    assert any("must be one of C, P, U" in p for p in problems)


def test_unknown_key(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, GOOD.replace('confidence = "C"', 'confidence = "C"\nauthor = "x"', 1)
    )
    assert any("field 'author'" in p and "unknown key" in p for p in problems)


def test_unknown_parameter(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("months = 6", "months = 6\nweeks = 2", 1))
    assert any("field 'params.weeks'" in p and "unknown parameter" in p for p in problems)


def test_missing_parameter(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("months = 6", "", 1))
    assert any("field 'params.months'" in p and "missing parameter" in p for p in problems)


def test_bad_parameter_type(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("months = 6", 'months = "six"', 1))
    assert any("params.months" in p and "integer" in p for p in problems)


def test_bad_fraction(tmp_path: Path) -> None:
    text = """
    [[rule]]
    id = "replacement_fraction"
    valid_from = 2015-01-01
    citation = "CC art. 73 part 2"
    confidence = "C"
    [rule.params]
    minor = "1/4"
    medium = "a quarter"
    grave = "1/3"
    """
    problems = _problems(tmp_path, text)
    assert any("params.medium" in p and "fraction" in p for p in problems)


def test_unknown_family(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, GOOD.replace('id = "parole_minimum_served"', 'id = "parole_typo"', 1)
    )
    assert any("'parole_typo'" in p and "unknown rule family" in p for p in problems)


def test_valid_to_before_valid_from(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("valid_to = 2020-12-31", "valid_to = 2014-12-31"))
    assert any("field 'valid_to'" in p and "before valid_from" in p for p in problems)


def test_datetime_is_not_a_day(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, GOOD.replace("valid_from = 2015-01-01", "valid_from = 2015-01-01T10:00:00", 1)
    )
    assert any("field 'valid_from'" in p for p in problems)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "title = 'x'\n" + GOOD)
    assert any("unknown top-level key 'title'" in p for p in problems)


def test_not_toml(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "[[rule]\nid = ")
    assert any("cannot be read as TOML" in p for p in problems)


def test_override_for_scenarios() -> None:
    rules = default_rules().with_params("parole_minimum_served", months=3)
    view = rules.at(date(2025, 1, 1).toordinal())
    rule = view.get("parole_minimum_served")
    assert rule is not None
    assert rule.int_("months") == 3
    base = default_rules().at(date(2025, 1, 1).toordinal()).get("parole_minimum_served")
    assert base is not None
    assert base.int_("months") == 6
    with pytest.raises(RuleFileError):
        default_rules().with_params("parole_minimum_served", months="three")
