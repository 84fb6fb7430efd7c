"""The demo's bulk writer: rows as tuples, defaults, datetimes, and the tables restored after a load."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import IntegrityError, connection

from qadam.custody.models import Stay
from qadam.demo.writer import IdBlock, Table, bulk_load
from qadam.people.models import NextOfKin, Person

FIELDS = ("id", "case_number", "surname", "first_name", "birth_date", "sex", "created_at")


def _person_rows(table: Table, count: int) -> None:
    ids = IdBlock(Person)
    almaty = timezone(timedelta(hours=5))
    for number in range(count):
        created = datetime(2020, 1, 1, 10, tzinfo=UTC) + timedelta(minutes=number)
        if number == 1:
            created = datetime(2019, 6, 1, 15, 30, tzinfo=almaty)  # 10:30 UTC
        table.add(
            (
                ids.take(),
                f"W-{number:05d}",
                "Тестов",
                "Иван",
                date(1990, 1, 1) + timedelta(days=number),
                "M",
                table.stamp(created),
            )
        )


def _schema(tables: list[str]) -> set[Any]:
    """The indexes of `tables` and (PostgreSQL) their constraints, by definition."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            placeholders = ", ".join("%s" for _ in tables)
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({placeholders})",
                tables,
            )
            return set(cursor.fetchall())
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables]
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        return indexes | set(cursor.fetchall())


def test_a_table_needs_known_fields_and_the_id() -> None:
    with pytest.raises(ValueError, match="no field nickname"):
        Table(Person, ("id", "nickname"))
    with pytest.raises(ValueError, match="must give the id"):
        Table(Person, ("surname",))


@pytest.mark.django_db
def test_rows_are_written_with_their_defaults_and_datetimes_in_utc() -> None:
    table = Table(Person, FIELDS)
    _person_rows(table, 1203)  # SQLite: two statements of 500 rows and one of 203
    with bulk_load([Person]):
        assert table.flush() == 1203
    persons = Person.objects.filter(case_number__startswith="W-").order_by("case_number")
    assert persons.count() == table.written == 1203
    first, second, last = persons[0], persons[1], persons[1202]
    assert (first.surname, first.first_name, first.sex) == ("Тестов", "Иван", "M")
    assert first.created_at == datetime(2020, 1, 1, 10, tzinfo=UTC)
    assert second.created_at == datetime(2019, 6, 1, 10, 30, tzinfo=UTC)
    assert last.birth_date == date(1990, 1, 1) + timedelta(days=1202)
    # The fields the rows leave out take the model's defaults.
    assert (first.citizenship, first.language, first.other_language) == ("KZ", "kk", "")
    assert first.merged_into_id is None
    assert first.photo.name == ""
    # Django reads back what it would have written itself.
    assert persons.filter(created_at=datetime(2019, 6, 1, 10, 30, tzinfo=UTC)).get() == second


@pytest.mark.django_db
def test_a_row_of_the_wrong_width_is_refused() -> None:
    table = Table(Person, FIELDS)
    table.add((IdBlock(Person).take(), "W-1", "Тестов"))
    with pytest.raises(ValueError, match="3 values for 7 fields"):
        table.flush()


@pytest.mark.django_db
def test_the_load_leaves_the_indexes_and_constraints_as_they_were() -> None:
    tables = [Person._meta.db_table, Stay._meta.db_table]
    before = _schema(tables)
    assert before
    with bulk_load([Person, Stay]):
        assert _schema(tables) < before  # secondary indexes (and foreign keys) dropped
    assert _schema(tables) == before


@pytest.mark.django_db
def test_sqlite_wants_datetimes_through_stamp() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL takes the datetimes themselves")
    table = Table(Person, FIELDS)
    table.add((IdBlock(Person).take(), "W-1", "Тестов", "Иван", None, "M", datetime.now(tz=UTC)))
    with pytest.raises(TypeError, match=r"Person\.created_at: give datetimes through"):
        table.flush()


@pytest.mark.django_db
def test_postgresql_checks_every_reference_when_the_load_ends() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite checks them after a load outside a transaction")
    tables = [NextOfKin._meta.db_table]
    before = _schema(tables)
    table = Table(NextOfKin, ("id", "person_id", "name"))
    table.add((IdBlock(NextOfKin).take(), 987_654_321, "Нет такого"))
    with pytest.raises(IntegrityError), bulk_load([NextOfKin]):
        table.flush()
    assert _schema(tables) == before  # rolled back, constraints included
    assert not NextOfKin.objects.exists()
