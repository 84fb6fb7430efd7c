"""The calculation: end of sentence, parole (CC art. 72), replacement by a milder punishment
(CC art. 73), transfer between institution types (PEC art. 96) and preferential conditions.

How a calculation runs:

1. ``validate`` – any issue stops the calculation (no date without a justification).
2. The counts are combined into one term (absorption, full or partial addition).
3. The substantive rules (CC) are taken twice when they differ: in the wording in force on the
   offence date (the latest count's date for rules on the whole sentence, each count's own date
   for the part 8 exclusions) and in the wording in force on the calculation date. Each date is
   computed under both and the more favourable one applies, with the other kept in the breakdown
   (CC arts. 5-6). Execution rules (PEC) are always those in force on the calculation date
   (PEC art. 2).
4. Dates are computed on a continuous "served" axis that starts on the sentence start minus the
   credit for pre-trial detention, and then moved past the days that are not served (time at
   large after an escape, time at liberty on a parole later revoked).

Calendar conventions are in ``calendar.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from operator import attrgetter
from types import MappingProxyType
from typing import NamedTuple

from . import calendar as cal
from .calendar import Frac, add_months_ord, fraction_days, iso, term_last_day, to_date
from .explain import (
    DATE,
    NOT_APPLICABLE,
    NOT_ELIGIBLE,
    Breakdown,
    Calculation,
    Condition,
    DatedResult,
    Flag,
    SentenceDates,
    Step,
    StepValue,
    new_breakdown,
    new_calculation,
    new_dated,
    new_dates,
    new_flag,
)
from .model import (
    ABSORPTION,
    CONSECUTIVE,
    GRAVITIES,
    GRAVITY_RANK,
    Amnesty,
    CourtChange,
    Escape,
    Pardon,
    Recall,
    Replacement,
    Sentence,
)
from .rules import EXCLUSION_FAMILIES, Rule, RuleSet, View, default_rules
from .validation import looks_valid, validate

_NEVER = date.max.toordinal()
_ALWAYS = date.min.toordinal()

DEATH_COMMUTED_GROUP = "death_commuted_to_life"

# explain=False: breakdowns carry no inputs and no steps; results share these.
_NO_INPUTS: MappingProxyType[str, StepValue] = MappingProxyType({})
_NO_STEPS: tuple[Step, ...] = ()
_SEQ = attrgetter("seq")


class _NoSteps(list[Step]):
    """The step list of a calculation without explanation: nothing may be added to it."""

    def append(self, step: Step) -> None:
        raise AssertionError(f"step {step.code!r} built without explanation")


_NO_STEP_LIST: list[Step] = _NoSteps()
_EMPTY_GROUPS: frozenset[str] = frozenset()


# -- dates that are a share of the term: parole (CC art. 72), replacement by a milder punishment
# (CC art. 73), transfer between institution types (PEC art. 96) --------------------------------


class _Share(NamedTuple):
    """Where the share of the term for a date comes from: the rule family and its parameter
    (``""``: the offence's gravity), the basis the breakdown names for the fraction (``""``: no
    "fraction chosen" step), and whether the date is a transfer (a "transfer target" step)."""

    family: str
    param: str
    basis: str
    transfer: bool = False


_SHARES: dict[str, _Share] = {
    "replacement": _Share("replacement_fraction", "", "CC art. 73 part 2"),
    "replacement_especially_grave": _Share(
        "replacement_fraction_especially_grave", "especially_grave", "CC art. 73 part 2"
    ),
    "transfer_to_minimum": _Share("transfer_to_minimum", "", "PEC art. 96", transfer=True),
    "transfer_to_minimum_reoffended": _Share(
        "transfer_to_minimum", "reoffended", "earlier early release, reoffended", transfer=True
    ),
    "transfer_from_full": _Share("transfer_from_full", "fraction", "", transfer=True),
}

# Why such a date does not exist: (status, reason code, what the breakdown says).
_NO_SHARE: dict[str, tuple[str, str, str]] = {
    "parole_after_recall": (
        NOT_ELIGIBLE,
        "after_recall",
        "Parole was revoked on this sentence; a new parole is not provided for (configuration).",
    ),
    "parole_misdemeanour": (
        NOT_APPLICABLE,
        "misdemeanour",
        "Parole applies to imprisonment for crimes, not to criminal misdemeanours.",
    ),
    "replacement_life": (
        NOT_APPLICABLE,
        "life_imprisonment",
        "Replacement by a milder punishment is not provided for life imprisonment.",
    ),
    "replacement_misdemeanour": (
        NOT_APPLICABLE,
        "misdemeanour",
        "Replacement applies to imprisonment for crimes.",
    ),
    "replacement_no_rule": (
        NOT_ELIGIBLE,
        "no_rule",
        "No rule in force allows replacement for an especially grave crime.",
    ),
    "transfer_life": (
        NOT_APPLICABLE,
        "life_imprisonment",
        "A fraction of life imprisonment cannot be computed.",
    ),
}


def _retarget(result: DatedResult, target: str) -> DatedResult:
    """The same result for another institution type (one transfer rule, several targets)."""
    return new_dated(
        result.status,
        result.date,
        result.breakdown,
        result.reason,
        result.reason_params,
        target,
        result.conditions,
    )


def _term_text(months: int, days: int) -> str:
    years, months = divmod(months, 12) if months >= 0 else (0, months)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if months:
        parts.append(f"{months} month{'s' if abs(months) != 1 else ''}")
    if days or not parts:
        parts.append(f"{days} day{'s' if abs(days) != 1 else ''}")
    return " ".join(parts)


def _frac_lt(a: Frac, b: Frac) -> bool:
    return a[0] * b[1] < b[0] * a[1]


def _step(code: str, **params: StepValue) -> Step:
    return Step(code, params)


class _Prepared:
    """What does not depend on the wording of the law: combined term, detention, adjustments."""

    __slots__ = (
        "adjustments",
        "count_groups",
        "days",
        "detention_days",
        "detention_steps",
        "escape_gaps",
        "explain",
        "gravity",
        "groups",
        "inputs",
        "last_offence",
        "life",
        "months",
        "start",
        "term_steps",
    )

    def __init__(self, s: Sentence, explain: bool) -> None:
        self.explain = explain
        self.start = s.start_date.toordinal()
        counts = s.counts
        if len(counts) == 1:
            c0 = counts[0]
            self.gravity = c0.gravity
            offence = c0.offence_date.toordinal()
            count_groups = frozenset(c0.groups) if c0.groups else _EMPTY_GROUPS
            self.count_groups = [(offence, count_groups)]
            self.last_offence = offence
            if s.death_sentence_commuted:
                self.groups = count_groups | {DEATH_COMMUTED_GROUP}
            else:
                self.groups = count_groups
        else:
            rank = max([GRAVITY_RANK[c.gravity] for c in counts])
            self.gravity = GRAVITIES[rank]
            groups: set[str] = set()
            for c in counts:
                groups.update(c.groups)
            if s.death_sentence_commuted:
                groups.add(DEATH_COMMUTED_GROUP)
            self.groups = frozenset(groups)
            self.count_groups = [
                (c.offence_date.toordinal(), frozenset(c.groups) if c.groups else _EMPTY_GROUPS)
                for c in counts
            ]
            self.last_offence = max([day for day, _ in self.count_groups])
        steps: list[Step] = []
        for n, c in enumerate(s.counts if explain else (), 1):
            t = c.term
            if self.explain:
                steps.append(
                    _step(
                        "term_of_count",
                        count=n,
                        article=c.article + (f" part {c.part}" if c.part else ""),
                        term="life imprisonment" if t.life else _term_text(t.total_months, t.days),
                        gravity=c.gravity.replace("_", " "),
                        offence_date=c.offence_date.isoformat(),
                    )
                )
        self.months = 0
        self.days = 0
        if len(counts) == 1:
            t0 = counts[0].term
            self.life = t0.life
            if not t0.life:
                self.months, self.days = t0.years * 12 + t0.months, t0.days
        else:
            self.life = any(c.term.life for c in counts)
        if self.life:
            if self.explain:
                steps.append(_step("life_term"))
        elif len(counts) == 1:
            pass
        else:
            terms = [(c.term.total_months, c.term.days) for c in s.counts]
            # Strictest term: the one ending last from the same start.
            strictest = max(terms, key=lambda t: term_last_day(self.start, t[0], t[1]))
            if s.combination == ABSORPTION:
                self.months, self.days = strictest
                if self.explain:
                    steps.append(_step("combine_absorption", term=_term_text(*strictest)))
            elif s.combination == CONSECUTIVE:
                self.months = sum(t[0] for t in terms)
                self.days = sum(t[1] for t in terms)
                if self.explain:
                    steps.append(
                        _step(
                            "combine_consecutive",
                            terms=" + ".join(_term_text(*t) for t in terms),
                            term=_term_text(self.months, self.days),
                        )
                    )
            else:
                # Partial addition: the strictest term plus a share of the others. A share of a
                # month that is not whole is converted at 30 days a month and rounded down [U].
                num, den = cal.parse_fraction(s.partial_share)
                others = list(terms)
                others.remove(strictest)
                other_m = sum(t[0] for t in others)
                other_d = sum(t[1] for t in others)
                add_m, rem = divmod(num * other_m, den)
                add_d = (rem * 30) // den + (num * other_d) // den
                self.months = strictest[0] + add_m
                self.days = strictest[1] + add_d
                if self.explain:
                    steps.append(
                        _step(
                            "combine_partial",
                            strictest=_term_text(*strictest),
                            share=s.partial_share,
                            others=_term_text(other_m, other_d),
                            added=_term_text(add_m, add_d),
                            term=_term_text(self.months, self.days),
                        )
                    )
        self.term_steps = steps
        dsteps: list[Step] = []
        total = 0
        for p in s.detention:
            n_days = p.end.toordinal() - p.start.toordinal() + 1
            total += n_days
            if self.explain:
                dsteps.append(
                    _step(
                        "detention_period",
                        start=p.start.isoformat(),
                        end=p.end.isoformat(),
                        days=n_days,
                    )
                )
        self.detention_days = total
        self.detention_steps = dsteps
        self.adjustments = (
            sorted(s.adjustments, key=lambda a: a.date) if len(s.adjustments) > 1 else s.adjustments
        )
        self.escape_gaps: list[tuple[int, int, Escape | Recall]] = (
            [
                (a.date_from.toordinal(), a.date_to.toordinal() - a.date_from.toordinal() + 1, a)
                for a in self.adjustments
                if isinstance(a, Escape)
            ]
            if self.adjustments
            else []
        )
        self.inputs: Mapping[str, StepValue] = (
            _NO_INPUTS
            if not explain
            else {
                "start_date": s.start_date.isoformat(),
                "institution_type": s.institution_type,
                "gravity": self.gravity,
                "term": "life" if self.life else _term_text(self.months, self.days),
                "detention_days": total,
            }
        )


class _Eval:
    """One evaluation of a sentence under one wording of the law."""

    def __init__(
        self,
        s: Sentence,
        p: _Prepared,
        cc: View,
        count_views: list[View],
        pec: View,
        as_of: int,
        law: str,
        memo: dict[object, object],
    ) -> None:
        self.explain = p.explain
        self.memo = memo
        self.s = s
        self.p = p
        self.cc = cc
        self.count_views = count_views
        self.pec = pec
        self.as_of = as_of
        self.law = law
        self._run()

    # -- helpers -------------------------------------------------------------------------------

    def _rule(self, view: View, family: str) -> Rule:
        # Validation guarantees the required rules (KeyError otherwise).
        return view.rules[family]

    def _conditions(
        self, key: tuple[object, ...], build: Callable[[], tuple[Condition, ...]]
    ) -> tuple[Condition, ...]:
        """Conditions; without explanation one shared (read-only) tuple per combination."""
        if self.explain:
            return build()
        memo = self.memo
        found = memo.get(key)
        if found is None:
            if len(memo) > 100_000:
                memo.clear()
            found = memo[key] = tuple(
                [Condition(c.code, c.met, MappingProxyType(dict(c.params))) for c in build()]
            )
        return found  # type: ignore[return-value]

    def _bd(self, rules: list[Rule], steps: list[Step], served: bool = True) -> Breakdown:
        """Breakdown; ``served`` adds the credit rules behind the served axis.

        Without explanation a breakdown is only the rules and the law: one shared object per
        combination (the results are immutable)."""
        used = rules + self.served_rules if served and self.served_rules else rules
        if not self.explain:
            key = (self.law, *map(_SEQ, used))
            memo = self.memo
            bd = memo.get(key)
            if bd is None:
                bd = memo[key] = new_breakdown(
                    tuple([r.ref for r in used]), _NO_INPUTS, _NO_STEPS, self.law
                )
            return bd  # type: ignore[return-value]
        return new_breakdown(tuple([r.ref for r in used]), self.p.inputs, tuple(steps), self.law)

    def _map(self, day: int, steps: list[Step] | None, fractions: bool = True) -> int:
        """Move a day on the served axis past the days not served."""
        for first, length, esc in self.gaps:
            if day >= first:
                after = day + length
                if steps is not None and self.explain:
                    if isinstance(esc, Escape):
                        if self.explain:
                            steps.append(
                                _step(
                                    "escape_not_counted",
                                    date_from=esc.date_from.isoformat(),
                                    date_to=esc.date_to.isoformat(),
                                    source=esc.source,
                                    days=length,
                                    before=iso(day),
                                    after=iso(after),
                                )
                            )
                    else:
                        if self.explain:
                            steps.append(
                                _step(
                                    "recall_liberty_not_served",
                                    date_from=iso(first),
                                    date_to=iso(first + length - 1),
                                    days=length,
                                    before=iso(day),
                                    after=iso(after),
                                )
                            )
                day = after
        return day

    def _share_day(
        self, fraction: Frac, steps: list[Step], chosen: tuple[str, str] | None = None
    ) -> int:
        """The day on which ``fraction`` of the term has been served: counted on the served axis,
        then moved past the days not served. ``chosen`` (gravity, basis) first says why this
        fraction."""
        if self.explain:
            if chosen is not None:
                steps.append(
                    _step(
                        "fraction_chosen",
                        fraction=cal.format_fraction(fraction),
                        gravity=chosen[0],
                        basis=chosen[1],
                    )
                )
            required = fraction_days(fraction, self.term_days)
            steps.append(
                _step(
                    "fraction_of_term",
                    fraction=cal.format_fraction(fraction),
                    term_days=self.term_days,
                    result_days=required,
                )
            )
            day = self.served_start + required - 1
            steps.append(
                _step(
                    "served_from",
                    result_days=required,
                    start=iso(self.served_start),
                    result=iso(day),
                )
            )
            return self._map(day, steps)
        return self._map(self.served_start + fraction_days(fraction, self.term_days) - 1, None)

    def _share_result(
        self,
        day: int,
        rules: list[Rule],
        steps: list[Step],
        target: str = "",
        conditions: tuple[Condition, ...] = (),
    ) -> DatedResult:
        """The date the share is served, or not eligible when the sentence ends first."""
        if self.end is not None and day > self.end:
            if self.explain:
                steps.append(_step("after_end", result=iso(day), end=iso(self.end)))
            return new_dated(
                NOT_ELIGIBLE,
                None,
                self._bd(rules, steps),
                reason="end_of_sentence_first",
                target=target,
            )
        return new_dated(
            DATE, to_date(day), self._bd(rules, steps), target=target, conditions=conditions
        )

    def _share_of_term(
        self,
        key: str,
        view: View,
        steps: list[Step],
        targets: tuple[str, ...] = ("",),
        conditions: tuple[Condition, ...] = (),
    ) -> DatedResult | None:
        """The date one rule's share of the term gives (``_SHARES[key]``), for the first of the
        targets; None when that rule is not in force."""
        share = _SHARES[key]
        rule = view.rules.get(share.family)
        if rule is None:
            return None
        fraction = rule.frac(share.param or self.p.gravity)
        chosen = None
        if self.explain:
            if share.transfer:
                steps.append(
                    _step(
                        "transfer_target",
                        from_type=self.institution_type,
                        targets=", ".join(targets),
                        fraction=cal.format_fraction(fraction),
                    )
                )
            if share.basis:
                # Transfers name the gravity as the rule files spell it, the CC dates in words.
                gravity = self.p.gravity
                chosen = (gravity if share.transfer else gravity.replace("_", " "), share.basis)
        day = self._share_day(fraction, steps, chosen)
        return self._share_result(day, [rule], steps, targets[0], conditions)

    def _no_share(self, key: str, rules: list[Rule], steps: list[Step]) -> DatedResult:
        """Such a date does not exist, for the reason ``_NO_SHARE[key]`` gives."""
        status, reason, text = _NO_SHARE[key]
        if self.explain:
            steps.append(_step("not_applicable", reason=text))
        return new_dated(status, None, self._bd(rules, steps), reason=reason)

    def _category_from(self, rule: Rule, steps: list[Step]) -> tuple[int | None, str]:
        """Earliest day the person is in one of the rule's categories (None: never)."""
        person = self.s.person
        best: int | None = None
        best_name = ""
        for cat in rule.names("categories"):
            day: int | None = None
            if (
                (cat == "minor_at_offence" and person.minor_at_offence)
                or (cat == "pregnant" and person.pregnant)
                or (
                    cat == "woman_with_minor_child" and person.sex == "F" and person.has_minor_child
                )
                or (cat == "single_father" and person.sex == "M" and person.single_father)
                or (cat == "disability_1_2" and person.disability_group in (1, 2))
            ):
                day = _ALWAYS
            elif cat in ("woman_of_age", "man_of_age") and person.birth_date is not None:
                sex, key = ("F", "woman_age") if cat == "woman_of_age" else ("M", "man_age")
                if person.sex == sex:
                    age = rule.int_(key)
                    day = cal.birthday_ord(person.birth_date.toordinal(), age)
                    if self.explain:
                        steps.append(
                            _step("age_reached", category=cat, age=age, from_date=iso(day))
                        )
            if day is not None and (best is None or day < best):
                best, best_name = day, cat
        return best, best_name

    # -- the calculation -----------------------------------------------------------------------

    def _run(self) -> None:
        s, p = self.s, self.p
        explain = self.explain
        ccr = self.cc.rules
        # CC art. 62 part 3: credit of pre-trial detention by the institution type of the verdict.
        credit_rule = ccr["pretrial_credit_ratio"]
        credit_steps = list(p.detention_steps)
        credit = 0
        detention_days = p.detention_days
        if detention_days:
            ratio = credit_rule.frac(s.institution_type)
            credit = fraction_days(ratio, detention_days)
            if explain:
                credit_steps.append(
                    _step(
                        "credit_ratio",
                        days=detention_days,
                        ratio=cal.format_fraction(ratio),
                        institution_type=s.institution_type,
                        credit_days=credit,
                    )
                )
        served_credit = credit
        self.credit = credit
        self.credit_rules = [credit_rule] if detention_days else []
        # Rules behind the served axis (fractions of the term): the ratio, and whether the
        # multiplied credit counts as actually served [U].
        self.served_rules = list(self.credit_rules)
        if credit != detention_days:
            served_rule = ccr["pretrial_credit_counts_as_served"]
            if not served_rule.flag("counts_as_served"):
                served_credit = detention_days
            self.served_rules.append(served_rule)
        self.end_start = p.start - credit
        self.served_start = p.start - served_credit
        if explain:
            credit_steps.append(
                _step(
                    "effective_start",
                    start=iso(p.start),
                    credit_days=credit,
                    effective_start=iso(self.end_start),
                )
            )
        served_steps = list(credit_steps)
        if served_credit != credit and explain:
            served_steps.append(_step("credit_not_served", days=detention_days, credit_days=credit))
            served_steps.append(
                _step(
                    "effective_start",
                    start=iso(p.start),
                    credit_days=served_credit,
                    effective_start=iso(self.served_start),
                )
            )
        self.credit_steps = credit_steps
        self.served_steps = served_steps

        # Adjustments in date order.
        life = p.life
        months, days = p.months, p.days
        adj_steps: list[Step] = []
        floor: int | None = None
        fixed_end: int | None = None
        self.recall: Recall | None = None
        self.institution_type = s.institution_type
        recall_red_m = recall_red_d = 0
        for adj in p.adjustments:
            if isinstance(adj, Amnesty | Pardon):
                act = "Amnesty" if isinstance(adj, Amnesty) else "Pardon"
                if isinstance(adj, Pardon) and adj.commute_to is not None:
                    life = False
                    months, days = adj.commute_to.total_months, adj.commute_to.days
                    if self.explain:
                        adj_steps.append(
                            _step(
                                "pardon_commuted",
                                date=adj.date.isoformat(),
                                source=adj.source,
                                term=_term_text(months, days),
                            )
                        )
                red = adj.reduce_by
                if red.total_months or red.days:
                    months -= red.total_months
                    days -= red.days
                    if self.recall is not None:
                        recall_red_m += red.total_months
                        recall_red_d += red.days
                    day = adj.date.toordinal()
                    floor = day if floor is None else max(floor, day)
                    if self.explain:
                        adj_steps.append(
                            _step(
                                "amnesty_reduction" if act == "Amnesty" else "pardon_reduction",
                                date=adj.date.isoformat(),
                                source=adj.source,
                                reduction=_term_text(red.total_months, red.days),
                                term=_term_text(months, days),
                            )
                        )
                if adj.release:
                    day = adj.date.toordinal()
                    fixed_end = day if fixed_end is None else min(fixed_end, day)
                    if self.explain:
                        adj_steps.append(
                            _step(
                                "released_by_act",
                                act=act,
                                date=adj.date.isoformat(),
                                source=adj.source,
                            )
                        )
            elif isinstance(adj, CourtChange):
                if adj.new_term is not None:
                    life = adj.new_term.life
                    months, days = adj.new_term.total_months, adj.new_term.days
                    if self.explain:
                        adj_steps.append(
                            _step(
                                "court_new_term",
                                date=adj.date.isoformat(),
                                source=adj.source,
                                term="life imprisonment" if life else _term_text(months, days),
                            )
                        )
                if adj.new_institution_type is not None:
                    self.institution_type = adj.new_institution_type
                    if self.explain:
                        adj_steps.append(
                            _step(
                                "court_new_institution",
                                date=adj.date.isoformat(),
                                source=adj.source,
                                institution_type=adj.new_institution_type,
                            )
                        )
            elif isinstance(adj, Replacement):
                day = adj.date.toordinal()
                fixed_end = day if fixed_end is None else min(fixed_end, day)
                if self.explain:
                    adj_steps.append(
                        _step(
                            "replaced_by_milder",
                            date=adj.date.isoformat(),
                            source=adj.source,
                            punishment=adj.milder_punishment or "a milder punishment",
                        )
                    )
            elif isinstance(adj, Recall):
                self.recall = adj
        self.life = life
        self.months, self.days = months, days
        self.adj_steps = adj_steps

        # Days not served: escapes, and the time at liberty on a revoked parole.
        gaps: list[tuple[int, int, Escape | Recall]] = list(p.escape_gaps)
        recall = self.recall
        if recall is not None:
            first = recall.released_on.toordinal() + 1
            length = recall.date.toordinal() - first
            if length > 0:
                gaps.append((first, length, recall))
            gaps.sort(key=lambda g: g[0])
        self.gaps = gaps

        # End of sentence.
        end_steps = p.term_steps + self.credit_steps + adj_steps
        self.term_days = 0
        end: int | None
        if life:
            end = None
        else:
            last = term_last_day(self.end_start, months, days)
            self.term_days = last - self.end_start + 1
            if recall is not None and recall.days_to_serve is not None:
                base = recall.date.toordinal()
                end_v = (
                    add_months_ord(base, -recall_red_m) + recall.days_to_serve - recall_red_d - 1
                )
                if self.explain:
                    end_steps.append(
                        _step(
                            "recall",
                            released_on=recall.released_on.isoformat(),
                            recalled_on=recall.date.isoformat(),
                            source=recall.source,
                            days=recall.days_to_serve,
                            last_day=iso(end_v),
                        )
                    )
                end = end_v
                for first, length, esc in p.escape_gaps:
                    if first > base and end >= first:
                        end += length
                        if self.explain:
                            end_steps.append(
                                _step(
                                    "escape_not_counted",
                                    date_from=iso(first),
                                    date_to=iso(first + length - 1),
                                    source=esc.source,
                                    days=length,
                                    before=iso(end - length),
                                    after=iso(end),
                                )
                            )
            else:
                if self.explain:
                    end_steps.append(
                        _step(
                            "term_end",
                            term=_term_text(months, days),
                            start=iso(self.end_start),
                            last_day=iso(last),
                        )
                    )
                end = self._map(last, end_steps)
            if floor is not None and end < floor:
                if self.explain:
                    end_steps.append(
                        _step("release_not_before_act", computed=iso(end), date=iso(floor))
                    )
                end = floor
        if fixed_end is not None and (end is None or fixed_end < end):
            end = fixed_end
        self.end = end
        end_rules = list(self.credit_rules)
        if end is None:
            self.end_result = new_dated(
                NOT_APPLICABLE,
                None,
                self._bd(end_rules, end_steps, served=False),
                reason="life_imprisonment",
            )
        else:
            self.end_result = new_dated(
                DATE, to_date(end), self._bd(end_rules, end_steps, served=False)
            )
        self.parole = self._parole()
        self.mandatory = self._mandatory()
        self.replacement = self._replacement()
        self.transfers = self._transfers()
        self.preferential = self._preferential()

    # -- CC art. 72: parole --------------------------------------------------------------------

    def _exclusions(self, steps: list[Step], rules: list[Rule]) -> tuple[Rule | None, int, bool]:
        """Part 8 exclusions: (blocking rule or None, day from which lifted, general fraction)."""
        p, s = self.p, self.s
        lifted_from = _ALWAYS
        general_only = False
        seen: set[tuple[str, str]] = set()
        checks: list[tuple[View, frozenset[str]]] = [
            (view, groups)
            for view, (_, groups) in zip(self.count_views, p.count_groups, strict=True)
        ]
        if s.death_sentence_commuted:
            checks.append((self.cc, frozenset({DEATH_COMMUTED_GROUP})))
        for view, groups in checks:
            if not groups:
                continue
            for fam in EXCLUSION_FAMILIES:
                rule = view.rules.get(fam)
                if rule is None or not rule.flag("active"):
                    continue
                hit = groups.intersection(rule.names("groups"))
                if not hit:
                    continue
                group = min(hit)
                if (fam, group) in seen:
                    continue
                seen.add((fam, group))
                rules.append(rule)
                if rule.flag("except_minor_offender") and s.person.minor_at_offence:
                    if self.explain:
                        steps.append(
                            _step(
                                "exclusion_lifted",
                                group=group,
                                exception="offence committed as a minor",
                            )
                        )
                elif rule.flag("except_cooperation") and s.cooperation_agreement:
                    if self.explain:
                        steps.append(
                            _step(
                                "exclusion_lifted",
                                group=group,
                                exception="procedural cooperation agreement fulfilled",
                            )
                        )
                elif (
                    rule.flag("except_counter_terrorism_assistance") and s.assists_counter_terrorism
                ):
                    if self.explain:
                        steps.append(
                            _step(
                                "exclusion_lifted",
                                group=group,
                                exception="actively assists in preventing or solving terrorist or extremist crimes",
                            )
                        )
                else:
                    from_day: int | None = None
                    name = ""
                    if rule.flag("except_vulnerable"):
                        vulnerable = view.rules["parole_vulnerable_categories"]
                        from_day, name = self._category_from(vulnerable, steps)
                        if from_day is not None:
                            rules.append(vulnerable)
                    if from_day is None:
                        if self.explain:
                            steps.append(_step("exclusion", group=group, citation=rule.citation))
                        return rule, lifted_from, general_only
                    if from_day == _ALWAYS:
                        if self.explain:
                            steps.append(
                                _step(
                                    "exclusion_lifted",
                                    group=group,
                                    exception=f"vulnerable category {name}",
                                )
                            )
                    else:
                        if self.explain:
                            steps.append(
                                _step(
                                    "exclusion_lifted_from",
                                    group=group,
                                    from_date=iso(from_day),
                                    exception=f"vulnerable category {name}",
                                )
                            )
                    lifted_from = max(lifted_from, from_day)
                if rule.flag("exception_uses_general_fraction"):
                    general_only = True
        return None, lifted_from, general_only

    def _parole(self) -> DatedResult:
        p, s, cc = self.p, self.s, self.cc
        steps = list(self.served_steps) if self.explain else _NO_STEP_LIST
        rules: list[Rule] = []
        if self.recall is not None:
            after = cc.rules["parole_after_recall"]
            if not after.flag("allowed"):
                rules.append(after)
                return self._no_share("parole_after_recall", rules, steps)
        if not self.life and p.gravity == "misdemeanour":
            return self._no_share("parole_misdemeanour", rules, steps)
        blocking, lifted_from, general_only = self._exclusions(steps, rules)
        if blocking is not None:
            rules.insert(0, blocking)
            return new_dated(
                NOT_ELIGIBLE,
                None,
                self._bd(rules, steps),
                reason="part8_exclusion",
                reason_params={"rule_id": blocking.id, "citation": blocking.citation},
            )
        if self.life:
            life_rule = cc.rules["parole_life"]
            years = life_rule.int_("cooperation_years" if s.cooperation_agreement else "years")
            day = term_last_day(self.served_start, 12 * years, 0)
            if self.explain:
                steps.append(
                    _step(
                        "life_years_served",
                        years=years,
                        start=iso(self.served_start),
                        result=iso(day),
                    )
                )
            day = self._map(day, steps)
            rules.insert(0, life_rule)
        else:
            g = p.gravity
            general_rule = cc.rules["parole_fraction_general"]
            pref_rule = cc.rules["parole_fraction_preferential"]
            general = general_rule.frac(g)
            pref = pref_rule.frac(g)
            basis_rules = [general_rule]
            basis = "general rule"
            against = (
                cc.rules.get("parole_fraction_against_life") if g == "especially_grave" else None
            )
            if against is not None and p.groups.intersection(against.names("groups")):
                general, pref = against.frac("general"), against.frac("preferential")
                basis_rules = [against]
                basis = "especially grave, encroaching on life"
            coop = cc.rules.get("parole_fraction_cooperation") if s.cooperation_agreement else None
            if g == "grave" and coop is not None:
                if _frac_lt(coop.frac("grave"), general):
                    general = coop.frac("grave")
                    basis_rules = [coop]
                    basis = "cooperation agreement fulfilled"
                if _frac_lt(coop.frac("grave"), pref):
                    pref = coop.frac("grave")
            revoked = (
                cc.rules.get("parole_fraction_after_revoked") if s.earlier_parole_revoked else None
            )
            if revoked is not None:
                if _frac_lt(general, revoked.frac(g)):
                    general = revoked.frac(g)
                    basis_rules = [revoked]
                    basis = "earlier parole revoked"
                if _frac_lt(pref, revoked.frac(g)):
                    pref = revoked.frac(g)
            minimum_rule = cc.rules["parole_minimum_served"]
            min_months = minimum_rule.int_("months")
            min_day = term_last_day(self.served_start, min_months, 0)
            words = g.replace("_", " ") if self.explain else ""
            general_day = self._share_day(general, steps, (words, basis) if words else None)
            if self.explain:
                steps.append(
                    _step(
                        "minimum_served",
                        months=min_months,
                        start=iso(self.served_start),
                        result=iso(min_day),
                    )
                )
            min_day = self._map(min_day, steps)
            day = max(general_day, min_day)
            if self.explain:
                steps.append(_step("later_of", a=iso(general_day), b=iso(min_day), result=iso(day)))
            rules[:0] = [*basis_rules, minimum_rule]
            if not general_only:
                cat_rule = cc.rules["parole_preferential_categories"]
                pref_from, name = self._category_from(cat_rule, steps)
                if pref_from is not None and _frac_lt(pref, general):
                    if self.explain:
                        steps.append(
                            _step(
                                "preferential_category",
                                category=name,
                                from_date="the start" if pref_from == _ALWAYS else iso(pref_from),
                            )
                        )
                    pref_day = self._share_day(
                        pref,
                        steps,
                        (words, "preferential category, CC art. 72 part 4") if words else None,
                    )
                    later = max(pref_day, min_day, pref_from)
                    if self.explain:
                        steps.append(
                            _step(
                                "later_of",
                                a=iso(max(pref_day, pref_from)),
                                b=iso(min_day),
                                result=iso(later),
                            )
                        )
                    if later < day:
                        if self.explain:
                            steps.append(
                                _step("earlier_of", a=iso(day), b=iso(later), result=iso(later))
                            )
                        day = later
                        rules[:0] = [pref_rule, cat_rule]
        if lifted_from > day:
            if self.explain:
                steps.append(
                    _step("later_of", a=iso(day), b=iso(lifted_from), result=iso(lifted_from))
                )
            day = lifted_from
        return self._share_result(day, rules, steps)

    def _mandatory(self) -> Flag:
        rule = self.cc.rules.get("mandatory_parole")
        b = self.s.behaviour
        steps: list[Step] = []
        if rule is None or not rule.flag("active") or self.parole.status != DATE:
            return new_flag(False, self._bd([rule] if rule else [], steps, served=False))
        if self.explain:
            steps.append(
                _step(
                    "mandatory_check",
                    damage_compensated=b.damage_compensated,
                    malicious_violator=b.malicious_violator,
                )
            )
        value = (b.damage_compensated or not rule.flag("requires_damage_compensated")) and (
            not b.malicious_violator or not rule.flag("requires_no_malicious_violation")
        )
        return new_flag(value, self._bd([rule], steps, served=False))

    # -- CC art. 73: replacement by a milder punishment ----------------------------------------

    def _replacement(self) -> DatedResult:
        p = self.p
        steps = list(self.served_steps) if self.explain else _NO_STEP_LIST
        if self.life:
            return self._no_share("replacement_life", [], steps)
        if p.gravity == "misdemeanour":
            return self._no_share("replacement_misdemeanour", [], steps)
        key = "replacement_especially_grave" if p.gravity == "especially_grave" else "replacement"
        found = self._share_of_term(key, self.cc, steps)
        return found or self._no_share("replacement_no_rule", [], steps)

    # -- PEC art. 96: change of institution type ----------------------------------------------

    def _transfers(self) -> tuple[DatedResult, ...]:
        p, s, pec = self.p, self.s, self.pec
        itype = self.institution_type
        b = s.behaviour
        full = pec.rules["transfer_from_full"]
        to_min = pec.rules["transfer_to_minimum"]
        if itype == "FULL":
            targets = full.names("targets")
            conds = self._conditions(
                ("transfer_from_full", full.seq, b.positive_degree),
                lambda: (
                    Condition(
                        "behaviour_degree",
                        b.positive_degree >= full.int_("min_behaviour_degree"),
                        {
                            "required": full.int_("min_behaviour_degree"),
                            "actual": b.positive_degree,
                        },
                    ),
                ),
            )
            steps = list(self.served_steps) + self.adj_steps if self.explain else _NO_STEP_LIST
            if self.life:
                life = self._no_share("transfer_life", [full], steps)
                return tuple([_retarget(life, t) for t in targets])
            first = self._share_of_term("transfer_from_full", pec, steps, targets, conds)
            assert first is not None  # a required rule
            return (first, *[_retarget(first, t) for t in targets[1:]])
        if itype not in to_min.names("from_types"):
            return ()
        steps = list(self.served_steps) + self.adj_steps if self.explain else _NO_STEP_LIST
        if self.life:
            return (_retarget(self._no_share("transfer_life", [to_min], steps), "MIN"),)
        excl = pec.rules.get("transfer_to_minimum_exclusions")
        if excl is not None and (p.groups or p.gravity in excl.names("gravities")):
            reason = ""
            hit = sorted(p.groups.intersection(excl.names("groups")))
            unless = sorted(p.groups.intersection(excl.names("groups_unless_compensated")))
            if p.gravity in excl.names("gravities"):
                reason = f"{p.gravity.replace('_', ' ')} crime"
            elif hit:
                reason = hit[0]
            elif unless and not b.damage_compensated:
                reason = f"{unless[0]} without compensation of damage"
            if reason:
                if self.explain:
                    steps.append(
                        _step(
                            "not_applicable",
                            reason=f"Transfer to minimum security is excluded: {reason} ({excl.citation}).",
                        )
                    )
                return (
                    new_dated(
                        NOT_ELIGIBLE,
                        None,
                        self._bd([excl, to_min], steps),
                        reason="transfer_excluded",
                        reason_params={"exclusion": reason},
                        target="MIN",
                    ),
                )
        if p.gravity == "misdemeanour":
            return ()
        conds = self._conditions(
            ("transfer_to_minimum", to_min.seq, b.conditions, b.positive_degree),
            lambda: (
                Condition(
                    "conditions_of_serving",
                    b.conditions in to_min.names("conditions"),
                    {"required": ", ".join(to_min.names("conditions")), "actual": b.conditions},
                ),
                Condition(
                    "behaviour_degree",
                    b.positive_degree >= to_min.int_("min_behaviour_degree"),
                    {"required": to_min.int_("min_behaviour_degree"), "actual": b.positive_degree},
                ),
            ),
        )
        key = (
            "transfer_to_minimum_reoffended" if s.earlier_parole_revoked else "transfer_to_minimum"
        )
        found = self._share_of_term(key, pec, steps, ("MIN",), conds)
        assert found is not None  # a required rule
        return (found,)

    # -- PEC: preferential conditions one year before release ---------------------------------

    def _preferential(self) -> DatedResult:
        rule = self.pec.rules["preferential_conditions"]
        steps: list[Step] = []
        if self.end is None:
            if self.explain:
                steps.append(
                    _step(
                        "not_applicable",
                        reason="Life imprisonment has no date of release to count back from.",
                    )
                )
            return new_dated(
                NOT_APPLICABLE,
                None,
                self._bd([rule], steps, served=False),
                reason="life_imprisonment",
            )
        months = rule.int_("months_before_release")
        # The last `months` months of the term begin on the day that is `months` calendar months
        # before the day after the last day.
        day = add_months_ord(self.end + 1, -months)
        if self.explain:
            steps.append(
                _step("one_year_before", months=months, end=iso(self.end), result=iso(day))
            )
        if day < self.p.start:
            day = self.p.start
            if self.explain:
                steps.append(_step("not_before_start", start=iso(day)))
        b = self.s.behaviour
        since = b.conditions_since
        need = rule.int_("min_months_in_conditions")
        long_enough = since is not None and add_months_ord(since.toordinal(), need) <= self.as_of
        conds = self._conditions(
            (
                "preferential_conditions",
                rule.seq,
                b.positive_degree,
                b.conditions,
                long_enough,
                since.toordinal() if since else None,
            ),
            lambda: (
                Condition(
                    "behaviour_degree",
                    b.positive_degree >= rule.int_("min_behaviour_degree"),
                    {"required": rule.int_("min_behaviour_degree"), "actual": b.positive_degree},
                ),
                Condition(
                    "conditions_of_serving",
                    b.conditions in rule.names("from_conditions") and long_enough,
                    {
                        "required": ", ".join(rule.names("from_conditions")),
                        "actual": b.conditions,
                        "months": need,
                        "since": since.isoformat() if since else None,
                    },
                ),
            ),
        )
        return new_dated(
            DATE,
            to_date(day),
            self._bd([rule, *self.credit_rules], steps, served=False),
            conditions=conds,
        )


