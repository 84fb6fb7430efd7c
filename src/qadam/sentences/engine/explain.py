"""Results and their breakdown: which rule, which article, which version, which arithmetic.

Every step has a stable ``code`` and ``params`` (ints, ISO dates as strings, fractions as "2/3")
so the UI can translate it; ``text`` renders the English sentence from ``STEP_TEXT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

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
