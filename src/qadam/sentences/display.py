"""What the timeline, the dates panel and the calculation sheet show for each date: the date in
effect, the computed one when an override replaces it, and the breakdown in the user's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from qadam.sentences import texts

if TYPE_CHECKING:
    from qadam.sentences.models import DateOverride, SentenceCalculation


@dataclass(frozen=True)
class RuleView:
    rule_id: str
    citation: str
    version: date
    unverified: bool
    confidence: str


@dataclass
class DateView:
    key: str
    label: str
    status: str  # "date", "not_eligible", "not_applicable"
    date: dt.date | None
    computed: dt.date | None
    reason: str = ""
    target: str = ""
    rules: list[RuleView] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    conditions: list[tuple[str, bool]] = field(default_factory=list)
    law: str = "single"
    alternative: str = ""
    override: DateOverride | None = None
    pending: DateOverride | None = None

    @property
    def unverified(self) -> bool:
        return any(r.unverified for r in self.rules)

    @property
    def overridden(self) -> bool:
        return self.override is not None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _rules(raw: Sequence[Sequence[str]]) -> list[RuleView]:
    return [
        RuleView(rule_id, texts.citation_words(citation), date.fromisoformat(version), c == "U", c)
        for rule_id, citation, version, c in raw
    ]


def _view(key: str, raw: Mapping[str, Any], label: str | None = None) -> DateView:
    bd = raw.get("breakdown") or {}
    view = DateView(
        key=key,
        label=label or str(texts.DATE_LABELS[key]),
        status=raw.get("status", ""),
        date=_day(raw.get("date")),
        computed=_day(raw.get("date")),
        reason=texts.reason_text(raw["reason"]) if raw.get("reason") else "",
        target=str(texts.INSTITUTION_TYPES.get(raw.get("target", ""), raw.get("target", ""))),
        rules=_rules(bd.get("rules", [])),
        steps=[texts.step_text(code, params) for code, params in bd.get("steps", [])],
        conditions=[
            (texts.condition_text(c["code"], c.get("params", {})), bool(c.get("met")))
            for c in raw.get("conditions", [])
        ],
        law=bd.get("law", "single"),
    )
    alternative = bd.get("alternative")
    if alternative:
        view.alternative = (
            texts.local_date(_day(alternative.get("date")))
            if alternative.get("date")
            else texts.reason_text(alternative.get("reason", ""))
        )
    return view


def date_views(
    result: Mapping[str, Any],
    *,
    calculation: SentenceCalculation | None = None,
    overrides: Sequence[DateOverride] = (),
) -> list[DateView]:
    """The dates in the order of the timeline, overrides applied; empty when not calculated."""
    if not result.get("ok"):
        return []
    views = [
        _view("preferential", result["preferential"]),
        _view("replacement", result["replacement"]),
        _view("parole", result["parole"]),
    ]
    transfers = result.get("transfers") or []
    for raw in transfers:
        views.append(_view("transfer", raw))
    views.append(_view("end_of_sentence", result["end_of_sentence"]))
    mandatory = result.get("mandatory") or {}
    mandatory_view = DateView(
        key="mandatory",
        label=str(texts.DATE_LABELS["mandatory"]),
        status="flag",
        date=None,
        computed=None,
        rules=_rules((mandatory.get("breakdown") or {}).get("rules", [])),
        steps=[
            texts.step_text(code, params)
            for code, params in (mandatory.get("breakdown") or {}).get("steps", [])
        ],
    )
    mandatory_view.reason = str(texts.PHRASES[str(bool(mandatory.get("value")))])
    by_key: dict[str, DateOverride] = {}
    pending: dict[str, DateOverride] = {}
    for override in overrides:
        if override.status == "approved":
            by_key[override.field] = override
        elif override.status == "requested":
            pending[override.field] = override
    for view in views:
        if view.key in by_key:
            view.override = by_key[view.key]
            view.date = by_key[view.key].new_date
            view.status = "date"
        view.pending = pending.get(view.key)
    dated = sorted(
        (v for v in views if v.date is not None), key=lambda v: (v.date or date.max, v.key)
    )
    undated = [v for v in views if v.date is None]
    return [*dated, *undated, mandatory_view]


def inputs_view(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The calculation's inputs in words (start, institution type, gravity, term, detention)."""
    from django.utils.translation import gettext as _

    raw = result.get("inputs") or {}
    if not raw:
        return []
    return [
        (_("Sentence starts on"), texts.local_date(_day(raw.get("start_date")))),
        (
            _("Institution type"),
            str(texts.INSTITUTION_TYPES.get(raw.get("institution_type", ""), "")),
        ),
        (_("Gravity of the gravest offence"), str(texts.GRAVITY.get(raw.get("gravity", ""), ""))),
        (_("Term to serve"), texts.term_words(str(raw.get("term", "")))),
        (_("Days held before the verdict"), str(raw.get("detention_days", 0))),
    ]


def issues_view(result: Mapping[str, Any]) -> list[str]:
    from qadam.sentences import engine

    return [
        texts.issue_message(
            engine.Issue(code=i["code"], field=i["field"], params=i["params"], message=i["message"])
        )
        for i in result.get("issues", [])
    ]
