"""Model rows → the engine's dataclasses, the engine's results → stored JSON, and the rule set in
force. The engine is used only through its public API (`qadam.sentences.engine`).

Behaviour facts (malicious violator, degree of positive behaviour, conditions of serving, damage
compensated) belong to the regime module. Until it lands they are read through `BehaviourProvider`,
whose default reads nothing and answers the engine's neutral `Behaviour()`; the regime module
calls `set_behaviour_provider(...)` from its AppConfig.ready().
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from qadam.sentences import engine
from qadam.sentences.engine.rules import RULES_DIR

if TYPE_CHECKING:
    from qadam.people.models import Person
    from qadam.sentences.models import Adjustment, Count, Verdict

# The offence catalogue (core/reference/offences.toml) and the rule files name some groups
# differently; each catalogue group is passed on together with the rule files' name for it.
CATALOGUE_GROUP_ALIASES: dict[str, tuple[str, ...]] = {
    "sexual_against_minor": ("sexual_offence_against_minor",),
    "terrorist": ("terrorist_extremist",),
    "extremist": ("terrorist_extremist",),
}
DANGEROUS_RECIDIVISM = "dangerous_recidivism"


# --- Behaviour: the regime module's interface -------------------------------------------------------


class BehaviourProvider(Protocol):
    """Behaviour facts for many persons on one day (the regime module implements it)."""

    def behaviour_for(self, person_ids: Sequence[int], on: date) -> dict[int, engine.Behaviour]: ...


class NoBehaviourRecords:
    """The default until the regime module lands: nothing recorded, the engine's neutral facts
    (no malicious violation, no positive degree, ordinary conditions, damage not compensated)."""

    def behaviour_for(self, person_ids: Sequence[int], on: date) -> dict[int, engine.Behaviour]:
        return {}

    def behaviour_on(self, person_ref: str, on: date) -> engine.Behaviour:
        return engine.Behaviour()


_behaviour_provider: BehaviourProvider = NoBehaviourRecords()


def set_behaviour_provider(provider: BehaviourProvider) -> None:
    global _behaviour_provider
    _behaviour_provider = provider


def behaviour_provider() -> BehaviourProvider:
    return _behaviour_provider


def behaviours(person_ids: Sequence[int], on: date) -> dict[int, engine.Behaviour]:
    return _behaviour_provider.behaviour_for(person_ids, on)


# --- The rule set in force ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    rules: engine.RuleSet
    version: str
    directory: str
    unverified: int  # how many rule versions are tagged [U]
    # Each rule version's reference → a digest of its content (citation, validity, parameters):
    # a fingerprint names the content of the rules a result cites, not only their versions.
    digests: Mapping[engine.RuleRef, str] = field(default_factory=dict, compare=False)


def rule_digests(rules: engine.RuleSet) -> dict[engine.RuleRef, str]:
    out: dict[engine.RuleRef, str] = {}
    for rule in rules.all_rules():
        content = repr(
            (
                rule.id,
                rule.valid_from,
                rule.valid_to,
                rule.citation,
                rule.confidence,
                rule.law,
                sorted(rule.params.items()),
            )
        )
        out[rule.ref] = hashlib.blake2b(content.encode(), digest_size=8).hexdigest()
    return out


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.toml"))
    )


@lru_cache(maxsize=8)
def _load(directory: str, fingerprint: tuple[tuple[str, int, int], ...]) -> Rules:
    path = Path(directory)
    digest = hashlib.sha256()
    for name, _mtime, _size in fingerprint:
        digest.update(name.encode() + b"\0" + (path / name).read_bytes() + b"\0")
    rules = engine.load_rules(path)
    unverified = sum(1 for r in rules.all_rules() if r.unverified)
    return Rules(rules, digest.hexdigest()[:12], str(path), unverified, rule_digests(rules))


def load_rule_dir(directory: str | Path) -> Rules:
    """Load and validate a directory of rule files; raises engine.RuleFileError."""
    path = Path(directory).resolve()
    if not path.is_dir():
        raise engine.RuleFileError([f"{path}: not a directory of rule files"])
    return _load(str(path), _fingerprint(path))


def active_rules() -> Rules:
    """The rule set last activated (sentences.LegislationVersion), or the shipped rule files."""
    from qadam.sentences.models import LegislationVersion

    latest = LegislationVersion.objects.order_by("-activated_at", "-id").first()
    if latest is not None and Path(latest.rules_dir).is_dir():
        return load_rule_dir(latest.rules_dir)
    return load_rule_dir(RULES_DIR)


def shipped_rules_dir() -> Path:
    return RULES_DIR


# --- Rows → engine inputs --------------------------------------------------------------------------


def _groups(raw: Iterable[str], recidivism: bool) -> tuple[str, ...]:
    out: list[str] = []
    for group in raw:
        out.append(group)
        out.extend(CATALOGUE_GROUP_ALIASES.get(group, ()))
    if recidivism:
        out.append(DANGEROUS_RECIDIVISM)
    return tuple(dict.fromkeys(out))


def _term(years: int, months: int, days: int, life: bool = False) -> engine.Term:
    return engine.Term(years=years, months=months, days=days, life=life)


def engine_count(
    *,
    article: str,
    part: str,
    groups: Iterable[str],
    max_months: int | None,
    gravity: str,
    years: int,
    months: int,
    days: int,
    life: bool,
    offence_date: date,
    recidivism: bool,
) -> engine.Count:
    return engine.Count(
        article=article,
        part=part,
        gravity=gravity,
        term=_term(years, months, days, life),
        offence_date=offence_date,
        groups=_groups(groups or (), recidivism),
        article_max_years=math.ceil(max_months / 12) if max_months else None,
    )


def count_input(count: Count, *, recidivism: bool) -> engine.Count:
    offence = count.offence
    return engine_count(
        article=offence.article,
        part=offence.part,
        groups=offence.groups or (),
        max_months=offence.max_term_months,
        gravity=count.gravity,
        years=count.term_years,
        months=count.term_months,
        days=count.term_days,
        life=count.life,
        offence_date=count.offence_date,
        recidivism=recidivism,
    )


def adjustment_input(adjustment: Adjustment | Any) -> engine.DetentionPeriod | Any:
    """One adjustment row as the engine's dataclass (DetentionPeriod for pre-trial detention)."""
    from qadam.sentences.models import Adjustment as Row

    a = adjustment
    kind = a.kind
    source = a.source
    if kind == Row.Kind.DETENTION:
        assert a.date_from is not None
        assert a.date_to is not None
        return engine.DetentionPeriod(start=a.date_from, end=a.date_to)
    if kind == Row.Kind.ESCAPE:
        assert a.date_from is not None
        assert a.date_to is not None
        return engine.Escape(date_from=a.date_from, date_to=a.date_to, source=source)
    term = _term(a.years, a.months, a.days, a.life)
    if kind == Row.Kind.AMNESTY:
        return engine.Amnesty(date=a.date, source=source, reduce_by=term, release=a.release)
    if kind == Row.Kind.PARDON:
        if a.commute:
            return engine.Pardon(date=a.date, source=source, commute_to=term, release=a.release)
        return engine.Pardon(date=a.date, source=source, reduce_by=term, release=a.release)
    if kind == Row.Kind.COURT_CHANGE:
        return engine.CourtChange(
            date=a.date,
            source=source,
            new_term=term if a.has_term else None,
            new_institution_type=_type_code(a),
        )
    if kind == Row.Kind.REPLACEMENT:
        return engine.Replacement(date=a.date, source=source, milder_punishment=a.milder_punishment)
    if kind == Row.Kind.RECALL:
        assert a.released_on is not None
        return engine.Recall(
            date=a.date, source=source, released_on=a.released_on, days_to_serve=a.days_to_serve
        )
    raise ValueError(f"unknown adjustment kind {kind!r}")


