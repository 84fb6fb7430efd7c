"""Pure sentence-calculation engine (no Django): release, parole, replacement, transfer dates.

Usage::

    from qadam.sentences.engine import calculate, Sentence, Count, Term
    result = calculate(sentence, as_of=date.today())
    if result.ok: result.dates.parole.date, result.dates.parole.breakdown.steps
    else: result.issues

    # Bulk recalculation, policy simulator: the same dates without breakdown steps.
    calcs = calculate_many(sentences, as_of=date.today())

    # Population scale (policy simulator): numpy columns, the same dates as calculate.
    result = calculate_columns(columns_from_sentences(sentences), as_of=date.today())
"""

from .columns import ColumnResult, SentenceColumns, calculate_columns, columns_from_sentences
from .compute import calculate, calculate_many
from .explain import (
    DATE,
    NOT_APPLICABLE,
    NOT_ELIGIBLE,
    Breakdown,
    Calculation,
    Condition,
    DatedResult,
    Flag,
    Issue,
    RuleRef,
    SentenceDates,
    Step,
)
from .model import (
    LIFE,
    Amnesty,
    Behaviour,
    BehaviourSource,
    Count,
    CourtChange,
    DetentionPeriod,
    Escape,
    Pardon,
    PersonFacts,
    Recall,
    Replacement,
    Sentence,
    Term,
)
from .rules import RuleFileError, RuleSet, default_rules, load_rules
from .validation import validate

__all__ = [
    "DATE",
    "LIFE",
    "NOT_APPLICABLE",
    "NOT_ELIGIBLE",
    "Amnesty",
    "Behaviour",
    "BehaviourSource",
    "Breakdown",
    "Calculation",
    "ColumnResult",
    "Condition",
    "Count",
    "CourtChange",
    "DatedResult",
    "DetentionPeriod",
    "Escape",
    "Flag",
    "Issue",
    "Pardon",
    "PersonFacts",
    "Recall",
    "Replacement",
    "RuleFileError",
    "RuleRef",
    "RuleSet",
    "Sentence",
    "SentenceColumns",
    "SentenceDates",
    "Step",
    "Term",
    "calculate",
    "calculate_columns",
    "calculate_many",
    "columns_from_sentences",
    "default_rules",
    "load_rules",
    "validate",
]
