"""Validation of a sentence before calculation: each issue says what to fix and where.

The engine calculates nothing while any issue stands: it never returns a date it cannot justify.
``field`` is a path into the input (zero-based indexes); the message counts from 1 as staff do.
"""

from __future__ import annotations

from datetime import date

from .calendar import birthday, birthday_ord
from .explain import Issue, StepValue
from .model import (
    COMBINATIONS,
    CONDITIONS,
    GRAVITY_RANK,
    INSTITUTION_TYPES,
    Amnesty,
    CourtChange,
    Escape,
    Pardon,
    Recall,
    Sentence,
    Term,
)
from .rules import CC_FAMILIES, RuleSet


def _issue(code: str, fld: str, message: str, **params: StepValue) -> Issue:
    return Issue(code=code, field=fld, params=params, message=message)


def _term_ok(term: Term) -> bool:
    if term.years < 0 or term.months < 0 or term.days < 0:
        return False
    if term.life:
        return term.years == term.months == term.days == 0
    return term.years + term.months + term.days > 0


def validate(sentence: Sentence, rules: RuleSet, as_of: date) -> list[Issue]:
    issues: list[Issue] = []
    add = issues.append
    start = sentence.start_date

    if not sentence.counts:
        add(_issue("no_counts", "counts", "The sentence has no counts; add at least one count."))
    for i, count in enumerate(sentence.counts):
        n = i + 1
        if not count.article.strip():
            add(
                _issue(
                    "count_missing_article",
                    f"counts[{i}].article",
                    f"Count {n} has no article; enter the Criminal Code article.",
                    count=n,
                )
            )
        if count.gravity not in GRAVITY_RANK:
            add(
                _issue(
                    "unknown_gravity",
                    f"counts[{i}].gravity",
                    f"Count {n} has an unknown gravity {count.gravity!r}; use misdemeanour, "
                    "minor, medium, grave or especially_grave (CC art. 11).",
                    count=n,
                    gravity=count.gravity,
                )
            )
        if not _term_ok(count.term):
            add(
                _issue(
                    "invalid_term",
                    f"counts[{i}].term",
                    f"Count {n} has no valid term; enter years, months and days (not negative, "
                    "not all zero) or life imprisonment alone.",
                    count=n,
                )
            )
        elif count.article_max_years is not None and (
            count.term.life
            or (count.term.total_months, count.term.days) > (count.article_max_years * 12, 0)
        ):
            add(
                _issue(
                    "term_above_article_maximum",
                    f"counts[{i}].term",
                    f"Count {n}: the term is above the maximum of {count.article_max_years} "
                    f"year(s) for CC art. {count.article}; check the term or the article.",
                    count=n,
                    maximum_years=count.article_max_years,
                )
            )
        if count.offence_date > start:
            add(
                _issue(
                    "start_before_offence",
                    "start_date",
                    f"The sentence starts on {start}, before the offence of count {n} "
                    f"({count.offence_date}); check the start date or the offence date.",
                    count=n,
                )
            )
        if count.offence_date > as_of:
            add(
                _issue(
                    "offence_in_future",
                    f"counts[{i}].offence_date",
                    f"Count {n}: the offence date {count.offence_date} is after the calculation "
                    f"date {as_of}.",
                    count=n,
                )
            )
    if sentence.institution_type not in INSTITUTION_TYPES:
        add(
            _issue(
                "unknown_institution_type",
                "institution_type",
                f"Unknown institution type {sentence.institution_type!r}; use one of "
                + ", ".join(sorted(INSTITUTION_TYPES))
                + " (PEC art. 89).",
                institution_type=sentence.institution_type,
            )
        )
    if sentence.combination not in COMBINATIONS:
        add(
            _issue(
                "unknown_combination",
                "combination",
                f"Unknown combination rule {sentence.combination!r}; use absorption, consecutive "
                "or partial.",
            )
        )
    elif sentence.combination == "partial":
        head, sep, tail = sentence.partial_share.partition("/")
        ok = head.isdigit() and (not sep or tail.isdigit())
        if ok:
            num, den = int(head), int(tail) if sep else 1
            ok = 0 < num <= den
        if not ok:
            add(
                _issue(
                    "invalid_partial_share",
                    "partial_share",
                    f"The share added by partial addition {sentence.partial_share!r} must be a "
                    'fraction between 0 and 1, e.g. "1/2".',
                )
            )

    # CC art. 62: detention periods
    periods = sorted(enumerate(sentence.detention), key=lambda p: p[1].start)
    for i, period in enumerate(sentence.detention):
        if period.end < period.start:
            add(
                _issue(
                    "dates_out_of_order",
                    f"detention[{i}]",
                    f"Detention period {i + 1} ends ({period.end}) before it starts "
                    f"({period.start}); swap or correct the dates.",
                )
            )
        elif period.end >= start:
            add(
                _issue(
                    "credit_overlaps_sentence",
                    f"detention[{i}].end",
                    f"Detention period {i + 1} ends on {period.end}, on or after the sentence "
                    f"start {start}; the last day of detention is the day before the start.",
                )
            )
    latest: tuple[int, date] | None = None  # (index, end) of the period reaching furthest
    for j, b in periods:
        if latest is not None and b.start <= latest[1]:
            i = latest[0]
            add(
                _issue(
                    "credit_periods_overlap",
                    f"detention[{j}]",
                    f"Detention periods {i + 1} and {j + 1} overlap; a day in custody is credited "
                    "once.",
                )
            )
        if latest is None or b.end > latest[1]:
            latest = (j, b.end)

    # Adjustments, in date order
    life = bool(sentence.counts) and any(c.term.life for c in sentence.counts)
    escapes: list[tuple[int, Escape]] = []
    recalled = False
    for i, adj in sorted(enumerate(sentence.adjustments), key=lambda p: p[1].date):
        fld = f"adjustments[{i}]"
        kind = type(adj).__name__.lower()
        if not adj.source.strip():
            add(
                _issue(
                    "adjustment_missing_source",
                    f"{fld}.source",
                    f"Adjustment {i + 1} ({kind}) has no source; enter the document it comes from.",
                )
            )
        if adj.date < start:
            add(
                _issue(
                    "adjustment_before_start",
                    f"{fld}.date",
                    f"Adjustment {i + 1} ({kind}) is dated {adj.date}, before the sentence start "
                    f"{start}.",
                )
            )
        if adj.date > as_of:
            add(
                _issue(
                    "adjustment_after_calculation_date",
                    f"{fld}.date",
                    f"Adjustment {i + 1} ({kind}) is dated {adj.date}, after the calculation date "
                    f"{as_of}; record it when it happens.",
                )
            )
        if isinstance(adj, Escape):
            if adj.date_to < adj.date_from:
                add(
                    _issue(
                        "dates_out_of_order",
                        fld,
                        f"Adjustment {i + 1} (escape): the last day at large {adj.date_to} is "
                        f"before the first {adj.date_from}.",
                    )
                )
            else:
                for j, other in escapes:
                    if adj.date_from <= other.date_to:
                        add(
                            _issue(
                                "escape_periods_overlap",
                                fld,
                                f"Adjustments {j + 1} and {i + 1}: periods at large overlap.",
                            )
                        )
                escapes.append((i, adj))
        elif isinstance(adj, Amnesty | Pardon):
            if isinstance(adj, Pardon) and adj.commute_to is not None:
                if not life or not _term_ok(adj.commute_to) or adj.commute_to.life:
                    add(
                        _issue(
                            "invalid_commutation",
                            f"{fld}.commute_to",
                            f"Adjustment {i + 1} (pardon): commutation needs a life sentence and a "
                            "term in years, months and days.",
                        )
                    )
                life = False
            reduce_by = adj.reduce_by
            if reduce_by.life or min(reduce_by.years, reduce_by.months, reduce_by.days) < 0:
                add(
                    _issue(
                        "invalid_reduction",
                        f"{fld}.reduce_by",
                        f"Adjustment {i + 1} ({kind}): the reduction must be years, months and "
                        "days, not negative.",
                    )
                )
            elif life and reduce_by != Term():
                add(
                    _issue(
                        "reduction_of_life_sentence",
                        f"{fld}.reduce_by",
                        f"Adjustment {i + 1} ({kind}) reduces a life sentence by a term; record "
                        "the commutation to a term instead.",
                    )
                )
        elif isinstance(adj, CourtChange):
            if adj.new_term is not None:
                if not _term_ok(adj.new_term):
                    add(
                        _issue(
                            "invalid_term",
                            f"{fld}.new_term",
                            f"Adjustment {i + 1} (court change): the new term is not valid.",
                        )
                    )
                life = adj.new_term.life
            if (
                adj.new_institution_type is not None
                and adj.new_institution_type not in INSTITUTION_TYPES
            ):
                add(
                    _issue(
                        "unknown_institution_type",
                        f"{fld}.new_institution_type",
                        f"Adjustment {i + 1} (court change): unknown institution type "
                        f"{adj.new_institution_type!r}.",
                    )
                )
            if adj.new_term is None and adj.new_institution_type is None:
                add(
                    _issue(
                        "empty_court_change",
                        fld,
                        f"Adjustment {i + 1} (court change) changes neither the term nor the "
                        "institution type.",
                    )
                )
        elif isinstance(adj, Recall):
            if adj.released_on >= adj.date:
                add(
                    _issue(
                        "dates_out_of_order",
                        fld,
                        f"Adjustment {i + 1} (recall): the return to custody {adj.date} must be "
                        f"after the release on parole {adj.released_on}.",
                    )
                )
            if adj.released_on < start:
                add(
                    _issue(
                        "adjustment_before_start",
                        f"{fld}.released_on",
                        f"Adjustment {i + 1} (recall): release on parole {adj.released_on} is "
                        f"before the sentence start {start}.",
                    )
                )
            if not life and (adj.days_to_serve is None or adj.days_to_serve <= 0):
                add(
                    _issue(
                        "recall_days_missing",
                        f"{fld}.days_to_serve",
                        f"Adjustment {i + 1} (recall): enter the days left to serve as the court "
                        "counted them.",
                    )
                )
            if recalled:
                add(
                    _issue(
                        "repeated_recall",
                        fld,
                        f"Adjustment {i + 1}: a second recall on one sentence is not supported; "
                        "record the new verdict.",
                    )
                )
            recalled = True

    # Person and behaviour
    person = sentence.person
    if person.sex not in ("", "F", "M"):
        add(_issue("unknown_sex", "person.sex", 'Sex must be "F", "M" or left empty.'))
    if person.disability_group not in (0, 1, 2, 3):
        add(
            _issue(
                "invalid_disability_group",
                "person.disability_group",
                "Disability group must be 1, 2, 3 or 0 for none.",
            )
        )
    if person.birth_date is not None and sentence.counts:
        last_offence = max(c.offence_date for c in sentence.counts)
        minor = last_offence < birthday(person.birth_date, 18)
        if minor != person.minor_at_offence:
            add(
                _issue(
                    "minor_at_offence_inconsistent",
                    "person.minor_at_offence",
                    f"Born {person.birth_date}, the person was "
                    + ("under" if minor else "at least")
                    + f" 18 on the last offence date {last_offence}; correct the birth date or "
                    "the 'minor at offence' flag.",
                )
            )
    behaviour = sentence.behaviour
    if not 0 <= behaviour.positive_degree <= 3:
        add(
            _issue(
                "behaviour_degree_out_of_range",
                "behaviour.positive_degree",
                "The positive degree of behaviour must be 0 to 3.",
            )
        )
    if behaviour.conditions not in CONDITIONS:
        add(
            _issue(
                "unknown_conditions_of_serving",
                "behaviour.conditions",
                f"Unknown conditions of serving {behaviour.conditions!r}; use strict, ordinary, "
                "facilitated or preferential.",
            )
        )

    # Rules in force: CC at the offence date and the calculation date, PEC on the calculation date.
    if not issues and sentence.counts:
        last_offence = max(c.offence_date for c in sentence.counts)
        checks = ((last_offence, "the offence date", True), (as_of, "the calculation date", False))
        for day, label, cc_only in checks:
            for fam in rules.at(day.toordinal()).missing_required:
                if cc_only and fam not in CC_FAMILIES:
                    continue
                add(
                    _issue(
                        "rule_gap",
                        f"rules.{fam}",
                        f"No wording of rule '{fam}' is in force on {day} ({label}); the rule "
                        "files must cover that day (e.g. add the 1997 Code wording).",
                        rule_id=fam,
                        day=day.isoformat(),
                    )
                )
    return issues


