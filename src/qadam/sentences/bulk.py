"""Writing many rows of one model at once (bulk recalculation, the demo data).

Django's `bulk_create` builds one long statement per few hundred rows and prepares every value
through its field, which for tens of thousands of rows costs more than computing them. Here each
column's value is adapted by the database backend's own functions (dates, date-times and JSON as
the field would; the rest as they are), then the driver sends the rows: SQLite executes one
INSERT for every row, PostgreSQL takes them with COPY. Rows are plain tuples in the order of the
field names; no model instances, no signals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Field


def _field(model: type[models.Model], name: str) -> Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, Field), name
    return found


def _prep_save(f: Field[Any, Any]) -> Callable[[Any], Any]:
    def prep(value: Any) -> Any:
        return f.get_db_prep_save(value, connection)

    return prep


def _adapters(fields: Sequence[Field[Any, Any]]) -> list[Callable[[Any], Any] | None]:
    ops = connection.ops
    out: list[Callable[[Any], Any] | None] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateField":
            out.append(ops.adapt_datefield_value)
        elif kind in ("DateTimeField", "JSONField"):
            out.append(_prep_save(f))
        else:
            out.append(None)
    return out


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    conflict: str | None = None,
) -> int:
    """Insert the rows (tuples of values for the fields `names`, foreign keys as ids). With
    `conflict` (a unique field among `names`), a row whose value is taken replaces the other
    columns of the row already there. Returns how many rows were sent.

    SQLite: one INSERT executed for every row. PostgreSQL: the rows are copied (COPY) into the
    table, or with `conflict` into a temporary table and inserted from there in one statement
    (an INSERT per row makes the server run tens of thousands of statements).
    """
    fields = [_field(model, name) for name in names]
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    columns = [ops.quote_name(f.column or f.attname) for f in fields]
    adapt = list(enumerate(_adapters(fields)))
    params: list[list[Any]] = []
    for row in rows:
        values = list(row)
        for i, how in adapt:
            if how is not None:
                values[i] = how(values[i])
        params.append(values)
    if not params:
        return 0
    upsert = ""
    if conflict is not None:
        key = columns[list(names).index(conflict)]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != key)
        upsert = f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        _copy(model, columns, params, upsert)
        return len(params)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(columns))}){upsert}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)


def _copy(
    model: type[models.Model], columns: list[str], params: list[list[Any]], upsert: str
) -> None:
    """PostgreSQL: COPY the rows into the table, or (`upsert`) into a temporary copy of its
    columns and from there into the table in one INSERT … ON CONFLICT."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(columns)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the driver's cursor: Django's wrapper has no COPY
        target = table
        if upsert:
            target = ops.quote_name(f"bulk_{model._meta.db_table}")
            raw.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {target} AS "  # noqa: S608 - names from the model
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            raw.execute(f"TRUNCATE {target}")
        with raw.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for values in params:
                copy.write_row(values)
        if upsert:
            raw.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {target}{upsert}"  # noqa: S608 - names from the model
            )


def reserve_ids(model: type[models.Model], count: int) -> range:
    """`count` primary keys above every one in use, for rows inserted with their ids (so that
    rows referring to them can be written without reading the ids back); `ids_inserted` then
    moves the database's sequence past them."""
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
    return range(top + 1, top + 1 + count)


def ids_inserted(model: type[models.Model]) -> None:
    """Move the primary-key sequence past the ids `reserve_ids` handed out (PostgreSQL; SQLite
    follows the largest id by itself)."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
