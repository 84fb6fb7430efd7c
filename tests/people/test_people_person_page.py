"""The person page: what it shows, scope, audit, a fixed number of queries, sections, actions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from people_helpers import admit, named

from factories import InstitutionFactory, moment, region, staff
from qadam.core.models import Alert, AuditEvent
from qadam.core.roles import Role
from qadam.custody import services
from qadam.people.models import (
    AdmissionRecord,
    Child,
    IdentityDocument,
    NextOfKin,
    Person,
    PropertyItem,
)
from qadam.people.sections import PersonSection, register, unregister

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A", region=region("KZ-35"))
    b = InstitutionFactory(code="B", region=region("KZ-55"))
    setup = staff(Role.HEAD, a, b)
    reception = staff(Role.RECEPTION, a, b)
    person = admit(named("Жанибеков", "Нурлан", patronymic="Серикович"), a, reception)
    far = admit(named("Борисов", "Олег"), b, reception)
    return {
        "a": a,
        "b": b,
        "setup": setup,
        "reception": reception,
        "person": person,
        "far": far,
        "officer": staff(Role.RECEPTION, a),
        "head": staff(Role.HEAD, a),
    }


def page(user: Any, person: Person, **params: Any) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(reverse("people:person_detail", kwargs={"pk": person.pk}), params)


def with_admission_record(person: Person, actor: Any, *, children: int = 1, kin: int = 1) -> None:
    movement = person.movements.get(kind="admission")
    record = AdmissionRecord.objects.create(
        person=person,
        movement=movement,
        commitment_reason="Suspected theft, CC art. 188 part 2",
        commitment_authority="Almaty district court",
        arrested_at=moment(31),
        arrest_place="Almaty, Abay avenue",
        visible_injuries="Bruise on the left forearm",
        ill_treatment_complaint="Says he was struck during arrest",
        rights_informed_at=moment(30),
        information_language="Kazakh",
        interpreter_needed=False,
        recorded_by=actor,
    )
    PropertyItem.objects.create(admission=record, description="Wrist watch", quantity=1)
    for index in range(kin):
        NextOfKin.objects.create(person=person, name=f"Айгуль {index}", relationship="wife")
    for index in range(children):
        Child.objects.create(
            person=person,
            name=f"Дана {index}",
            birth_date=date(2015, 3, 1),
            whereabouts="Almaty, with grandmother",
            carer="Гульнара Жанибекова",
        )
    IdentityDocument.objects.create(person=person, kind="id_card", number=f"0{person.pk}12345")


def test_page_shows_identity_place_basis_and_rule_7_record(world: dict[str, Any]) -> None:
    person = world["person"]
    with_admission_record(person, world["reception"])
    response = page(world["officer"], person)
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        "Жанибеков Нурлан Серикович",
        "Zhanibekov Nurlan Serikovich",
        person.iin,
        person.case_number,
        "No photo on record",
        world["a"].name,
        "On remand",
        f"R-{person.pk}",
        "Suspected theft, CC art. 188 part 2",
        "Bruise on the left forearm",
        "Says he was struck during arrest",
        "Wrist watch",
        "Айгуль 0",
        "Дана 0",
        "Almaty, with grandmother",
        f"0{person.pk}12345",
    ):
        assert expected in html, expected
    assert ">valid<" in html
    assert "Борисов" not in html


def test_person_outside_scope_is_not_found(world: dict[str, Any]) -> None:
    assert page(world["officer"], world["far"]).status_code == 404
    assert not AuditEvent.objects.filter(person_id=world["far"].pk, action="view").exists()


def test_role_without_view_person_is_refused(world: dict[str, Any]) -> None:
    analyst = staff(Role.ANALYST, national=True)
    assert page(analyst, world["person"]).status_code == 403


def test_viewing_writes_one_audit_event_naming_the_person(world: dict[str, Any]) -> None:
    person = world["person"]
    page(world["officer"], person)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, actor=world["officer"])
    assert [(e.person_id, e.verb) for e in events] == [(person.pk, "person page viewed")]


def _thirty_movements(person: Person, world: dict[str, Any]) -> None:
    actor = world["reception"]
    for index in range(14):
        services.person_absence_out(
            actor=actor,
            person=person,
            data=services.MovementInput(occurred_at=moment(29 - index, 9), institution=world["a"]),
            absence_reason="court",
        )
        services.person_absence_return(
            actor=actor,
            person=person,
            data=services.MovementInput(occurred_at=moment(29 - index, 17), institution=world["a"]),
        )
    wrong = services.person_absence_out(
        actor=actor,
        person=person,
        data=services.MovementInput(occurred_at=moment(2, 9), institution=world["a"]),
        absence_reason="hospital",
    )
    services.movement_correct(actor=world["setup"], movement=wrong, reason="Entered twice")


def test_query_count_does_not_grow_with_the_record(world: dict[str, Any]) -> None:
    small = world["person"]
    with_admission_record(small, world["reception"], children=1, kin=1)
    big = admit(named("Иванов", "Сергей"), world["a"], world["reception"])
    with_admission_record(big, world["reception"], children=6, kin=5)
    _thirty_movements(big, world)
    assert big.movements.count() == 31  # admission, 28 absences and returns, event + correction
    client = Client()
    client.force_login(world["head"])
    counts = []
    for person in (small, big):
        url = reverse("people:person_detail", kwargs={"pk": person.pk})
        client.get(url)  # warm the session alike for both
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 30, counts


def test_query_count_is_bounded(world: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    person = world["person"]
    _thirty_movements(person, world)
    client = Client()
    client.force_login(world["head"])
    url = reverse("people:person_detail", kwargs={"pk": person.pk})
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200


def test_corrections_are_struck_through_and_explained(world: dict[str, Any]) -> None:
    person = world["person"]
    _thirty_movements(person, world)
    html = page(world["head"], person).content.decode()
    assert "<del>" in html
    assert "reversed" in html
    assert "Entered twice" in html


def test_timeline_is_paged_and_the_partial_is_audited(world: dict[str, Any]) -> None:
    person = world["person"]
    _thirty_movements(person, world)
    client = Client()
    client.force_login(world["officer"])
    url = reverse("people:person_timeline", kwargs={"pk": person.pk})
    response = client.get(url, {"page": 2}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="timeline"')
    assert "Page 2 of 2" in html
    assert "Admission" in html  # the oldest event is on the last page
    event = AuditEvent.objects.filter(actor=world["officer"]).latest("id")
    assert (event.person_id, event.verb, event.details["page"]) == (
        person.pk,
        "person timeline viewed",
        "2",
    )
    full = client.get(url)
    assert full.status_code == 200
    assert "<html" in full.content.decode()


def test_held_past_the_lawful_date_shows_a_red_alarm(world: dict[str, Any]) -> None:
    person = admit(
        named("Сейтов", "Ерлан"), world["a"], world["reception"], lawful_until=moment(3).date()
    )
    html = page(world["officer"], person).content.decode()
    assert 'class="alarm" role="alert"' in html
    assert "Held past the lawful date." in html
    assert "3 days ago" in html


def test_expiring_detention_shows_an_amber_warning(world: dict[str, Any], settings: Any) -> None:
    settings.DETENTION_EXPIRY_WARNING_DAYS = 7
    person = admit(
        named("Сейтов", "Ерлан"), world["a"], world["reception"], lawful_until=moment(-5).date()
    )
    html = page(world["officer"], person).content.decode()
    assert "Detention expiring soon." in html
    assert "in 5 days" in html
    assert 'class="alarm"' not in html


def test_open_alerts_are_listed(world: dict[str, Any]) -> None:
    person = world["person"]
    Alert.objects.create(
        kind=Alert.Kind.DETENTION_EXPIRING,
        person=person,
        institution=world["a"],
        due_date=timezone.localdate() + timedelta(days=2),
    )
    html = page(world["officer"], person).content.decode()
    assert "Detention order expiring" in html


def test_registered_sections_render_and_empty_ones_do_not(world: dict[str, Any]) -> None:
    register(
        PersonSection(
            key="test_dates",
            title="Sentence dates (test)",
            template="people/tests/section.html",
            context=lambda request, record: {"text": f"Release on {record.person.case_number}"},
        )
    )
    register(
        PersonSection(
            key="test_empty",
            title="Nothing to show (test)",
            template="people/tests/section.html",
            context=lambda request, record: None,
        )
    )
    try:
        from django.template import engines

        engine = engines["django"].engine  # type: ignore[attr-defined]
        from django.template.loaders.locmem import Loader  # noqa: F401

        html = _page_with_test_template(world, engine)
    finally:
        unregister("test_dates")
        unregister("test_empty")
    assert "Sentence dates (test)" in html
    assert f"Release on {world['person'].case_number}" in html
    assert "Nothing to show (test)" not in html


def _page_with_test_template(world: dict[str, Any], engine: Any) -> str:
    from unittest import mock

    from django.template import Template

    original = engine.get_template

    def get_template(name: str) -> Any:
        if name == "people/tests/section.html":
            return Template("<p>{{ section.text }}</p>", engine=engine)
        return original(name)

    with mock.patch.object(engine, "get_template", side_effect=get_template):
        return str(page(world["officer"], world["person"]).content.decode())


def test_action_buttons_follow_capability_and_existing_routes(world: dict[str, Any]) -> None:
    from qadam.people.views import url_or_none

    assert url_or_none("custody:no_such_route", pk=1) is None
    person = world["person"]
    officer_html = page(world["officer"], person).content.decode()
    assert reverse("people:merge_request", kwargs={"pk": person.pk}) in officer_html
    psychologist = staff(Role.PSYCHOLOGIST, world["a"])
    html = page(psychologist, person).content.decode()
    assert reverse("people:merge_request", kwargs={"pk": person.pk}) not in html
    transfer = url_or_none("custody:transfer", pk=person.pk)
    if transfer is not None:  # the custody forms may not have landed yet
        assert transfer in officer_html
        assert transfer not in html


def test_merged_record_opens_the_survivor(world: dict[str, Any]) -> None:
    duplicate = named("Жанибеков", "Нурлан")
    Person.objects.filter(pk=duplicate.pk).update(
        merged_into=world["person"], last_institution=world["a"]
    )
    response = page(world["officer"], duplicate)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "people:person_detail", kwargs={"pk": world["person"].pk}
    )