_SHARES_OK: set[str] = set()


def looks_valid(sentence: Sentence, as_of: date) -> bool:
    """A fast check for the common case, without messages: True only when ``validate`` finds no
    issue other than a gap in the rules (which the caller checks on the views it uses).

    It may answer False for a valid sentence (a rare shape: several detention periods or
    escapes, adjustments other than escapes and amnesties); the caller then runs ``validate``.
    """
    counts = sentence.counts
    if not counts:
        return False
    start = sentence.start_date
    life = False
    for c in counts:
        term = c.term
        if (
            not c.article.strip()
            or c.gravity not in GRAVITY_RANK
            or c.offence_date > start
            or c.offence_date > as_of
            or not _term_ok(term)
        ):
            return False
        if term.life:
            life = True
            if c.article_max_years is not None:
                return False
        elif c.article_max_years is not None and (
            (term.years * 12 + term.months, term.days) > (c.article_max_years * 12, 0)
        ):
            return False
    if sentence.institution_type not in INSTITUTION_TYPES:
        return False
    combination = sentence.combination
    if combination not in COMBINATIONS:
        return False
    if combination == "partial" and sentence.partial_share not in _SHARES_OK:
        head, sep, tail = sentence.partial_share.partition("/")
        if not (head.isdigit() and (not sep or tail.isdigit())):
            return False
        if not 0 < int(head) <= (int(tail) if sep else 1):
            return False
        if len(_SHARES_OK) < 1000:
            _SHARES_OK.add(sentence.partial_share)
    detention = sentence.detention
    if detention:
        if len(detention) > 1:
            return False
        period = detention[0]
        if period.end < period.start or period.end >= start:
            return False
    adjustments = sentence.adjustments
    if adjustments:
        escapes = 0
        for adj in adjustments:
            cls = type(adj)
            if cls is Escape:
                escapes += 1
                if escapes > 1 or adj.date_to < adj.date_from:  # type: ignore[union-attr]
                    return False
            elif cls is Amnesty:
                reduce_by = adj.reduce_by  # type: ignore[union-attr]
                if (
                    life
                    or reduce_by.life
                    or min(reduce_by.years, reduce_by.months, reduce_by.days) < 0
                ):
                    return False
            else:
                return False
            if adj.date < start or adj.date > as_of or not adj.source.strip():
                return False
    person = sentence.person
    if person.sex not in ("", "F", "M") or person.disability_group not in (0, 1, 2, 3):
        return False
    if person.birth_date is not None:
        last_offence = counts[0].offence_date
        for c in counts:
            if c.offence_date > last_offence:
                last_offence = c.offence_date
        adult = birthday_ord(person.birth_date.toordinal(), 18)
        if (last_offence.toordinal() < adult) != person.minor_at_offence:
            return False
    behaviour = sentence.behaviour
    return 0 <= behaviour.positive_degree <= 3 and behaviour.conditions in CONDITIONS
