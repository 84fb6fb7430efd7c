"""Custody pages and forms: errors shown on the fields, scoping, exports, double submits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, moment, region, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody import services
from qadam.custody.models import DetentionBasis, Movement
from qadam.people.identity import make_iin
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A", region=region("KZ-35"))
    b = InstitutionFactory(code="B", region=region("KZ-55"))
    officer = staff(Role.RECEPTION, a)
    setup = staff(Role.RECEPTION, a, b)
    people = {}
    for key, institution in (("pa", a), ("pb", b)):
        person = PersonFactory(case_number=f"Q-V-{key}")
        basis = services.basis_record(
            actor=setup,
            person=person,
            kind=DetentionBasis.Kind.REMAND_ORDER,
            authority="Court",
            document_number=f"{key}-1",
            issued_on=moment(40).date(),
            valid_until=moment(-30).date(),
        )
        services.person_admit(
            actor=setup,
            person=person,
            data=services.MovementInput(occurred_at=moment(30), institution=institution),
            legal_status="remand",
            basis=basis,
        )
        person.refresh_from_db()
        people[key] = person
    client = Client()
    client.force_login(officer)
    return {"a": a, "b": b, "officer": officer, "client": client, **people}


GOOD_IIN = make_iin(timezone.datetime(1988, 3, 9).date(), "M", 77)
BAD_IIN = GOOD_IIN[:-1] + str((int(GOOD_IIN[-1]) + 1) % 10)


def stamp(days_ago: float = 0) -> str:
    value = timezone.localtime(timezone.now() - timedelta(days=days_ago, minutes=2))
    return value.strftime("%Y-%m-%dT%H:%M")


def test_institution_list_is_scoped_and_exports(world: dict[str, Any]) -> None:
    client = world["client"]
    page = client.get(reverse("custody:institution_list")).content.decode()
    assert world["a"].name in page
    assert world["b"].name not in page
    csv = client.get(reverse("custody:institution_list") + "?format=csv")
    body = b"".join(csv.streaming_content).decode()  # type: ignore[attr-defined]
    assert "A," in body
    assert "B," not in body
    xlsx = client.get(reverse("custody:institution_list") + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="export", verb="institutions exported").count() == 2
    assert AuditEvent.objects.filter(action="search", verb="institutions listed").count() == 1


def test_population_page_counts_and_rejects_a_future_date(world: dict[str, Any]) -> None:
    client = world["client"]
    page = client.get(reverse("custody:population"), {"dimension": "legal_status"})
    assert page.status_code == 200
    assert page.context["total"] == 1  # only A is in the officer's scope
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    bad = client.get(reverse("custody:population"), {"day": future})
    assert bad.status_code == 200
    assert "Choose today or a past date." in bad.content.decode()
    assert "mode" not in bad.context["form"].fields  # as-recorded is for heads and auditors


def test_release_form_shows_the_service_error_on_the_field(world: dict[str, Any]) -> None:
    client = world["client"]
    url = reverse("custody:release", kwargs={"pk": world["pa"].pk})
    response = client.post(
        url, {"occurred_at": stamp(40), "release_reason": "court_decision", "token": "t-1"}
    )
    assert response.status_code == 200
    assert "had not been admitted by that date" in str(response.context["form"].errors)
    assert Movement.objects.filter(kind="release").count() == 0


def test_release_without_reason_names_the_field(world: dict[str, Any]) -> None:
    client = world["client"]
    url = reverse("custody:release", kwargs={"pk": world["pa"].pk})
    response = client.post(url, {"occurred_at": stamp(), "release_reason": ""})
    assert "release_reason" in response.context["form"].errors


def test_double_submit_records_once(world: dict[str, Any]) -> None:
    client = world["client"]
    url = reverse("custody:release", kwargs={"pk": world["pa"].pk})
    data = {"occurred_at": stamp(), "release_reason": "court_decision", "token": "same-token"}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == 302
    assert second.status_code == 302
    assert Movement.objects.filter(kind="release", person=world["pa"]).count() == 1
    world["pa"].refresh_from_db()
    assert world["pa"].current_institution is None


def test_forms_for_persons_outside_scope_are_hidden(world: dict[str, Any]) -> None:
    client = world["client"]
    assert client.get(reverse("custody:release", kwargs={"pk": world["pb"].pk})).status_code == 404
    response = client.post(
        reverse("custody:release", kwargs={"pk": world["pb"].pk}),
        {"occurred_at": stamp(), "release_reason": "court_decision"},
    )
    assert response.status_code == 404
    assert Movement.objects.filter(kind="release").count() == 0


def test_transfer_then_arrival_seen_by_the_receiving_institution(world: dict[str, Any]) -> None:
    client = world["client"]
    response = client.post(
        reverse("custody:transfer", kwargs={"pk": world["pa"].pk}),
        {
            "occurred_at": stamp(1),
            "destination": world["b"].pk,
            "reason": "Court hearing in Pavlodar",
            "escort": "Convoy 7",
            "token": "tr-1",
        },
    )
    assert response.status_code == 302
    receiver = Client()
    receiver.force_login(staff(Role.RECEPTION, world["b"]))
    url = reverse("custody:arrival", kwargs={"pk": world["pa"].pk})
    assert receiver.get(url).status_code == 200
    assert receiver.post(url, {"occurred_at": stamp(), "token": "ar-1"}).status_code == 302
    world["pa"].refresh_from_db()
    assert world["pa"].current_institution == world["b"]


def test_live_validation_returns_field_errors_out_of_band(world: dict[str, Any]) -> None:
    client = world["client"]
    response = client.post(
        reverse("custody:admit_validate"),
        {
            "surname": "Сапаров",
            "birth_date": "1988-03-09",
            "sex": "M",
            "iin": BAD_IIN,
        },
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="errors-id_iin" class="field-errors" aria-live="polite" hx-swap-oob="true">' in body
    assert "IIN" in body
    # Fields left empty are not judged before the submit.
    assert (
        'id="errors-id_commitment_reason" class="field-errors" aria-live="polite" hx-swap-oob="true"></div>'
        in body
    )


def test_admission_form_first_with_errors_then_correct(world: dict[str, Any]) -> None:
    client = world["client"]
    url = reverse("custody:admit")
    assert client.get(url).status_code == 200
    data = {
        "token": "adm-1",
        "surname": "Сапаров",
        "first_name": "Айдар",
        "birth_date": "1988-03-09",
        "sex": "M",
        "iin": BAD_IIN,
        "citizenship": "KZ",
        "language": "kk",
        "commitment_reason": "Suspected theft",
        "commitment_authority": "Investigator",
        "arrested_at": stamp(2),
        "arrest_place": "Almaty",
        "rights_informed_at": stamp(1),
        "information_language": "kk",
        "basis_kind": "remand_order",
        "basis_authority": "Court",
        "basis_number": "1-9",
        "basis_issued_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "basis_valid_until": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "institution": world["a"].pk,
        "legal_status": "remand",
        "occurred_at": stamp(),
        "kin-TOTAL_FORMS": "2",
        "kin-INITIAL_FORMS": "0",
        "kin-0-name": "Сапарова Гульнара",
        "kin-0-relationship": "wife",
        "child-TOTAL_FORMS": "2",
        "child-INITIAL_FORMS": "0",
        "property-TOTAL_FORMS": "3",
        "property-INITIAL_FORMS": "0",
    }
    before = Person.objects.count()
    bad = client.post(url, data)
    assert bad.status_code == 200
    assert "iin" in bad.context["form"].errors
    assert Person.objects.count() == before
    data["iin"] = GOOD_IIN
    good = client.post(url, data)
    assert good.status_code == 302, good.context["form"].errors if good.context else ""
    person = Person.objects.get(surname="Сапаров")
    assert person.current_institution == world["a"]
    assert person.lawful_until == timezone.localdate() + timedelta(days=60)


def test_correction_needs_a_reason_and_the_head(world: dict[str, Any]) -> None:
    head = Client()
    head.force_login(staff(Role.HEAD, world["a"]))
    admission = Movement.objects.get(person=world["pa"], kind="admission")
    url = reverse("custody:correct", kwargs={"movement_pk": admission.pk})
    assert world["client"].get(url).status_code == 403
    empty = head.post(url, {"reason": ""})
    assert "reason" in empty.context["form"].errors
    done = head.post(url, {"reason": "Admitted under the wrong record"})
    assert done.status_code == 302
    world["pa"].refresh_from_db()
    assert world["pa"].current_institution is None
