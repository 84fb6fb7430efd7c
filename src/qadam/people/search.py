"""Person search: by name (Cyrillic or Latin, typo-tolerant, any word order), IIN or case number.

Every candidate comes through `Person.objects.visible_to(user)`, so a search never finds a record
outside the user's scope. Names are matched in two steps:

1. Candidates from the stored phonetic keys (`people.identity.name_key`: Жанибеков, Жәнібеков,
   Zhanibekov and Janibekov share one key), read in bounded, indexed tiers — surname key and first
   name key together, surname key alone, then a key prefix to catch typos — and from aliases.
2. Ranking with rapidfuzz: each word of the query against the candidate's surname, first name
   and patronymic (transliterated to Latin, and by key), averaged over the query's words.

Records merged into another are found through their survivor. Each search is audited with its
filters and result count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from rapidfuzz import fuzz

from qadam.core.audit import audit_search
from qadam.people.identity import name_key, transliterate
from qadam.people.models import Alias, Person

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.people.querysets import PersonQuerySet

# Bounds that keep a search fast on ~400,000 persons: no tier reads more rows than this.
CANDIDATE_LIMIT = 1000
PREFIX_CANDIDATE_LIMIT = 600
MERGED_CANDIDATE_LIMIT = 50
# A candidate whose average word score is below this is not shown.
MIN_SCORE = 70.0
# Results kept after ranking (the search page pages through them).
RESULT_LIMIT = 1000

IIN_PATTERN = re.compile(r"\d{12}")
CASE_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/-]*\d[A-Za-z0-9/-]*")
_WORD_SPLIT = re.compile(r"[\s,;]+")

LEGAL_STATUS_FILTERS = ("remand", "sentenced", "none")


@dataclass(frozen=True)
class SearchHit:
    person_id: int
    score: float
    surname: str
    first_name: str
    birth_date: date | None
    case_number: str
    via_alias: str = ""
    via_merged: str = ""


@dataclass
class SearchResult:
    """Ranked hits, best first. `kind` says how the query was read: iin, case_number, name."""

    query: str
    kind: str
    hits: list[SearchHit] = field(default_factory=list)
    truncated: bool = False

    @property
    def total(self) -> int:
        return len(self.hits)

    @property
    def person_ids(self) -> list[int]:
        return [hit.person_id for hit in self.hits]

    def sorted_by(self, key: str) -> list[SearchHit]:
        """The hits ordered by relevance (default), surname, birth_date or case_number."""
        name = key.lstrip("-")
        reverse = key.startswith("-")
        if name == "surname":
            return sorted(
                self.hits, key=lambda h: (h.surname, h.first_name, h.person_id), reverse=reverse
            )
        if name == "birth_date":
            return sorted(
                self.hits, key=lambda h: (h.birth_date or date.min, h.person_id), reverse=reverse
            )
        if name == "case_number":
            return sorted(self.hits, key=lambda h: h.case_number, reverse=reverse)
        return list(reversed(self.hits)) if reverse else list(self.hits)

    def persons(self, hits: Sequence[SearchHit] | None = None) -> list[Person]:
        """The Person rows for `hits` (all by default), in that order, ready for a list page."""
        chosen = list(self.hits if hits is None else hits)
        ids = [h.person_id for h in chosen]
        rows = Person.objects.filter(pk__in=ids).for_list().in_bulk(ids)
        people: list[Person] = []
        for hit in chosen:
            person = rows.get(hit.person_id)
            if person is not None:
                person.search_hit = hit
                people.append(person)
        return people


def normalise_query(query: str) -> str:
    return " ".join(query.split())[:200]


def classify(query: str) -> str:
    """How a query is read: an IIN (12 digits), a case number (has a digit), or a name."""
    compact = query.replace(" ", "")
    if not compact:
        return "empty"
    if IIN_PATTERN.fullmatch(compact):
        return "iin"
    if any(c.isdigit() for c in compact) and CASE_NUMBER_PATTERN.fullmatch(compact):
        return "case_number"
    if any(c.isdigit() for c in compact):
        return "case_number"
    return "name"


def _next_prefix(prefix: str) -> str | None:
    """The smallest key greater than every key starting with `prefix` (keys are a–z only)."""
    trimmed = prefix.rstrip("z")
    if not trimmed:
        return None
    return trimmed[:-1] + chr(ord(trimmed[-1]) + 1)


def _prefix_q(field_name: str, prefix: str) -> Q:
    """`field startswith prefix` as an index-friendly range on both SQLite and PostgreSQL."""
    condition = Q(**{f"{field_name}__gte": prefix})
    upper = _next_prefix(prefix)
    if upper is not None:
        condition &= Q(**{f"{field_name}__lt": upper})
    return condition


@dataclass(frozen=True)
class _Word:
    latin: str
    key: str


@lru_cache(maxsize=65536)
def _prepared(name: str) -> _Word:
    """A name's Latin letters and phonetic key; names repeat a lot, so this is cached."""
    return _Word(re.sub(r"[^a-z]", "", transliterate(name.lower())), name_key(name))


