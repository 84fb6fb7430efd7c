"""Assessment services: each happy path, each refusal, and that nothing is written on refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from assessment_helpers import answers, assess, default_instrument, world
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from factories import staff
from qadam.assessment import services
from qadam.assessment.engine import compile_instrument
from qadam.assessment.instruments import DEFAULT_INSTRUMENT
from qadam.assessment.models import Assessment, BandOverride, Instrument, Reassessment
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (
        Assessment.objects.count(),
        BandOverride.objects.count(),
        Reassessment.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def w() -> Iterator[dict[str, Any]]:
    with translation.override("en"):
        yield world()


class TestAssessmentCreate:
    def test_scores_with_the_engine_and_stores_every_figure(self, w: dict[str, Any]) -> None:
        instrument = default_instrument()
        given = answers(instrument, pick="last")
        expected = compile_instrument(instrument.engine).score(given)
        assessment = assess(w["pa"], w["psychologist"], pick="last")
        assert assessment.total_points == expected.total_points
        assert assessment.band == expected.band
        assert assessment.probability_year1 == pytest.approx(expected.probabilities["year1"])
        assert assessment.probability_year2 == pytest.approx(expected.probabilities["year2"])
        assert [c["item"] for c in assessment.contributions] == [
            i.code for i in instrument.engine.items
        ]
        assert [c["points"] for c in assessment.contributions] == [
            c.points for c in expected.contributions
        ]
        assert assessment.answers == given
        assert assessment.institution_id == w["a"].pk

    def test_hand_worked_total_of_the_first_options(self, w: dict[str, Any]) -> None:
        # First option of each item in qadam_core_v1.toml: age 18–22 (+3), male (+1), prior
        # convictions none (0), conviction rate first (0), current offence property (first
        # option), time since release first custody, the dynamic items' first option (0 each)
        # and the change items' "none" (0). Sum of the first options' points, read from the file:
        engine = default_instrument().engine
        by_hand = sum(item.options[0].points for item in engine.items)
        assessment = assess(w["pa"], w["psychologist"])
        assert assessment.total_points == by_hand

    def test_schedules_the_next_assessment_in_six_months(self, w: dict[str, Any]) -> None:
        today = timezone.localdate()
        assessment = assess(w["pa"], w["psychologist"])
        schedule = Reassessment.objects.get(person=w["pa"])
        assert schedule.due_on == services.add_months(today, 6)
        assert schedule.reason == "periodic"
        assert schedule.last_assessment == assessment

    def test_writes_one_audit_event_naming_the_person(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        event = AuditEvent.objects.get(verb="assessment recorded")
        assert event.person_id == w["pa"].pk
        assert event.object_id == str(assessment.pk)
        assert event.details["band"] == assessment.band

    def test_missing_answer_names_the_item_and_writes_nothing(self, w: dict[str, Any]) -> None:
        before = _counts()
        given = answers()
        del given["substance_use"]
        with pytest.raises(ServiceError) as error:
            services.assessment_create(
                person=w["pa"],
                actor=w["psychologist"],
                instrument=default_instrument(),
                kind="periodic",
                assessed_on=timezone.localdate(),
                answers=given,
            )
        assert list(error.value.errors) == ["answer_substance_use"]
        assert "“Alcohol and drug use”" in error.value.errors["answer_substance_use"][0]
        assert _counts() == before

    def test_answer_outside_the_options_names_the_item(self, w: dict[str, Any]) -> None:
        before = _counts()
        with pytest.raises(ServiceError) as error:
            assess(w["pa"], w["psychologist"], overrides={"sex": "unknown"})
        message = error.value.errors["answer_sex"][0]
        assert "“unknown”" in message
        assert "Sex" in message
        assert _counts() == before

    def test_an_item_the_instrument_lacks_is_refused(self, w: dict[str, Any]) -> None:
        before = _counts()
        with pytest.raises(ServiceError) as error:
            assess(w["pa"], w["psychologist"], overrides={"nationality": "kz"})
        assert "nationality" in error.value.errors[""][0]
        assert _counts() == before

    def test_future_date_and_unknown_kind_are_refused(self, w: dict[str, Any]) -> None:
        before = _counts()
        with pytest.raises(ServiceError) as error:
            services.assessment_create(
                person=w["pa"],
                actor=w["psychologist"],
                instrument=default_instrument(),
                kind="whenever",
                assessed_on=timezone.localdate() + timedelta(days=1),
                answers=answers(),
            )
        assert set(error.value.errors) == {"kind", "assessed_on"}
        assert _counts() == before

    def test_date_before_the_instrument_is_in_force(self, w: dict[str, Any]) -> None:
        instrument = default_instrument()
        with pytest.raises(ServiceError) as error:
            assess(
                w["pa"],
                w["psychologist"],
                on=instrument.valid_from - timedelta(days=1),
            )
        assert "not in force" in error.value.errors["assessed_on"][0]

    def test_person_outside_scope_is_refused(self, w: dict[str, Any]) -> None:
        before = _counts()
        with pytest.raises(PermissionDenied):
            assess(w["pb"], w["psychologist"])
        assert _counts() == before

    @pytest.mark.parametrize("role", [Role.HEAD, Role.RECEPTION, Role.PROBATION])
    def test_roles_without_the_capability_are_refused(self, w: dict[str, Any], role: Role) -> None:
        before = _counts()
        with pytest.raises(PermissionDenied):
            assess(w["pa"], staff(role, w["a"]))
        assert _counts() == before


class TestOverrides:
    def test_request_then_a_supervisor_approves(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        assert assessment.band == "low"
        override = services.override_request(
            actor=w["psychologist"],
            assessment=assessment,
            band="high",
            reason="Threats to a witness recorded after the interview.",
        )
        assert override.status == "requested"
        decided = services.override_decide(actor=w["head"], override=override, approve=True)
        assessment.refresh_from_db()
        assert decided.status == "approved"
        assert decided.decided_by == w["head"]
        assert (assessment.band, assessment.override_band) == ("low", "high")
        assert assessment.effective_band == "high"
        verbs = list(
            AuditEvent.objects.filter(person_id=w["pa"].pk)
            .order_by("id")
            .values_list("verb", flat=True)
        )
        assert verbs[-2:] == ["band override requested", "band override approved"]

    def test_the_requester_cannot_decide_their_own_request(self, w: dict[str, Any]) -> None:
        both = staff(Role.HEAD, w["a"])
        both.groups.add(*staff(Role.PSYCHOLOGIST, w["a"]).groups.all())
        assessment = assess(w["pa"], w["psychologist"])
        override = services.override_request(
            actor=both, assessment=assessment, band="high", reason="A reason long enough."
        )
        before = _counts()
        with pytest.raises(ServiceError) as error:
            services.override_decide(actor=both, override=override, approve=True)
        assert "second member of staff" in error.value.errors[""][0]
        assert _counts() == before
        override.refresh_from_db()
        assert override.status == "requested"

    def test_rejection_needs_a_note_and_a_decision_is_final(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        override = services.override_request(
            actor=w["psychologist"], assessment=assessment, band="medium", reason="Long reason."
        )
        with pytest.raises(ServiceError) as error:
            services.override_decide(actor=w["head"], override=override, approve=False)
        assert list(error.value.errors) == ["note"]
        services.override_decide(
            actor=w["head"], override=override, approve=False, note="Not supported."
        )
        with pytest.raises(ConflictError):
            services.override_decide(actor=w["head"], override=override, approve=True)
        assessment.refresh_from_db()
        assert assessment.override_band == ""

    def test_request_refusals_write_nothing(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        before = _counts()
        with pytest.raises(ServiceError) as error:
            services.override_request(
                actor=w["psychologist"], assessment=assessment, band="low", reason="short"
            )
        assert set(error.value.errors) == {"band", "reason"}
        with pytest.raises(ServiceError):
            services.override_request(
                actor=w["psychologist"], assessment=assessment, band="extreme", reason="x" * 20
            )
        with pytest.raises(PermissionDenied):
            services.override_request(
                actor=w["head"], assessment=assessment, band="high", reason="x" * 20
            )
        assert _counts() == before

    def test_one_pending_request_at_a_time(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        services.override_request(
            actor=w["psychologist"], assessment=assessment, band="high", reason="x" * 20
        )
        with pytest.raises(ConflictError):
            services.override_request(
                actor=w["psychologist"], assessment=assessment, band="medium", reason="x" * 20
            )

    def test_a_supervisor_outside_scope_cannot_decide(self, w: dict[str, Any]) -> None:
        assessment = assess(w["pa"], w["psychologist"])
        override = services.override_request(
            actor=w["psychologist"], assessment=assessment, band="high", reason="x" * 20
        )
        with pytest.raises(PermissionDenied):
            services.override_decide(
                actor=staff(Role.HEAD, w["b"]), override=override, approve=True
            )


class TestSchedule:
    def test_an_event_brings_the_assessment_forward(self, w: dict[str, Any]) -> None:
        today = timezone.localdate()
        assess(w["pa"], w["psychologist"])
        row = services.assessment_due_on_event(
            person=w["pa"], event="transfer", actor=w["reception"]
        )
        assert row.due_on == today + timedelta(days=30)
        assert row.reason == "transfer"
        event = AuditEvent.objects.filter(verb="reassessment scheduled").latest("id")
        assert (event.actor, event.person_id) == (w["reception"], w["pa"].pk)
        assert event.details == {"event": "transfer", "due_on": row.due_on.isoformat()}

    def test_an_event_never_pushes_a_nearer_date_back(self, w: dict[str, Any]) -> None:
        today = timezone.localdate()
        assess(w["pa"], w["psychologist"])  # next due in six months
        first = services.assessment_due_on_event(
            person=w["pa"], event="admission", actor=w["reception"], on=today - timedelta(days=20)
        )
        assert first.due_on == today + timedelta(days=10)
        later = services.assessment_due_on_event(
            person=w["pa"], event="pre_release", actor=w["reception"]
        )
        assert later.due_on == today + timedelta(days=10)
        assert later.reason == "admission"

    def test_unknown_event_is_refused(self, w: dict[str, Any]) -> None:
        before = _counts()
        with pytest.raises(ServiceError) as error:
            services.assessment_due_on_event(person=w["pa"], event="birthday", actor=w["head"])
        assert list(error.value.errors) == ["event"]
        assert _counts() == before


class TestInstruments:
    def test_the_migration_loaded_the_default_instrument(self) -> None:
        instrument = Instrument.objects.get(code="qadam-core", version="1.0.0")
        assert instrument.definition == DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
        assert instrument.validation_label == "Not yet validated on Kazakh data"
        assert len(instrument.engine.items) == 17

    def test_an_ethnicity_item_never_loads(self) -> None:
        text = DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
        text = text.replace('version = "1.0.0"', 'version = "9.9.9"', 1)
        text = text.replace('source = "person.sex"', 'source = "person.ethnicity"', 1)
        before = Instrument.objects.count()
        with pytest.raises(ServiceError) as error:
            services.instrument_load(text=text, actor=None)
        assert any("ethnicity" in m for m in error.value.errors["definition"])
        assert Instrument.objects.count() == before

    def test_a_published_version_never_changes(self) -> None:
        text = DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
        same = services.instrument_load(text=text, actor=None)
        assert same.pk == default_instrument().pk
        with pytest.raises(ConflictError):
            services.instrument_load(
                text=text.replace("slope = 0.11", "slope = 0.12", 1), actor=None
            )
        with pytest.raises(ServiceError) as error:
            services.instrument_load(text="code = [", actor=None)
        assert "TOML" in error.value.errors["definition"][0]


class TestPlanNeeds:
    def test_dynamic_needs_go_to_the_plan(self, w: dict[str, Any]) -> None:
        from qadam.plans.models import Plan

        assessment = assess(w["pa"], w["psychologist"], pick="last")
        levels = dict(services.need_levels(assessment))
        assert levels["substance_use"] == "high"
        assert "criminal_history" not in levels  # static items inform no plan need
        needs = services.assessment_plan_needs(assessment=assessment, actor=w["psychologist"])
        plan = Plan.objects.get(person=w["pa"])
        codes = set(plan.needs.values_list("need_area__code", flat=True))
        assert codes == {area for area, level in levels.items() if level != "none"}
        assert {n.assessment_id for n in needs} == {assessment.pk}

    def test_no_needs_means_no_plan_change(self, w: dict[str, Any]) -> None:
        from qadam.plans.models import Plan

        assessment = assess(w["pa"], w["psychologist"], pick="first")
        with pytest.raises(ServiceError):
            services.assessment_plan_needs(assessment=assessment, actor=w["psychologist"])
        assert not Plan.objects.filter(person=w["pa"]).exists()
