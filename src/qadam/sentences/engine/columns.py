"""Column-wise bulk calculation (numpy) for population-scale use: the policy simulator and bulk
recalculation recompute every sentence of the country per scenario.

Usage::

    table = columns_from_sentences(sentences)          # once per population
    result = calculate_columns(table, as_of=date.today())   # per scenario / rule set
    result.parole[i], result.parole_status[i], result.outcome(i)

``table`` holds one row per sentence as numpy arrays: the term the counts combine to, the credit
inputs, the escape and amnesty inputs, the offence groups as a bit mask, the person's facts and the
behaviour inputs. The column path computes the common shape of sentence exactly as ``calculate``
does (same rule parameters from the RuleSet, same calendar conventions, same rounding):

* any number of counts, any combination, life or a term, any institution type and gravity;
* at most one period of pre-trial detention, at most one escape, amnesty reductions and releases;
* the part 8 exclusions, preferential and vulnerable categories, cooperation, an earlier revoked
  parole, mandatory parole, transfers and preferential conditions;
* the more lenient later law (CC arts. 5-6) for sentences with one count: both wordings are
  evaluated column-wise, rows grouped by the rule period in force on the offence date.

Rows of any other shape (pardons, court changes, replacements, recalls, several detention periods
or escapes, several counts under different wordings, anything ``looks_valid`` does not pass, dates
outside the calendar tables) are marked unsupported when the table is built, or when the rules
and the calculation date show it, and go through the scalar ``calculate`` (explain=False), one row
at a time. The result is therefore always the scalar path's, row for row.

Results: for each date an ``int8`` status (``DATE``, ``NOT_ELIGIBLE``, ``NOT_APPLICABLE``,
``INVALID``), an ``int8`` reason code (index in ``REASONS``) and an ``int32`` day ordinal
(``NO_DATE`` when the status is not ``DATE``); the mandatory-parole flag; the conditions flags of
transfers and preferential conditions. Breakdowns are not produced: call ``calculate`` for one
person's explanation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import calendar as cal
from .calendar import term_last_day
from .compute import DEATH_COMMUTED_GROUP, calculate_many
from .explain import DATE, NOT_APPLICABLE, NOT_ELIGIBLE, Calculation, DatedResult
from .model import ABSORPTION, CONSECUTIVE, GRAVITY_RANK, Amnesty, Escape, Sentence
from .rules import EXCLUSION_FAMILIES, Rule, RuleSet, View, default_rules
from .validation import looks_valid

I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
I32 = NDArray[np.int32]
I8 = NDArray[np.int8]
Bools = NDArray[np.bool_]

# Status codes of a result column.
ST_DATE, ST_NOT_ELIGIBLE, ST_NOT_APPLICABLE, ST_INVALID = 0, 1, 2, 3
STATUSES: tuple[str, ...] = (DATE, NOT_ELIGIBLE, NOT_APPLICABLE, "invalid")
_STATUS_CODE = {name: code for code, name in enumerate(STATUSES)}

# Reason codes (``DatedResult.reason``); the last one stands for a reason this module does not know.
REASONS: tuple[str, ...] = (
    "",
    "life_imprisonment",
    "misdemeanour",
    "part8_exclusion",
    "end_of_sentence_first",
    "after_recall",
    "no_rule",
    "transfer_excluded",
    "other",
)
_REASON_CODE = {name: code for code, name in enumerate(REASONS)}
R_NONE, R_LIFE, R_MISDEMEANOUR, R_PART8, R_END_FIRST = 0, 1, 2, 3, 4
R_NO_RULE, R_TRANSFER_EXCLUDED, R_OTHER = 6, 7, 8

NO_DATE = 0  # day ordinals start at 1

# Transfer shapes (PEC art. 96): none, from full security to the rule's targets (one date for
# every target), to minimum security; OTHER: a scalar result of another shape (see ``calculations``).
TRANSFER_NONE, TRANSFER_FROM_FULL, TRANSFER_TO_MIN, TRANSFER_OTHER = 0, 1, 2, 3

INSTITUTION_ORDER: tuple[str, ...] = ("MIN", "MED", "MED_JUV", "MAX", "FULL", "EXTRA")
_ITYPE_CODE = {name: code for code, name in enumerate(INSTITUTION_ORDER)}
CONDITIONS_ORDER: tuple[str, ...] = ("strict", "ordinary", "facilitated", "preferential")
_CONDITIONS_CODE = {name: code for code, name in enumerate(CONDITIONS_ORDER)}
SEXES: tuple[str, ...] = ("", "F", "M")
_SEX_CODE = {name: code for code, name in enumerate(SEXES)}

_ALWAYS = date.min.toordinal()
_NEVER = date.max.toordinal()
_FAR = date.max
_MAX_GROUPS = 63

# Rows whose dates lie outside this window go to the scalar path (the month tables of calendar.py
# cover 1900-2199; a term of up to 100 years or an age of 63 from these dates stays inside them).
_LO = date(1905, 1, 1).toordinal()
_HI = date(2095, 12, 31).toordinal()
_MAX_MONTHS = 1200
_MAX_DETENTION_DAYS = 15_000

# -- calendar.py's month tables as numpy arrays ---------------------------------------------------

_T_BASE = cal._TABLE_BASE
_T_DAYS = cal._TABLE_DAYS
_T_MONTHS = cal._TABLE_MONTHS
_MONTH_OF = np.asarray(cal._MONTH_OF, dtype=np.int64)
_DAY_OF = np.asarray(cal._DAY_OF, dtype=np.int64)
_MONTH_START = np.asarray(cal._MONTH_START, dtype=np.int64)
_MONTH_LEN = np.asarray(cal._MONTH_LEN, dtype=np.int64)


def add_months_columns(ordinals: I64, months: I64 | int) -> I64:
    """``calendar.add_months_ord`` on arrays: table lookups, the scalar function outside them."""
    i = ordinals - _T_BASE
    inside = (i >= 0) & (i < _T_DAYS)
    ic = np.clip(i, 0, _T_DAYS - 1)
    t = _MONTH_OF[ic] + months
    inside &= (t >= 0) & (t < _T_MONTHS)
    tc = np.clip(t, 0, _T_MONTHS - 1)
    out: I64 = _MONTH_START[tc] + np.minimum(_DAY_OF[ic], _MONTH_LEN[tc]) - 1
    if not inside.all():
        m = np.broadcast_to(np.asarray(months, dtype=np.int64), ordinals.shape)
        for k in np.flatnonzero(~inside):
            out[k] = cal.add_months_ord(int(ordinals[k]), int(m[k]))
    return out


def _ceil_frac(num: I64 | int, den: I64 | int, days: I64) -> I64:
    """``calendar.fraction_days``: the fraction of ``days``, rounded up."""
    return -((-np.asarray(num, dtype=np.int64) * days) // den)


# -- the table ------------------------------------------------------------------------------------


@dataclass(slots=True)
class SentenceColumns:
    """One row per sentence; see ``columns_from_sentences``. Day ordinals are int64 (0: none)."""

    supported: Bools  # False: the row goes to the scalar path
    start: I64
    life: Bools
    months: I64  # combined term after amnesty reductions, calendar months ...
    days: I64  # ... and days
    gravity: I64  # rank in model.GRAVITIES (0 misdemeanour .. 4 especially grave)
    itype: I64  # index in INSTITUTION_ORDER
    first_offence: I64
    last_offence: I64
    single_count: Bools
    latest_input: I64  # latest offence or adjustment date: after ``as_of`` it is an issue
    detention_days: I64
    escape_first: I64  # first day at large (0: no escape)
    escape_days: I64
    floor: I64  # release not before this act (0: none)
    fixed_end: I64  # released by an act on this day (_NEVER: none)
    groups: U64  # offence groups (bits in group_names), with the death-commuted group
    sex: I64  # index in SEXES
    birth: I64  # 0: unknown
    minor_at_offence: Bools
    pregnant: Bools
    has_minor_child: Bools
    single_father: Bools
    disability_group: I64
    malicious_violator: Bools
    positive_degree: I64
    conditions: I64  # index in CONDITIONS_ORDER
    conditions_since: I64  # 0: unknown
    damage_compensated: Bools
    cooperation: Bools
    earlier_parole_revoked: Bools
    counter_terrorism: Bools
    group_names: tuple[str, ...] = ()
    sentences: Sequence[Sentence] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.start)

    def take(self, rows: I64) -> SentenceColumns:
        """The table of these rows (without the Sentence objects)."""
        arrays = {
            f.name: getattr(self, f.name)[rows]
            for f in dataclasses.fields(self)
            if f.name not in ("group_names", "sentences")
        }
        return SentenceColumns(**arrays, group_names=self.group_names)

    def group_mask(self, names: tuple[str, ...] | frozenset[str]) -> np.uint64:
        bits = 0
        for name in names:
            if name in self.group_names:
                bits |= 1 << self.group_names.index(name)
        return np.uint64(bits)


_BOOL_COLUMNS = (
    "supported",
    "life",
    "single_count",
    "minor_at_offence",
    "pregnant",
    "has_minor_child",
    "single_father",
    "malicious_violator",
    "damage_compensated",
    "cooperation",
    "earlier_parole_revoked",
    "counter_terrorism",
)
_ROW_ORDER = (
    "supported",
    "start",
    "life",
    "months",
    "days",
    "gravity",
    "itype",
    "first_offence",
    "last_offence",
    "single_count",
    "latest_input",
    "detention_days",
    "escape_first",
    "escape_days",
    "floor",
    "fixed_end",
    "groups",
    "sex",
    "birth",
    "minor_at_offence",
    "pregnant",
    "has_minor_child",
    "single_father",
    "disability_group",
    "malicious_violator",
    "positive_degree",
    "conditions",
    "conditions_since",
    "damage_compensated",
    "cooperation",
    "earlier_parole_revoked",
    "counter_terrorism",
)
# A row the column path does not compute: neutral values (never read).
_UNSUPPORTED_ROW = tuple(
    False if name in _BOOL_COLUMNS else _NEVER if name == "fixed_end" else 0 for name in _ROW_ORDER
)

_SHARES: dict[str, cal.Frac] = {}


def _row(s: Sentence, bits: dict[str, int]) -> tuple[Any, ...] | None:
    """The columns of one sentence, or None when the column path cannot compute it exactly."""
    if not looks_valid(s, _FAR):
        return None
    start = s.start_date.toordinal()
    if not _LO <= start <= _HI:
        return None
    counts = s.counts
    groups = 0
    if len(counts) == 1:
        c0 = counts[0]
        gravity = GRAVITY_RANK[c0.gravity]
        first = last = c0.offence_date.toordinal()
        for g in c0.groups:
            groups |= bits.get(g) or _new_bit(bits, g)
        t0 = c0.term
        life = t0.life
        months, days = (0, 0) if life else (t0.years * 12 + t0.months, t0.days)
    else:
        gravity = max([GRAVITY_RANK[c.gravity] for c in counts])
        offences = [c.offence_date.toordinal() for c in counts]
        first, last = min(offences), max(offences)
        for c in counts:
            for g in c.groups:
                groups |= bits.get(g) or _new_bit(bits, g)
        life = any(c.term.life for c in counts)
        months = days = 0
        if not life:
            terms = [(c.term.years * 12 + c.term.months, c.term.days) for c in counts]
            strictest = max(terms, key=lambda t: term_last_day(start, t[0], t[1]))
            if s.combination == ABSORPTION:
                months, days = strictest
            elif s.combination == CONSECUTIVE:
                months = sum(t[0] for t in terms)
                days = sum(t[1] for t in terms)
            else:
                share = _SHARES.get(s.partial_share)
                if share is None:
                    share = _SHARES[s.partial_share] = cal.parse_fraction(s.partial_share)
                num, den = share
                others = list(terms)
                others.remove(strictest)
                other_m = sum(t[0] for t in others)
                other_d = sum(t[1] for t in others)
                add_m, rem = divmod(num * other_m, den)
                months = strictest[0] + add_m
                days = strictest[1] + (rem * 30) // den + (num * other_d) // den
    if first < _LO:
        return None
    if s.death_sentence_commuted:
        groups |= bits.get(DEATH_COMMUTED_GROUP) or _new_bit(bits, DEATH_COMMUTED_GROUP)
    if groups < 0:
        return None  # more offence groups than bits
    detention_days = 0
    if s.detention:
        period = s.detention[0]
        detention_days = period.end.toordinal() - period.start.toordinal() + 1
    latest = last
    escape_first = escape_days = floor = 0
    fixed_end = _NEVER
    for adj in s.adjustments:
        # looks_valid lets through one escape and amnesties (never on a life sentence).
        if type(adj) is Escape:
            escape_first = adj.date_from.toordinal()
            escape_days = adj.date_to.toordinal() - escape_first + 1
            latest = max(latest, escape_first)
        else:
            assert type(adj) is Amnesty
            day = adj.date.toordinal()
            latest = max(latest, day)
            red = adj.reduce_by
            red_m = red.years * 12 + red.months
            if red_m or red.days:
                months -= red_m
                days -= red.days
                floor = max(floor, day)
            if adj.release:
                fixed_end = min(fixed_end, day)
    if not (0 <= months <= _MAX_MONTHS and detention_days <= _MAX_DETENTION_DAYS):
        return None
    person = s.person
    birth = 0
    if person.birth_date is not None:
        birth = person.birth_date.toordinal()
        if not _LO <= birth <= _HI:
            return None
    b = s.behaviour
    since = 0
    if b.conditions_since is not None:
        since = b.conditions_since.toordinal()
        if not _LO <= since <= _HI:
            return None
    return (
        True,
        start,
        life,
        months,
        days,
        gravity,
        _ITYPE_CODE[s.institution_type],
        first,
        last,
        len(counts) == 1,
        latest,
        detention_days,
        escape_first,
        escape_days,
        floor,
        fixed_end,
        groups,
        _SEX_CODE[person.sex],
        birth,
        person.minor_at_offence,
        person.pregnant,
        person.has_minor_child,
        person.single_father,
        person.disability_group,
        b.malicious_violator,
        b.positive_degree,
        _CONDITIONS_CODE[b.conditions],
        since,
        b.damage_compensated,
        s.cooperation_agreement,
        s.earlier_parole_revoked,
        s.assists_counter_terrorism,
    )


def _new_bit(bits: dict[str, int], name: str) -> int:
    if len(bits) >= _MAX_GROUPS:
        return -(1 << 70)  # makes the row's mask negative: unsupported
    bit = bits[name] = 1 << len(bits)
    return bit


def columns_from_sentences(sentences: Sequence[Sentence]) -> SentenceColumns:
    """The column table of ``sentences``; rows the column path cannot compute exactly are marked
    ``supported=False`` (they keep their Sentence for the scalar path)."""
    bits: dict[str, int] = {}
    rows = [_row(s, bits) or _UNSUPPORTED_ROW for s in sentences]
    # One conversion of the whole table (group masks stay below 2**63), then typed columns.
    matrix = np.array(rows, dtype=np.int64).reshape(len(rows), len(_ROW_ORDER))
    arrays: dict[str, Any] = {}
    for k, name in enumerate(_ROW_ORDER):
        column = matrix[:, k]
        if name == "groups":
            arrays[name] = column.astype(np.uint64)
        elif name in _BOOL_COLUMNS:
            arrays[name] = column != 0
        else:
            arrays[name] = np.ascontiguousarray(column)
    names = tuple(sorted(bits, key=bits.__getitem__))
    return SentenceColumns(**arrays, group_names=names, sentences=sentences)


# -- results --------------------------------------------------------------------------------------


@dataclass(slots=True)
class ColumnResult:
    """The dates of every row; see the module docstring for the codes."""

    ok: Bools  # False: validation issues (see ``calculations[row].issues``)
    end_status: I8
    end_reason: I8
    end: I32
    parole_status: I8
    parole_reason: I8
    parole: I32
    mandatory_parole: Bools
    replacement_status: I8
    replacement_reason: I8
    replacement: I32
    transfer_kind: I8
    transfer_status: I8
    transfer_reason: I8
    transfer: I32
    transfer_conditions_met: Bools
    preferential_status: I8
    preferential_reason: I8
    preferential: I32
    preferential_conditions_met: Bools
    fallback: Bools  # computed by the scalar path
    full_targets: tuple[str, ...] = ()  # targets of TRANSFER_FROM_FULL rows
    calculations: dict[int, Calculation] = field(default_factory=dict)  # the fallback rows

    @classmethod
    def empty(cls, n: int) -> ColumnResult:
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in ("full_targets", "calculations"):
                continue
            if f.name in (
                "ok",
                "mandatory_parole",
                "transfer_conditions_met",
                "preferential_conditions_met",
                "fallback",
            ):
                kwargs[f.name] = np.zeros(n, dtype=np.bool_)
            elif f.name in ("end", "parole", "replacement", "transfer", "preferential"):
                kwargs[f.name] = np.zeros(n, dtype=np.int32)
            else:
                kwargs[f.name] = np.zeros(n, dtype=np.int8)
        return cls(**kwargs)

    @property
    def n(self) -> int:
        return len(self.ok)

    def transfer_targets(self, row: int) -> tuple[str, ...]:
        kind = int(self.transfer_kind[row])
        if kind == TRANSFER_FROM_FULL:
            return self.full_targets
        if kind == TRANSFER_TO_MIN:
            return ("MIN",)
        if kind == TRANSFER_OTHER:
            dates = self.calculations[row].dates
            assert dates is not None
            return tuple(t.target for t in dates.transfers)
        return ()

    def _dated(self, name: str, row: int) -> tuple[str, str, date | None]:
        status = int(getattr(self, f"{name}_status")[row])
        day = int(getattr(self, name)[row])
        reason = REASONS[int(getattr(self, f"{name}_reason")[row])]
        return STATUSES[status], reason, date.fromordinal(day) if status == ST_DATE else None

    def outcome(self, row: int) -> tuple[Any, ...]:
        """Plain values of one row: ``("issues",)``, or (end, parole, mandatory flag,
        replacement, transfers, preferential); each dated value is (status, reason, date or
        None), transfers and preferential also carry whether the conditions are met."""
        if not self.ok[row]:
            return ("issues",)
        if self.transfer_kind[row] == TRANSFER_OTHER:
            dates = self.calculations[row].dates
            assert dates is not None
            transfers = tuple(_plain_transfer(t) for t in dates.transfers)
        else:
            one = self._dated("transfer", row)
            met = bool(self.transfer_conditions_met[row])
            transfers = tuple((t, *one, met) for t in self.transfer_targets(row))
        return (
            self._dated("end", row),
            self._dated("parole", row),
            bool(self.mandatory_parole[row]),
            self._dated("replacement", row),
            transfers,
            (*self._dated("preferential", row), bool(self.preferential_conditions_met[row])),
        )


def _plain_transfer(t: DatedResult) -> tuple[Any, ...]:
    return (t.target, t.status, t.reason, t.date, t.conditions_met)


# -- the column-wise evaluation under one wording of the law -------------------------------------


@dataclass(slots=True)
class _Dated:
    status: I64
    reason: I64
    day: I64

    def take(self, rows: I64) -> _Dated:
        return _Dated(self.status[rows], self.reason[rows], self.day[rows])


@dataclass(slots=True)
class _Out:
    end: _Dated
    parole: _Dated
    mandatory: Bools
    replacement: _Dated
    transfer_kind: I64
    transfer: _Dated
    transfer_met: Bools
    preferential: _Dated
    preferential_met: Bools
    unsupported: Bools  # rows the scalar path must do (it would raise on them)


def _dated(n: int) -> _Dated:
    return _Dated(
        np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    )


def _set(d: _Dated, where: Bools, status: int, reason: int) -> None:
    d.status[where] = status
    d.reason[where] = reason


def _by(rule: Rule, keys: tuple[str, ...]) -> tuple[I64, I64, Bools]:
    """Numerators, denominators and presence of a rule's fraction parameters, by key index."""
    num = np.ones(len(keys), dtype=np.int64)
    den = np.ones(len(keys), dtype=np.int64)
    has = np.zeros(len(keys), dtype=np.bool_)
    for k, key in enumerate(keys):
        if key in rule.params:
            num[k], den[k] = rule.frac(key)
            has[k] = True
    return num, den, has


