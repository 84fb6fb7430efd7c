"""Assessments in the machine API: instruments, a person's assessments, one assessment with its
contributions, and recording one through the service (422 naming the item on bad answers)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from assessment_helpers import answers, assess, default_instrument, world
from django.test import Client
from django.utils import timezone

from factories import staff
from qadam.assessment.engine import compile_instrument
from qadam.assessment.models import Assessment, Reassessment
from qadam.core.api_tokens import issue_token
from qadam.core.models import ApiIdempotencyKey, AuditEvent, User
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, Any]:
    return world()


def token_client(user: User) -> Client:
    token = issue_token(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


def session_client(user: User) -> Client:
    """A member of staff through their browser session (a psychologist's tablet may use a
    token instead: tests/plans/test_plans_api.py)."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def post(client: Client, person_id: int, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/persons/{person_id}/assessments",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def body(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "periodic",
        "assessed_on": timezone.localdate().isoformat(),
        "answers": answers(pick="last"),
        **changes,
    }


def written() -> tuple[int, int, int]:
    return (
        Assessment.objects.count(),
        AuditEvent.objects.filter(verb="assessment recorded").count(),
        ApiIdempotencyKey.objects.count(),
    )


class TestInstruments:
    def test_list_and_read_with_items_points_bands(self, w: dict[str, Any]) -> None:
        client = token_client(w["head"])
        listing = client.get("/api/v1/assessments/instruments")
        assert listing.status_code == 200
        rows = listing.json()["items"]
        instrument = default_instrument()
        row = next(r for r in rows if r["id"] == instrument.pk)
        assert (row["code"], row["version"], row["in_force"]) == ("qadam-core", "1.0.0", True)
        assert row["validation"] == "Not yet validated on Kazakh data"
        assert row["items"] == len(instrument.engine.items)
        detail = client.get(f"/api/v1/assessments/instruments/{instrument.pk}").json()
        assert [i["code"] for i in detail["item_definitions"]] == [
            i.code for i in instrument.engine.items
        ]
        substance = next(i for i in detail["item_definitions"] if i["code"] == "substance_use")
        assert substance["text"] == "Alcohol and drug use"
        assert {o["code"]: o["points"] for o in substance["options"]}["current"] == 2
        assert [b["code"] for b in detail["bands"]] == [b.code for b in instrument.engine.bands]
        assert {c["horizon"] for c in detail["calibration"]} == {"year1", "year2"}

    def test_unknown_instrument_is_404(self, w: dict[str, Any]) -> None:
        response = token_client(w["head"]).get("/api/v1/assessments/instruments/999999")
        assert response.status_code == 404

    def test_roles_without_assessments_are_refused(self, w: dict[str, Any]) -> None:
        assert token_client(w["reception"]).get("/api/v1/assessments/instruments").status_code == (
            403
        )


class TestReads:
    def test_persons_assessments_newest_first_with_next_due_and_audited(
        self, w: dict[str, Any]
    ) -> None:
        pa, head = w["pa"], w["head"]
        first = assess(pa, w["psychologist"], on=timezone.localdate() - timedelta(days=10))
        second = assess(pa, w["psychologist"], pick="last")
        response = token_client(head).get(f"/api/v1/persons/{pa.pk}/assessments")
        assert response.status_code == 200
        data = response.json()
        assert data["count"] == 2
        assert [a["id"] for a in data["items"]] == [second.pk, first.pk]
        assert data["items"][0]["total_points"] == second.total_points
        assert data["items"][0]["effective_band"] == second.band
        schedule = Reassessment.objects.get(person=pa)
        assert data["next_due"] == {
            "due_on": schedule.due_on.isoformat(),
            "reason": "periodic",
            "suggested_kind": "periodic",
        }
        event = AuditEvent.objects.filter(actor=head, action="view").latest("id")
        assert (event.person_id, event.verb) == (pa.pk, "assessments shown (API)")
        assert event.details == {"count": 2}

    def test_one_assessment_with_contributions_probabilities_and_band(
        self, w: dict[str, Any]
    ) -> None:
        assessment = assess(w["pa"], w["psychologist"], pick="last")
        expected = compile_instrument(default_instrument().engine).score(answers(pick="last"))
        response = token_client(w["head"]).get(f"/api/v1/assessments/{assessment.pk}")
        assert response.status_code == 200
        data = response.json()
        assert data["person_id"] == w["pa"].pk
        assert data["total_points"] == expected.total_points
        assert data["probability_year1"] == pytest.approx(expected.probabilities["year1"])
        assert data["probability_year2"] == pytest.approx(expected.probabilities["year2"])
        assert (data["band"], data["override_band"]) == (expected.band, "")
        assert [c["points"] for c in data["contributions"]] == [
            c.points for c in expected.contributions
        ]
        substance = next(c for c in data["contributions"] if c["item"] == "substance_use")
        assert substance["explanation"].startswith('Alcohol and drug use: "Current')
        assert {"need_area": "substance_use", "name": "Substance use", "level": "high"} in data[
            "needs"
        ]
        event = AuditEvent.objects.filter(verb="assessment shown (API)").get()
        assert (event.person_id, event.details) == (w["pa"].pk, {"assessment": assessment.pk})

    def test_outside_scope_is_404_and_without_capability_403(self, w: dict[str, Any]) -> None:
        other = assess(w["pb"], staff(Role.PSYCHOLOGIST, w["b"]))
        head = token_client(w["head"])
        assert head.get(f"/api/v1/assessments/{other.pk}").status_code == 404
        assert head.get(f"/api/v1/persons/{w['pb'].pk}/assessments").status_code == 404
        reception = token_client(w["reception"])
        assert reception.get(f"/api/v1/persons/{w['pa'].pk}/assessments").status_code == 403
        assert not AuditEvent.objects.filter(verb__endswith="(API)", action="view").exists()


