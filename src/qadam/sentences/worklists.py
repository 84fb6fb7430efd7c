"""The worklists: who is due for release, eligible for parole (now or within 90 days, with what is
still missing), eligible for transfer to a lower security level, or not eligible and why.

Each list is one filter over the indexed date columns of SentenceCalculation joined to the person
(`CalculationQuerySet.worklist`), scoped with `visible_to` and limited to the chosen institutions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qadam.sentences import texts
from qadam.sentences.models import SentenceCalculation
from qadam.sentences.querysets import WORKLISTS


@dataclass(frozen=True)
class Worklist:
    kind: str
    title: Promise
    description: Promise
    date_column: str  # the date the list is ordered by
    date_label: Promise


LISTS: dict[str, Worklist] = {
    "release_due": Worklist(
        "release_due",
        gettext_lazy("Release due"),
        gettext_lazy("The sentence ends today or within the next 30 days (or has already ended)."),
        "end_of_sentence",
        gettext_lazy("End of sentence"),
    ),
    "parole_now": Worklist(
        "parole_now",
        gettext_lazy("Eligible for parole now"),
        gettext_lazy("The share of the term required for parole (CC art. 72) has been served."),
        "parole_date",
        gettext_lazy("Eligible since"),
    ),
    "parole_soon": Worklist(
        "parole_soon",
        gettext_lazy("Almost eligible for parole"),
        gettext_lazy(
            "Eligible for parole within the next 90 days; what is still missing is shown."
        ),
        "parole_date",
        gettext_lazy("Eligible from"),
    ),
    "transfer": Worklist(
        "transfer",
        gettext_lazy("Eligible for transfer to a lower security level"),
        gettext_lazy(
            "The share of the term required by PEC art. 96 has been served; the conditions of "
            "behaviour are shown."
        ),
        "transfer_date",
        gettext_lazy("Eligible since"),
    ),
    "not_eligible": Worklist(
        "not_eligible",
        gettext_lazy("Not eligible for parole"),
        gettext_lazy(
            "Parole is excluded or not provided for, or the sentence cannot be calculated."
        ),
        "end_of_sentence",
        gettext_lazy("End of sentence"),
    ),
}
assert tuple(LISTS) == WORKLISTS


def rows(queryset: QuerySet[SentenceCalculation], kind: str) -> QuerySet[SentenceCalculation]:
    """The list's rows with what each row shows, in one query."""
    return queryset.select_related(
        "person", "person__current_institution", "person__current_institution__region"
    ).only(
        "id",
        "ok",
        "end_of_sentence",
        "parole_date",
        "parole_status",
        "parole_reason",
        "transfer_date",
        "transfer_target",
        "transfer_conditions_met",
        "mandatory_parole",
        "overridden",
        "person__id",
        "person__surname",
        "person__first_name",
        "person__patronymic",
        "person__case_number",
        "person__current_institution__id",
        "person__current_institution__code",
        "person__current_institution__name_kk",
        "person__current_institution__name_ru",
        "person__current_institution__name_en",
        "person__current_institution__region__id",
        "person__current_institution__region__code",
        "person__current_institution__region__name_kk",
        "person__current_institution__region__name_ru",
        "person__current_institution__region__name_en",
    )


def note(row: SentenceCalculation, kind: str, today: date) -> str:
    """What the row's reader needs next: days left, what is missing, or the reason."""
    if kind == "release_due":
        end = row.end_of_sentence
        if end is None:
            return ""
        if end < today:
            return _("Overdue by %(days)s day(s): check the release.") % {
                "days": (today - end).days
            }
        if end == today:
            return _("Release today.")
        return _("%(days)s day(s) left.") % {"days": (end - today).days}
    if kind == "parole_now":
        return (
            _("Mandatory parole candidate (damage compensated, no malicious violation).")
            if (row.mandatory_parole)
            else _("Prepare the parole report.")
        )
    if kind == "parole_soon":
        assert row.parole_date is not None
        return _("%(days)s day(s) of the required share still to serve.") % {
            "days": (row.parole_date - today).days
        }
    if kind == "transfer":
        target = texts.INSTITUTION_TYPES.get(row.transfer_target, row.transfer_target)
        if row.transfer_conditions_met:
            return _("To a %(target)s; conditions met.") % {"target": target}
        return _("To a %(target)s once the conditions of behaviour are met.") % {"target": target}
    if not row.ok:
        if row.parole_reason == "rule_gap":
            return _(
                "The rule files do not cover the law in force on the offence date: the dates "
                "are set by hand."
            )
        return _("The sentence cannot be calculated: correct the entry.")
    return texts.reason_text(row.parole_reason) if row.parole_reason else ""


def export_rows(queryset: QuerySet[SentenceCalculation], kind: str, today: date) -> list[Any]:
    worklist = LISTS[kind]
    out = []
    for row in queryset[:100_000]:
        person = row.person
        institution = person.current_institution
        out.append(
            (
                person.case_number,
                person.full_name,
                institution.code if institution else "",
                institution.region.code if institution else "",
                getattr(row, worklist.date_column),
                row.end_of_sentence,
                note(row, kind, today),
            )
        )
    return out