_GRAVITY_KEYS = ("misdemeanour", "minor", "medium", "grave", "especially_grave")
_MISDEMEANOUR, _GRAVE, _ESPECIALLY_GRAVE = 0, 3, 4


class _Evaluator:
    def __init__(self, t: SentenceColumns, cc: View, pec: View, today: int) -> None:
        self.t, self.cc, self.pec, self.today = t, cc, pec, today
        n = self.n = t.n
        ccr = cc.rules
        credit_rule = ccr["pretrial_credit_ratio"]
        rnum, rden, _ = _by(credit_rule, INSTITUTION_ORDER)
        det = t.detention_days
        credit = np.where(det > 0, _ceil_frac(rnum[t.itype], rden[t.itype], det), 0)
        served_credit = credit
        if not ccr["pretrial_credit_counts_as_served"].flag("counts_as_served"):
            served_credit = np.where(credit != det, det, credit)
        self.end_start = t.start - credit
        self.served_start = t.start - served_credit
        last = add_months_columns(self.end_start, t.months) + t.days - 1
        self.term_days = np.where(t.life, 0, last - self.end_start + 1)
        end = self._map(last)
        end = np.where(end < t.floor, t.floor, end)
        end_none = t.life.copy()
        use_fixed = (t.fixed_end < _NEVER) & (end_none | (t.fixed_end < end))
        self.end = np.where(use_fixed, t.fixed_end, end)
        self.end_none = end_none & ~use_fixed
        self.unsupported = np.zeros(n, dtype=np.bool_)

    def _map(self, day: I64) -> I64:
        """Move days on the served axis past the days at large (one escape at most)."""
        t = self.t
        return day + np.where(day >= t.escape_first, t.escape_days, 0)

    def _fraction_date(self, num: I64 | int, den: I64 | int) -> I64:
        required = _ceil_frac(num, den, self.term_days)
        return self._map(self.served_start + required - 1)

    def _late(self, day: I64) -> Bools:
        return ~self.end_none & (day > self.end)

    def _category_from(self, rule: Rule) -> tuple[Bools, I64]:
        """Rows in one of the rule's categories, and the earliest day they are."""
        t = self.t
        always = np.zeros(self.n, dtype=np.bool_)
        has = np.zeros(self.n, dtype=np.bool_)
        day = np.full(self.n, _NEVER, dtype=np.int64)
        sex_f, sex_m = t.sex == _SEX_CODE["F"], t.sex == _SEX_CODE["M"]
        known_birth = t.birth > 0
        for cat in rule.names("categories"):
            if cat == "minor_at_offence":
                always |= t.minor_at_offence
            elif cat == "pregnant":
                always |= t.pregnant
            elif cat == "woman_with_minor_child":
                always |= sex_f & t.has_minor_child
            elif cat == "single_father":
                always |= sex_m & t.single_father
            elif cat == "disability_1_2":
                always |= (t.disability_group == 1) | (t.disability_group == 2)
            elif cat in ("woman_of_age", "man_of_age"):
                sex, key = (sex_f, "woman_age") if cat == "woman_of_age" else (sex_m, "man_age")
                rows = sex & known_birth
                if rows.any():
                    births = np.where(rows, t.birth, t.start)
                    aged = add_months_columns(births, 12 * rule.int_(key))
                    day = np.where(rows, np.minimum(day, aged), day)
                    has |= rows
        day = np.where(always, _ALWAYS, day)
        return has | always, day

    def _exclusions(self) -> tuple[Bools, I64, Bools]:
        """Part 8: (blocked, day from which the exclusion is lifted, general fraction only)."""
        t, n = self.t, self.n
        blocked = np.zeros(n, dtype=np.bool_)
        lifted = np.full(n, _ALWAYS, dtype=np.int64)
        general_only = np.zeros(n, dtype=np.bool_)
        if not t.groups.any():
            return blocked, lifted, general_only
        vulnerable: tuple[Bools, I64] | None = None
        for fam in EXCLUSION_FAMILIES:
            rule = self.cc.rules.get(fam)
            if rule is None or not rule.flag("active"):
                continue
            hit = (t.groups & t.group_mask(rule.names("groups"))) != 0
            if not hit.any():
                continue
            exempt = np.zeros(n, dtype=np.bool_)
            if rule.flag("except_minor_offender"):
                exempt |= t.minor_at_offence
            if rule.flag("except_cooperation"):
                exempt |= t.cooperation
            if rule.flag("except_counter_terrorism_assistance"):
                exempt |= t.counter_terrorism
            rest = hit & ~exempt
            if rule.flag("except_vulnerable"):
                if vulnerable is None:
                    vulnerable = self._category_from(self.cc.rules["parole_vulnerable_categories"])
                has, day = vulnerable
                blocked |= rest & ~has
                lifted = np.where(rest & has, np.maximum(lifted, day), lifted)
            else:
                blocked |= rest
            if rule.flag("exception_uses_general_fraction"):
                general_only |= hit
        return blocked, lifted, general_only

    def parole(self) -> _Dated:
        t, ccr = self.t, self.cc.rules
        g = t.gravity
        out = _dated(self.n)
        life = t.life
        blocked, lifted, general_only = self._exclusions()
        # Life imprisonment: 25 (15) years.
        life_rule = ccr["parole_life"]
        years = np.where(
            t.cooperation, life_rule.int_("cooperation_years"), life_rule.int_("years")
        )
        life_day = self._map(add_months_columns(self.served_start, 12 * years) - 1)
        # A term: the fraction by gravity, the 6-month minimum, the preferential fraction.
        gn, gd, _ = _by(ccr["parole_fraction_general"], _GRAVITY_KEYS)
        pn, pd, _ = _by(ccr["parole_fraction_preferential"], _GRAVITY_KEYS)
        gen_n, gen_d, pref_n, pref_d = gn[g], gd[g], pn[g], pd[g]
        against = ccr.get("parole_fraction_against_life")
        if against is not None:
            m = (g == _ESPECIALLY_GRAVE) & ((t.groups & t.group_mask(against.names("groups"))) != 0)
            an, ad = against.frac("general")
            bn, bd = against.frac("preferential")
            gen_n, gen_d = np.where(m, an, gen_n), np.where(m, ad, gen_d)
            pref_n, pref_d = np.where(m, bn, pref_n), np.where(m, bd, pref_d)
        coop = ccr.get("parole_fraction_cooperation")
        if coop is not None:
            m = t.cooperation & (g == _GRAVE)
            cn, cd = coop.frac("grave")
            lt = m & (cn * gen_d < gen_n * cd)
            gen_n, gen_d = np.where(lt, cn, gen_n), np.where(lt, cd, gen_d)
            lt = m & (cn * pref_d < pref_n * cd)
            pref_n, pref_d = np.where(lt, cn, pref_n), np.where(lt, cd, pref_d)
        revoked = ccr.get("parole_fraction_after_revoked")
        if revoked is not None:
            rn_all, rd_all, _ = _by(revoked, _GRAVITY_KEYS)
            rn, rd = rn_all[g], rd_all[g]
            m = t.earlier_parole_revoked
            lt = m & (gen_n * rd < rn * gen_d)
            gen_n, gen_d = np.where(lt, rn, gen_n), np.where(lt, rd, gen_d)
            lt = m & (pref_n * rd < rn * pref_d)
            pref_n, pref_d = np.where(lt, rn, pref_n), np.where(lt, rd, pref_d)
        min_months = ccr["parole_minimum_served"].int_("months")
        min_day = self._map(add_months_columns(self.served_start, min_months) - 1)
        day = np.maximum(self._fraction_date(gen_n, gen_d), min_day)
        has_cat, cat_from = self._category_from(ccr["parole_preferential_categories"])
        pref = ~general_only & has_cat & (pref_n * gen_d < gen_n * pref_d)
        if pref.any():
            pref_day = self._fraction_date(pref_n, pref_d)
            later = np.maximum(np.maximum(pref_day, min_day), cat_from)
            day = np.where(pref & (later < day), later, day)
        day = np.where(life, life_day, day)
        day = np.maximum(day, lifted)
        out.day[:] = day
        _set(out, self._late(day), ST_NOT_ELIGIBLE, R_END_FIRST)
        _set(out, blocked, ST_NOT_ELIGIBLE, R_PART8)
        _set(out, ~life & (g == _MISDEMEANOUR), ST_NOT_APPLICABLE, R_MISDEMEANOUR)
        return out

    def mandatory(self, parole: _Dated) -> Bools:
        rule = self.cc.rules.get("mandatory_parole")
        if rule is None or not rule.flag("active"):
            return np.zeros(self.n, dtype=np.bool_)
        t = self.t
        value: Bools = parole.status == ST_DATE
        if rule.flag("requires_damage_compensated"):
            value &= t.damage_compensated
        if rule.flag("requires_no_malicious_violation"):
            value &= ~t.malicious_violator
        return value

    def replacement(self) -> _Dated:
        t, ccr = self.t, self.cc.rules
        g = t.gravity
        out = _dated(self.n)
        rn, rd, _ = _by(ccr["replacement_fraction"], _GRAVITY_KEYS)
        num, den = rn[g], rd[g]
        eg = ccr.get("replacement_fraction_especially_grave")
        is_eg = g == _ESPECIALLY_GRAVE
        if eg is not None:
            en, ed = eg.frac("especially_grave")
            num, den = np.where(is_eg, en, num), np.where(is_eg, ed, den)
        day = self._fraction_date(num, den)
        out.day[:] = day
        _set(out, self._late(day), ST_NOT_ELIGIBLE, R_END_FIRST)
        if eg is None:
            _set(out, is_eg, ST_NOT_ELIGIBLE, R_NO_RULE)
        _set(out, g == _MISDEMEANOUR, ST_NOT_APPLICABLE, R_MISDEMEANOUR)
        _set(out, t.life, ST_NOT_APPLICABLE, R_LIFE)
        return out

    def transfers(self) -> tuple[I64, _Dated, Bools]:
        t, pec = self.t, self.pec.rules
        g = t.gravity
        out = _dated(self.n)
        full = pec["transfer_from_full"]
        to_min = pec["transfer_to_minimum"]
        is_full = t.itype == _ITYPE_CODE["FULL"]
        from_codes = [_ITYPE_CODE[x] for x in to_min.names("from_types") if x in _ITYPE_CODE]
        is_min = ~is_full & np.isin(t.itype, from_codes)
        kind = np.where(is_full, TRANSFER_FROM_FULL, np.where(is_min, TRANSFER_TO_MIN, 0))
        # From full security.
        fn, fd = full.frac("fraction")
        full_day = self._fraction_date(fn, fd)
        full_met = t.positive_degree >= full.int_("min_behaviour_degree")
        # To minimum security.
        excluded = np.zeros(self.n, dtype=np.bool_)
        excl = pec.get("transfer_to_minimum_exclusions")
        if excl is not None:
            gravities = [GRAVITY_RANK[x] for x in excl.names("gravities") if x in GRAVITY_RANK]
            excluded = np.isin(g, gravities) | (
                (t.groups & t.group_mask(excl.names("groups"))) != 0
            )
            unless = t.group_mask(excl.names("groups_unless_compensated"))
            excluded |= ((t.groups & unless) != 0) & ~t.damage_compensated
        excluded &= is_min & ~t.life
        kind = np.where(is_min & ~t.life & ~excluded & (g == _MISDEMEANOUR), 0, kind)
        mn, md, has = _by(to_min, _GRAVITY_KEYS)
        on, od = to_min.frac("reoffended")
        revoked = t.earlier_parole_revoked
        num = np.where(revoked, on, mn[g])
        den = np.where(revoked, od, md[g])
        computed = (kind == TRANSFER_TO_MIN) & ~t.life & ~excluded
        # The scalar path would look up a gravity the rule does not have (and raise): its rows.
        self.unsupported |= computed & ~revoked & ~has[g]
        min_day = self._fraction_date(num, den)
        min_met = np.isin(
            t.conditions,
            [_CONDITIONS_CODE[x] for x in to_min.names("conditions") if x in _CONDITIONS_CODE],
        ) & (t.positive_degree >= to_min.int_("min_behaviour_degree"))
        day = np.where(is_full, full_day, min_day)
        out.day[:] = day
        met = np.where(is_full, full_met, min_met)
        _set(out, self._late(day), ST_NOT_ELIGIBLE, R_END_FIRST)
        _set(out, excluded, ST_NOT_ELIGIBLE, R_TRANSFER_EXCLUDED)
        _set(out, t.life, ST_NOT_APPLICABLE, R_LIFE)
        met = met | (out.status != ST_DATE)
        return kind, out, met

    def preferential(self) -> tuple[_Dated, Bools]:
        t, rule = self.t, self.pec.rules["preferential_conditions"]
        out = _dated(self.n)
        day = add_months_columns(self.end + 1, -rule.int_("months_before_release"))
        out.day[:] = np.maximum(day, t.start)
        _set(out, self.end_none, ST_NOT_APPLICABLE, R_LIFE)
        known = t.conditions_since > 0
        since = np.where(known, t.conditions_since, t.start)
        need = rule.int_("min_months_in_conditions")
        long_enough = known & (add_months_columns(since, need) <= self.today)
        codes = [
            _CONDITIONS_CODE[x] for x in rule.names("from_conditions") if x in _CONDITIONS_CODE
        ]
        met = (
            (t.positive_degree >= rule.int_("min_behaviour_degree"))
            & np.isin(t.conditions, codes)
            & long_enough
        )
        return out, met | (out.status != ST_DATE)

    def run(self) -> _Out:
        end = _dated(self.n)
        end.day[:] = self.end
        _set(end, self.end_none, ST_NOT_APPLICABLE, R_LIFE)
        parole = self.parole()
        kind, transfer, transfer_met = self.transfers()
        preferential, preferential_met = self.preferential()
        return _Out(
            end,
            parole,
            self.mandatory(parole),
            self.replacement(),
            kind,
            transfer,
            transfer_met,
            preferential,
            preferential_met,
            self.unsupported,
        )


