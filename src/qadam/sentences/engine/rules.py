"""Legislation as dated rule files: loading, schema validation, lookup by date.

Each file under ``sentences/rules/`` holds ``[[rule]]`` tables::

    [[rule]]
    id = "parole_fraction_general"      # the rule family; versions share the id
    valid_from = 2015-01-01             # first day in force (inclusive)
    valid_to = 2020-12-29               # last day in force (inclusive); omit while in force
    citation = "CC art. 72 part 3"
    confidence = "P"                    # C confirmed, P partly, U unverified (domain-kz.md)
    law = "Law No. 384-VI of 19 Dec 2020"   # optional: the act that gave this wording
    note = "..."                        # optional
    [rule.params]
    grave = "1/2"

The schema rejects unknown keys (in the rule and in its params), missing keys, a bad confidence
tag, and gaps or overlaps between the versions of one family. A family may end (its last version
has a ``valid_to``): after that day the rule no longer exists, e.g. a parole exclusion declared
unconstitutional. Errors name the file, the rule and the field.

Families are "CC" (substantive criminal law: the law at the time of the offence, or a later more
lenient one, CC arts. 5-6) or "PEC" (execution: the law in force on the day, PEC art. 2).
"""

from __future__ import annotations

import itertools
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from functools import cache
from pathlib import Path

from .calendar import Frac, format_fraction, parse_fraction
from .explain import RuleRef


class P(Enum):
    """Parameter types of the rule-file schema."""

    FRAC = 'fraction such as "2/3"'
    INT = "integer"
    BOOL = "boolean"
    NAMES = "list of strings"


@dataclass(frozen=True, slots=True)
class FamilySpec:
    law: str  # "CC" or "PEC"
    required: bool  # must be in force on every date the engine evaluates
    params: Mapping[str, P]


_GRAVITY_FRACTIONS = {
    "minor": P.FRAC,
    "medium": P.FRAC,
    "grave": P.FRAC,
    "especially_grave": P.FRAC,
}
_EXCLUSION = {
    "active": P.BOOL,
    "groups": P.NAMES,
    "except_minor_offender": P.BOOL,
    "except_vulnerable": P.BOOL,
    "except_cooperation": P.BOOL,
    "except_counter_terrorism_assistance": P.BOOL,
    "exception_uses_general_fraction": P.BOOL,
}

