"""The daily pre-release job (`qadam pre_release`): when a sentenced person's last six months
begin, the plan's review and the next assessment are brought forward, once."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from plans_helpers import sentenced_person

from factories import InstitutionFactory, staff
from qadam.assessment.models import Reassessment
from qadam.assessment.services import assessment_create, instrument_in_force
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.people.models import Person
from qadam.plans import pre_release, services
from qadam.plans.models import Plan
from qadam.plans.schedule import EVENT_REVIEW_DAYS, PRE_RELEASE_WINDOW_MONTHS, add_months

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _days_left_for_window_opened(days_ago: int) -> int:
    """Days of sentence left such that the pre-release window opened `days_ago` days ago."""
    end = add_months(_today() - timedelta(days=days_ago), PRE_RELEASE_WINDOW_MONTHS)
    return (end - _today()).days


def _assessed_before_the_window(person: Person, actor: Any, days_ago: int) -> None:
    instrument = instrument_in_force()
    assert instrument is not None
    assessment_create(
        person=person,
        actor=actor,
        instrument=instrument,
        kind="periodic",
        assessed_on=_today() - timedelta(days=days_ago),
        answers={item.code: item.options[0].code for item in instrument.engine.items},
    )


@pytest.fixture
def w() -> dict[str, Any]:
    a = InstitutionFactory()
    psychologist = staff(Role.PSYCHOLOGIST, a)
    person = sentenced_person(a, days_left=_days_left_for_window_opened(2))
    _assessed_before_the_window(person, psychologist, days_ago=20)
    plan = services.plan_start(person=person, actor=psychologist)
    return {"a": a, "psychologist": psychologist, "person": person, "plan": plan}


def test_window_opening_brings_review_and_reassessment_forward(w: dict[str, Any]) -> None:
    person, plan = w["person"], w["plan"]
    assert plan.next_review_due > _today() + timedelta(days=EVENT_REVIEW_DAYS)
    assert Reassessment.objects.get(person=person).due_on > _today() + timedelta(days=30)
    run = pre_release.open_pre_release_windows()
    assert run == pre_release.PreReleaseRun(persons=1, reviews_brought_forward=1, other_changes=1)
    plan.refresh_from_db()
    assert plan.next_review_due == _today() + timedelta(days=EVENT_REVIEW_DAYS)
    row = Reassessment.objects.get(person=person)
    assert (row.due_on, row.reason) == (_today() + timedelta(days=30), "pre_release")
    assert row.suggested_kind == "pre_release"
    opened = pre_release.window_opened_on(person.lawful_until)
    reason = f"pre-release window opened on {opened} (sentence ends {person.lawful_until})"
    for verb in ("plan review rescheduled", "reassessment scheduled"):
        event = AuditEvent.objects.filter(verb=verb, person_id=person.pk).latest("id")
        assert (event.actor, event.reason) == (None, reason)  # the system's daily job


def test_running_again_writes_nothing(w: dict[str, Any]) -> None:
    pre_release.open_pre_release_windows()
    audit_rows = AuditEvent.objects.count()
    again = pre_release.open_pre_release_windows()
    assert again == pre_release.PreReleaseRun(persons=1, reviews_brought_forward=0, other_changes=0)
    assert AuditEvent.objects.count() == audit_rows


def test_assessed_and_reviewed_since_the_window_opened_is_left_alone(w: dict[str, Any]) -> None:
    person, plan = w["person"], w["plan"]
    _assessed_before_the_window(person, w["psychologist"], days_ago=0)
    services.plan_review_record(
        plan=plan, reviewed_on=_today(), outcome="on_track", actor=w["psychologist"]
    )
    plan.refresh_from_db()
    due = (plan.next_review_due, Reassessment.objects.get(person=person).due_on)
    run = pre_release.open_pre_release_windows()
    assert (run.reviews_brought_forward, run.other_changes) == (0, 0)
    plan.refresh_from_db()
    assert (plan.next_review_due, Reassessment.objects.get(person=person).due_on) == due


def test_only_windows_opened_in_the_last_days(w: dict[str, Any]) -> None:
    a, psychologist = w["a"], w["psychologist"]
    earlier = sentenced_person(a, days_left=_days_left_for_window_opened(20), surname="Ерлан")
    later = sentenced_person(a, days_left=_days_left_for_window_opened(-3), surname="Болат")
    for person in (earlier, later):
        _assessed_before_the_window(person, psychologist, days_ago=40)
    today = _today()
    found = set(pre_release.persons_entering_window(today).values_list("pk", flat=True))
    assert found == {w["person"].pk}
    wider = set(pre_release.persons_entering_window(today, 30).values_list("pk", flat=True))
    assert wider == {w["person"].pk, earlier.pk}


def test_remand_and_released_persons_are_not_in_the_window(w: dict[str, Any]) -> None:
    Person.objects.filter(pk=w["person"].pk).update(legal_status="remand")
    assert pre_release.open_pre_release_windows().persons == 0
    Person.objects.filter(pk=w["person"].pk).update(
        legal_status="sentenced", current_institution=None
    )
    assert pre_release.open_pre_release_windows().persons == 0


def test_a_review_already_due_soon_is_kept_and_the_assessment_still_moves(
    w: dict[str, Any],
) -> None:
    Plan.objects.filter(pk=w["plan"].pk).update(next_review_due=_today())
    run = pre_release.open_pre_release_windows()
    assert (run.reviews_brought_forward, run.other_changes) == (0, 1)


def test_the_command(w: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("pre_release", stdout=out)
    assert out.getvalue().strip() == (
        "pre-release windows opened: 1; plan reviews brought forward: 1; "
        "reassessments brought forward: 1; not yet assessed, put on the schedule: 0"
    )
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("pre_release", "--days", "0", stdout=out)