def _better(a: _Dated, b: _Dated) -> Bools:
    """Rows where ``b`` is more favourable than ``a`` (compute._better)."""
    better: Bools = (b.status == ST_DATE) & ((a.status != ST_DATE) | (b.day < a.day))
    return better


def _pick_into(offence: _Dated, later: _Dated, rows: I64) -> Bools:
    """compute._pick: the later law's result where it is more favourable; written into ``later``
    at ``rows``. Returns where the offence law's result was kept."""
    mine = later.take(rows)
    keep = ~_better(offence, mine)
    later.status[rows] = np.where(keep, offence.status, mine.status)
    later.reason[rows] = np.where(keep, offence.reason, mine.reason)
    later.day[rows] = np.where(keep, offence.day, mine.day)
    return keep


def _merge(offence: _Out, later: _Out, rows: I64) -> None:
    """compute._merge of the offence law's results into the later law's, at ``rows``."""
    _pick_into(offence.end, later.end, rows)
    _pick_into(offence.parole, later.parole, rows)
    later.mandatory[rows] = offence.mandatory | later.mandatory[rows]
    _pick_into(offence.replacement, later.replacement, rows)
    keep = _pick_into(offence.transfer, later.transfer, rows)
    later.transfer_met[rows] = np.where(keep, offence.transfer_met, later.transfer_met[rows])
    keep = _pick_into(offence.preferential, later.preferential, rows)
    later.preferential_met[rows] = np.where(
        keep, offence.preferential_met, later.preferential_met[rows]
    )
    later.unsupported[rows] |= offence.unsupported