FAMILIES: dict[str, FamilySpec] = {
    # CC art. 72: parole
    "parole_fraction_general": FamilySpec("CC", True, _GRAVITY_FRACTIONS),
    "parole_fraction_preferential": FamilySpec("CC", True, _GRAVITY_FRACTIONS),
    "parole_fraction_against_life": FamilySpec(
        "CC", False, {"groups": P.NAMES, "general": P.FRAC, "preferential": P.FRAC}
    ),
    "parole_fraction_cooperation": FamilySpec("CC", False, {"grave": P.FRAC}),
    "parole_fraction_after_revoked": FamilySpec("CC", False, _GRAVITY_FRACTIONS),
    "parole_minimum_served": FamilySpec("CC", True, {"months": P.INT}),
    "parole_life": FamilySpec("CC", True, {"years": P.INT, "cooperation_years": P.INT}),
    "parole_preferential_categories": FamilySpec(
        "CC", True, {"categories": P.NAMES, "woman_age": P.INT, "man_age": P.INT}
    ),
    "parole_exclusion_sexual_offence_against_minor": FamilySpec("CC", False, _EXCLUSION),
    "parole_exclusion_corruption": FamilySpec("CC", False, _EXCLUSION),
    "parole_exclusion_death_commuted": FamilySpec("CC", False, _EXCLUSION),
    "parole_exclusion_terrorism": FamilySpec("CC", False, _EXCLUSION),
    "parole_exclusion_terrorism_deaths": FamilySpec("CC", False, _EXCLUSION),
    "parole_exclusion_dangerous_recidivism": FamilySpec("CC", False, _EXCLUSION),
    "parole_vulnerable_categories": FamilySpec(
        "CC", True, {"categories": P.NAMES, "woman_age": P.INT, "man_age": P.INT}
    ),
    "mandatory_parole": FamilySpec(
        "CC",
        False,
        {
            "active": P.BOOL,
            "requires_damage_compensated": P.BOOL,
            "requires_no_malicious_violation": P.BOOL,
        },
    ),
    "parole_after_recall": FamilySpec("CC", True, {"allowed": P.BOOL}),
    # CC art. 62: credit of pre-trial detention
    "pretrial_credit_ratio": FamilySpec(
        "CC",
        True,
        dict.fromkeys(("MAX", "EXTRA", "FULL", "MED", "MED_JUV", "MIN"), P.FRAC),
    ),
    "pretrial_credit_counts_as_served": FamilySpec("CC", True, {"counts_as_served": P.BOOL}),
    # CC art. 73: replacement of the unserved part by a milder punishment
    "replacement_fraction": FamilySpec(
        "CC", True, {"minor": P.FRAC, "medium": P.FRAC, "grave": P.FRAC}
    ),
    "replacement_fraction_especially_grave": FamilySpec("CC", False, {"especially_grave": P.FRAC}),
    # PEC art. 96: change of institution type
    "transfer_from_full": FamilySpec(
        "PEC",
        True,
        {"fraction": P.FRAC, "targets": P.NAMES, "min_behaviour_degree": P.INT},
    ),
    "transfer_to_minimum": FamilySpec(
        "PEC",
        True,
        {
            "from_types": P.NAMES,
            "minor": P.FRAC,
            "medium": P.FRAC,
            "grave": P.FRAC,
            "reoffended": P.FRAC,
            "conditions": P.NAMES,
            "min_behaviour_degree": P.INT,
        },
    ),
    "transfer_to_minimum_exclusions": FamilySpec(
        "PEC",
        False,
        {"gravities": P.NAMES, "groups": P.NAMES, "groups_unless_compensated": P.NAMES},
    ),
    # PEC: preferential conditions of serving
    "preferential_conditions": FamilySpec(
        "PEC",
        True,
        {
            "months_before_release": P.INT,
            "min_behaviour_degree": P.INT,
            "from_conditions": P.NAMES,
            "min_months_in_conditions": P.INT,
        },
    ),
}

CC_FAMILIES: tuple[str, ...] = tuple(k for k, v in FAMILIES.items() if v.law == "CC")
PEC_FAMILIES: tuple[str, ...] = tuple(k for k, v in FAMILIES.items() if v.law == "PEC")
REQUIRED_FAMILIES: tuple[str, ...] = tuple(k for k, v in FAMILIES.items() if v.required)
EXCLUSION_FAMILIES: tuple[str, ...] = tuple(
    k for k in FAMILIES if k.startswith("parole_exclusion_")
)

_RULE_KEYS_REQUIRED = ("id", "valid_from", "citation", "confidence", "params")
_RULE_KEYS_OPTIONAL = ("valid_to", "law", "note")
CONFIDENCES = ("C", "P", "U")


