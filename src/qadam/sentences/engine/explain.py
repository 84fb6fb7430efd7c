"""Results and their breakdown: which rule, which article, which version, which arithmetic.

Every step has a stable ``code`` and ``params`` (ints, ISO dates as strings, fractions as "2/3")
so the UI can translate it; ``text`` renders the English sentence from ``STEP_TEXT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

StepValue = str | int | bool | None

# English templates; the UI keeps kk/ru catalogues keyed by the same codes.
STEP_TEXT: dict[str, str] = {
    "term_of_count": "Count {count}: CC art. {article}: {term} ({gravity}), offence on {offence_date}.",
    "combine_absorption": "Counts combined by absorption: the strictest term {term} absorbs the others.",
    "combine_consecutive": "Counts combined by full addition: {terms} = {term}.",
    "combine_partial": "Counts combined by partial addition: {strictest} plus {share} of {others} ({added}) = {term}.",
    "life_term": "Life imprisonment: there is no end of sentence.",
    "detention_period": "Pre-trial detention from {start} to {end}: {days} day(s), start and end day counted.",
    "credit_ratio": "Credit for {days} day(s) in detention at {ratio} day(s) per day ({institution_type}) = {credit_days} day(s), rounded up.",
    "credit_not_served": "Only the {days} real day(s) in detention count as actually served; the multiplied credit of {credit_days} day(s) does not (configuration).",
    "effective_start": "Sentence starts on {start}; minus {credit_days} day(s) of credit the term counts from {effective_start}.",
    "term_end": "{term} from {start}: the last day of the term is {last_day}.",
    "term_days": "The term from {start} to {last_day} is {term_days} day(s), both days counted.",
    "escape_not_counted": "At large from {date_from} to {date_to} ({source}): {days} day(s) not counted; {before} moves to {after}.",
    "amnesty_reduction": "Amnesty of {date} ({source}) reduces the term by {reduction}: now {term}.",
    "pardon_reduction": "Pardon of {date} ({source}) reduces the term by {reduction}: now {term}.",
    "pardon_commuted": "Pardon of {date} ({source}) commutes life imprisonment to {term}.",
    "court_new_term": "Court decision of {date} ({source}) sets the term to {term}, counted from the original start.",
    "court_new_institution": "Court decision of {date} ({source}) changes the institution type to {institution_type}.",
    "released_by_act": "{act} of {date} ({source}) releases from further serving: the sentence ends on {date}.",
    "release_not_before_act": "The reduced term ended on {computed}, before the act of {date}: release on {date}.",
    "replaced_by_milder": "Court decision of {date} ({source}) replaces the unserved part by {punishment} (CC art. 73): custody ends on {date}.",
    "recall": "Parole from {released_on} revoked; back in custody on {recalled_on} ({source}) to serve {days} day(s): last day {last_day}.",
    "recall_liberty_not_served": "Time at liberty on parole from {date_from} to {date_to}: {days} day(s) not served; {before} moves to {after}.",
    "fraction_of_term": "{fraction} of {term_days} day(s) = {result_days} day(s) (rounded up).",
    "served_from": "{result_days} day(s) served counting from {start}, start day included: {result}.",
    "minimum_served": "At least {months} months actually served (CC art. 72 part 5): from {start} that is {result}.",
    "later_of": "The later of {a} and {b} is {result}.",
    "earlier_of": "The earlier of {a} and {b} is {result}.",
    "life_years_served": "{years} years of life imprisonment served from {start}: {result}.",
    "fraction_chosen": "Fraction {fraction} for a {gravity} offence ({basis}).",
    "preferential_category": "Preferential category {category} applies from {from_date}.",
    "age_reached": "{category}: the person reaches {age} on {from_date}.",
    "exclusion": "Parole is excluded: {group} ({citation}).",
    "exclusion_lifted": "The exclusion for {group} does not apply: {exception}.",
    "exclusion_lifted_from": "The exclusion for {group} does not apply from {from_date}: {exception}.",
    "exclusion_ended": "The exclusion for {group} ended on {date} ({citation}).",
    "condition_required": "Parole for {group} only with {requirement}: met.",
    "after_end": "{result} is after the end of sentence {end}: the sentence ends first.",
    "mandatory_check": "Damage compensated: {damage_compensated}; malicious violator: {malicious_violator}.",
    "one_year_before": "{months} months before the end of sentence {end}: {result}.",
    "not_before_start": "Not before the sentence start {start}.",
    "transfer_target": "From {from_type} to {targets} after {fraction} of the term (PEC art. 96).",
    "more_favourable_law": "Law at the time of the offence gives {offence_law}; later law gives {later_law}; the more favourable ({chosen}) applies (CC arts. 5-6).",
    "not_applicable": "{reason}",
}


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    params: Mapping[str, StepValue]

    @property
    def text(self) -> str:
        return STEP_TEXT[self.code].format(**self.params)


@dataclass(frozen=True, slots=True)
class RuleRef:
    rule_id: str
    citation: str
    version: date  # valid_from of the wording used
    confidence: str  # "C", "P" or "U"

    @property
    def unverified(self) -> bool:
        return self.confidence == "U"


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition the person must meet on the day (behaviour, conditions of serving)."""

    code: str
    met: bool
    params: Mapping[str, StepValue]