# -- the entry point ------------------------------------------------------------------------------


def _law_rows(
    table: SentenceColumns, ruleset: RuleSet, now: View, candidates: Bools
) -> tuple[Bools, Bools, I64]:
    """Rows whose rules on the offence dates are missing (scalar path), rows evaluated under two
    wordings (one count, CC arts. 5-6) and each row's period on the last offence date."""
    cuts = np.asarray(ruleset.period_starts, dtype=np.int64)
    views = ruleset.period_views
    p_last = np.searchsorted(cuts, table.last_offence, side="right") - 1
    p_first = np.searchsorted(cuts, table.first_offence, side="right") - 1
    missing = np.asarray([bool(v.missing_required_cc) for v in views], dtype=np.bool_)
    # The part 8 families a row's groups bring into the comparison (View.same_law).
    relevant = np.zeros(table.n, dtype=np.uint64)
    diff = np.zeros(len(views), dtype=np.uint64)
    for j, fam in enumerate(EXCLUSION_FAMILIES):
        mask = table.group_mask(ruleset.exclusion_groups(fam))
        relevant |= np.where((table.groups & mask) != 0, np.uint64(1 << j), np.uint64(0))
        for k, v in enumerate(views):
            if v.rules.get(fam) is not now.rules.get(fam):
                diff[k] |= np.uint64(1 << j)
    base_differs = np.asarray([v.base_key != now.base_key for v in views], dtype=np.bool_)
    differs = base_differs[p_last] | ((diff[p_last] & relevant) != 0)
    spread = candidates & (p_first != p_last)
    if spread.any():
        # Several counts whose offences lie in different periods: every period between them must
        # have the same wording for the row to need one evaluation only.
        for k in range(len(views)):
            inside = spread & (p_first <= k) & (k <= p_last)
            differs |= inside & (base_differs[k] | ((diff[k] & relevant) != 0))
    differs &= candidates
    return missing[p_last] & candidates, differs, p_last