def _type_code(a: Any) -> str | None:
    code = getattr(a, "new_institution_type_code", None)
    if code is not None:
        return str(code)
    new_type = getattr(a, "new_institution_type", None)
    return new_type.code if new_type is not None else None


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February → 1 March
        return date(born.year + years, 3, 1)


def person_facts(
    person: Person, counts: Sequence[engine.Count], child_birth_dates: Sequence[date], on: date
) -> engine.PersonFacts:
    return facts_of(person.sex, person.birth_date, counts, child_birth_dates, on)


def facts_of(
    sex: str,
    birth_date: date,
    counts: Sequence[engine.Count],
    child_birth_dates: Sequence[date],
    on: date,
) -> engine.PersonFacts:
    last_offence = max((c.offence_date for c in counts), default=None)
    minor = last_offence is not None and last_offence < _birthday(birth_date, 18)
    minor_child = any(_birthday(born, 18) > on for born in child_birth_dates)
    return engine.PersonFacts(
        sex=sex,
        birth_date=birth_date,
        minor_at_offence=minor,
        has_minor_child=sex == "F" and minor_child,
    )


def sentence_input(
    *,
    verdict: Verdict,
    counts: Sequence[Count],
    adjustments: Sequence[Adjustment],
    person: Person,
    on: date,
    behaviour: engine.Behaviour | None = None,
    child_birth_dates: Sequence[date] = (),
) -> engine.Sentence:
    """The engine's Sentence for a verdict with its counts and adjustments (saved or not)."""
    engine_counts = tuple(
        count_input(c, recidivism=verdict.dangerous_recidivism)
        for c in sorted(counts, key=lambda c: c.number)
    )
    detention: list[engine.DetentionPeriod] = []
    other: list[Any] = []
    for row in sorted(adjustments, key=lambda a: (a.date, a.pk or 0)):
        value = adjustment_input(row)
        (detention if isinstance(value, engine.DetentionPeriod) else other).append(value)
    return engine.Sentence(
        counts=engine_counts,
        institution_type=verdict.institution_type.code,
        start_date=verdict.start_date,
        combination=verdict.combination,
        partial_share=verdict.partial_share or "1/2",
        detention=tuple(detention),
        adjustments=tuple(other),
        person=person_facts(person, engine_counts, child_birth_dates, on),
        behaviour=behaviour or engine.Behaviour(),
        cooperation_agreement=verdict.cooperation_agreement,
        earlier_parole_revoked=verdict.earlier_parole_revoked,
    )