def _words(text: str) -> list[_Word]:
    words = [_prepared(raw) for raw in _WORD_SPLIT.split(text.strip())]
    return [w for w in words if w.latin and w.key][:4]


def _score(query: Sequence[_Word], names: Iterable[str]) -> float:
    """Average over the query's words of each word's best match among the candidate's names."""
    candidate = [_prepared(name) for name in names if name]
    if not candidate or not query:
        return 0.0
    total = 0.0
    for word in query:
        best = 0.0
        for other in candidate:
            similarity = fuzz.ratio(word.latin, other.latin)
            if word.key == other.key:
                # Same phonetic key: a kk/ru spelling or transliteration of the same name.
                similarity = max(similarity, 98.0)
            best = max(best, similarity)
        total += best
    return total / len(query)


_VALUES = (
    "pk",
    "case_number",
    "surname",
    "first_name",
    "patronymic",
    "birth_date",
)


def _apply_filters(queryset: PersonQuerySet, legal_status: str) -> PersonQuerySet:
    if legal_status == "none":
        return queryset.filter(current_institution__isnull=True)
    if legal_status in ("remand", "sentenced"):
        return queryset.filter(legal_status=legal_status, current_institution__isnull=False)
    return queryset


class _Collector:
    def __init__(self, words: Sequence[_Word]) -> None:
        self.words = words
        self.hits: dict[int, SearchHit] = {}

    def add(self, row: Sequence[Any], *, via_alias: str = "", via_merged: str = "") -> None:
        pk, case_number, surname, first_name, patronymic, born = row[:6]
        score = _score(self.words, (surname, first_name, patronymic))
        if via_alias:
            score = max(score, _score(self.words, via_alias.split()))
        if score < MIN_SCORE:
            return
        previous = self.hits.get(pk)
        if previous is None or previous.score < score:
            self.hits[pk] = SearchHit(
                pk, score, surname, first_name, born, case_number, via_alias, via_merged
            )

    @property
    def good(self) -> int:
        return len(self.hits)


def _name_search(
    scoped: PersonQuerySet, everyone: PersonQuerySet, words: Sequence[_Word]
) -> tuple[list[SearchHit], bool]:
    collector = _Collector(words)
    keys = sorted({w.key for w in words})
    truncated = False
    seen: set[int] = set()

    def read(condition: Q, limit: int) -> int:
        nonlocal truncated
        rows = list(scoped.filter(condition).order_by().values_list(*_VALUES)[: limit + 1])
        if len(rows) > limit:
            truncated = True
            rows = rows[:limit]
        for row in rows:
            if row[0] not in seen:
                seen.add(row[0])
                collector.add(row)
        return len(rows)

    # Tier 1: "surname first-name" in either order, both keys exact or the first name by prefix.
    if len(words) > 1:
        pair = Q()
        for surname_word in words:
            for first_word in words:
                if surname_word is not first_word:
                    pair |= Q(surname_key=surname_word.key) & _prefix_q(
                        "first_name_key", first_word.key[:2]
                    )
        read(pair, CANDIDATE_LIMIT)
    # Tier 2: the surname key alone (one word, or no pair matched).
    if collector.good == 0:
        read(Q(surname_key__in=keys), CANDIDATE_LIMIT)
    # Tier 3: key prefixes, for typos that change the key's tail.
    if collector.good < 20:
        prefix_q = Q()
        for word in words:
            if len(word.key) >= 3:
                prefix_q |= _prefix_q("surname_key", word.key[: max(3, len(word.key) - 1)])
        if prefix_q:
            read(prefix_q, PREFIX_CANDIDATE_LIMIT)
    # Aliases: a hit on another name the person has used finds the person.
    alias_rows = list(
        Alias.objects.filter(surname_key__in=keys)
        .order_by()
        .values_list("person_id", "surname", "first_name", "patronymic")[:CANDIDATE_LIMIT]
    )
    if alias_rows:
        alias_names = {pid: " ".join(p for p in (s, f, pa) if p) for pid, s, f, pa in alias_rows}
        _add_from_ids(collector, scoped, everyone, alias_names)
    # Records merged into another: found through their survivor.
    merged = list(
        everyone.filter(Q(surname_key__in=keys), merged_into__isnull=False)
        .order_by()
        .values_list("merged_into_id", "surname", "first_name", "patronymic", "case_number")[
            :MERGED_CANDIDATE_LIMIT
        ]
    )
    if merged:
        survivors: dict[int, tuple[str, str]] = {}
        for survivor_id, s, f, pa, case_number in merged:
            name = " ".join(p for p in (s, f, pa) if p)
            if _score(words, name.split()) >= MIN_SCORE:
                survivors[survivor_id] = (name, case_number)
        if survivors:
            rows = scoped.filter(pk__in=list(survivors)).order_by().values_list(*_VALUES)
            for row in rows:
                name, case_number = survivors[row[0]]
                collector.add(row, via_alias=name, via_merged=case_number)
    hits = sorted(
        collector.hits.values(), key=lambda h: (-h.score, h.surname, h.first_name, h.person_id)
    )
    if len(hits) > RESULT_LIMIT:
        truncated = True
        hits = hits[:RESULT_LIMIT]
    return hits, truncated


