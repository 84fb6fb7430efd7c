"""The engine's step codes, reasons, conditions and validation codes in the user's language.

The engine explains each date with steps (a stable `code` and `params`); each code has a
translatable template here. Parameter values are turned into words of the current language:
ISO dates into localised dates, terms ("2 years 3 months") into translated terms, gravity and
institution-type codes into their names, the engine's English phrases into translated ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from qadam.sentences import engine

STEP_TEMPLATES: dict[str, Promise] = {
    "term_of_count": gettext_lazy(
        "Count %(count)s: %(article)s, %(term)s (%(gravity)s), offence committed on "
        "%(offence_date)s."
    ),
    "combine_absorption": gettext_lazy(
        "The counts are combined by absorption: the strictest term, %(term)s, absorbs the others."
    ),
    "combine_consecutive": gettext_lazy("The counts are added in full: %(terms)s = %(term)s."),
    "combine_partial": gettext_lazy(
        "The counts are combined by partial addition: %(strictest)s plus %(share)s of "
        "%(others)s (%(added)s) = %(term)s."
    ),
    "life_term": gettext_lazy("Life imprisonment: there is no end of sentence."),
    "detention_period": gettext_lazy(
        "Held before the verdict from %(start)s to %(end)s: %(days)s day(s), the first and last "
        "day included."
    ),
    "credit_ratio": gettext_lazy(
        "Each day held before the verdict counts as %(ratio)s day(s) in a %(institution_type)s: "
        "%(days)s × %(ratio)s = %(credit_days)s day(s), rounded up."
    ),
    "credit_not_served": gettext_lazy(
        "Only the %(days)s real day(s) held before the verdict count as time actually served; the "
        "multiplied credit of %(credit_days)s day(s) does not."
    ),
    "effective_start": gettext_lazy(
        "The sentence starts on %(start)s; taking off %(credit_days)s day(s) of credit, the term "
        "counts from %(effective_start)s."
    ),
    "term_end": gettext_lazy("%(term)s from %(start)s: the last day of the term is %(last_day)s."),
    "term_days": gettext_lazy(
        "From %(start)s to %(last_day)s the term is %(term_days)s day(s), both days included."
    ),
    "escape_not_counted": gettext_lazy(
        "At large from %(date_from)s to %(date_to)s (%(source)s): %(days)s day(s) do not count, so "
        "%(before)s moves to %(after)s."
    ),
    "amnesty_reduction": gettext_lazy(
        "The amnesty of %(date)s (%(source)s) shortens the term by %(reduction)s: it is now "
        "%(term)s."
    ),
    "pardon_reduction": gettext_lazy(
        "The pardon of %(date)s (%(source)s) shortens the term by %(reduction)s: it is now "
        "%(term)s."
    ),
    "pardon_commuted": gettext_lazy(
        "The pardon of %(date)s (%(source)s) replaces life imprisonment by %(term)s."
    ),
    "court_new_term": gettext_lazy(
        "The court decision of %(date)s (%(source)s) sets the term to %(term)s, counted from the "
        "original start."
    ),
    "court_new_institution": gettext_lazy(
        "The court decision of %(date)s (%(source)s) changes the institution to a "
        "%(institution_type)s."
    ),
    "released_by_act": gettext_lazy(
        "The %(act)s of %(date)s (%(source)s) releases from further serving: the sentence ends on "
        "%(date)s."
    ),
    "release_not_before_act": gettext_lazy(
        "The shortened term ended on %(computed)s, before the act of %(date)s: release on %(date)s."
    ),
    "replaced_by_milder": gettext_lazy(
        "The court decision of %(date)s (%(source)s) replaces the rest of the term by "
        "%(punishment)s (CC art. 73): custody ends on %(date)s."
    ),
    "recall": gettext_lazy(
        "Parole from %(released_on)s was revoked; back in custody on %(recalled_on)s (%(source)s) "
        "to serve %(days)s day(s): the last day is %(last_day)s."
    ),
    "recall_liberty_not_served": gettext_lazy(
        "Time at liberty on parole from %(date_from)s to %(date_to)s: %(days)s day(s) do not count, "
        "so %(before)s moves to %(after)s."
    ),
    "fraction_of_term": gettext_lazy(
        "%(fraction)s of %(term_days)s day(s) = %(result_days)s day(s) (rounded up)."
    ),
    "served_from": gettext_lazy(
        "%(result_days)s day(s) served counting from %(start)s, that day included: %(result)s."
    ),
    "minimum_served": gettext_lazy(
        "At least %(months)s months must actually be served (CC art. 72 part 5): from %(start)s "
        "that is %(result)s."
    ),
    "later_of": gettext_lazy("The later of %(a)s and %(b)s is %(result)s."),
    "earlier_of": gettext_lazy("The earlier of %(a)s and %(b)s is %(result)s."),
    "life_years_served": gettext_lazy(
        "%(years)s years of life imprisonment served from %(start)s: %(result)s."
    ),
    "fraction_chosen": gettext_lazy(
        "The share to serve is %(fraction)s for a %(gravity)s offence (%(basis)s)."
    ),
    "preferential_category": gettext_lazy(
        "The preferential category “%(category)s” applies from %(from_date)s."
    ),
    "age_reached": gettext_lazy("%(category)s: the person reaches %(age)s on %(from_date)s."),
    "exclusion": gettext_lazy("Parole is excluded: %(group)s (%(citation)s)."),
    "exclusion_lifted": gettext_lazy("The exclusion for %(group)s does not apply: %(exception)s."),
    "exclusion_lifted_from": gettext_lazy(
        "The exclusion for %(group)s does not apply from %(from_date)s: %(exception)s."
    ),
    "exclusion_ended": gettext_lazy(
        "The exclusion for %(group)s ended on %(date)s (%(citation)s)."
    ),
    "condition_required": gettext_lazy("Parole for %(group)s only with %(requirement)s: met."),
    "after_end": gettext_lazy(
        "%(result)s is after the end of sentence %(end)s: the sentence ends first."
    ),
    "mandatory_check": gettext_lazy(
        "Damage compensated: %(damage_compensated)s; malicious violator: %(malicious_violator)s."
    ),
    "one_year_before": gettext_lazy(
        "%(months)s months before the end of sentence %(end)s: %(result)s."
    ),
    "not_before_start": gettext_lazy("Not before the start of the sentence, %(start)s."),
    "transfer_target": gettext_lazy(
        "From a %(from_type)s to a %(targets)s after %(fraction)s of the term (PEC art. 96)."
    ),
    "more_favourable_law": gettext_lazy(
        "The law at the time of the offence gives %(offence_law)s; the later law gives "
        "%(later_law)s; the more favourable (%(chosen)s) applies (CC arts. 5–6)."
    ),
    "not_applicable": gettext_lazy("%(reason)s"),
}

# The engine's English phrases inside step parameters.
PHRASES: dict[str, Promise] = {
    "life imprisonment": gettext_lazy("life imprisonment"),
    "the start": gettext_lazy("the start"),
    "general rule": gettext_lazy("general rule"),
    "especially grave, encroaching on life": gettext_lazy("especially grave, encroaching on life"),
    "cooperation agreement fulfilled": gettext_lazy("cooperation agreement fulfilled"),
    "earlier parole revoked": gettext_lazy("an earlier parole was revoked"),
    "preferential category, CC art. 72 part 4": gettext_lazy(
        "preferential category, CC art. 72 part 4"
    ),
    "CC art. 73 part 2": gettext_lazy("CC art. 73 part 2"),
    "PEC art. 96": gettext_lazy("PEC art. 96"),
    "earlier early release, reoffended": gettext_lazy("reoffended after an earlier early release"),
    "later law": gettext_lazy("the later law"),
    "law at the time of the offence": gettext_lazy("the law at the time of the offence"),
    "Amnesty": gettext_lazy("amnesty"),
    "Pardon": gettext_lazy("pardon"),
    "offence committed as a minor": gettext_lazy("the offence was committed as a minor"),
    "procedural cooperation agreement fulfilled": gettext_lazy(
        "a procedural cooperation agreement was fulfilled"
    ),
    "actively assists in preventing or solving terrorist or extremist crimes": gettext_lazy(
        "actively assists in preventing or solving terrorist or extremist crimes"
    ),
    "Parole was revoked on this sentence; a new parole is not provided for (configuration).": (
        gettext_lazy("Parole was revoked on this sentence; a new parole is not provided for.")
    ),
    "Parole applies to imprisonment for crimes, not to criminal misdemeanours.": gettext_lazy(
        "Parole applies to imprisonment for crimes, not to criminal misdemeanours."
    ),
    "Replacement by a milder punishment is not provided for life imprisonment.": gettext_lazy(
        "Replacement by a milder punishment is not provided for life imprisonment."
    ),
    "Replacement applies to imprisonment for crimes.": gettext_lazy(
        "Replacement applies to imprisonment for crimes."
    ),
    "No rule in force allows replacement for an especially grave crime.": gettext_lazy(
        "No rule in force allows replacement for an especially grave crime."
    ),
    "A fraction of life imprisonment cannot be computed.": gettext_lazy(
        "A share of life imprisonment cannot be computed."
    ),
    "Life imprisonment has no date of release to count back from.": gettext_lazy(
        "Life imprisonment has no date of release to count back from."
    ),
    "True": gettext_lazy("yes"),
    "False": gettext_lazy("no"),
}

GROUPS: dict[str, Promise] = {
    "sexual_offence_against_minor": gettext_lazy("sexual offences against minors"),
    "corruption_grave": gettext_lazy("grave corruption offences"),
    "corruption": gettext_lazy("corruption offences"),
    "death_commuted_to_life": gettext_lazy("a death sentence commuted to life imprisonment"),
    "terrorist_extremist": gettext_lazy("terrorist or extremist offences"),
    "terrorism_with_deaths": gettext_lazy("terrorist offences that caused deaths"),
    "dangerous_recidivism": gettext_lazy("dangerous recidivism"),
}

CATEGORIES: dict[str, Promise] = {
    "minor_at_offence": gettext_lazy("offence committed as a minor"),
    "pregnant": gettext_lazy("pregnant woman"),
    "woman_with_minor_child": gettext_lazy("woman with a minor child"),
    "single_father": gettext_lazy("man raising a minor child alone"),
    "disability_1_2": gettext_lazy("disability of group 1 or 2"),
    "woman_of_age": gettext_lazy("woman of pension age"),
    "man_of_age": gettext_lazy("man of pension age"),
}

GRAVITY: dict[str, Promise] = {
    "misdemeanour": gettext_lazy("criminal misdemeanour"),
    "minor": gettext_lazy("minor gravity"),
    "medium": gettext_lazy("medium gravity"),
    "grave": gettext_lazy("grave"),
    "especially grave": gettext_lazy("especially grave"),
    "especially_grave": gettext_lazy("especially grave"),
}

INSTITUTION_TYPES: dict[str, Promise] = {
    "MIN": gettext_lazy("minimum security institution"),
    "MED": gettext_lazy("medium security institution"),
    "MED_JUV": gettext_lazy("medium security institution for minors"),
    "MAX": gettext_lazy("maximum security institution"),
    "FULL": gettext_lazy("full security institution"),
    "EXTRA": gettext_lazy("extraordinary security institution"),
}

REASONS: dict[str, Promise] = {
    "part8_exclusion": gettext_lazy(
        "Parole is excluded by law for this offence (CC art. 72 part 8)."
    ),
    "misdemeanour": gettext_lazy("Not provided for criminal misdemeanours."),
    "life_imprisonment": gettext_lazy("Not provided for life imprisonment."),
    "end_of_sentence_first": gettext_lazy("The sentence ends before this date would come."),
    "after_recall": gettext_lazy("Parole was revoked on this sentence."),
    "no_rule": gettext_lazy("No rule in force provides for it."),
    "transfer_excluded": gettext_lazy("Transfer to minimum security is excluded by law."),
}

CONDITIONS: dict[str, Promise] = {
    "behaviour_degree": gettext_lazy(
        "degree of positive behaviour at least %(required)s (now %(actual)s)"
    ),
    "conditions_of_serving": gettext_lazy("conditions of serving: %(required)s (now %(actual)s)"),
}

CONDITION_WORDS: dict[str, Promise] = {
    "strict": gettext_lazy("strict"),
    "ordinary": gettext_lazy("ordinary"),
    "facilitated": gettext_lazy("facilitated"),
    "preferential": gettext_lazy("preferential"),
}

ISSUES: dict[str, Promise] = {
    "no_counts": gettext_lazy("The sentence has no counts; add at least one count."),
    "count_missing_article": gettext_lazy("Count %(count)s has no article; choose the article."),
    "unknown_gravity": gettext_lazy("Count %(count)s: choose the gravity of the offence."),
    "invalid_term": gettext_lazy(
        "Enter a term in years, months and days (not all zero), or life imprisonment alone."
    ),
    "term_above_article_maximum": gettext_lazy(
        "Count %(count)s: the term is above the article's maximum of %(maximum_years)s year(s); "
        "check the term or the article."
    ),
    "start_before_offence": gettext_lazy(
        "The sentence starts before the offence of count %(count)s; check the start date or the "
        "offence date."
    ),
    "offence_in_future": gettext_lazy("Count %(count)s: the offence date is in the future."),
    "unknown_institution_type": gettext_lazy("Choose an institution type a court assigns."),
    "unknown_combination": gettext_lazy("Choose how the counts combine."),
    "invalid_partial_share": gettext_lazy(
        'Give the share added by partial addition as a fraction between 0 and 1, e.g. "1/2".'
    ),
    "dates_out_of_order": gettext_lazy("The last day is before the first day; correct the dates."),
    "credit_overlaps_sentence": gettext_lazy(
        "Detention before the verdict must end the day before the sentence starts."
    ),
    "credit_periods_overlap": gettext_lazy(
        "Two periods of detention overlap; a day in custody is credited once."
    ),
    "adjustment_missing_source": gettext_lazy("Name the document the adjustment comes from."),
    "adjustment_before_start": gettext_lazy("The date is before the sentence starts."),
    "adjustment_after_calculation_date": gettext_lazy(
        "The date is in the future; record it when it happens."
    ),
    "escape_periods_overlap": gettext_lazy("Two periods at large overlap."),
    "invalid_commutation": gettext_lazy(
        "A commutation needs a life sentence and a term in years, months and days."
    ),
    "invalid_reduction": gettext_lazy("The reduction must be years, months and days."),
    "reduction_of_life_sentence": gettext_lazy(
        "A life sentence cannot be shortened by a term; record the commutation instead."
    ),
    "empty_court_change": gettext_lazy("Give the new term or the new institution type."),
    "recall_days_missing": gettext_lazy("Enter the days left to serve as the court counted them."),
    "repeated_recall": gettext_lazy(
        "A second recall on one sentence is not supported; record the new verdict."
    ),
    "unknown_sex": gettext_lazy("The person's sex is not recorded correctly."),
    "invalid_disability_group": gettext_lazy("The disability group must be 1, 2 or 3."),
    "minor_at_offence_inconsistent": gettext_lazy(
        "The date of birth and the offence dates disagree about the age at the offence."
    ),
    "behaviour_degree_out_of_range": gettext_lazy("The degree of behaviour must be 0 to 3."),
    "unknown_conditions_of_serving": gettext_lazy("Unknown conditions of serving."),
    "rule_gap": gettext_lazy(
        "No wording of the rule %(rule_id)s is in force on %(day)s; the rule files must be "
        "completed before this sentence can be calculated."
    ),
}

DATE_LABELS: dict[str, Promise] = {
    "end_of_sentence": gettext_lazy("End of sentence"),
    "parole": gettext_lazy("Parole eligibility (CC art. 72)"),
    "replacement": gettext_lazy("Replacement by a milder punishment (CC art. 73)"),
    "transfer": gettext_lazy("Transfer to another institution type (PEC art. 96)"),
    "preferential": gettext_lazy("Preferential conditions possible"),
    "mandatory": gettext_lazy("Mandatory parole candidate"),
}

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TERM = re.compile(r"^(?:(-?\d+) years?)?\s*(?:(-?\d+) months?)?\s*(?:(-?\d+) days?)?$")
_CITATION = re.compile(r"^(CC|PEC) art\. ([\w.-]+)(?: part (\w+))?(?: items? ([\w–-]+))?(.*)$")


def local_date(value: date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else "—"


def term_words(text: str) -> str:
    """'2 years 3 months' → the same term in the current language."""
    if text in PHRASES:
        return str(PHRASES[text])
    match = _TERM.match(text.strip())
    if not match or not any(match.groups()):
        return text
    years, months, days = (int(g) if g else 0 for g in match.groups())
    parts = []
    if years:
        parts.append(ngettext("%(n)s year", "%(n)s years", abs(years)) % {"n": years})
    if months:
        parts.append(ngettext("%(n)s month", "%(n)s months", abs(months)) % {"n": months})
    if days or not parts:
        parts.append(ngettext("%(n)s day", "%(n)s days", abs(days)) % {"n": days})
    return " ".join(parts)


def citation_words(citation: str) -> str:
    match = _CITATION.match(citation)
    if not match:
        return citation
    code, article, part, item, rest = match.groups()
    law = _("Criminal Code") if code == "CC" else _("Penal Enforcement Code")
    if part and item:
        text = _("%(law)s, article %(article)s, part %(part)s, item %(item)s") % {
            "law": law,
            "article": article,
            "part": part,
            "item": item,
        }
    elif part:
        text = _("%(law)s, article %(article)s, part %(part)s") % {
            "law": law,
            "article": article,
            "part": part,
        }
    else:
        text = _("%(law)s, article %(article)s") % {"law": law, "article": article}
    return text + rest


def _value(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(PHRASES[str(value)])
    text = str(value)
    if _ISO.match(text):
        return local_date(date.fromisoformat(text))
    if name in ("gravity",):
        return str(GRAVITY.get(text, text))
    if name in ("institution_type", "from_type"):
        return str(INSTITUTION_TYPES.get(text, text))
    if name == "targets":
        return ", ".join(str(INSTITUTION_TYPES.get(t.strip(), t.strip())) for t in text.split(","))
    if name in ("term", "reduction", "strictest", "others", "added"):
        return term_words(text)
    if name == "terms":
        return " + ".join(term_words(t) for t in text.split(" + "))
    if name == "group":
        return str(GROUPS.get(text, text.replace("_", " ")))
    if name == "category":
        return str(CATEGORIES.get(text, text.replace("_", " ")))
    if name == "citation":
        return citation_words(text)
    if name == "article":
        return citation_words("CC art. " + text)
    if name in ("offence_law", "later_law"):
        return str(REASONS.get(text.replace(" ", "_"), text))
    if name == "exception" and text.startswith("vulnerable category "):
        category = text.removeprefix("vulnerable category ")
        return _("vulnerable category: %(category)s") % {
            "category": CATEGORIES.get(category, category)
        }
    if text in PHRASES:
        return str(PHRASES[text])
    if name == "reason" and text.startswith("Transfer to minimum security is excluded: "):
        return _("Transfer to minimum security is excluded: %(detail)s") % {
            "detail": text.removeprefix("Transfer to minimum security is excluded: ")
        }
    return text


def step_text(code: str, params: Mapping[str, Any]) -> str:
    """One arithmetic step in the current language (the engine's English text as a fallback)."""
    template = STEP_TEMPLATES.get(code)
    words = {name: _value(name, value) for name, value in params.items()}
    if template is None:
        return engine.Step(code, params).text if code in _engine_codes() else code
    try:
        return str(template) % words
    except (KeyError, ValueError, TypeError):
        return engine.Step(code, params).text


def _engine_codes() -> set[str]:
    from qadam.sentences.engine.explain import STEP_TEXT

    return set(STEP_TEXT)


def issue_message(issue: engine.Issue) -> str:
    template = ISSUES.get(issue.code)
    if template is None:
        return issue.message
    try:
        return str(template) % {k: _value(k, v) for k, v in issue.params.items()}
    except (KeyError, ValueError, TypeError):
        return issue.message


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code.replace("_", " ")))


def condition_text(code: str, params: Mapping[str, Any]) -> str:
    template = CONDITIONS.get(code)
    if template is None:
        return code
    words = {
        k: ", ".join(str(CONDITION_WORDS.get(w.strip(), w.strip())) for w in str(v).split(","))
        for k, v in params.items()
    }
    try:
        return str(template) % words
    except (KeyError, ValueError, TypeError):
        return code


def computed_date(result: Mapping[str, Any], field: str) -> date | None:
    """The engine's own date for `field` in a stored result (before any override)."""
    if not result.get("ok"):
        return None
    if field == "transfer":
        dated = [t for t in result.get("transfers", []) if t.get("date")]
        value = min((t["date"] for t in dated), default=None)
    else:
        value = (result.get(field) or {}).get("date")
    return date.fromisoformat(value) if value else None
