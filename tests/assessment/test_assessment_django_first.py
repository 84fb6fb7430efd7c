"""The first assessment: a sentenced person held and never assessed is on the schedule as "Not yet
assessed", due QADAM_FIRST_ASSESSMENT_DAYS after being held under the sentence — set by the
admission (or the verdict taking effect) in the custody transaction, and by the daily sweep for
anyone missing. Persons on remand are not scheduled."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from assessment_helpers import assess, default_instrument, release
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import InstitutionFactory, moment, remanded_person, sentenced_person, staff
from qadam.assessment import services
from qadam.assessment.models import Reassessment
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody import services as custody
from qadam.custody.models import DetentionBasis, Movement
from qadam.people.models import Person

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


@pytest.fixture
def w() -> dict[str, Any]:
    a, b = InstitutionFactory(), InstitutionFactory()
    return {
        "a": a,
        "b": b,
        "reception": staff(Role.RECEPTION, a, b, username="first-reception"),
        "psychologist": staff(Role.PSYCHOLOGIST, a, b, username="first-psychologist"),
    }


def _schedule(person: Person) -> tuple[date, str] | None:
    row = Reassessment.objects.filter(person=person).first()
    return None if row is None else (row.due_on, row.reason)


def _audit_rows() -> int:
    return AuditEvent.objects.filter(verb="reassessment scheduled").count()


class TestOnAdmission:
    def test_a_sentenced_admission_is_due_a_first_assessment(self, w: dict[str, Any]) -> None:
        person = sentenced_person(w["a"], w["reception"], days_ago=5)
        admitted = moment(5).date()
        assert _schedule(person) == (admitted + timedelta(days=30), "first")
        admission = Movement.objects.get(person=person, kind="admission")
        event = AuditEvent.objects.get(verb="reassessment scheduled", person_id=person.pk)
        assert event.actor == w["reception"]  # whose event it is, in the custody transaction
        assert event.reason == f"admission recorded (ledger event {admission.pk})"
        assert event.details == {
            "event": "first",
            "due_on": (admitted + timedelta(days=30)).isoformat(),
            "since": admitted.isoformat(),
        }

    def test_the_days_come_from_the_setting(self, w: dict[str, Any], settings: Any) -> None:
        settings.FIRST_ASSESSMENT_DUE_DAYS = 10
        person = sentenced_person(w["a"], w["reception"], days_ago=3)
        assert _schedule(person) == (moment(3).date() + timedelta(days=10), "first")

    def test_the_due_list_says_not_yet_assessed(self, w: dict[str, Any]) -> None:
        person = sentenced_person(w["a"], w["reception"], days_ago=40, surname="Жаксылыков")
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(w["psychologist"])
        client.cookies["django_language"] = "en"
        html = client.get(reverse("assessment:due_list")).content.decode()
        assert person.full_name in html
        assert "Not yet assessed" in html

    def test_a_remand_admission_is_not_scheduled(self, w: dict[str, Any]) -> None:
        before = _audit_rows()
        person = remanded_person(w["a"], w["reception"], days_ago=5)
        assert _schedule(person) is None
        assert _audit_rows() == before

    def test_the_verdict_taking_effect_starts_the_first_assessment(self, w: dict[str, Any]) -> None:
        person = remanded_person(w["a"], w["reception"], days_ago=90)
        basis = custody.basis_record(
            actor=w["reception"],
            person=person,
            kind=DetentionBasis.Kind.VERDICT,
            authority="Court",
            document_number=f"V-{person.pk}",
            issued_on=moment(9).date(),
            valid_until=_today() + timedelta(days=700),
        )
        change = custody.person_change_status(
            actor=w["reception"],
            person=person,
            data=custody.MovementInput(occurred_at=moment(8), institution=w["a"]),
            legal_status="sentenced",
            basis=basis,
        )
        # Held under the sentence since the verdict took effect, not since the remand began.
        assert _schedule(person) == (moment(8).date() + timedelta(days=30), "first")
        event = AuditEvent.objects.get(verb="reassessment scheduled", person_id=person.pk)
        assert event.reason == (
            f"legal status changed to sentenced (ledger event {change.movement.pk})"
        )

    def test_an_assessed_person_arriving_is_due_a_reassessment(self, w: dict[str, Any]) -> None:
        person = sentenced_person(w["a"], w["reception"], days_ago=60)
        assess(person, w["psychologist"], on=_today() - timedelta(days=20))
        assert _schedule(person) == (
            services.add_months(_today() - timedelta(days=20), 6),
            "periodic",
        )
        custody.person_transfer_out(
            actor=w["reception"],
            person=person,
            data=custody.MovementInput(
                occurred_at=timezone.now() - timedelta(hours=3), institution=w["a"], reason="Order"
            ),
            destination=w["b"],
            escort="Escort unit 3",
        )
        custody.person_transfer_in(
            actor=w["reception"],
            person=person,
            data=custody.MovementInput(
                occurred_at=timezone.now() - timedelta(hours=1), institution=w["b"]
            ),
        )
        assert _schedule(person) == (_today() + timedelta(days=30), "transfer")

    def test_an_arrival_keeps_the_first_assessment_of_the_episode(self, w: dict[str, Any]) -> None:
        person = sentenced_person(w["a"], w["reception"], days_ago=10)
        due = moment(10).date() + timedelta(days=30)
        custody.person_transfer_out(
            actor=w["reception"],
            person=person,
            data=custody.MovementInput(
                occurred_at=timezone.now() - timedelta(hours=3), institution=w["a"], reason="Order"
            ),
            destination=w["b"],
            escort="Escort unit 3",
        )
        before = _audit_rows()
        custody.person_transfer_in(
            actor=w["reception"],
            person=person,
            data=custody.MovementInput(
                occurred_at=timezone.now() - timedelta(hours=1), institution=w["b"]
            ),
        )
        assert _schedule(person) == (due, "first")  # counted from the admission, not the arrival
        assert _audit_rows() == before  # nothing changed, nothing written

    def test_a_readmission_counts_from_itself_not_from_an_earlier_stay(
        self, w: dict[str, Any]
    ) -> None:
        from assessment_helpers import admit

        person = sentenced_person(w["a"], w["reception"], days_ago=300)
        release(person, w["a"], w["reception"], moment(200))  # never assessed while held then
        assert _schedule(person) is not None
        admit(person, w["a"], w["reception"], moment(12))
        assert _schedule(person) == (moment(12).date() + timedelta(days=30), "first")

    def test_nobody_is_overdue_before_the_first_instrument(self, w: dict[str, Any]) -> None:
        valid_from = default_instrument().valid_from
        days_ago = (_today() - valid_from).days + 60  # admitted two months before it
        person = sentenced_person(w["a"], w["reception"], days_ago=days_ago)
        assert _schedule(person) == (valid_from + timedelta(days=30), "first")


class TestSweep:
    def test_puts_everyone_missing_on_the_schedule_once(self, w: dict[str, Any]) -> None:
        missing = sentenced_person(w["a"], w["reception"], days_ago=12)
        assessed = sentenced_person(w["a"], w["reception"], days_ago=50, surname="Омаров")
        assessment = assess(assessed, w["psychologist"])
        remand = remanded_person(w["b"], w["reception"], days_ago=12, surname="Нурланов")
        released = sentenced_person(w["a"], w["reception"], days_ago=30, surname="Сериков")
        release(released, w["a"], w["reception"], timezone.now() - timedelta(days=2))
        # Held before the first assessment was scheduled on admission (or its row was lost).
        Reassessment.objects.filter(person__in=[missing, released]).delete()

        assert services.assessment_first_due_sweep() == 1
        assert _schedule(missing) == (moment(12).date() + timedelta(days=30), "first")
        event = AuditEvent.objects.filter(verb="reassessment scheduled").latest("id")
        assert (event.actor, event.person_id, event.reason) == (
            None,
            missing.pk,
            services.FIRST_SWEEP_REASON,
        )
        assert event.details["since"] == moment(12).date().isoformat()
        assert Reassessment.objects.get(person=assessed).last_assessment == assessment
        assert _schedule(remand) is None
        assert _schedule(released) is None

        rows = list(Reassessment.objects.order_by("pk").values_list())
        audit = AuditEvent.objects.count()
        assert services.assessment_first_due_sweep() == 0  # idempotent: nothing more written
        assert list(Reassessment.objects.order_by("pk").values_list()) == rows
        assert AuditEvent.objects.count() == audit

    def test_relabels_another_reason_and_keeps_a_sooner_date(self, w: dict[str, Any]) -> None:
        person = sentenced_person(w["a"], w["reception"], days_ago=12)
        sooner = _today() + timedelta(days=2)
        Reassessment.objects.filter(person=person).update(due_on=sooner, reason="admission")
        assert services.assessment_first_due_sweep() == 1
        assert _schedule(person) == (sooner, "first")

    def test_the_daily_command_runs_it(self, w: dict[str, Any]) -> None:
        import io

        from django.core.management import call_command

        person = sentenced_person(w["a"], w["reception"], days_ago=12)
        Reassessment.objects.filter(person=person).delete()
        out = io.StringIO()
        call_command("pre_release", stdout=out)
        assert out.getvalue().strip().endswith("not yet assessed, put on the schedule: 1")
        assert _schedule(person) == (moment(12).date() + timedelta(days=30), "first")


def test_held_since_walks_back_to_the_admission_of_the_episode(w: dict[str, Any]) -> None:
    from assessment_helpers import admit

    from factories import SectionFactory

    person = sentenced_person(w["a"], w["reception"], days_ago=300)
    release(person, w["a"], w["reception"], moment(200))
    admit(person, w["a"], w["reception"], moment(100))
    custody.person_move_section(
        actor=w["reception"],
        person=person,
        data=custody.MovementInput(
            occurred_at=moment(50), institution=w["a"], section=SectionFactory(institution=w["a"])
        ),
    )
    # The open stay began with the move; the episode with the second admission.
    assert services.sentenced_since([person.pk]) == {person.pk: moment(100).date()}