class RuleFileError(ValueError):
    """One or more rule files break the schema; ``problems`` lists each with file, rule, field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid rule files:\n  " + "\n  ".join(problems))


ParamValue = Frac | int | bool | tuple[str, ...]

_RULE_SEQ = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    valid_from: date
    valid_to: date | None
    citation: str
    confidence: str
    params: Mapping[str, ParamValue]
    law: str = ""
    note: str = ""
    file: str = ""
    from_ord: int = field(default=0, compare=False)
    to_ord: int = field(default=0, compare=False)
    ref: RuleRef = field(init=False, compare=False, repr=False)
    # Unique per Rule object in the process: a cheap key for caches of breakdowns.
    seq: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Built once: every breakdown that uses the rule shares it.
        ref = RuleRef(self.id, self.citation, self.valid_from, self.confidence)
        object.__setattr__(self, "ref", ref)
        object.__setattr__(self, "seq", next(_RULE_SEQ))

    @property
    def unverified(self) -> bool:
        return self.confidence == "U"

    @property
    def version(self) -> str:
        return self.valid_from.isoformat()

    # Parameter types are checked once when the file is loaded; the accessors only cast.
    def frac(self, name: str) -> Frac:
        return self.params[name]  # type: ignore[return-value]

    def int_(self, name: str) -> int:
        return self.params[name]  # type: ignore[return-value]

    def flag(self, name: str) -> bool:
        return self.params[name]  # type: ignore[return-value]

    def names(self, name: str) -> tuple[str, ...]:
        return self.params[name]  # type: ignore[return-value]

    def describe(self, name: str) -> str:
        value = self.params[name]
        if isinstance(value, tuple) and value and isinstance(value[0], int):
            return format_fraction(self.frac(name))
        return str(value)


class View:
    """The rules in force on one day: family id → Rule (absent when no version is in force).

    Days on which the same versions of every family are in force share one View."""

    __slots__ = ("base_key", "day", "missing_required", "missing_required_cc", "rules")

    def __init__(self, day: int, rules: dict[str, Rule]) -> None:
        self.day = day  # first day of the period in which these versions are in force
        self.rules = rules
        # Identity of the CC wording in force, apart from the part 8 exclusions (compared only
        # when the sentence has a group they name).
        self.base_key = tuple(
            rules[f].from_ord if f in rules else 0
            for f in CC_FAMILIES
            if f not in EXCLUSION_FAMILIES
        )
        self.missing_required = tuple(f for f in REQUIRED_FAMILIES if f not in rules)
        self.missing_required_cc = tuple(f for f in self.missing_required if f in CC_FAMILIES)

    def get(self, family: str) -> Rule | None:
        return self.rules.get(family)

    def same_law(self, other: View, exclusions: tuple[str, ...]) -> bool:
        """True when both days have the same CC wording, counting only these exclusions."""
        if self is other:
            return True
        if self.base_key != other.base_key:
            return False
        mine, theirs = self.rules, other.rules
        return all(mine.get(f) is theirs.get(f) for f in exclusions)


class RuleSet:
    """All versions of all rule families, indexed for lookup by day.

    The validity boundaries of all versions cut the calendar into periods in which the same
    versions are in force; each period has one View, found by bisection and cached per day."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        families: dict[str, list[Rule]] = {}
        for rule in rules:
            families.setdefault(rule.id, []).append(rule)
        for versions in families.values():
            versions.sort(key=lambda r: r.from_ord)
        self.families = families
        self._views: dict[int, View] = {}
        self._relevant: dict[frozenset[str], tuple[str, ...]] = {}
        # Groups each exclusion family names in any of its versions.
        self._exclusion_groups = {
            fam: frozenset(g for r in families.get(fam, ()) for g in r.names("groups"))
            for fam in EXCLUSION_FAMILIES
        }
        cuts = {_MIN_DAY}
        for versions in families.values():
            for rule in versions:
                cuts.add(rule.from_ord)
                if rule.to_ord < _MAX_DAY:
                    cuts.add(rule.to_ord + 1)
        self._cuts = sorted(cuts)
        self._periods = [self._build(day) for day in self._cuts]
        # Caches of the calculation (shared results of explain=False); see compute.py.
        self.memo: dict[object, object] = {}

    def _build(self, day: int) -> View:
        found: dict[str, Rule] = {}
        for fam, versions in self.families.items():
            for rule in versions:
                if rule.from_ord <= day <= rule.to_ord:
                    found[fam] = rule
                    break
        return View(day, found)

    def relevant_exclusions(self, groups: frozenset[str]) -> tuple[str, ...]:
        """Part 8 exclusion families that name one of these offence groups."""
        found = self._relevant.get(groups)
        if found is None:
            found = tuple(fam for fam, names in self._exclusion_groups.items() if groups & names)
            self._relevant[groups] = found
        return found

    def at(self, day: int) -> View:
        """The rules in force on ``day`` (an ordinal); cached per day."""
        view = self._views.get(day)
        if view is None:
            view = self._periods[bisect_right(self._cuts, day) - 1]
            if len(self._views) > 50_000:
                self._views.clear()
            self._views[day] = view
        return view

    @property
    def period_starts(self) -> list[int]:
        """First day (ordinal) of each period in which the same versions are in force, ascending."""
        return self._cuts

    @property
    def period_views(self) -> list[View]:
        """The View of each period, in the order of ``period_starts``."""
        return self._periods

    def exclusion_groups(self, family: str) -> frozenset[str]:
        """Offence groups a part 8 exclusion family names in any of its versions."""
        return self._exclusion_groups.get(family, frozenset())

    def all_rules(self) -> list[Rule]:
        return [r for versions in self.families.values() for r in versions]

    def with_params(self, family: str, **params: object) -> RuleSet:
        """A copy where every version of ``family`` has ``params`` replaced (scenarios, tests)."""
        spec = FAMILIES[family]
        problems: list[str] = []
        converted = {
            name: _convert(value, spec.params.get(name), "override", family, name, problems)
            for name, value in params.items()
        }
        if problems:
            raise RuleFileError(problems)
        out = []
        for rule in self.all_rules():
            if rule.id == family:
                rule = replace(rule, params={**rule.params, **converted})
            out.append(rule)
        return RuleSet(out)