def calculate_columns(
    table: SentenceColumns, *, as_of: date, rules: RuleSet | None = None
) -> ColumnResult:
    """Every date of every row of ``table`` as known on ``as_of``: the same values as
    ``calculate(sentence, as_of=as_of, rules=rules, explain=False)`` row for row."""
    ruleset = rules if rules is not None else default_rules()
    today = as_of.toordinal()
    n = table.n
    res = ColumnResult.empty(n)
    now = ruleset.at(today)
    full = now.rules.get("transfer_from_full")
    res.full_targets = full.names("targets") if full is not None else ()
    fallback = ~table.supported | (table.latest_input > today)
    if now.missing_required:
        fallback[:] = True
    if not fallback.all():
        missing, two_laws, periods = _law_rows(table, ruleset, now, ~fallback)
        fallback |= missing | (two_laws & ~table.single_count)
        two_laws &= ~fallback
        rows = np.flatnonzero(~fallback)
        sub = table.take(rows)
        out = _Evaluator(sub, now, now, today).run()
        two = np.flatnonzero(two_laws[rows])
        if len(two):
            views = ruleset.period_views
            sub_periods = periods[rows][two]
            for k in np.unique(sub_periods):
                sel = two[sub_periods == k]
                offence = _Evaluator(sub.take(sel), views[int(k)], now, today).run()
                _merge(offence, out, sel)
        _store(res, rows, out)
        fallback[rows[out.unsupported]] = True
    res.fallback = fallback
    if fallback.any():
        _fill_fallback(res, table, np.flatnonzero(fallback), as_of, ruleset)
    return res


