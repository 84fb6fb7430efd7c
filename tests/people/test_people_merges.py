"""Merges through the web: request, second-person approval, rejection, undo, both histories."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from people_helpers import admit, named

from factories import InstitutionFactory, moment, region, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody import services
from qadam.people.models import Person, PersonMerge

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(code="A", region=region("KZ-35"))
    b = InstitutionFactory(code="B", region=region("KZ-55"))
    reception = staff(Role.RECEPTION, a)
    survivor = admit(named("Жанибеков", "Нурлан"), a, reception, number="R-1")
    duplicate = admit(named("Жәнібеков", "Нұрлан"), a, reception, days_ago=400, number="R-2")
    services.person_release(
        actor=reception,
        person=duplicate,
        data=services.MovementInput(occurred_at=moment(200), institution=a),
        release_reason="end_of_sentence",
    )
    duplicate.refresh_from_db()
    far = admit(named("Жанибеков", "Нурлан"), b, staff(Role.RECEPTION, b))
    return {
        "a": a,
        "reception": reception,
        "head": staff(Role.HEAD, a),
        "other_head": staff(Role.HEAD, a),
        "survivor": survivor,
        "duplicate": duplicate,
        "far": far,
    }


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def request_merge(world: dict[str, Any], user_key: str = "reception") -> Any:
    return client_for(world[user_key]).post(
        reverse("people:merge_request", kwargs={"pk": world["survivor"].pk}),
        {"duplicate_case_number": world["duplicate"].case_number, "reason": "Same IIN owner"},
    )


def test_request_then_approval_by_another_person_keeps_both_histories(
    world: dict[str, Any],
) -> None:
    response = request_merge(world)
    merge = PersonMerge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:merge_detail", kwargs={"pk": merge.pk})
    assert merge.status == PersonMerge.Status.REQUESTED
    head = client_for(world["head"])
    response = head.post(
        reverse("people:merge_decide", kwargs={"pk": merge.pk}), {"decision": "approve"}
    )
    assert response.status_code == 302
    merge.refresh_from_db()
    assert merge.status == PersonMerge.Status.APPROVED
    assert merge.decided_by == world["head"]
    assert Person.objects.get(pk=world["duplicate"].pk).merged_into_id == world["survivor"].pk
    html = head.get(
        reverse("people:person_detail", kwargs={"pk": world["survivor"].pk})
    ).content.decode()
    assert f"from merged record {world['duplicate'].case_number}" in html
    assert "Release" in html  # the duplicate's release is in the survivor's history
    assert "R-2" in html  # and its legal basis
    assert AuditEvent.objects.filter(verb="merge approved", actor=world["head"]).count() == 1


def test_requester_cannot_approve_their_own_request(world: dict[str, Any]) -> None:
    request_merge(world, "head")
    merge = PersonMerge.objects.get()
    head = client_for(world["head"])
    page = head.get(reverse("people:merge_detail", kwargs={"pk": merge.pk})).content.decode()
    assert "someone else must decide" in page
    response = head.post(
        reverse("people:merge_decide", kwargs={"pk": merge.pk}), {"decision": "approve"}
    )
    assert response.status_code == 400
    assert "someone other than who asked" in response.content.decode()
    merge.refresh_from_db()
    assert merge.status == PersonMerge.Status.REQUESTED
    assert Person.objects.get(pk=world["duplicate"].pk).merged_into_id is None


def test_rejection_needs_a_reason_and_writes_nothing_without(world: dict[str, Any]) -> None:
    request_merge(world)
    merge = PersonMerge.objects.get()
    head = client_for(world["head"])
    url = reverse("people:merge_decide", kwargs={"pk": merge.pk})
    response = head.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 400
    assert "Say why the merge is rejected." in response.content.decode()
    merge.refresh_from_db()
    assert merge.status == PersonMerge.Status.REQUESTED
    assert head.post(url, {"decision": "reject", "reason": "Different mothers"}).status_code == 302
    merge.refresh_from_db()
    assert merge.status == PersonMerge.Status.REJECTED


def test_undo_separates_the_records_again(world: dict[str, Any]) -> None:
    request_merge(world)
    merge = PersonMerge.objects.get()
    head = client_for(world["head"])
    head.post(reverse("people:merge_decide", kwargs={"pk": merge.pk}), {"decision": "approve"})
    undo_url = reverse("people:merge_undo", kwargs={"pk": merge.pk})
    refused = head.post(undo_url, {"reason": ""})
    assert refused.status_code == 400
    assert client_for(world["other_head"]).post(undo_url, {"reason": "Twins"}).status_code == 302
    merge.refresh_from_db()
    assert merge.status == PersonMerge.Status.UNDONE
    assert Person.objects.get(pk=world["duplicate"].pk).merged_into_id is None
    html = head.get(
        reverse("people:person_detail", kwargs={"pk": world["survivor"].pk})
    ).content.decode()
    assert "from merged record" not in html


def test_duplicate_must_be_in_scope_and_errors_name_the_field(world: dict[str, Any]) -> None:
    client = client_for(world["reception"])
    url = reverse("people:merge_request", kwargs={"pk": world["survivor"].pk})
    response = client.post(
        url, {"duplicate_case_number": world["far"].case_number, "reason": "Same person"}
    )
    assert response.status_code == 200
    assert "No record with this case number in your scope" in response.content.decode()
    same = client.post(url, {"duplicate_case_number": world["survivor"].case_number, "reason": "x"})
    assert "Choose two different records." in same.content.decode()
    empty = client.post(url, {"duplicate_case_number": "", "reason": ""})
    assert 'id="error-summary"' in empty.content.decode()
    assert not PersonMerge.objects.exists()


def test_merge_pages_are_audited_for_both_persons(world: dict[str, Any]) -> None:
    request_merge(world)
    merge = PersonMerge.objects.get()
    client_for(world["head"]).get(reverse("people:merge_detail", kwargs={"pk": merge.pk}))
    viewed = set(
        AuditEvent.objects.filter(actor=world["head"], verb="merge viewed").values_list(
            "person_id", flat=True
        )
    )
    assert viewed == {world["survivor"].pk, world["duplicate"].pk}


def test_merge_list_filters_exports_and_audits(world: dict[str, Any]) -> None:
    request_merge(world)
    head = client_for(world["head"])
    page = head.get(reverse("people:merge_list"), {"status": "requested"}).content.decode()
    assert world["duplicate"].case_number in page
    none = head.get(reverse("people:merge_list"), {"status": "approved"}).content.decode()
    assert "No merges match these filters." in none
    event = AuditEvent.objects.filter(verb="merge list viewed").latest("id")
    assert event.details == {
        "filters": {"status": "approved", "sort": "-requested_at"},
        "result_count": 0,
    }
    export = head.get(reverse("people:merge_list"), {"format": "csv"})
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    assert world["survivor"].case_number in body
    assert AuditEvent.objects.filter(verb="merge list exported").count() == 1
