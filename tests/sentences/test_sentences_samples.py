"""The randomised tests draw only offence groups the rule files know (a misspelt group would
silently never meet its rule)."""

from __future__ import annotations

from sentences_samples import GROUPS, groups_named_in_rules


def test_every_sampled_group_is_named_by_a_rule_file() -> None:
    assert set(GROUPS) <= groups_named_in_rules()