class TestCreate:
    def test_records_through_the_service(self, w: dict[str, Any]) -> None:
        pa = w["pa"]
        response = post(session_client(w["psychologist"]), pa.pk, body(notes="Interview"))
        assert response.status_code == 201
        data = response.json()
        assessment = Assessment.objects.get(pk=data["id"])
        expected = compile_instrument(default_instrument().engine).score(answers(pick="last"))
        assert (assessment.person, assessment.assessor) == (pa, w["psychologist"])
        assert assessment.total_points == data["total_points"] == expected.total_points
        assert data["instrument"]["code"] == "qadam-core"
        assert data["notes"] == "Interview"
        assert len(data["contributions"]) == len(default_instrument().engine.items)
        assert Reassessment.objects.get(person=pa).reason == "periodic"
        assert AuditEvent.objects.filter(verb="assessment recorded", person_id=pa.pk).count() == 1

    def test_bad_answers_are_422_naming_each_item_and_write_nothing(
        self, w: dict[str, Any]
    ) -> None:
        given = answers(pick="last")
        del given["substance_use"]
        given["age"] = "twelve"
        before = written()
        response = post(session_client(w["psychologist"]), w["pa"].pk, body(answers=given))
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert set(errors) == {"answers.substance_use", "answers.age"}
        assert errors["answers.substance_use"] == ["Choose an answer for “Alcohol and drug use”."]
        assert errors["answers.age"][0].startswith("“twelve” is not one of the answers")
        assert written() == before

    def test_unknown_item_is_422_for_the_whole_request(self, w: dict[str, Any]) -> None:
        given = {**answers(pick="last"), "ethnicity": "x"}
        response = post(session_client(w["psychologist"]), w["pa"].pk, body(answers=given))
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["__all__"]

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"assessed_on": "2026-02-30"}, "assessed_on"),
            ({"kind": "monthly"}, "kind"),
            ({"colour": "red"}, "colour"),
            ({"instrument_id": 999999}, "instrument_id"),
            ({"answers": "all low"}, "answers"),
            ({"notes": "x" * 4001}, "notes"),
        ],
    )
    def test_bad_fields_are_422_naming_the_field(
        self, w: dict[str, Any], changes: dict[str, Any], field: str
    ) -> None:
        before = written()
        response = post(session_client(w["psychologist"]), w["pa"].pk, body(**changes))
        assert response.status_code == 422
        assert field in response.json()["errors"]
        assert written() == before

    def test_future_date_and_no_instrument_in_force(self, w: dict[str, Any]) -> None:
        client = session_client(w["psychologist"])
        tomorrow = timezone.localdate() + timedelta(days=1)
        future = post(client, w["pa"].pk, body(assessed_on=tomorrow.isoformat()))
        assert future.status_code == 422
        assert list(future.json()["errors"]) == ["assessed_on"]
        ancient = post(client, w["pa"].pk, body(assessed_on="2001-01-01"))
        assert ancient.json()["errors"] == {
            "assessed_on": ["No assessment instrument is in force on this date."]
        }

    def test_idempotency_key_answers_once_and_refuses_another_body(self, w: dict[str, Any]) -> None:
        client = session_client(w["psychologist"])
        first = post(client, w["pa"].pk, body(), key="assess-0001")
        again = post(client, w["pa"].pk, body(), key="assess-0001")
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert Assessment.objects.filter(person=w["pa"]).count() == 1
        other = post(client, w["pa"].pk, body(notes="another"), key="assess-0001")
        assert other.status_code == 409
        assert list(other.json()["errors"]) == ["Idempotency-Key"]
        assert Assessment.objects.filter(person=w["pa"]).count() == 1

    def test_refused_without_the_capability_or_outside_scope(self, w: dict[str, Any]) -> None:
        before = written()
        assert post(token_client(w["head"]), w["pa"].pk, body()).status_code == 403
        assert post(session_client(w["head"]), w["pa"].pk, body()).status_code == 403
        assert post(session_client(w["psychologist"]), w["pb"].pk, body()).status_code == 404
        assert written() == before
