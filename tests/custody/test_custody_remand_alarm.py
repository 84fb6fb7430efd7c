"""Mandela Rule 11(b): a quashed verdict leaves a person on remand where the convicted are held.

The status change is recorded (the court's decision is a fact), and an alarm tells the institution
to move the person, until a transfer, a move to the pre-trial section, a release, a new verdict,
an escape or a death ends the misplacement."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from browser_helpers import log_in, page_problems
from factories import (
    InstitutionFactory,
    SectionFactory,
    institution_type,
    moment,
    sentenced_person,
    staff,
)
from qadam.core.models import Alert, AuditEvent
from qadam.core.roles import Role
from qadam.custody import lawful, services
from qadam.custody.models import Section
from qadam.people.models import Person

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
REMAND = Alert.Kind.REMAND_OUTSIDE_PRETRIAL


@pytest.fixture
def world() -> dict[str, Any]:
    sizo = InstitutionFactory(code="SIZO-1", type=institution_type("SIZO"))
    colony = InstitutionFactory(code="COL-1", type=institution_type("MED"))
    with_section = InstitutionFactory(code="COL-2", type=institution_type("MAX"))
    pretrial = SectionFactory(
        institution=with_section, name="Pre-trial section", type=institution_type("SIZO")
    )
    ordinary = SectionFactory(institution=with_section, name="Section 1")
    places = [sizo, colony, with_section]
    return {
        "sizo": sizo,
        "colony": colony,
        "with_section": with_section,
        "pretrial": pretrial,
        "ordinary": ordinary,
        "officer": staff(Role.RECEPTION, *places),
        "head": staff(Role.HEAD, colony),
        "head_elsewhere": staff(Role.HEAD, sizo),
        "prosecutor": staff(Role.PROSECUTOR, colony),
    }


def convict(
    world: dict[str, Any], institution: Any, section: Section | None = None, n: int = 1
) -> Person:
    return sentenced_person(
        institution, world["officer"], days_ago=20, section=section, case_number=f"Q-RA-{n}"
    )


def quash(
    world: dict[str, Any],
    person: Person,
    days_ago: float = 5,
    key: str | None = None,
    where: Any = None,
) -> services.StatusChange:
    """The verdict is quashed on appeal: the person is on remand again, where they are (or
    were, `where`, on a backdated day)."""
    person.refresh_from_db()
    assert person.current_institution is not None
    return services.person_change_status(
        actor=world["officer"],
        person=person,
        data=services.MovementInput(
            occurred_at=moment(days_ago),
            institution=where or person.current_institution,
            reason="Verdict quashed on appeal",
        ),
        legal_status="remand",
        idempotency_key=key,
    )


def open_alarms() -> list[Alert]:
    return list(Alert.objects.filter(kind=REMAND, resolved_at__isnull=True))


def alarm_audits(person: Person) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.ALARM, verb=services.REMAND_ALARM_VERB, person_id=person.pk
    ).count()


def event(person: Person, institution: Any, days_ago: float = 1) -> services.MovementInput:
    person.refresh_from_db()
    return services.MovementInput(occurred_at=moment(days_ago), institution=institution)


class TestStatusChange:
    def test_quashed_in_a_colony_raises_one_alarm_with_its_audit_row(
        self, world: dict[str, Any]
    ) -> None:
        person = convict(world, world["colony"])
        result = quash(world, person)
        person.refresh_from_db()
        # Recorded where the person is: the court's decision is not refused.
        assert person.legal_status == "remand"
        assert person.current_institution == world["colony"]
        (alarm,) = Alert.objects.filter(kind=REMAND)
        assert (alarm.person_id, alarm.institution_id, alarm.due_date) == (
            person.pk,
            world["colony"].pk,
            moment(5).date(),
        )
        assert alarm.resolved_at is None
        assert alarm_audits(person) == 1
        audit = AuditEvent.objects.get(action=AuditEvent.Action.ALARM, person_id=person.pk)
        assert audit.details["since"] == moment(5).date().isoformat()
        assert audit.details["event"] == result.movement.pk
        assert audit.object_id == str(alarm.pk)
        # The result tells the user to move the person.
        assert result.movement.kind == "status_change"
        assert result.remand_alarm == alarm
        assert person.full_name in result.notice
        assert "Mandela Rule 11(b)" in result.notice
        assert world["colony"].name in result.notice

    def test_in_an_ordinary_section_beside_a_pretrial_one(self, world: dict[str, Any]) -> None:
        person = convict(world, world["with_section"], world["ordinary"])
        result = quash(world, person)
        assert [a.person_id for a in open_alarms()] == [person.pk]
        assert result.notice

    def test_in_a_pretrial_centre_or_section_no_alarm(self, world: dict[str, Any]) -> None:
        in_sizo = convict(world, world["sizo"], n=1)
        in_section = convict(world, world["with_section"], world["pretrial"], n=2)
        for person in (in_sizo, in_section):
            result = quash(world, person)
            assert result.remand_alarm is None
            assert result.notice == ""
            assert alarm_audits(person) == 0
        assert not Alert.objects.filter(kind=REMAND).exists()

    def test_a_repeated_request_raises_nothing_more(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        first = quash(world, person, key="quash-1")
        again = quash(world, person, key="quash-1")
        assert again.movement == first.movement
        assert again.remand_alarm == first.remand_alarm
        assert Alert.objects.filter(kind=REMAND).count() == 1
        assert alarm_audits(person) == 1

    def test_backdated_before_a_transfer_to_a_pretrial_centre_no_alarm(
        self, world: dict[str, Any]
    ) -> None:
        """Quashed on day 5, recorded after the transfer to the SIZO on day 3: lawful now."""
        person = convict(world, world["colony"])
        services.person_transfer_out(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(3), institution=world["colony"], reason="To court"
            ),
            destination=world["sizo"],
            escort="Convoy",
        )
        services.person_transfer_in(
            actor=world["officer"], person=person, data=event(person, world["sizo"], 2)
        )
        result = quash(world, person, days_ago=5, where=world["colony"])
        person.refresh_from_db()
        assert person.legal_status == "remand"
        assert result.remand_alarm is None
        assert not Alert.objects.filter(kind=REMAND).exists()


class TestResolution:
    def test_transfer_to_a_pretrial_centre_resolves(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        quash(world, person)
        services.person_transfer_out(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(1), institution=world["colony"], reason="Rule 11(b)"
            ),
            destination=world["sizo"],
            escort="Convoy",
        )
        alarm = Alert.objects.get(kind=REMAND)
        assert alarm.resolved_at is not None
        services.person_transfer_in(
            actor=world["officer"], person=person, data=event(person, world["sizo"], 0.5)
        )
        assert open_alarms() == []
        assert lawful.raise_alarms().raised == 0
        assert open_alarms() == []

    def test_move_to_the_pretrial_section_resolves(self, world: dict[str, Any]) -> None:
        person = convict(world, world["with_section"], world["ordinary"])
        quash(world, person)
        services.person_move_section(
            actor=world["officer"],
            person=person,
            data=services.MovementInput(
                occurred_at=moment(1), institution=world["with_section"], section=world["pretrial"]
            ),
        )
        assert open_alarms() == []

    @pytest.mark.parametrize("ending", ["release", "sentenced", "escape", "death"])
    def test_each_end_of_the_misplacement_resolves(
        self, world: dict[str, Any], ending: str
    ) -> None:
        person = convict(world, world["colony"])
        quash(world, person)
        assert len(open_alarms()) == 1
        data = event(person, world["colony"])
        officer = world["officer"]
        if ending == "release":
            services.person_release(
                actor=officer, person=person, data=data, release_reason="court_decision"
            )
        elif ending == "sentenced":
            services.person_change_status(
                actor=officer, person=person, data=data, legal_status="sentenced"
            )
        elif ending == "escape":
            services.person_escape(actor=officer, person=person, data=data)
        else:
            services.person_death(
                actor=officer,
                person=person,
                data=services.MovementInput(
                    occurred_at=data.occurred_at, institution=data.institution, reason="Illness"
                ),
            )
        assert open_alarms() == []
        assert lawful.raise_remand_alarms().raised == 0

    def test_a_correction_of_the_status_change_resolves_it(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        result = quash(world, person)
        services.movement_correct(
            actor=world["head"], movement=result.movement, reason="Entered for the wrong person"
        )
        person.refresh_from_db()
        assert person.legal_status == "sentenced"
        run = lawful.raise_alarms()
        assert (run.raised, run.already_open) == (0, 0)
        assert open_alarms() == []
        assert Alert.objects.get(kind=REMAND).resolved_at is not None

    def test_recorded_again_after_a_correction_the_alarm_is_raised_again(
        self, world: dict[str, Any]
    ) -> None:
        person = convict(world, world["colony"])
        result = quash(world, person)
        services.alert_acknowledge(actor=world["head"], alert=result.remand_alarm)  # type: ignore[arg-type]
        services.movement_correct(
            actor=world["head"], movement=result.movement, reason="Wrong date of the decision"
        )
        again = quash(world, person)
        assert again.remand_alarm is not None
        assert again.remand_alarm.pk == result.remand_alarm.pk  # type: ignore[union-attr]
        assert again.remand_alarm.acknowledged_at is None  # to be seen again
        assert again.remand_alarm.resolved_at is None
        assert alarm_audits(person) == 2


class TestSweep:
    def test_the_sweep_is_idempotent(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        quash(world, person)
        for _run in range(2):
            out = StringIO()
            call_command("check_detention", stdout=out)
            assert "alarms raised: 0; already open: 1; resolved: 0" in out.getvalue()
        assert Alert.objects.filter(kind=REMAND).count() == 1
        assert alarm_audits(person) == 1

    def test_the_sweep_raises_what_the_services_did_not_see_and_resolves_stale(
        self, world: dict[str, Any]
    ) -> None:
        """A section's type changed after the person was placed: no event, only the sweep."""
        person = convict(world, world["with_section"], world["pretrial"])
        quash(world, person)
        assert not Alert.objects.filter(kind=REMAND).exists()
        Section.objects.filter(pk=world["pretrial"].pk).update(type=institution_type("MAX"))
        first = lawful.raise_remand_alarms()
        assert (first.raised, first.already_open, first.resolved) == (1, 0, 0)
        (alarm,) = open_alarms()
        assert (alarm.person_id, alarm.due_date) == (person.pk, moment(5).date())
        assert alarm_audits(person) == 1
        second = lawful.raise_remand_alarms()
        assert (second.raised, second.already_open, second.resolved) == (0, 1, 0)
        assert alarm_audits(person) == 1
        Section.objects.filter(pk=world["pretrial"].pk).update(type=institution_type("SIZO"))
        third = lawful.raise_remand_alarms()
        assert (third.raised, third.already_open, third.resolved) == (0, 0, 1)
        assert open_alarms() == []