def _store(res: ColumnResult, rows: I64, out: _Out) -> None:
    res.ok[rows] = True
    for name, d in (
        ("end", out.end),
        ("parole", out.parole),
        ("replacement", out.replacement),
        ("transfer", out.transfer),
        ("preferential", out.preferential),
    ):
        getattr(res, f"{name}_status")[rows] = d.status
        getattr(res, f"{name}_reason")[rows] = d.reason
        getattr(res, name)[rows] = np.where(d.status == ST_DATE, d.day, NO_DATE)
    res.mandatory_parole[rows] = out.mandatory
    res.transfer_kind[rows] = out.transfer_kind
    none = out.transfer_kind == TRANSFER_NONE
    res.transfer_status[rows[none]] = ST_NOT_APPLICABLE
    res.transfer_reason[rows[none]] = R_NONE
    res.transfer[rows[none]] = NO_DATE
    res.transfer_conditions_met[rows] = out.transfer_met | none
    res.preferential_conditions_met[rows] = out.preferential_met


def _fill_fallback(
    res: ColumnResult, table: SentenceColumns, rows: I64, as_of: date, ruleset: RuleSet
) -> None:
    if table.sentences is None:
        raise ValueError(
            f"{len(rows)} row(s) need the scalar path but the table has no Sentence objects; "
            "build it with columns_from_sentences"
        )
    sentences = table.sentences
    calcs = calculate_many([sentences[int(i)] for i in rows], as_of=as_of, rules=ruleset)
    for i, calc in zip(rows.tolist(), calcs, strict=True):
        res.calculations[i] = calc
        d = calc.dates
        if d is None:
            res.ok[i] = False
            for name in ("end", "parole", "replacement", "transfer", "preferential"):
                getattr(res, f"{name}_status")[i] = ST_INVALID
            continue
        res.ok[i] = True
        for name, r in (
            ("end", d.end_of_sentence),
            ("parole", d.parole),
            ("replacement", d.replacement_by_milder),
            ("preferential", d.preferential_conditions),
        ):
            _put(res, name, i, r)
        res.mandatory_parole[i] = d.mandatory_parole_candidate.value
        res.preferential_conditions_met[i] = d.preferential_conditions.conditions_met
        targets = tuple(t.target for t in d.transfers)
        plain = {_plain_transfer(t)[1:] for t in d.transfers}
        if not targets:
            res.transfer_kind[i] = TRANSFER_NONE
            res.transfer_status[i] = ST_NOT_APPLICABLE
            res.transfer_conditions_met[i] = True
        elif len(plain) == 1 and targets in (("MIN",), res.full_targets):
            res.transfer_kind[i] = TRANSFER_TO_MIN if targets == ("MIN",) else TRANSFER_FROM_FULL
            _put(res, "transfer", i, d.transfers[0])
            res.transfer_conditions_met[i] = d.transfers[0].conditions_met
        else:
            res.transfer_kind[i] = TRANSFER_OTHER
            _put(res, "transfer", i, d.transfers[0])
            res.transfer_conditions_met[i] = d.transfers[0].conditions_met


def _put(res: ColumnResult, name: str, i: int, r: DatedResult) -> None:
    getattr(res, f"{name}_status")[i] = _STATUS_CODE.get(r.status, ST_INVALID)
    getattr(res, f"{name}_reason")[i] = _REASON_CODE.get(r.reason, R_OTHER)
    getattr(res, name)[i] = r.date.toordinal() if r.date is not None else NO_DATE
