"""Fast bulk writes for generated data: explicit ids, rows as tuples, no model instances.

A `Table` is given the fields (attnames) its rows hold, in order; the model's other fields take
their default. SQLite gets multi-row `INSERT` statements through `executemany` on the raw
connection; PostgreSQL gets a binary `COPY ... FROM STDIN`. Every datetime of a row goes through
`Table.stamp` (aware, stored in UTC as Django stores it: SQLite keeps it as naive UTC text, which
is best made while the row is built). Ids are handed out by `IdBlock` from the table's current
maximum, so rows can refer to each other before they are written, and PostgreSQL's sequences are
moved past them afterwards (`reset_sequences`).

`bulk_load` prepares the tables for a large load and restores them afterwards: the secondary
indexes are dropped and built again in one pass each, and the foreign keys are checked once for
all rows instead of row by row (see there).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import chain
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

Row = tuple[Any, ...]
# Rows per SQLite INSERT statement (fewer when the columns would exceed the variable limit).
ROWS_PER_STATEMENT = 500


class IdBlock:
    """Hands out ids after the current maximum of a table."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.next = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class Table:
    """The rows of one model waiting to be written: tuples of the values of `fields`, in order."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model = model
        concrete = list(model._meta.concrete_fields)
        by_attname = {f.attname: f for f in concrete}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
        rest = [f for f in concrete if f.attname not in fields]
        if any(f.primary_key for f in rest):
            raise ValueError(f"{model.__name__}: rows must give the id (see IdBlock)")
        ordered = [by_attname[name] for name in fields] + rest
        if any(isinstance(f, models.JSONField) for f in ordered):
            raise NotImplementedError("JSON columns are written through the ORM")
        self.fields = list(fields)
        self.columns = [str(f.column) for f in ordered]
        self.width = len(fields)
        # The other fields' defaults, evaluated once for all rows.
        self.defaults: Row = tuple(f.get_default() for f in rest)
        self.datetime_indexes = [
            index for index, f in enumerate(ordered) if isinstance(f, models.DateTimeField)
        ]
        # How a datetime is given in a row, for this database.
        self.stamp: Callable[[datetime], Any] = (
            as_utc_text if connection.vendor == "sqlite" else _unchanged
        )
        self.rows: list[Row] = []
        self.add: Callable[[Row], None] = self.rows.append
        self.written = 0

    def flush(self) -> int:
        count = len(self.rows)
        if count:
            if len(self.rows[0]) != self.width:
                raise ValueError(
                    f"{self.model.__name__}: a row has {len(self.rows[0])} values "
                    f"for {self.width} fields"
                )
            write_rows(self, self.rows)
            self.written += count
            self.rows.clear()
        return count


def write_rows(table: Table, rows: Sequence[Row]) -> None:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        _copy_rows(table, rows)
    else:
        _insert_rows(table, rows)


def _quoted(table: Table) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(table.model._meta.db_table), ", ".join(quote(c) for c in table.columns)


def as_utc_text(value: datetime) -> str:
    """A datetime as Django stores it in SQLite: naive UTC text (a naive value is taken as UTC)."""
    if value.tzinfo is UTC:  # the usual case, first
        return value.replace(tzinfo=None).isoformat(" ")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _unchanged(value: datetime) -> datetime:
    return value


def _sqlite_literal(value: Any) -> str:
    """A default value as an SQL literal, as the Django backend would store it as a parameter."""
    if isinstance(value, datetime):
        value = as_utc_text(value)
    elif isinstance(value, (date, Decimal)):
        value = str(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for a default of type {type(value).__name__}")


def _insert_rows(table: Table, rows: Sequence[Row]) -> None:
    """SQLite: one prepared multi-row INSERT run for every full chunk, one for the rest (much
    less work per row than a statement per row); the defaults are literals of the statement."""
    raw = connection.connection
    assert raw is not None
    first = rows[0]
    for index in table.datetime_indexes:
        if index < table.width and isinstance(first[index], datetime):
            raise TypeError(
                f"{table.model.__name__}.{table.fields[index]}: give datetimes through Table.stamp"
            )
    db_table, columns = _quoted(table)
    width = table.width
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(ROWS_PER_STATEMENT, limit // width))
    row_values = "(" + ", ".join(["?"] * width + [_sqlite_literal(v) for v in table.defaults]) + ")"

    def statement(count: int) -> str:
        return f"INSERT INTO {db_table} ({columns}) VALUES " + ", ".join([row_values] * count)  # noqa: S608

    whole = len(rows) - len(rows) % per_statement
    if whole:
        raw.executemany(
            statement(per_statement),
            (
                list(chain.from_iterable(rows[start : start + per_statement]))
                for start in range(0, whole, per_statement)
            ),
        )
    if whole < len(rows):
        raw.execute(statement(len(rows) - whole), list(chain.from_iterable(rows[whole:])))


_postgresql_types: dict[str, list[int]] = {}


def _copy_rows(table: Table, rows: Iterable[Row]) -> None:
    """PostgreSQL: binary COPY, the column types read from the table once."""
    db_table, columns = _quoted(table)
    defaults = table.defaults
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor
        key = f"{db_table} ({columns})"
        if key not in _postgresql_types:
            raw_cursor.execute(f"SELECT {columns} FROM {db_table} LIMIT 0")  # noqa: S608
            assert raw_cursor.description is not None
            _postgresql_types[key] = [c.type_code for c in raw_cursor.description]
        with raw_cursor.copy(f"COPY {key} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_postgresql_types[key])
            write = copy.write_row
            if defaults:
                for row in rows:
                    write(row + defaults)
            else:
                for row in rows:
                    write(row)


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """After explicit ids: move PostgreSQL's sequences past the largest id (no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def bulk_load(models_: Iterable[type[models.Model]]) -> Iterator[None]:
    """Prepare the tables of `models_` for a large load (rows written between enter and exit).

    The secondary indexes Django created (not those behind primary keys and unique constraints)
    are dropped during the load and built again in one pass each, which is much faster than
    updating a dozen indexes row by row. The foreign keys are checked once for all rows at the
    end rather than for every row as it is written:

    - SQLite: a large page cache during the load; foreign key enforcement off (when not inside a
      transaction) and `PRAGMA foreign_key_check` afterwards (IntegrityError on a dangling key).
      Each batch commits on its own; the indexes are always recreated, also when the load fails.
    - PostgreSQL: the whole load is one transaction; the tables' foreign key constraints are
      dropped with the indexes and added back by their own definitions, which checks every row
      in one join each (instead of a trigger per row and key at each commit). A failed load
      rolls everything back, the schema included.
    """
    tables = [m._meta.db_table for m in models_]
    if connection.vendor == "postgresql":
        with transaction.atomic(), _postgresql_prepared(tables):
            yield
    elif connection.vendor == "sqlite":
        with _sqlite_prepared(tables):
            yield
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
        yield
    analyse(tables)


@contextmanager
def _sqlite_prepared(tables: list[str]) -> Iterator[None]:
    quote = connection.ops.quote_name
    checks_disabled = connection.disable_constraint_checking()
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-1000000")  # about 1 GB for the load
            placeholders = ", ".join("%s" for _ in tables)
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND tbl_name IN ({placeholders})",
                tables,
            )
            indexes = cursor.fetchall()
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for _name, sql in indexes:
                    cursor.execute(sql)
                cursor.execute("PRAGMA cache_size=-64000")
    finally:
        if checks_disabled:
            connection.enable_constraint_checking()
    if checks_disabled:
        connection.check_constraints(table_names=tables)


@contextmanager
def _postgresql_prepared(tables: list[str]) -> Iterator[None]:
    quote = connection.ops.quote_name
    # Foreign keys cannot be dropped or added while checks of this transaction are pending on
    # their tables (e.g. the system user created in the same transaction): run those first.
    connection.check_constraints()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # index builds sort in memory
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY conrelid, conname",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY indexrelid",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    connection.check_constraints()
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def analyse(tables: list[str]) -> None:
    """Fresh planner statistics after a bulk load (SQLite: sampled, so it stays quick)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=2000")
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")