def home(user: Any) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response.content.decode()


class TestHomePage:
    def test_the_head_sees_the_alarm_with_the_transfer_link(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        alarm = quash(world, person).remand_alarm
        assert alarm is not None
        page = home(world["head"])
        assert "On remand outside pre-trial premises" in page
        assert "1 person on remand held where the convicted are held" in page
        assert person.full_name in page
        assert reverse("custody:transfer", kwargs={"pk": person.pk}) in page
        assert f"Record the transfer of {person.full_name}" in page
        # No pre-trial section in this colony: no move to offer.
        assert reverse("custody:move", kwargs={"pk": person.pk}) not in page
        assert reverse("custody:alert_acknowledge", kwargs={"pk": alarm.pk}) in page

    def test_beside_a_pretrial_section_the_move_is_offered(self, world: dict[str, Any]) -> None:
        person = convict(world, world["with_section"], world["ordinary"])
        quash(world, person)
        page = home(staff(Role.HEAD, world["with_section"]))
        assert f"Move {person.full_name} to the pre-trial section" in page
        assert reverse("custody:move", kwargs={"pk": person.pk}) in page

    def test_another_institutions_head_does_not_see_it(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        quash(world, person)
        page = home(world["head_elsewhere"])
        assert person.full_name not in page
        assert "On remand outside pre-trial premises" not in page
        assert list(lawful.open_alarms(world["head_elsewhere"], REMAND)) == []

    def test_staff_without_the_alarm_capability_do_not_see_it(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        quash(world, person)
        assert person.full_name not in home(staff(Role.REGIME, world["colony"]))

    def test_the_prosecutor_sees_it_without_the_transfer_link(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        quash(world, person)
        page = home(world["prosecutor"])
        assert person.full_name in page
        assert "To be transferred to a pre-trial detention centre" in page
        assert reverse("custody:transfer", kwargs={"pk": person.pk}) not in page

    def test_acknowledged_it_stays_until_the_person_is_moved(self, world: dict[str, Any]) -> None:
        person = convict(world, world["colony"])
        alarm = quash(world, person).remand_alarm
        assert alarm is not None
        client = Client()
        client.force_login(world["head"])
        response = client.post(
            reverse("custody:alert_acknowledge", kwargs={"pk": alarm.pk}), follow=True
        )
        page = response.content.decode()
        assert "until moved to a pre-trial detention centre or a pre-trial section" in page
        alarm.refresh_from_db()
        assert alarm.acknowledged_by == world["head"]
        assert person.full_name in page
        assert f"Acknowledge alarm for {person.full_name}" not in page
        assert AuditEvent.objects.filter(verb="alarm acknowledged", person_id=person.pk).exists()

    def test_the_panel_is_absent_when_nobody_is_misplaced(self, world: dict[str, Any]) -> None:
        convict(world, world["colony"])
        assert "On remand outside pre-trial premises" not in home(world["head"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_alarm_by_keyboard_and_screen_reader(browser_page: Any) -> None:
    """The home page with the alarm passes the a11y checks; the transfer link and the
    acknowledgement are reached and used from the keyboard."""
    page = browser_page
    colony = InstitutionFactory(code="COL-B", type=institution_type("MED"))
    officer = staff(Role.RECEPTION, colony)
    staff(Role.HEAD, colony, username="head-b", language="en")
    person = sentenced_person(colony, officer, days_ago=20)
    services.person_change_status(
        actor=officer,
        person=person,
        data=services.MovementInput(occurred_at=moment(5), institution=colony),
        legal_status="remand",
    )
    log_in(page, "head-b", PASSWORD)
    page.goto("/")
    assert page_problems(page, context="home with a remand alarm", language="en") == []
    table = page.get_by_role("table", name="ALARM 1 person on remand held where the convicted")
    assert table.is_visible()
    link = page.get_by_role("link", name=f"Record the transfer of {person.full_name}")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/persons/{person.pk}/transfer/")
    page.goto("/")
    button = page.get_by_role("button", name=f"Acknowledge alarm for {person.full_name}")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.get_by_text("until moved to a pre-trial detention centre").wait_for()
    assert Alert.objects.get(kind=REMAND).acknowledged_at is not None
