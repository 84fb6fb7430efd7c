"""Person search: Cyrillic/Latin/kk-ru spellings, typos, IIN, case number, aliases, scope, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from people_helpers import admit, named

from factories import InstitutionFactory, region, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.people.models import Alias, Person
from qadam.people.search import classify, search_persons

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A", region=region("KZ-35"))
    b = InstitutionFactory(code="B", region=region("KZ-55"))
    setup = staff(Role.RECEPTION, a, b)
    zhanibekov = admit(named("Жанибеков", "Нурлан", patronymic="Серикович"), a, setup)
    other = admit(named("Жанибеков", "Асхат"), a, setup)
    ivanov = admit(named("Иванов", "Сергей"), a, setup)
    far = admit(named("Жанибеков", "Нурлан", patronymic="Ерланович"), b, setup)
    officer = staff(Role.RECEPTION, a)
    national = staff(Role.AUDITOR, national=True)
    return {
        "a": a,
        "b": b,
        "zhanibekov": zhanibekov,
        "other": other,
        "ivanov": ivanov,
        "far": far,
        "officer": officer,
        "national": national,
    }


def ids(world: dict[str, Any], query: str, user_key: str = "officer") -> list[int]:
    return search_persons(user=world[user_key], query=query).person_ids


@pytest.mark.parametrize(
    "query",
    [
        "Жанибеков Нурлан",
        "Нурлан Жанибеков",  # any order
        "Жәнібеков Нұрлан",  # Kazakh spelling
        "Zhanibekov Nurlan",  # passport transliteration
        "Janibekov Nurlan",  # informal Latin spelling
        "nurlan zhanibekov",
        "Жанибекоф Нурлан",  # typo in the surname
        "Жанибеков Нурлн",  # typo in the first name (a vowel)
        "Жанибеков Нурман",  # typo in the first name (a consonant)
        "Жанибебов Нурлан",  # typo changing a consonant of the surname
    ],
)
def test_name_variants_find_the_person_first(world: dict[str, Any], query: str) -> None:
    found = ids(world, query)
    assert found[0] == world["zhanibekov"].pk
    assert world["ivanov"].pk not in found
    assert world["other"].pk not in found  # Асхат is not Нурлан


def test_surname_alone_finds_every_bearer_in_scope(world: dict[str, Any]) -> None:
    found = ids(world, "Жанибеков")
    assert set(found) == {world["zhanibekov"].pk, world["other"].pk}


def test_typo_changing_the_key_tail_is_caught_by_prefix(world: dict[str, Any]) -> None:
    # "Жанибеко" loses the final consonant: key "jnbk" is a prefix of "jnbkv".
    assert world["zhanibekov"].pk in ids(world, "Жанибеко")


def test_person_in_another_institution_is_not_found(world: dict[str, Any]) -> None:
    found = ids(world, "Жанибеков Нурлан")
    assert world["far"].pk not in found
    assert world["far"].pk not in ids(world, world["far"].iin)
    assert ids(world, world["far"].case_number) == []
    # A national user sees both Нурлан Жанибековs.
    national = ids(world, "Жанибеков Нурлан", "national")
    assert {world["zhanibekov"].pk, world["far"].pk} <= set(national)


def test_iin_is_exact(world: dict[str, Any]) -> None:
    person = world["ivanov"]
    assert ids(world, person.iin) == [person.pk]
    assert ids(world, f"{person.iin[:6]} {person.iin[6:]}") == [person.pk]
    wrong = person.iin[:11] + str((int(person.iin[11]) + 1) % 10)
    assert ids(world, wrong) == []
    assert classify(person.iin) == "iin"


def test_case_number_is_exact_and_case_insensitive(world: dict[str, Any]) -> None:
    person = world["ivanov"]
    assert ids(world, person.case_number) == [person.pk]
    assert ids(world, person.case_number.lower()) == [person.pk]
    assert ids(world, person.case_number[:-1]) == []
    assert classify(person.case_number) == "case_number"


def test_alias_hit_finds_the_person(world: dict[str, Any]) -> None:
    from qadam.people.identity import name_key

    Alias.objects.create(
        person=world["ivanov"], surname="Петров", first_name="Олег", surname_key=name_key("Петров")
    )
    result = search_persons(user=world["officer"], query="Petrov Oleg")
    assert result.person_ids == [world["ivanov"].pk]
    assert result.hits[0].via_alias == "Петров Олег"


def test_merged_record_is_found_through_its_survivor(world: dict[str, Any]) -> None:
    duplicate = named("Жанибекова", "Айгуль", sex="F")
    Person.objects.filter(pk=duplicate.pk).update(
        merged_into=world["ivanov"], last_institution=world["a"]
    )
    result = search_persons(user=world["officer"], query="Жанибекова Айгуль")
    assert result.person_ids == [world["ivanov"].pk]
    assert result.hits[0].via_merged == duplicate.case_number
    by_case = search_persons(user=world["officer"], query=duplicate.case_number)
    assert by_case.person_ids == [world["ivanov"].pk]


def test_legal_status_filter(world: dict[str, Any]) -> None:
    assert ids(world, "Иванов") == [world["ivanov"].pk]
    result = search_persons(user=world["officer"], query="Иванов", legal_status="sentenced")
    assert result.person_ids == []


def test_each_search_is_audited_with_filters_and_count(world: dict[str, Any]) -> None:
    search_persons(user=world["officer"], query="Жанибеков", legal_status="remand")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).latest("id")
    assert event.actor == world["officer"]
    assert event.details["filters"]["q"] == "Жанибеков"
    assert event.details["filters"]["legal_status"] == "remand"
    assert event.details["result_count"] == 2


def test_user_without_view_person_finds_nothing(world: dict[str, Any]) -> None:
    analyst = staff(Role.ANALYST, national=True)
    assert search_persons(user=analyst, query="Жанибеков").person_ids == []


class TestSearchPage:
    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def test_page_lists_results_with_latin_names(self, world: dict[str, Any]) -> None:
        response = self.client(world["officer"]).get(
            reverse("people:search"), {"q": "Zhanibekov Nurlan"}
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert world["zhanibekov"].case_number in html
        assert "Zhanibekov Nurlan Serikovich" in html
        assert world["far"].case_number not in html

    def test_empty_and_no_result_states(self, world: dict[str, Any]) -> None:
        client = self.client(world["officer"])
        empty = client.get(reverse("people:search")).content.decode()
        assert "Type a surname" in empty
        none = client.get(reverse("people:search"), {"q": "Qwertyuiop"}).content.decode()
        assert "Nothing found" in none

    def test_htmx_request_gets_only_the_results(self, world: dict[str, Any]) -> None:
        response = self.client(world["officer"]).get(
            reverse("people:search"),
            {"q": "Иванов"},
            headers={"HX-Request": "true", "HX-Target": "search-results"},
        )
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="search-results"')
        assert world["ivanov"].case_number in html
        assert "<html" not in html

    def test_csv_export_is_audited_and_scoped(self, world: dict[str, Any]) -> None:
        response = self.client(world["officer"]).get(
            reverse("people:search"), {"q": "Жанибеков", "format": "csv"}
        )
        body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        assert world["zhanibekov"].case_number in body
        assert world["far"].case_number not in body
        event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("id")
        assert event.details["row_count"] == 2

    def test_xlsx_export(self, world: dict[str, Any]) -> None:
        response = self.client(world["officer"]).get(
            reverse("people:search"), {"q": "Иванов", "format": "xlsx"}
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")

    def test_export_needs_export_lists(self, world: dict[str, Any]) -> None:
        medical = staff(Role.MEDICAL, world["a"])
        response = self.client(medical).get(
            reverse("people:search"), {"q": "Иванов", "format": "csv"}
        )
        assert response.status_code == 403

    def test_bad_input_never_500(self, world: dict[str, Any]) -> None:
        client = self.client(world["officer"])
        for query in ("%", "'; drop table", "ж" * 500, "1234", "---", "\x00"):
            response = client.get(reverse("people:search"), {"q": query, "sort": "nonsense"})
            assert response.status_code == 200, query