# --- Engine results → JSON ------------------------------------------------------------------------
#
# Bulk recalculation turns tens of thousands of results into JSON at a time, so these functions
# avoid copies: a step's params (a plain dict built by the engine and never changed afterwards)
# are used as they are, and each rule reference becomes its list once.

_REF_JSON: dict[engine.RuleRef, list[str]] = {}


def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    if not params:
        return {}
    return params if type(params) is dict else dict(params)


def _ref(r: engine.RuleRef) -> list[str]:
    found = _REF_JSON.get(r)
    if found is None:
        if len(_REF_JSON) > 10_000:
            _REF_JSON.clear()
        found = _REF_JSON[r] = [r.rule_id, r.citation, r.version.isoformat(), r.confidence]
    return list(found)


def _breakdown(bd: engine.Breakdown, *, nested: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rules": [_ref(r) for r in bd.rules],
        "steps": [[s.code, _params(s.params)] for s in bd.steps],
        "law": bd.law,
    }
    if bd.alternative is not None and not nested:
        out["alternative"] = dated(bd.alternative, nested=True)
    return out


def dated(result: engine.DatedResult, *, nested: bool = False) -> dict[str, Any]:
    day = result.date
    return {
        "status": result.status,
        "date": day.isoformat() if day else None,
        "reason": result.reason,
        "reason_params": _params(result.reason_params),
        "target": result.target,
        "conditions": [
            {"code": c.code, "met": c.met, "params": _params(c.params)} for c in result.conditions
        ]
        if result.conditions
        else [],
        "breakdown": _breakdown(result.breakdown, nested=nested),
    }


def calculation_json(calc: engine.Calculation) -> dict[str, Any]:
    if calc.dates is None:
        return {
            "ok": False,
            "issues": [
                {
                    "code": i.code,
                    "field": i.field,
                    "params": _params(i.params),
                    "message": i.message,
                }
                for i in calc.issues
            ],
        }
    d = calc.dates
    inputs = d.end_of_sentence.breakdown.inputs
    return {
        "ok": True,
        "inputs": _params(inputs),
        "end_of_sentence": dated(d.end_of_sentence),
        "parole": dated(d.parole),
        "replacement": dated(d.replacement_by_milder),
        "transfers": [dated(t) for t in d.transfers],
        "preferential": dated(d.preferential_conditions),
        "mandatory": {
            "value": d.mandatory_parole_candidate.value,
            "breakdown": _breakdown(d.mandatory_parole_candidate.breakdown),
        },
    }


