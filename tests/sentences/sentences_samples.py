"""What the engine's randomised tests draw from: gravities, institution types and offence groups
(each group as the rule files name it, checked by `test_sentences_samples.py`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import qadam.sentences

GRAVITIES = ("misdemeanour", "minor", "medium", "grave", "especially_grave")
TYPES = ("MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA")
GROUPS = (
    "corruption_grave",
    "corruption",
    "sexual_offence_against_minor",
    "against_life",
    "terrorist_extremist",
    "terrorism_with_deaths",
    "dangerous_recidivism",
)
RULES_DIR = Path(qadam.sentences.__file__).parent / "rules"


def groups_named_in_rules() -> set[str]:
    """Every offence group a shipped rule file names (keys `groups`, `groups_unless_…`)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key.startswith("groups") and isinstance(inner, list):
                    found.update(str(group) for group in inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for path in RULES_DIR.glob("*.toml"):
        walk(tomllib.loads(path.read_text(encoding="utf-8")))
    return found