def _add_from_ids(
    collector: _Collector,
    scoped: PersonQuerySet,
    everyone: PersonQuerySet,
    alias_names: dict[int, str],
) -> None:
    ids = list(alias_names)
    # An alias may belong to a record merged into another: follow it to the survivor.
    redirect = dict(
        everyone.filter(pk__in=ids, merged_into__isnull=False)
        .order_by()
        .values_list("pk", "merged_into_id")
    )
    wanted: dict[int, str] = {}
    for pid, name in alias_names.items():
        wanted[redirect.get(pid, pid)] = name
    for row in scoped.filter(pk__in=list(wanted)).order_by().values_list(*_VALUES):
        collector.add(row, via_alias=wanted[row[0]])


def _exact(scoped: PersonQuerySet, everyone: PersonQuerySet, condition: Q) -> list[SearchHit]:
    hits: dict[int, SearchHit] = {}
    for row in scoped.filter(condition).order_by().values_list(*_VALUES)[:50]:
        hits[row[0]] = SearchHit(row[0], 100.0, row[2], row[3], row[5], row[1])
    merged = dict(
        everyone.filter(condition, merged_into__isnull=False)
        .order_by()
        .values_list("merged_into_id", "case_number")[:50]
    )
    if merged:
        for row in scoped.filter(pk__in=list(merged)).order_by().values_list(*_VALUES):
            if row[0] not in hits:
                hits[row[0]] = SearchHit(
                    row[0], 99.0, row[2], row[3], row[5], row[1], via_merged=merged[row[0]]
                )
    return sorted(hits.values(), key=lambda h: (-h.score, h.surname, h.first_name))


def search_persons(
    *,
    user: User,
    query: str,
    legal_status: str = "",
    audit: bool = True,
    verb: str = "person search",
    extra_filters: dict[str, Any] | None = None,
) -> SearchResult:
    """Find persons the user may see. `audit=False` only when the caller audits (an export)."""
    text = normalise_query(query)
    kind = classify(text)
    result = SearchResult(query=text, kind=kind)
    everyone: PersonQuerySet = Person.objects.all()
    scoped = _apply_filters(Person.objects.visible_to(user), legal_status)
    if kind == "iin":
        result.hits = _exact(scoped, everyone, Q(iin=text.replace(" ", "")))
    elif kind == "case_number":
        compact = text.replace(" ", "")
        result.hits = _exact(
            scoped, everyone, Q(case_number__in=sorted({compact, compact.upper()}))
        )
    elif kind == "name":
        words = _words(text)
        if words:
            result.hits, result.truncated = _name_search(scoped, everyone, words)
    if audit and kind != "empty":
        audit_search(
            actor=user,
            verb=verb,
            filters={
                "q": text,
                "kind": kind,
                "legal_status": legal_status,
                **(extra_filters or {}),
            },
            result_count=result.total,
        )
    return result
