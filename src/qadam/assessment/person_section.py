"""The assessment's section on the person page and its part of the subject-access export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from qadam.assessment import policies
from qadam.assessment.models import Assessment, Reassessment
from qadam.assessment.texts import band_text

if TYPE_CHECKING:
    from qadam.core.http import AuthenticatedHttpRequest
    from qadam.people.record import PersonRecord


def section_context(
    request: AuthenticatedHttpRequest, record: PersonRecord
) -> dict[str, Any] | None:
    """Two queries: the latest assessment (with its instrument) and the schedule."""
    person_pk = record.person.pk
    latest = (
        Assessment.objects.filter(person_id=person_pk)
        .select_related("instrument")
        .order_by("-assessed_on", "-pk")
        .first()
    )
    can_assess = policies.can_assess(request.user)
    if latest is None and not can_assess:
        return None
    schedule = Reassessment.objects.filter(person_id=person_pk).first()
    context: dict[str, Any] = {
        "section_latest": latest,
        "section_schedule": schedule,
        "section_overdue": schedule is not None and schedule.due_on < timezone.localdate(),
        "section_person_pk": person_pk,
        "section_can_assess": can_assess,
    }
    if latest is not None:
        engine = latest.instrument.engine
        context["section_band"] = band_text(engine, latest.band)
        context["section_override_band"] = (
            band_text(engine, latest.override_band) if latest.override_band else ""
        )
    return context


def subject_access(record: PersonRecord) -> Any:
    rows = Assessment.objects.filter(person_id=record.person.pk).select_related("instrument")
    return [
        {
            "date": a.assessed_on.isoformat(),
            "instrument": str(a.instrument),
            "kind": a.kind,
            "answers": a.answers,
            "total_points": a.total_points,
            "probability_year1": a.probability_year1,
            "probability_year2": a.probability_year2,
            "band": a.band,
            "band_after_override": a.override_band,
        }
        for a in rows.order_by("assessed_on", "pk")
    ]
