"""Reads golden cases (tests/sentences/golden/*.toml) into engine inputs.

Each case: ``id``, ``article`` (what it exercises), ``as_of``, ``working`` (the arithmetic done
by hand), ``[case.sentence]``, optional ``[case.person]``, ``[case.behaviour]``, ``[case.rules]``
(parameter overrides per rule family) and ``[case.expected]``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from qadam.sentences.engine import (
    Amnesty,
    Behaviour,
    Count,
    CourtChange,
    DetentionPeriod,
    Escape,
    Pardon,
    PersonFacts,
    Recall,
    Replacement,
    RuleSet,
    Sentence,
    Term,
    default_rules,
)
from qadam.sentences.engine.model import Adjustment

GOLDEN_DIR = Path(__file__).parent / "golden"

CASE_KEYS = {
    "id",
    "article",
    "as_of",
    "working",
    "sentence",
    "person",
    "behaviour",
    "rules",
    "expected",
}


@dataclass(frozen=True)
class GoldenCase:
    id: str
    file: str
    article: str
    as_of: date
    working: str
    sentence: Sentence
    rules: RuleSet
    expected: dict[str, Any]


def _term(raw: dict[str, Any]) -> Term:
    return Term(
        years=raw.get("years", 0),
        months=raw.get("months", 0),
        days=raw.get("days", 0),
        life=raw.get("life", False),
    )


def _adjustment(raw: dict[str, Any]) -> Adjustment:
    kind = raw["kind"]
    source = raw.get("source", "")
    if kind == "escape":
        return Escape(raw["from"], raw["to"], source)
    if kind == "amnesty":
        return Amnesty(
            raw["date"], source, _term(raw.get("reduce_by", {})), raw.get("release", False)
        )
    if kind == "pardon":
        commute = raw.get("commute_to")
        return Pardon(
            raw["date"],
            source,
            _term(raw.get("reduce_by", {})),
            _term(commute) if commute is not None else None,
            raw.get("release", False),
        )
    if kind == "court":
        new_term = raw.get("new_term")
        return CourtChange(
            raw["date"],
            source,
            _term(new_term) if new_term is not None else None,
            raw.get("new_institution_type"),
        )
    if kind == "replacement":
        return Replacement(raw["date"], source, raw.get("milder_punishment", ""))
    if kind == "recall":
        return Recall(raw["date"], source, raw["released_on"], raw.get("days_to_serve"))
    raise ValueError(f"unknown adjustment kind {kind!r}")


def _sentence(raw: dict[str, Any], person: dict[str, Any], behaviour: dict[str, Any]) -> Sentence:
    counts = tuple(
        Count(
            article=c.get("article", ""),
            part=c.get("part", ""),
            gravity=c["gravity"],
            term=_term(c),
            offence_date=c["offence"],
            groups=tuple(c.get("groups", ())),
            article_max_years=c.get("max_years"),
        )
        for c in raw.get("counts", [])
    )
    return Sentence(
        counts=counts,
        institution_type=raw["institution"],
        start_date=raw["start"],
        combination=raw.get("combination", "absorption"),
        partial_share=raw.get("partial_share", "1/2"),
        detention=tuple(DetentionPeriod(d["start"], d["end"]) for d in raw.get("detention", [])),
        adjustments=tuple(_adjustment(a) for a in raw.get("adjustments", [])),
        person=PersonFacts(**person),
        behaviour=Behaviour(**behaviour),
        cooperation_agreement=raw.get("cooperation_agreement", False),
        earlier_parole_revoked=raw.get("earlier_parole_revoked", False),
        assists_counter_terrorism=raw.get("assists_counter_terrorism", False),
        death_sentence_commuted=raw.get("death_sentence_commuted", False),
    )


def load_cases() -> list[GoldenCase]:
    cases: list[GoldenCase] = []
    for path in sorted(GOLDEN_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for raw in data["case"]:
            unknown = set(raw) - CASE_KEYS
            if unknown:
                raise ValueError(f"{path.name}: case {raw.get('id')}: unknown keys {unknown}")
            rules = default_rules()
            for family, params in raw.get("rules", {}).items():
                rules = rules.with_params(family, **params)
            cases.append(
                GoldenCase(
                    id=raw["id"],
                    file=path.name,
                    article=raw["article"],
                    as_of=raw["as_of"],
                    working=raw["working"],
                    sentence=_sentence(
                        raw["sentence"], raw.get("person", {}), raw.get("behaviour", {})
                    ),
                    rules=rules,
                    expected=raw["expected"],
                )
            )
    return cases
