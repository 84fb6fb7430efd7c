"""Subject-access export: everything held about one person, audited, for the auditor only."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from people_helpers import admit, named

from factories import InstitutionFactory, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody.models import Institution
from qadam.people.models import Alias, Child, IdentityDocument, NextOfKin

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A", sex_profile=Institution.SexProfile.FEMALE)
    reception = staff(Role.RECEPTION, a)
    person = admit(
        named("Жанибекова", "Айгуль", sex="F", birth_date=date(1992, 4, 2)), a, reception
    )
    Alias.objects.create(person=person, surname="Сейтова", surname_key="stv")
    NextOfKin.objects.create(person=person, name="Ерлан Жанибеков", relationship="husband")
    Child.objects.create(
        person=person,
        name="Дана Жанибекова",
        birth_date=date(2016, 1, 5),
        whereabouts="Shymkent, grandmother's home",
        carer="Гульнара Сейтова",
    )
    IdentityDocument.objects.create(person=person, kind="id_card", number="045612378")
    return {"a": a, "person": person, "auditor": staff(Role.AUDITOR, national=True)}


def get(user: Any, person: Any, fmt: str = "") -> Any:
    client = Client()
    client.force_login(user)
    url = reverse("people:subject_access", kwargs={"pk": person.pk})
    return client.get(url, {"format": fmt} if fmt else {})


def test_json_holds_everything_and_is_audited(world: dict[str, Any]) -> None:
    person = world["person"]
    Client().get("/")  # an unrelated request: no audit row for the person
    response = get(world["auditor"], person, "json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["person"]["iin"] == person.iin
    assert document["person"]["surname"] == "Жанибекова"
    assert "surname_key" not in document["person"]
    assert [a["surname"] for a in document["aliases"]] == ["Сейтова"]
    assert [k["name"] for k in document["next_of_kin"]] == ["Ерлан Жанибеков"]
    assert [c["whereabouts"] for c in document["children"]] == ["Shymkent, grandmother's home"]
    assert [d["number"] for d in document["identity_documents"]] == ["045612378"]
    assert [m["kind"] for m in document["movements"]] == ["admission"]
    assert [b["document_number"] for b in document["detention_bases"]] == [f"R-{person.pk}"]
    verbs = [e["what"] for e in document["audit_events"]]
    assert "person admitted" in verbs
    assert all("actor" not in e for e in document["audit_events"])  # staff named by role only
    assert document["whereabouts"] == "in_custody"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).get()
    assert (event.person_id, event.actor, event.verb) == (
        person.pk,
        world["auditor"],
        "subject-access export",
    )
    assert event.details["filters"] == {"format": "json"}


def test_readable_document_prints_the_same_content(world: dict[str, Any]) -> None:
    response = get(world["auditor"], world["person"])
    html = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "Everything held about Жанибекова Айгуль",
        "Сейтова",
        "Ерлан Жанибеков",
        "Shymkent, grandmother",
        "045612378",
        "Admission",
        "Who consulted or changed the record",
        "@media print",
    ):
        assert expected in html, expected
    assert AuditEvent.objects.filter(verb="subject-access export").count() == 1


def test_pdf(world: dict[str, Any]) -> None:
    response = get(world["auditor"], world["person"], "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.HEAD, Role.PROSECUTOR, Role.ADMIN])
def test_only_the_auditor_may_export(world: dict[str, Any], role: Role) -> None:
    user = staff(role, national=True)
    assert get(user, world["person"], "json").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_children_never_appear_in_list_exports(world: dict[str, Any]) -> None:
    officer = staff(Role.RECEPTION, world["a"])
    client = Client()
    client.force_login(officer)
    response = client.get(reverse("people:search"), {"q": "Жанибекова", "format": "csv"})
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert world["person"].case_number in body
    assert "Дана" not in body
