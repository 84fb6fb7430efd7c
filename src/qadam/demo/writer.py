"""Fast bulk writes for generated data: explicit ids, one multi-row statement per chunk.

SQLite gets `executemany` on the raw connection; PostgreSQL gets `COPY ... FROM STDIN`. Rows are
dicts keyed by field attname; missing fields take the model field's default. Ids are handed out
by `IdBlock` from the table's current maximum, so rows can refer to each other before they are
written, and PostgreSQL's sequences are moved past them afterwards (`reset_sequences`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max


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
    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.columns = [str(f.column) for f in fields]
        self.attnames = [f.attname for f in fields]
        self.defaults: dict[str, Any] = {}
        self.datetime_indexes: list[int] = []
        self.date_indexes: list[int] = []
        self.decimal_indexes: list[int] = []
        self.json_indexes: list[int] = []
        for index, f in enumerate(fields):
            if not f.primary_key:  # ids are always given (see IdBlock)
                self.defaults[f.attname] = f.get_default()
            if isinstance(f, models.DateTimeField):
                self.datetime_indexes.append(index)
            elif isinstance(f, models.DateField):
                self.date_indexes.append(index)
            elif isinstance(f, models.DecimalField):
                self.decimal_indexes.append(index)
            elif isinstance(f, models.JSONField):
                self.json_indexes.append(index)
        self.rows: list[list[Any]] = []
        self.written = 0

    def add(self, values: dict[str, Any]) -> None:
        defaults = self.defaults
        try:
            row = [values[a] if a in values else defaults[a] for a in self.attnames]
        except KeyError as missing:
            raise KeyError(f"{self.model.__name__}: no value for {missing}") from None
        self.rows.append(row)

    def flush(self) -> int:
        count = len(self.rows)
        if count:
            write_rows(self, self.rows)
            self.written += count
            self.rows = []
        return count


def _sqlite_value_fixers(table: Table) -> list[tuple[int, Any]]:
    def as_text_datetime(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ")

    def as_text_date(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    def as_text_decimal(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    fixers: list[tuple[int, Any]] = []
    fixers += [(i, as_text_datetime) for i in table.datetime_indexes]
    fixers += [(i, as_text_date) for i in table.date_indexes]
    fixers += [(i, as_text_decimal) for i in table.decimal_indexes]
    return fixers


def write_rows(table: Table, rows: Sequence[list[Any]]) -> None:
    quote = connection.ops.quote_name
    db_table = quote(table.model._meta.db_table)
    columns = ", ".join(quote(c) for c in table.columns)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        _copy_rows(table, db_table, columns, rows)
        return
    fixers = _sqlite_value_fixers(table)
    if table.json_indexes:
        raise NotImplementedError("JSON columns are written through the ORM")
    for row in rows:
        for index, fix in fixers:
            row[index] = fix(row[index])
    placeholders = ", ".join("?" for _ in table.columns)
    raw = connection.connection
    assert raw is not None
    raw.executemany(f"INSERT INTO {db_table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


def _copy_rows(table: Table, db_table: str, columns: str, rows: Iterable[list[Any]]) -> None:
    datetime_indexes = table.datetime_indexes
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor
        with raw_cursor.copy(f"COPY {db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                for index in datetime_indexes:
                    value = row[index]
                    if value is not None and value.tzinfo is None:
                        row[index] = value.replace(tzinfo=UTC)
                copy.write_row(row)


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """After explicit ids: move PostgreSQL's sequences past the largest id (no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def bulk_load(models_: Iterable[type[models.Model]]) -> Iterator[None]:
    """SQLite: a large page cache and the tables' secondary indexes dropped during the load, then
    built again in one pass each (much faster than updating a dozen indexes row by row).

    Only indexes Django created are dropped (not the automatic ones behind UNIQUE columns); they
    are always recreated, also when the load fails. PostgreSQL's COPY needs none of this.
    """
    tables = [m._meta.db_table for m in models_]
    if connection.vendor != "sqlite":
        yield
        analyse(tables)
        return
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
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
            cursor.execute("PRAGMA cache_size=-64000")
    analyse(tables)


def analyse(tables: list[str]) -> None:
    """Fresh planner statistics after a bulk load (SQLite: sampled, so it stays quick)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=2000")
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")