# -- choosing the more favourable law (CC arts. 5-6) ---------------------------------------------


def _better(a: DatedResult, b: DatedResult) -> bool:
    """True when ``b`` is more favourable to the person than ``a``."""
    if b.status == DATE and a.status != DATE:
        return True
    if b.status == DATE and a.status == DATE:
        assert a.date is not None
        assert b.date is not None
        return b.date < a.date
    return False


def _describe(r: DatedResult) -> str:
    return r.date.isoformat() if r.date is not None else r.reason.replace("_", " ")


def _pick(offence: DatedResult, later: DatedResult, explain: bool) -> DatedResult:
    chosen, other = (later, offence) if _better(offence, later) else (offence, later)
    bd = chosen.breakdown
    steps = bd.steps
    if explain:
        step = _step(
            "more_favourable_law",
            offence_law=_describe(offence),
            later_law=_describe(later),
            chosen="later law" if chosen is later else "law at the time of the offence",
        )
        steps = (*steps, step)
    return new_dated(
        chosen.status,
        chosen.date,
        new_breakdown(bd.rules, bd.inputs, steps, bd.law, other),
        chosen.reason,
        chosen.reason_params,
        chosen.target,
        chosen.conditions,
    )


def _merge(offence: _Eval, later: _Eval, explain: bool) -> SentenceDates:
    transfers = []
    by_target = {t.target: t for t in later.transfers}
    for t in offence.transfers:
        other = by_target.pop(t.target, None)
        transfers.append(t if other is None else _pick(t, other, explain))
    transfers.extend(by_target.values())
    mandatory = (
        later.mandatory
        if later.mandatory.value and not offence.mandatory.value
        else offence.mandatory
    )
    return new_dates(
        _pick(offence.end_result, later.end_result, explain),
        _pick(offence.parole, later.parole, explain),
        mandatory,
        _pick(offence.replacement, later.replacement, explain),
        tuple(transfers),
        _pick(offence.preferential, later.preferential, explain),
    )