@dataclass(frozen=True, slots=True)
class Breakdown:
    rules: tuple[RuleRef, ...]  # the deciding rule first
    inputs: Mapping[str, StepValue]
    steps: tuple[Step, ...]
    law: str = "single"  # "offence", "later" or "single" (both the same wording)
    alternative: DatedResult | None = None  # the other law's result (CC arts. 5-6)

    @property
    def unverified(self) -> bool:
        """True when any rule used is tagged [U]: show it on screen."""
        return any(r.confidence == "U" for r in self.rules)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.steps]


# Statuses of a DatedResult.
DATE = "date"
NOT_ELIGIBLE = "not_eligible"
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class DatedResult:
    status: str
    date: date | None
    breakdown: Breakdown
    reason: str = ""  # code when there is no date, e.g. "part8_exclusion"
    reason_params: Mapping[str, StepValue] | None = None
    target: str = ""  # institution type for PEC art. 96 transfers
    conditions: tuple[Condition, ...] = ()

    @property
    def conditions_met(self) -> bool:
        return all(c.met for c in self.conditions)


@dataclass(frozen=True, slots=True)
class Flag:
    value: bool
    breakdown: Breakdown


@dataclass(frozen=True, slots=True)
class SentenceDates:
    end_of_sentence: DatedResult
    parole: DatedResult
    mandatory_parole_candidate: Flag
    replacement_by_milder: DatedResult
    transfers: tuple[DatedResult, ...]
    preferential_conditions: DatedResult


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    field: str
    params: Mapping[str, StepValue]
    message: str


@dataclass(frozen=True, slots=True)
class Calculation:
    """Either dates (every one justified) or the issues that stop the calculation."""

    dates: SentenceDates | None
    issues: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return self.dates is not None


# -- fast construction of results ----------------------------------------------------------------
#
# The generated ``__init__`` of a frozen dataclass sets each field through ``object.__setattr__``,
# which costs several times a plain slot assignment; bulk recalculation builds millions of
# results. The engine builds them as instances of a plain class with the same slots and then
# gives them their real class: the objects are ordinary, frozen instances of the dataclasses
# (equality, repr, pickling and FrozenInstanceError as usual). The layouts are checked below.


class _DatedResultB:
    __slots__ = DatedResult.__slots__
    status: Any
    date: Any
    breakdown: Any
    reason: Any
    reason_params: Any
    target: Any
    conditions: Any


class _BreakdownB:
    __slots__ = Breakdown.__slots__
    rules: Any
    inputs: Any
    steps: Any
    law: Any
    alternative: Any


class _FlagB:
    __slots__ = Flag.__slots__
    value: Any
    breakdown: Any


class _SentenceDatesB:
    __slots__ = SentenceDates.__slots__
    end_of_sentence: Any
    parole: Any
    mandatory_parole_candidate: Any
    replacement_by_milder: Any
    transfers: Any
    preferential_conditions: Any


class _CalculationB:
    __slots__ = Calculation.__slots__
    dates: Any
    issues: Any


def new_dated(
    status: str,
    day: date | None,
    breakdown: Breakdown,
    reason: str = "",
    reason_params: Mapping[str, StepValue] | None = None,
    target: str = "",
    conditions: tuple[Condition, ...] = (),
) -> DatedResult:
    o = _DatedResultB()
    o.status = status
    o.date = day
    o.breakdown = breakdown
    o.reason = reason
    o.reason_params = reason_params
    o.target = target
    o.conditions = conditions
    o.__class__ = DatedResult  # type: ignore[assignment]
    return o  # type: ignore[return-value]


def new_breakdown(
    rules: tuple[RuleRef, ...],
    inputs: Mapping[str, StepValue],
    steps: tuple[Step, ...],
    law: str = "single",
    alternative: DatedResult | None = None,
) -> Breakdown:
    o = _BreakdownB()
    o.rules = rules
    o.inputs = inputs
    o.steps = steps
    o.law = law
    o.alternative = alternative
    o.__class__ = Breakdown  # type: ignore[assignment]
    return o  # type: ignore[return-value]


def new_flag(value: bool, breakdown: Breakdown) -> Flag:
    o = _FlagB()
    o.value = value
    o.breakdown = breakdown
    o.__class__ = Flag  # type: ignore[assignment]
    return o  # type: ignore[return-value]


def new_dates(
    end_of_sentence: DatedResult,
    parole: DatedResult,
    mandatory_parole_candidate: Flag,
    replacement_by_milder: DatedResult,
    transfers: tuple[DatedResult, ...],
    preferential_conditions: DatedResult,
) -> SentenceDates:
    o = _SentenceDatesB()
    o.end_of_sentence = end_of_sentence
    o.parole = parole
    o.mandatory_parole_candidate = mandatory_parole_candidate
    o.replacement_by_milder = replacement_by_milder
    o.transfers = transfers
    o.preferential_conditions = preferential_conditions
    o.__class__ = SentenceDates  # type: ignore[assignment]
    return o  # type: ignore[return-value]


def new_calculation(dates: SentenceDates) -> Calculation:
    o = _CalculationB()
    o.dates = dates
    o.issues = ()
    o.__class__ = Calculation  # type: ignore[assignment]
    return o  # type: ignore[return-value]


def _check_layouts() -> None:
    for cls, builder in (
        (DatedResult, _DatedResultB),
        (Breakdown, _BreakdownB),
        (Flag, _FlagB),
        (SentenceDates, _SentenceDatesB),
        (Calculation, _CalculationB),
    ):
        names = tuple(f.name for f in fields(cls))
        if cls.__slots__ != names or builder.__slots__ != names:
            raise TypeError(f"{cls.__name__}: fields {names} differ from the fast builder")


_check_layouts()
