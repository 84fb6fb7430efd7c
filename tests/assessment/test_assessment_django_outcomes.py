"""The local-validation outcome from a small ledger built with the custody services:
re-admission within N years of release, censoring, the score at release, and the full run."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from assessment_helpers import admit, assess, historic_instrument, release
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, staff
from qadam.assessment.models import Instrument
from qadam.assessment.outcomes import (
    LocalValidationError,
    outcome_within,
    release_observations,
    validate_local,
)
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def at(days_ago: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))


@pytest.fixture
def setting() -> dict[str, Any]:
    institution = InstitutionFactory()
    women = InstitutionFactory(sex_profile="F")
    return {
        "institution": institution,
        "women": women,
        "reception": staff(Role.RECEPTION, institution, women),
        "psychologist": staff(Role.PSYCHOLOGIST, institution, women),
        "instrument": historic_instrument(),
    }


def journey(
    s: dict[str, Any],
    *,
    admitted: int,
    assessed: int | None,
    released: int,
    readmitted: int | None = None,
    sex: str = "M",
    pick: str = "first",
) -> Any:
    """A person admitted, assessed and released `..` days ago, maybe admitted again."""
    person = PersonFactory(sex=sex)
    place = s["women"] if sex == "F" else s["institution"]
    admit(person, place, s["reception"], at(admitted))
    if assessed is not None:
        person.refresh_from_db()
        assess(
            person,
            s["psychologist"],
            instrument=s["instrument"],
            on=at(assessed).date(),
            pick=pick,
        )
    release(person, place, s["reception"], at(released))
    if readmitted is not None:
        admit(person, place, s["reception"], at(readmitted))
    return person


class TestOutcomeWithin:
    def test_counted_up_to_the_same_calendar_day_n_years_on(self) -> None:
        released = timezone.make_aware(datetime(2020, 3, 10, 12))
        on_the_day = timezone.make_aware(datetime(2021, 3, 10, 9))
        day_after = timezone.make_aware(datetime(2021, 3, 11, 9))
        today = date(2025, 1, 1)
        assert outcome_within(released, on_the_day, 1, today) == 1
        assert outcome_within(released, day_after, 1, today) == 0
        assert outcome_within(released, day_after, 2, today) == 1
        assert outcome_within(released, None, 3, today) == 0

    def test_censored_while_the_window_is_open(self) -> None:
        released = timezone.make_aware(datetime(2024, 6, 1, 12))
        assert outcome_within(released, None, 1, date(2025, 5, 31)) == -1
        assert outcome_within(released, None, 1, date(2025, 6, 1)) == 0
        # A re-admission inside a window still open is not counted yet: the releases of the same
        # days not re-admitted are censored, so counting it would raise their re-admission rate.
        early = timezone.make_aware(datetime(2024, 9, 1, 12))
        assert outcome_within(released, early, 2, date(2025, 1, 1)) == -1
        assert outcome_within(released, early, 1, date(2025, 6, 1)) == 1


class TestObservations:
    def test_readmission_within_one_two_three_years(self, setting: dict[str, Any]) -> None:
        within_one = journey(setting, admitted=2000, assessed=1900, released=1500, readmitted=1300)
        within_three = journey(setting, admitted=2000, assessed=1900, released=1500, readmitted=600)
        never = journey(setting, admitted=2000, assessed=1900, released=1500)
        recent = journey(setting, admitted=500, assessed=450, released=300)
        observations = {
            o.person_id: o
            for o in release_observations(
                instrument=setting["instrument"], as_of=timezone.localdate()
            )
        }
        assert observations[within_one.pk].outcomes == {1: 1, 2: 1, 3: 1}
        assert observations[within_three.pk].outcomes == {1: 0, 2: 0, 3: 1}
        assert observations[never.pk].outcomes == {1: 0, 2: 0, 3: 0}
        assert observations[recent.pk].outcomes == {1: -1, 2: -1, 3: -1}

    def test_only_releases_scored_in_their_own_episode(self, setting: dict[str, Any]) -> None:
        unassessed = journey(setting, admitted=900, assessed=None, released=800)
        # Assessed during the first stay; the second stay's release has no score of its own,
        # so only the first release counts (one observation per person).
        twice = journey(setting, admitted=1200, assessed=1100, released=1000, readmitted=700)
        release(twice, setting["institution"], setting["reception"], at(500))
        observations = release_observations(
            instrument=setting["instrument"], as_of=timezone.localdate()
        )
        persons = [o.person_id for o in observations]
        assert unassessed.pk not in persons
        assert persons.count(twice.pk) == 1
        only = next(o for o in observations if o.person_id == twice.pk)
        assert only.released_at == at(1000)
        assert only.readmitted_at == at(700)

    def test_the_latest_assessment_before_release_is_the_score(
        self, setting: dict[str, Any]
    ) -> None:
        person = PersonFactory()
        admit(person, setting["institution"], setting["reception"], at(900))
        person.refresh_from_db()
        assess(
            person,
            setting["psychologist"],
            instrument=setting["instrument"],
            on=at(800).date(),
            pick="last",
        )
        latest = assess(
            person, setting["psychologist"], instrument=setting["instrument"], on=at(700).date()
        )
        release(person, setting["institution"], setting["reception"], at(600))
        (observation,) = release_observations(
            instrument=setting["instrument"], as_of=timezone.localdate()
        )
        assert observation.assessment_id == latest.pk
        assert observation.total_points == latest.total_points
        assert observation.sex == "male"


class TestValidationRun:
    def test_too_little_data_is_a_clear_error(
        self, setting: dict[str, Any], tmp_path: Path
    ) -> None:
        journey(setting, admitted=2000, assessed=1900, released=1500)
        with pytest.raises(LocalValidationError, match="too little local data"):
            validate_local(
                instrument=setting["instrument"],
                years=1,
                as_of=timezone.localdate(),
                out_dir=tmp_path,
            )
        with pytest.raises(CommandError, match="too little local data"):
            call_command(
                "assessment",
                "validate-local",
                "--instrument",
                "qadam-core-test",
                "--out",
                str(tmp_path),
            )
        assert not Instrument.objects.get(code="qadam-core-test").validated_on_local_data

    def test_report_figures_and_the_instrument_label(
        self, setting: dict[str, Any], tmp_path: Path
    ) -> None:
        # 10 high scorers re-admitted, 10 low scorers not: the ranking is perfect (AUC 1).
        for index in range(10):
            journey(
                setting,
                admitted=2000,
                assessed=1900,
                released=1500 - index,
                readmitted=1300,
                pick="last",
                sex="F" if index % 3 == 0 else "M",
            )
            journey(
                setting,
                admitted=2000,
                assessed=1900,
                released=1500 - index,
                pick="first",
                sex="F" if index % 3 == 0 else "M",
            )
        journey(setting, admitted=400, assessed=350, released=300)  # censored
        call_command(
            "assessment",
            "validate-local",
            "--instrument",
            "qadam-core-test",
            "--years",
            "3",
            "--min-rows",
            "20",
            "--out",
            str(tmp_path),
        )
        figures = json.loads((tmp_path / "local-validation.json").read_text(encoding="utf-8"))
        assert figures["cohort"]["releases"] == 21
        assert figures["cohort"]["outcome_known"] == 20
        assert figures["cohort"]["censored"] == 1
        year1 = figures["validation"]["horizons"]["year1"]["all"]
        assert (year1["rows"], year1["events"], year1["auc"]) == (20, 10, 1.0)
        women = figures["validation"]["horizons"]["year1"]["female"]
        assert (women["rows"], women["events"]) == (8, 4)  # indices 0, 3, 6, 9 of each group
        assert figures["year3"]["auc"] == 1.0
        assert "Local validation" in (tmp_path / "local-validation.html").read_text(
            encoding="utf-8"
        )
        instrument = Instrument.objects.get(code="qadam-core-test")
        assert instrument.validated_on_local_data
        assert instrument.validation_label == "Validated on Kazakh registry data"
        assert instrument.local_validation is not None
        assert instrument.local_validation["cohort"]["readmitted"] == 10
        assert AuditEvent.objects.filter(verb="instrument validated on registry outcomes").exists()