def calculate(
    sentence: Sentence, *, as_of: date, rules: RuleSet | None = None, explain: bool = True
) -> Calculation:
    """Compute every date of ``sentence`` as known on ``as_of``, or the issues that stop it.

    With ``explain=False`` the breakdowns carry the rules used and the law, but no steps and no
    inputs: the same dates, much faster, for bulk recalculation and the policy simulator.
    """
    ruleset = rules if rules is not None else default_rules()
    return _calculate(sentence, as_of, as_of.toordinal(), ruleset, explain)


def calculate_many(
    sentences: Iterable[Sentence],
    *,
    as_of: date,
    rules: RuleSet | None = None,
    explain: bool = False,
) -> list[Calculation]:
    """``calculate`` for many sentences on one day (bulk recalculation, policy simulator).

    The results are those of ``calculate``, in order; by default without explanation.
    """
    ruleset = rules if rules is not None else default_rules()
    today = as_of.toordinal()
    return [_calculate(s, as_of, today, ruleset, explain) for s in sentences]


def _calculate(
    sentence: Sentence, as_of: date, today: int, ruleset: RuleSet, explain: bool
) -> Calculation:
    if not looks_valid(sentence, as_of):
        issues = validate(sentence, ruleset, as_of)
        if issues:
            return Calculation(None, tuple(issues))
    p = _Prepared(sentence, explain)
    now = ruleset.at(today)
    at_offence = ruleset.at(p.last_offence)
    if now.missing_required or at_offence.missing_required_cc:
        # A gap in the rule files: validate names the rule and the day.
        return Calculation(None, tuple(validate(sentence, ruleset, as_of)))
    memo = ruleset.memo
    count_groups = p.count_groups
    if len(count_groups) == 1:
        # One count: its offence is the last offence.
        count_views = [at_offence]
        same = [now]
    else:
        count_views = [ruleset.at(day) for day, _ in count_groups]
        same = [now] * len(count_views)
    if at_offence is now and len(count_groups) == 1:
        single = True
    else:
        relevant = ruleset.relevant_exclusions(p.groups)
        single = at_offence.same_law(now, relevant) and all(
            v.same_law(now, relevant) for v in count_views
        )
    if single:
        only = _Eval(sentence, p, now, same, now, today, "single", memo)
        return new_calculation(
            new_dates(
                only.end_result,
                only.parole,
                only.mandatory,
                only.replacement,
                only.transfers,
                only.preferential,
            )
        )
    later = _Eval(sentence, p, now, same, now, today, "later", memo)
    offence = _Eval(sentence, p, at_offence, count_views, now, today, "offence", memo)
    return new_calculation(_merge(offence, later, explain))