_MIN_DAY = date.min.toordinal()
_MAX_DAY = date.max.toordinal()


def _where(file: str, rule_id: str, valid_from: object, fld: str) -> str:
    version = f" (valid_from {valid_from})" if isinstance(valid_from, date) else ""
    return f"{file}: rule '{rule_id}'{version}, field '{fld}'"


def _convert(
    value: object, kind: P | None, file: str, rule_id: str, name: str, problems: list[str]
) -> ParamValue:
    where = _where(file, rule_id, None, f"params.{name}")
    if kind is None:
        problems.append(f"{where}: unknown parameter for this rule")
        return False
    if kind is P.FRAC:
        if isinstance(value, str):
            try:
                return parse_fraction(value)
            except ValueError:
                pass
        problems.append(f"{where}: expected a {kind.value}, got {value!r}")
        return (1, 1)
    if kind is P.INT:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        problems.append(f"{where}: expected a non-negative {kind.value}, got {value!r}")
        return 0
    if kind is P.BOOL:
        if isinstance(value, bool):
            return value
        problems.append(f"{where}: expected a {kind.value} (true/false), got {value!r}")
        return False
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(f"{where}: expected a {kind.value}, got {value!r}")
    return ()


def _parse_rule(raw: object, file: str, index: int, problems: list[str]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(f"{file}: rule #{index + 1}: expected a [[rule]] table")
        return None
    rule_id = raw.get("id")
    name = rule_id if isinstance(rule_id, str) else f"#{index + 1}"
    valid_from = raw.get("valid_from")
    before = len(problems)

    def fail(fld: str, message: str) -> None:
        problems.append(f"{_where(file, name, valid_from, fld)}: {message}")

    for key in raw:
        if key not in _RULE_KEYS_REQUIRED and key not in _RULE_KEYS_OPTIONAL:
            fail(
                key,
                "unknown key (allowed: "
                + ", ".join(_RULE_KEYS_REQUIRED + _RULE_KEYS_OPTIONAL)
                + ")",
            )
    for key in _RULE_KEYS_REQUIRED:
        if key not in raw:
            fail(key, "missing; every rule needs " + ", ".join(_RULE_KEYS_REQUIRED))
    spec = FAMILIES.get(name) if isinstance(rule_id, str) else None
    if isinstance(rule_id, str) and spec is None:
        fail("id", "unknown rule family; known: " + ", ".join(sorted(FAMILIES)))
    elif "id" in raw and not isinstance(rule_id, str):
        fail("id", "must be a string")
    valid_to = raw.get("valid_to")
    if "valid_from" in raw and not _is_date(valid_from):
        fail("valid_from", f"must be a date such as 2015-01-01, got {valid_from!r}")
    if "valid_to" in raw and not _is_date(valid_to):
        fail("valid_to", f"must be a date such as 2020-12-29, got {valid_to!r}")
    if _is_date(valid_from) and _is_date(valid_to) and valid_to < valid_from:  # type: ignore[operator]
        fail("valid_to", f"{valid_to} is before valid_from {valid_from}")
    citation = raw.get("citation")
    if "citation" in raw and (not isinstance(citation, str) or not citation.strip()):
        fail("citation", 'must cite the article, e.g. "CC art. 72 part 3"')
    confidence = raw.get("confidence")
    if "confidence" in raw and confidence not in CONFIDENCES:
        fail("confidence", f"must be one of C, P, U, got {confidence!r}")
    for key in ("law", "note"):
        if key in raw and not isinstance(raw[key], str):
            fail(key, "must be a string")
    params_raw = raw.get("params")
    params: dict[str, ParamValue] = {}
    if "params" in raw and not isinstance(params_raw, dict):
        fail("params", "must be a table [rule.params]")
    elif isinstance(params_raw, dict) and spec is not None:
        for pname, pvalue in params_raw.items():
            params[pname] = _convert(pvalue, spec.params.get(pname), file, name, pname, problems)
        for pname in spec.params:
            if pname not in params_raw:
                fail(f"params.{pname}", f"missing parameter ({spec.params[pname].value})")
    if len(problems) > before:
        return None
    assert isinstance(valid_from, date)
    assert isinstance(citation, str)
    assert isinstance(confidence, str)
    end = valid_to if isinstance(valid_to, date) else None
    return Rule(
        id=name,
        valid_from=valid_from,
        valid_to=end,
        citation=citation,
        confidence=confidence,
        params=params,
        law=str(raw.get("law", "")),
        note=str(raw.get("note", "")),
        file=file,
        from_ord=valid_from.toordinal(),
        to_ord=end.toordinal() if end else date.max.toordinal(),
    )


def _is_date(value: object) -> bool:
    # tomllib gives datetime for date-times; a rule's validity is a whole day.
    return isinstance(value, date) and type(value) is date


def check_continuity(rules: Iterable[Rule], problems: list[str]) -> None:
    """Versions of one family must follow each other without a gap or an overlap."""
    by_family: dict[str, list[Rule]] = {}
    for rule in rules:
        by_family.setdefault(rule.id, []).append(rule)
    for fam, versions in sorted(by_family.items()):
        versions.sort(key=lambda r: r.from_ord)
        for prev, cur in itertools.pairwise(versions):
            where = _where(cur.file, fam, cur.valid_from, "valid_from")
            if prev.valid_to is None:
                problems.append(
                    f"{where}: overlaps the version from {prev.valid_from} ({prev.file}), which has "
                    f"no valid_to; set its valid_to to the day before {cur.valid_from}"
                )
            elif cur.from_ord <= prev.to_ord:
                problems.append(
                    f"{where}: overlaps the version from {prev.valid_from} ({prev.file}) valid to "
                    f"{prev.valid_to}; versions of one rule may not be in force on the same day"
                )
            elif cur.from_ord > prev.to_ord + 1:
                gap = cur.from_ord - prev.to_ord - 1
                problems.append(
                    f"{where}: gap of {gap} day(s) after the version from {prev.valid_from} "
                    f"({prev.file}) valid to {prev.valid_to}; make valid_from the next day "
                    f"or add a version for the gap"
                )


def load_rules(paths: Iterable[Path] | Path) -> RuleSet:
    """Load rule files (a directory's ``*.toml`` or a list of files); raise RuleFileError."""
    if isinstance(paths, Path):
        files = sorted(paths.glob("*.toml")) if paths.is_dir() else [paths]
    else:
        files = list(paths)
    problems: list[str] = []
    rules: list[Rule] = []
    for path in files:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{path.name}: cannot be read as TOML: {exc}")
            continue
        for key in data:
            if key != "rule":
                problems.append(
                    f"{path.name}: unknown top-level key '{key}' (only [[rule]] tables)"
                )
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            problems.append(f"{path.name}: 'rule' must be an array of tables ([[rule]])")
            continue
        for index, raw in enumerate(raw_rules):
            rule = _parse_rule(raw, path.name, index, problems)
            if rule is not None:
                rules.append(rule)
    check_continuity(rules, problems)
    if problems:
        raise RuleFileError(problems)
    return RuleSet(rules)


RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


@cache
def default_rules() -> RuleSet:
    """The rule files shipped in ``sentences/rules``, loaded once per process."""
    return load_rules(RULES_DIR)