# --- Fingerprint of a stored calculation ------------------------------------------------------------

# Changed whenever what is stored for a calculation changes form (the breakdown's steps, the
# JSON): every stored row then differs and the next recalculation rewrites it.
FINGERPRINT_FORMAT = "1"


def _mapping_text(params: Mapping[str, Any] | None) -> str:
    return repr(sorted(params.items())) if params else ""


def _breakdown_text(
    bd: engine.Breakdown, digests: Mapping[engine.RuleRef, str], out: list[str]
) -> None:
    out.append(bd.law)
    out.append(str(len(bd.rules)))
    out.extend([digests.get(r) or repr(r) for r in bd.rules])
    if bd.alternative is not None:
        out.append("alternative")
        _dated_text(bd.alternative, digests, out)


def _dated_text(
    r: engine.DatedResult, digests: Mapping[engine.RuleRef, str], out: list[str]
) -> None:
    day = r.date
    out.append(r.status)
    out.append(day.isoformat() if day is not None else "")
    out.append(r.reason)
    out.append(_mapping_text(r.reason_params))
    out.append(r.target)
    out.append(str(len(r.conditions)))
    for c in r.conditions:
        out.append(c.code)
        out.append("1" if c.met else "0")
        out.append(_mapping_text(c.params))
    _breakdown_text(r.breakdown, digests, out)


def calculation_fingerprint(
    sentence: engine.Sentence, calc: engine.Calculation, digests: Mapping[engine.RuleRef, str]
) -> str:
    """A digest that changes whenever the stored row would: the engine's inputs, and every date,
    status, reason, condition, rule cited (by its content) and law chosen. The breakdown's steps
    are not read (a calculation without explanation has none): they follow from the inputs and
    the rules' content. The same for a calculation with or without explanation."""
    out = [FINGERPRINT_FORMAT, repr(sentence)]
    d = calc.dates
    if d is None:
        for i in calc.issues:
            out.extend((i.code, i.field, _mapping_text(i.params), i.message))
    else:
        _dated_text(d.end_of_sentence, digests, out)
        _dated_text(d.parole, digests, out)
        _dated_text(d.replacement_by_milder, digests, out)
        out.append(str(len(d.transfers)))
        for t in d.transfers:
            _dated_text(t, digests, out)
        _dated_text(d.preferential_conditions, digests, out)
        out.append("1" if d.mandatory_parole_candidate.value else "0")
        _breakdown_text(d.mandatory_parole_candidate.breakdown, digests, out)
    return hashlib.blake2b("\x1f".join(out).encode(), digest_size=16).hexdigest()


def _first_transfer(dates: engine.SentenceDates) -> engine.DatedResult | None:
    with_date = [t for t in dates.transfers if t.date is not None]
    if with_date:
        return min(with_date, key=lambda t: t.date or date.max)
    return dates.transfers[0] if dates.transfers else None


def calculation_columns(calc: engine.Calculation) -> dict[str, Any]:
    """The indexed columns of SentenceCalculation for one engine result (computed values)."""
    if calc.dates is None:
        return {
            "ok": False,
            "end_of_sentence": None,
            "parole_date": None,
            "parole_status": "invalid",
            "parole_reason": (calc.issues[0].code if calc.issues else "")[:40],
            "replacement_date": None,
            "transfer_date": None,
            "transfer_target": "",
            "transfer_conditions_met": False,
            "preferential_date": None,
            "mandatory_parole": False,
        }
    d = calc.dates
    transfer = _first_transfer(d)
    return {
        "ok": True,
        "end_of_sentence": d.end_of_sentence.date,
        "parole_date": d.parole.date,
        "parole_status": d.parole.status,
        "parole_reason": d.parole.reason[:40],
        "replacement_date": d.replacement_by_milder.date,
        "transfer_date": transfer.date if transfer else None,
        "transfer_target": transfer.target if transfer else "",
        "transfer_conditions_met": bool(transfer and transfer.conditions_met),
        "preferential_date": d.preferential_conditions.date,
        "mandatory_parole": d.mandatory_parole_candidate.value,
    }
