"""Inputs of the sentence engine: plain frozen dataclasses, no Django.

The Django layer (later) builds these from verdicts, counts, adjustments and the regime module's
records; the engine never reads a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

# CC art. 11 (and art. 10 for the criminal misdemeanour), in increasing order of gravity.
GRAVITIES: tuple[str, ...] = ("misdemeanour", "minor", "medium", "grave", "especially_grave")
GRAVITY_RANK: dict[str, int] = {g: i for i, g in enumerate(GRAVITIES)}

# PEC art. 89 institution types a court assigns (CC art. 46).
INSTITUTION_TYPES: frozenset[str] = frozenset({"MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA"})

# How the terms of several counts combine (CC arts. 58 and 60 [U: article numbers to verify]).
ABSORPTION = "absorption"  # the stricter term absorbs the milder ones
CONSECUTIVE = "consecutive"  # full addition
PARTIAL = "partial"  # the strictest term plus a share of the others
COMBINATIONS: frozenset[str] = frozenset({ABSORPTION, CONSECUTIVE, PARTIAL})

# Conditions of serving (PEC, progressive system).
CONDITIONS: frozenset[str] = frozenset({"strict", "ordinary", "facilitated", "preferential"})


@dataclass(frozen=True, slots=True)
class Term:
    """A term of imprisonment as the court states it, or life imprisonment."""

    years: int = 0
    months: int = 0
    days: int = 0
    life: bool = False

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months


LIFE = Term(life=True)


@dataclass(frozen=True, slots=True)
class Count:
    """One count of the verdict: an offence under one article and the term imposed for it."""

    article: str
    gravity: str
    term: Term
    offence_date: dt.date
    part: str = ""
    # Groups the offence catalogue puts the article in ("corruption_grave",
    # "sexual_offence_against_minor", "terrorist_extremist", "against_life", ...).
    groups: tuple[str, ...] = ()
    # Maximum of the article's sanction in years, when the catalogue knows it.
    article_max_years: int | None = None


@dataclass(frozen=True, slots=True)
class DetentionPeriod:
    """Pre-trial detention (CC art. 62), first and last day in custody, both inclusive."""

    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class Escape:
    """Time unlawfully at large after an escape: first and last day at large, not counted."""

    date_from: dt.date
    date_to: dt.date
    source: str

    @property
    def date(self) -> dt.date:
        return self.date_from


@dataclass(frozen=True, slots=True)
class Amnesty:
    """An amnesty act: reduces the term, or releases from further serving on ``date``."""

    date: dt.date
    source: str
    reduce_by: Term = Term()
    release: bool = False


@dataclass(frozen=True, slots=True)
class Pardon:
    """A pardon: reduces the term, commutes life to a term, or releases on ``date``."""

    date: dt.date
    source: str
    reduce_by: Term = Term()
    commute_to: Term | None = None
    release: bool = False


@dataclass(frozen=True, slots=True)
class CourtChange:
    """A court decision changing the term (appeal, cassation, CC art. 6) or the institution type
    (PEC art. 96). The new term counts from the original start."""

    date: dt.date
    source: str
    new_term: Term | None = None
    new_institution_type: str | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    """CC art. 73: the unserved part replaced by a milder punishment; custody ends on ``date``."""

    date: dt.date
    source: str
    milder_punishment: str = ""


@dataclass(frozen=True, slots=True)
class Recall:
    """Parole revoked (CC art. 72 [U: part to verify]): back in custody on ``date`` to serve ``days_to_serve``
    days as the court counted them (``None`` for a life sentence). The time at liberty between
    ``released_on`` and ``date`` is not served."""

    date: dt.date
    source: str
    released_on: dt.date
    days_to_serve: int | None


Adjustment = Escape | Amnesty | Pardon | CourtChange | Replacement | Recall


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """Facts about the person that decide preferential categories (CC art. 72 parts 1, 4, 8)."""

    sex: str = ""  # "F" or "M"
    birth_date: dt.date | None = None
    minor_at_offence: bool = False
    pregnant: bool = False
    has_minor_child: bool = False  # a woman with (or raising) a minor child
    single_father: bool = False  # a man raising a minor child alone
    disability_group: int = 0  # 0 = none, 1-3


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What the regime module knows about behaviour on the calculation date."""

    malicious_violator: bool = False
    positive_degree: int = 0  # 0 = none, 1-3 (PEC)
    conditions: str = "ordinary"
    conditions_since: dt.date | None = None
    damage_compensated: bool = False


class BehaviourSource(Protocol):
    """Where behaviour facts come from; the regime module will implement it."""

    def behaviour_on(self, person_ref: str, on: dt.date) -> Behaviour: ...


@dataclass(frozen=True, slots=True)
class Sentence:
    counts: tuple[Count, ...]
    institution_type: str
    start_date: dt.date
    combination: str = ABSORPTION
    partial_share: str = "1/2"  # for PARTIAL: share of the other terms added
    detention: tuple[DetentionPeriod, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    person: PersonFacts = field(default_factory=PersonFacts)
    behaviour: Behaviour = field(default_factory=Behaviour)
    cooperation_agreement: bool = False  # procedural cooperation agreement fulfilled
    earlier_parole_revoked: bool = False  # earlier early release revoked / reoffended on it
    assists_counter_terrorism: bool = False  # CC art. 72 part 1 item 3
    death_sentence_commuted: bool = False  # death penalty commuted to life by pardon
