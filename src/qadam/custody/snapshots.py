"""Month-start snapshots of the population, so that the population on any date is a short read.

The population at the end of day D counts the stays open at T_D = `end_of_day(D)`: started
before T_D and not ended before it. Every stay ends at or after its start, so

    population(T) = #stays started before T − #stays ended before T, and
    population(T_D) = snapshot(T_C) + #stays started in [T_C, T_D) − #stays ended in [T_C, T_D)

for any earlier instant T_C, exactly, grouped by any column of the stay (for a later T_C the
signs turn). A snapshot stores the counts at the end of the 1st day of a month
(`PopulationSnapshot`, with the same meaning as `Stay.objects.on(day)`) by institution, section,
legal status and sex (the snapshot key). The population on D is then read in one statement: the
snapshot of the nearest 1st of a month (of D's month or the next) and the stays that started and
ended in between — two short range scans on the start and end indexes, at most half a month
long, whatever the length of the history.

Consistency:
- A snapshot is stored only for a day that ended at least a whole day before today
  (`last_storable_day`); events cannot be in the future, so ordinary events (dated now) never
  touch a stored snapshot.
- `stays_changed` is called by `custody.services.rebuild_stays` in the writer's transaction with
  the person's stays before and after. It compares them as +1 / −1 steps per snapshot key; when
  the earliest difference lies before today (a backdated event or a correction) it increments the
  generation row and deletes the snapshots whose instant follows the difference.
- A missing snapshot is computed on demand (from the nearest stored one, or by counting the
  stays) and stored only if the generation did not move meanwhile: the generation is read before
  computing and read again under a lock (`SELECT ... FOR UPDATE` on PostgreSQL, the write lock of
  an IMMEDIATE transaction on SQLite) before storing, so a snapshot computed from stays that a
  concurrent writer was changing is never stored.
- A read checks that the generation it saw with the snapshot is the one its counting statement
  saw; otherwise a backdated writer committed in between, and the read is repeated.

Snapshots are derived data like the stays themselves: they are written without an audit row.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F, IntegerField, QuerySet, Subquery, Sum, Value
from django.utils import timezone

from qadam.custody.models import (
    PopulationSnapshot,
    PopulationSnapshotCount,
    PopulationSnapshotGeneration,
    Stay,
)
from qadam.custody.querysets import end_of_day

# (institution_id, section_id, legal_status, sex)
Key = tuple[int, int | None, str, str]
KEY_FIELDS = ("institution_id", "section_id", "legal_status", "sex")
# A stay as the snapshots see it: its key, start and end.
StayFacts = tuple[int, int | None, str, str, datetime, datetime | None]

logger = logging.getLogger(__name__)

GENERATION_ID = 1
# The union's marker row that carries the generation (no stay has this legal status).
_GENERATION_MARK = "~generation"
# A missing snapshot is computed from a stored one at most this far away; otherwise by counting.
MAX_DELTA_DAYS = 370
READ_ATTEMPTS = 3


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def last_storable_day(today: date | None = None) -> date:
    """The last day whose snapshot may be stored: it ended at the start of yesterday, so an
    event dated now (or recorded a few hours late) cannot fall before its end."""
    return (today or timezone.localdate()) - timedelta(days=2)


def snapshot_days_for(day: date, today: date | None = None) -> list[date]:
    """The snapshots that can serve the population on `day`, the nearest first: the 1st of its
    month and the 1st of the next month, those that are storable (at least one always is)."""
    last = last_storable_day(today)
    before = month_start(min(day, last))
    after = next_month(day)
    if day > last or after > last:
        return [before]
    if end_of_day(after) - end_of_day(day) < end_of_day(day) - end_of_day(before):
        return [after, before]
    return [before, after]


# --- Reading ------------------------------------------------------------------------------------


def _scoped(queryset: QuerySet[Any], institution_ids: Sequence[int] | None) -> QuerySet[Any]:
    if institution_ids is None:
        return queryset
    return queryset.filter(institution_id__in=list(institution_ids))


def _generation_row() -> QuerySet[Any]:
    return (
        PopulationSnapshotGeneration.objects.filter(pk=GENERATION_ID)
        .annotate(
            a=Value(None, output_field=IntegerField()),
            b=Value(None, output_field=IntegerField()),
            c=Value(_GENERATION_MARK),
            d=Value(""),
            n=F("value"),
        )
        .values_list("a", "b", "c", "d", "n")
        .order_by()
    )


def _snapshot_rows(snapshot_id: int, institution_ids: Sequence[int] | None) -> QuerySet[Any]:
    rows: QuerySet[Any] = PopulationSnapshotCount.objects.filter(snapshot_id=snapshot_id)
    counted: QuerySet[Any] = (
        _scoped(rows, institution_ids)
        .values(*KEY_FIELDS)
        .annotate(n=Sum("count"))
        .values_list(*KEY_FIELDS, "n")
        .order_by()
    )
    return counted


def _steps(
    column: str, since: datetime, until: datetime, sign: int, institution_ids: Sequence[int] | None
) -> QuerySet[Any]:
    """Stays whose `column` (start or end) lies in [since, until), counted by key, times sign."""
    stays: QuerySet[Any] = Stay.objects.filter(**{f"{column}__gte": since, f"{column}__lt": until})
    counted: QuerySet[Any] = (
        _scoped(stays, institution_ids)
        .values(*KEY_FIELDS)
        .annotate(n=Count("id") * sign)
        .values_list(*KEY_FIELDS, "n")
        .order_by()
    )
    return counted


def _delta_parts(
    since: datetime, until: datetime, institution_ids: Sequence[int] | None
) -> list[QuerySet[Any]]:
    """Steps that carry the population at `since` to `until` (either may be the later one)."""
    if since == until:
        return []
    if since < until:
        return [
            _steps("start", since, until, 1, institution_ids),
            _steps("end", since, until, -1, institution_ids),
        ]
    return [
        _steps("start", until, since, -1, institution_ids),
        _steps("end", until, since, 1, institution_ids),
    ]


def _run(parts: list[QuerySet[Any]]) -> tuple[Counter[Key], int | None]:
    """One statement (UNION ALL): counts by key, and the generation the statement saw."""
    counts: Counter[Key] = Counter()
    generation: int | None = None
    query = parts[0].union(*parts[1:], all=True).order_by() if len(parts) > 1 else parts[0]
    for institution_id, section_id, legal_status, sex, n in query:
        if legal_status == _GENERATION_MARK:
            generation = n
        else:
            counts[(institution_id, section_id, legal_status, sex)] += n
    return counts, generation


def direct_counts(day: date, institution_ids: Sequence[int] | None = None) -> Counter[Key]:
    """The population on `day` by key, counted over all the stays (no snapshot)."""
    counts: Counter[Key] = Counter()
    rows = (
        _scoped(Stay.objects.on(day), institution_ids).values(*KEY_FIELDS).annotate(n=Count("id"))
    )
    for row in rows.values_list(*KEY_FIELDS, "n").order_by():
        counts[row[:4]] += row[4]
    return counts


def counts_by_key(day: date, institution_ids: Sequence[int] | None = None) -> Counter[Key]:
    """The population on `day` as known now, by snapshot key: the nearest stored snapshot of
    `snapshot_days_for(day)` (the nearest one computed and stored first if neither is) and the
    stays that started and ended in between. Equal to `direct_counts` at every moment."""
    if institution_ids is not None and not institution_ids:
        return Counter()
    candidates = snapshot_days_for(day)
    generation_now = Subquery(
        PopulationSnapshotGeneration.objects.filter(pk=GENERATION_ID).values("value")[:1]
    )
    for _attempt in range(READ_ATTEMPTS):
        found = {
            snapshot_day: (snapshot_id, generation)
            for snapshot_id, snapshot_day, generation in PopulationSnapshot.objects.filter(
                day__in=candidates
            )
            .annotate(generation=generation_now)
            .values_list("pk", "day", "generation")
        }
        stored = [candidate for candidate in candidates if candidate in found]
        if not stored:
            if ensure_snapshot(candidates[0]) is None:
                break  # a backdated change came in meanwhile, or the database is busy
            continue
        snapshot_id, seen = found[stored[0]]
        parts = [
            _snapshot_rows(snapshot_id, institution_ids),
            *_delta_parts(end_of_day(stored[0]), end_of_day(day), institution_ids),
            _generation_row(),
        ]
        counts, generation = _run(parts)
        if generation == seen:
            return +counts
    return +direct_counts(day, institution_ids)


# --- Storing ------------------------------------------------------------------------------------


def _generation() -> int | None:
    return (
        PopulationSnapshotGeneration.objects.filter(pk=GENERATION_ID)
        .values_list("value", flat=True)
        .first()
    )


def _locked_generation() -> int | None:
    """The generation, locked until the end of the transaction (PostgreSQL: the row lock; SQLite:
    the IMMEDIATE transaction already holds the database's write lock)."""
    return (
        PopulationSnapshotGeneration.objects.select_for_update()
        .filter(pk=GENERATION_ID)
        .values_list("value", flat=True)
        .first()
    )


def _computed(target: date) -> tuple[Counter[Key], int | None] | None:
    """The counts on `target` from the nearest stored snapshot (or None when none is close)."""
    earlier = (
        PopulationSnapshot.objects.filter(day__lt=target).order_by("-day").values_list("pk", "day")
    )
    later = (
        PopulationSnapshot.objects.filter(day__gt=target).order_by("day").values_list("pk", "day")
    )
    candidates = [row for row in (earlier.first(), later.first()) if row is not None]
    candidates = [row for row in candidates if abs((row[1] - target).days) <= MAX_DELTA_DAYS]
    if not candidates:
        return None
    snapshot_id, day = min(candidates, key=lambda row: abs((row[1] - target).days))
    parts = [
        _snapshot_rows(snapshot_id, None),
        *_delta_parts(end_of_day(day), end_of_day(target), None),
        _generation_row(),
    ]
    return _run(parts)


def _store(target: date, counts: Counter[Key]) -> int:
    """Write one snapshot: its counts in one multi-row statement (a national snapshot has a few
    hundred keys; the ORM's model instances would cost more than the counting)."""
    snapshot = PopulationSnapshot.objects.create(day=target)
    table = PopulationSnapshotCount._meta
    quote = connection.ops.quote_name
    columns = ("snapshot_id", *KEY_FIELDS, "count")
    sql = (
        f"INSERT INTO {quote(table.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join('%s' for _ in columns)})"
    )
    rows = [(snapshot.pk, *key, n) for key, n in counts.items() if n > 0]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return snapshot.pk


def ensure_snapshot(target: date) -> int | None:
    """The id of the snapshot of `target` (a storable day), computed and stored if missing;
    None when a backdated change of the stays came in while it was computed, or when the
    database stayed locked by a long write (SQLite): nothing is stored then."""
    if target > last_storable_day():
        raise ValueError(f"{target} is too recent for a snapshot")
    before = _generation()
    if before is None:
        # Created by the migration; missing only after a flush. A writer creating it meanwhile
        # holds the insert until it commits, so its change is seen below.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            PopulationSnapshotGeneration.objects.create(pk=GENERATION_ID, value=0)
        before = _generation()
    computed = _computed(target)
    if computed is not None:
        counts, seen = computed
        if seen != before:
            return None
    else:
        counts = direct_counts(target)
    try:
        with transaction.atomic():
            if _locked_generation() != before:
                return None
            existing = PopulationSnapshot.objects.filter(day=target).values_list("pk", flat=True)
            if (found := existing.first()) is not None:
                return found
            return _store(target, counts)
    except OperationalError:
        logger.warning("population snapshot of %s not stored: the database is busy", target)
        return None


def build_month_snapshots(today: date | None = None, since: date | None = None) -> int:
    """Replace every snapshot by a fresh chain (for bulk loads, which write stays without
    `rebuild_stays`): the 1st of each month from the month of `since` (default: of the earliest
    stay) to the last storable day, the first counted, each next one from the one before and the
    stays that started and ended in between. Earlier months are computed on first use. Returns
    the number stored."""
    earliest = Stay.objects.order_by("start").values_list("start", flat=True).first()
    last = last_storable_day(today)
    with transaction.atomic():
        _bump_generation()
        PopulationSnapshot.objects.all().delete()
        if earliest is None:
            return 0
        day = month_start(max(since or date.min, timezone.localtime(earliest).date()))
        counts = direct_counts(day)
        stored = 0
        while day <= last:
            _store(day, counts)
            stored += 1
            following = next_month(day)
            if following <= last:
                delta, _seen = _run(_delta_parts(end_of_day(day), end_of_day(following), None))
                counts = +(counts + delta)
            day = following
        return stored


# --- Invalidation -------------------------------------------------------------------------------


def earliest_difference(old: Iterable[StayFacts], new: Iterable[StayFacts]) -> datetime | None:
    """The first instant at which two sets of stays give a different population for some key:
    each stay is a +1 step at its start and a −1 step at its end."""
    steps: Counter[tuple[datetime, Key]] = Counter()
    for facts, sign in ((old, -1), (new, 1)):
        for institution_id, section_id, legal_status, sex, start, end in facts:
            key = (institution_id, section_id, legal_status, sex)
            steps[(start, key)] += sign
            if end is not None:
                steps[(end, key)] -= sign
    changed = [instant for (instant, _key), n in steps.items() if n]
    return min(changed) if changed else None


def _bump_generation() -> None:
    bumped = PopulationSnapshotGeneration.objects.filter(pk=GENERATION_ID).update(
        value=F("value") + 1
    )
    if not bumped:
        try:
            with transaction.atomic():
                PopulationSnapshotGeneration.objects.create(pk=GENERATION_ID, value=1)
        except IntegrityError:  # created meanwhile by another writer
            PopulationSnapshotGeneration.objects.filter(pk=GENERATION_ID).update(
                value=F("value") + 1
            )


def stays_changed(old: Iterable[StayFacts], new: Iterable[StayFacts]) -> None:
    """Called in the writer's transaction after a person's stays were rewritten: a change that
    reaches back before today moves the generation and deletes the snapshots it affects."""
    earliest = earliest_difference(old, new)
    if earliest is None:
        return
    today_starts = end_of_day(timezone.localdate() - timedelta(days=1))
    if earliest >= today_starts:
        return  # no snapshot can be affected (see last_storable_day)
    _bump_generation()  # first: a reader storing a snapshot now holds this row until it commits
    # A snapshot of day C counts at end_of_day(C); it changes if that instant follows `earliest`.
    first_affected = timezone.localtime(earliest).date()
    PopulationSnapshot.objects.filter(day__gte=first_affected).delete()


__all__ = [
    "KEY_FIELDS",
    "build_month_snapshots",
    "counts_by_key",
    "direct_counts",
    "earliest_difference",
    "ensure_snapshot",
    "last_storable_day",
    "snapshot_days_for",
    "stays_changed",
]
