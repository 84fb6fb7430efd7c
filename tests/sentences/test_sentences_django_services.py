"""Sentence services: entry with recalculation and the detention basis, adjustments, refusals
that write nothing, overrides with a second person's approval."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from factories import InstitutionFactory, institution_type, offence, remanded_person, staff
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody.models import DetentionBasis, MovementKind
from qadam.sentences import services
from qadam.sentences.models import (
    Adjustment,
    Count,
    DateOverride,
    SentenceCalculation,
    Verdict,
)

pytestmark = pytest.mark.django_db


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@pytest.fixture
def world() -> dict[str, Any]:
    institution = InstitutionFactory(type=institution_type("MED"))
    clerk = staff(Role.RECEPTION, institution)
    person = remanded_person(institution, clerk, days_ago=200)
    return {"institution": institution, "clerk": clerk, "person": person}


def verdict_input(today: date, **changes: Any) -> services.VerdictInput:
    values: dict[str, Any] = {
        "court": "Almaty city court No. 2",
        "verdict_date": today - timedelta(days=20),
        "case_number": "1-245/2025",
        "institution_type": institution_type("MED"),
        "start_date": today - timedelta(days=5),
        "entered_into_force": today - timedelta(days=5),
    }
    values.update(changes)
    return services.VerdictInput(**values)


def theft_count(today: date, years: int = 3) -> services.CountInput:
    return services.CountInput(
        offence=offence("188", "2"), offence_date=today - timedelta(days=400), years=years
    )


def detention(today: date) -> list[services.PeriodInput]:
    return [
        services.PeriodInput(
            date_from=today - timedelta(days=200),
            date_to=today - timedelta(days=6),
            source="Remand order R-1",
        )
    ]


def expected_end(today: date) -> date:
    # 195 days in detention (both ends counted) × 3/2 (medium security, CC art. 62) = 292.5 → 293
    # days of credit; three years counted from the start minus the credit, last day inclusive.
    start = today - timedelta(days=5)
    effective = start - timedelta(days=293)
    return add_years(effective, 3) - timedelta(days=1)


class TestSentenceEnter:
    def test_records_verdict_counts_credit_and_dates(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        verdict = services.sentence_enter(
            actor=world["clerk"],
            person=world["person"],
            verdict=verdict_input(today),
            counts=[theft_count(today)],
            detention=detention(today),
        )
        assert Count.objects.filter(verdict=verdict).count() == 1
        assert Adjustment.objects.get(verdict=verdict).kind == Adjustment.Kind.DETENTION
        calc = SentenceCalculation.objects.get(person=world["person"])
        assert calc.ok is True
        assert calc.end_of_sentence == expected_end(today)
        assert calc.parole_date is not None
        assert calc.parole_date < calc.end_of_sentence
        assert calc.result["end_of_sentence"]["breakdown"]["rules"][0][0] == "pretrial_credit_ratio"
        assert len(calc.ruleset_version) == 12
        assert AuditEvent.objects.filter(
            verb="verdict entered", person_id=world["person"].pk
        ).exists()

    def test_verdict_in_force_becomes_the_detention_basis(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        person = world["person"]
        verdict = services.sentence_enter(
            actor=world["clerk"],
            person=person,
            verdict=verdict_input(today),
            counts=[theft_count(today)],
            detention=detention(today),
        )
        person.refresh_from_db()
        verdict.refresh_from_db()
        assert verdict.basis is not None
        assert verdict.basis.kind == DetentionBasis.Kind.VERDICT
        assert verdict.basis.valid_until == expected_end(today)
        assert person.lawful_until == expected_end(today)
        assert person.legal_status == "sentenced"
        assert person.movements.filter(kind=MovementKind.STATUS_CHANGE).count() == 1

    def test_not_in_force_leaves_remand_basis(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        person = world["person"]
        lawful_before = person.lawful_until
        services.sentence_enter(
            actor=world["clerk"],
            person=person,
            verdict=verdict_input(today, entered_into_force=None),
            counts=[theft_count(today)],
            detention=detention(today),
        )
        person.refresh_from_db()
        assert person.lawful_until == lawful_before
        assert person.legal_status == "remand"
        verdict = Verdict.objects.get(person=person)
        services.verdict_enter_into_force(
            actor=world["clerk"], verdict=verdict, entered_into_force=today - timedelta(days=5)
        )
        person.refresh_from_db()
        assert person.legal_status == "sentenced"
        assert person.lawful_until == expected_end(today)
        with pytest.raises(ConflictError):
            services.verdict_enter_into_force(
                actor=world["clerk"], verdict=verdict, entered_into_force=today
            )


def _nothing_written(person: Any) -> None:
    assert not Verdict.objects.filter(person=person).exists()
    assert not SentenceCalculation.objects.filter(person=person).exists()
    assert not AuditEvent.objects.filter(verb="verdict entered").exists()


class TestSentenceRefusals:
    def test_term_above_article_maximum(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        with pytest.raises(ServiceError) as caught:
            services.sentence_enter(
                actor=world["clerk"],
                person=world["person"],
                verdict=verdict_input(today),
                counts=[theft_count(today, years=6)],
                detention=detention(today),
            )
        assert "count-0-years" in caught.value.errors
        assert "5" in caught.value.errors["count-0-years"][0]
        _nothing_written(world["person"])

    def test_detention_overlapping_the_sentence(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        period = services.PeriodInput(
            date_from=today - timedelta(days=200), date_to=today - timedelta(days=2), source="R-1"
        )
        with pytest.raises(ServiceError) as caught:
            services.sentence_enter(
                actor=world["clerk"],
                person=world["person"],
                verdict=verdict_input(today),
                counts=[theft_count(today)],
                detention=[period],
            )
        assert list(caught.value.errors) == ["detention-0-date_to"]
        _nothing_written(world["person"])

    def test_future_dates_and_missing_court(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        with pytest.raises(ServiceError) as caught:
            services.sentence_enter(
                actor=world["clerk"],
                person=world["person"],
                verdict=verdict_input(
                    today, court=" ", entered_into_force=today + timedelta(days=3)
                ),
                counts=[theft_count(today)],
            )
        assert set(caught.value.errors) == {"court", "entered_into_force"}
        _nothing_written(world["person"])

    def test_no_counts(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        with pytest.raises(ServiceError) as caught:
            services.sentence_enter(
                actor=world["clerk"],
                person=world["person"],
                verdict=verdict_input(today),
                counts=[],
            )
        assert "count-0-offence" in caught.value.errors
        _nothing_written(world["person"])

    def test_role_without_capability(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        regime = staff(Role.REGIME, world["institution"])
        with pytest.raises(PermissionDenied):
            services.sentence_enter(
                actor=regime,
                person=world["person"],
                verdict=verdict_input(today),
                counts=[theft_count(today)],
            )
        _nothing_written(world["person"])


@pytest.fixture
def sentenced(world: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    world["verdict"] = services.sentence_enter(
        actor=world["clerk"],
        person=world["person"],
        verdict=verdict_input(today),
        counts=[theft_count(today)],
        detention=detention(today),
    )
    return world


class TestAdjustments:
    def test_amnesty_shortens_and_moves_the_lawful_date(self, sentenced: dict[str, Any]) -> None:
        today = timezone.localdate()
        person = sentenced["person"]
        before = SentenceCalculation.objects.get(person=person).end_of_sentence
        assert before is not None
        services.adjustment_add(
            actor=sentenced["clerk"],
            verdict=sentenced["verdict"],
            data=services.AdjustmentInput(
                kind=Adjustment.Kind.AMNESTY,
                date=today - timedelta(days=1),
                source="Law 2025",
                months=6,
            ),
        )
        after = SentenceCalculation.objects.get(person=person).end_of_sentence
        assert after is not None
        # 36 − 6 = 30 months counted from the same effective start (start minus 293 days of
        # credit), last day inclusive.
        effective = today - timedelta(days=5) - timedelta(days=293)
        month = effective.month - 1 + 30
        shifted = date(effective.year + month // 12, month % 12 + 1, 1)
        last_of_month = (
            date(shifted.year + shifted.month // 12, shifted.month % 12 + 1, 1) - timedelta(days=1)
        ).day
        expected = shifted.replace(day=min(effective.day, last_of_month)) - timedelta(days=1)
        assert after == expected
        person.refresh_from_db()
        assert person.lawful_until == after
        assert AuditEvent.objects.filter(verb="sentence adjustment recorded").count() == 1

    def test_escape_without_source_is_refused(self, sentenced: dict[str, Any]) -> None:
        today = timezone.localdate()
        with pytest.raises(ServiceError) as caught:
            services.adjustment_add(
                actor=sentenced["clerk"],
                verdict=sentenced["verdict"],
                data=services.AdjustmentInput(
                    kind=Adjustment.Kind.ESCAPE,
                    date=today - timedelta(days=3),
                    source="",
                    date_from=today - timedelta(days=3),
                    date_to=today - timedelta(days=4),
                ),
            )
        assert set(caught.value.errors) == {"source", "date_to"}
        assert not Adjustment.objects.exclude(kind=Adjustment.Kind.DETENTION).exists()

    def test_adjustment_before_start_is_refused_by_the_engine(
        self, sentenced: dict[str, Any]
    ) -> None:
        today = timezone.localdate()
        with pytest.raises(ServiceError) as caught:
            services.adjustment_add(
                actor=sentenced["clerk"],
                verdict=sentenced["verdict"],
                data=services.AdjustmentInput(
                    kind=Adjustment.Kind.PARDON,
                    date=today - timedelta(days=100),
                    source="Decree 12",
                    months=3,
                ),
            )
        assert "date" in caught.value.errors
        assert Adjustment.objects.filter(verdict=sentenced["verdict"]).count() == 1


class TestOverride:
    def test_needs_a_second_person_and_shows_both(self, sentenced: dict[str, Any]) -> None:
        person = sentenced["person"]
        head = staff(Role.HEAD, sentenced["institution"])
        calc = SentenceCalculation.objects.get(person=person)
        computed = calc.end_of_sentence
        assert computed is not None
        new = computed - timedelta(days=10)
        override = services.override_request(
            actor=sentenced["clerk"],
            person=person,
            field="end_of_sentence",
            new_date=new,
            reason="Court ruling 4-55 corrected the credit",
        )
        assert SentenceCalculation.objects.get(person=person).end_of_sentence == computed
        with pytest.raises(PermissionDenied):
            services.override_decide(actor=sentenced["clerk"], override=override, approve=True)
        head_requester = staff(Role.HEAD, sentenced["institution"])
        same = DateOverride.objects.get(pk=override.pk)
        same.requested_by = head_requester
        same.save()
        with pytest.raises(ServiceError):
            services.override_decide(actor=head_requester, override=same, approve=True)
        services.override_decide(actor=head, override=override, approve=True)
        calc = SentenceCalculation.objects.get(person=person)
        assert calc.end_of_sentence == new
        assert calc.overridden == ["end_of_sentence"]
        assert calc.result["end_of_sentence"]["date"] == computed.isoformat()
        person.refresh_from_db()
        assert person.lawful_until == new
        assert AuditEvent.objects.filter(verb="date override approved", actor=head).exists()

    def test_rejection_needs_a_note_and_changes_nothing(self, sentenced: dict[str, Any]) -> None:
        person = sentenced["person"]
        head = staff(Role.HEAD, sentenced["institution"])
        computed = SentenceCalculation.objects.get(person=person).parole_date
        assert computed is not None
        override = services.override_request(
            actor=sentenced["clerk"],
            person=person,
            field="parole",
            new_date=computed + timedelta(days=3),
            reason="typo",
        )
        with pytest.raises(ServiceError):
            services.override_decide(actor=head, override=override, approve=False)
        services.override_decide(actor=head, override=override, approve=False, note="No document")
        assert SentenceCalculation.objects.get(person=person).parole_date == computed
        assert DateOverride.objects.get(pk=override.pk).status == "rejected"
