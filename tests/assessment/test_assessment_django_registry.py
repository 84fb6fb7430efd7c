"""Putting an instrument version into use (`qadam assessment load`, the upload page) and re-fitting
on the registry's own outcomes (`qadam assessment export-local` → `fit` → `load`), with the
fairness audit of the local validation. The ledger is built with the custody services."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from assessment_helpers import admit, assess, historic_instrument, release
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import InstitutionFactory, PersonFactory, staff
from qadam.assessment.engine import parse_instrument
from qadam.assessment.engine.schema import InstrumentError
from qadam.assessment.forms import instrument_problem_text
from qadam.assessment.instruments import DEFAULT_INSTRUMENT
from qadam.assessment.local_command import in_force_timeline
from qadam.assessment.models import Instrument
from qadam.assessment.outcomes import (
    FAIRNESS_COLUMN,
    SEX_COLUMN,
    SPLIT_COLUMN,
    export_local,
    outcome_column,
    release_observations,
)
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def version_text(version: str = "2.0.0", valid_from: str = "2027-01-01", **changes: str) -> str:
    """The shipped instrument under another version and start date (and other text changes)."""
    text = DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
    text = text.replace('version = "1.0.0"', f'version = "{version}"', 1)
    text = text.replace("valid_from = 2026-01-01", f"valid_from = {valid_from}", 1)
    for old, new in changes.items():
        text = text.replace(old, new, 1)
    return text


BROKEN = """
schema = 1
code = "broken"
version = "1"
valid_from = "2027-02-30"
validated_on = "not yet validated on Kazakh data"
decision_band = "extreme"

[name]
kk = "Сынақ"
ru = "Тест"

[calibration.year1]
intercept = -2
slope = -0.1

[[bands]]
code = "low"
min_points = 5
text = { kk = "Төмен", ru = "Низкий", en = "Low" }

[[items]]
code = "ethnicity"
layer = "change"
source = "person.ethnicity"
text = { kk = "а", ru = "б", en = "c" }

[[items.options]]
code = "a"
points = 2
text = { kk = "а", ru = "б", en = "c" }
"""


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("assessment", *args, stdout=out)
    return out.getvalue()


# --- qadam assessment load ------------------------------------------------------------------------


class TestLoadCommand:
    def test_stores_the_version_and_prints_what_is_in_force_when(self, tmp_path: Path) -> None:
        path = tmp_path / "v2.toml"
        path.write_text(version_text(), encoding="utf-8")
        output = run("load", str(path))
        stored = Instrument.objects.get(code="qadam-core", version="2.0.0")
        assert stored.valid_from == date(2027, 1, 1)
        assert f"qadam-core 2.0.0 stored from {path}." in output
        assert "valid from 2027-01-01 to open" in output
        assert "items: 17 (static 6, dynamic 7, change 4)" in output
        assert "substance_use [dynamic]: Alcohol and drug use (3 answers)" in output
        today = timezone.localdate()
        assert f"from {today.isoformat()} (today): qadam-core 1.0.0" in output
        assert "from 2027-01-01: qadam-core 2.0.0 (this version)" in output
        event = AuditEvent.objects.get(verb="assessment instrument loaded", object_id=stored.pk)
        assert event.details["origin"] == str(path)
        assert event.actor is None

    def test_the_same_file_again_changes_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "v2.toml"
        path.write_text(version_text(), encoding="utf-8")
        run("load", str(path))
        output = run("load", str(path))
        assert "qadam-core 2.0.0 is already stored with this definition: nothing changed." in (
            output
        )
        assert Instrument.objects.filter(code="qadam-core", version="2.0.0").count() == 1
        assert AuditEvent.objects.filter(verb="assessment instrument loaded").count() == 1

    def test_a_bad_file_lists_its_problems_and_stores_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.toml"
        path.write_text(BROKEN, encoding="utf-8")
        with pytest.raises(CommandError) as raised:
            run("load", str(path))
        message = str(raised.value)
        assert raised.value.returncode == 1
        assert f"{path} was not loaded:" in message
        assert "  - valid_from: must be a date (YYYY-MM-DD), not '2027-02-30'" in message
        assert "name.en: text is missing or empty" in message
        assert "refers to 'ethnicity'" in message
        assert "calibration.year1.slope: must be positive" in message
        assert not Instrument.objects.filter(code="broken").exists()

    def test_a_changed_file_under_a_published_version_is_refused(self, tmp_path: Path) -> None:
        first, changed = tmp_path / "v2.toml", tmp_path / "v2-changed.toml"
        first.write_text(version_text(), encoding="utf-8")
        changed.write_text(version_text(**{"points = 3": "points = 4"}), encoding="utf-8")
        run("load", str(first))
        with pytest.raises(CommandError, match="already stored with another definition"):
            run("load", str(changed))
        assert Instrument.objects.get(code="qadam-core", version="2.0.0").definition == (
            first.read_text(encoding="utf-8")
        )

    def test_unreadable_file_and_users(self, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="cannot read"):
            run("load", str(tmp_path / "missing.toml"))
        latin1 = tmp_path / "latin1.toml"
        latin1.write_bytes("name = 'Ærø'".encode("latin-1"))
        with pytest.raises(CommandError, match="is not UTF-8 text"):
            run("load", str(latin1))
        path = tmp_path / "v2.toml"
        path.write_text(version_text(), encoding="utf-8")
        with pytest.raises(CommandError, match="no user named 'nobody'"):
            run("load", str(path), "--user", "nobody")
        psychologist = staff(Role.PSYCHOLOGIST, InstitutionFactory(), username="psy")
        with pytest.raises(CommandError, match="may not load instruments"):
            run("load", str(path), "--user", psychologist.username)
        assert not Instrument.objects.filter(version="2.0.0").exists()
        analyst = staff(Role.ANALYST, national=True, username="analyst")
        run("load", str(path), "--user", analyst.username)
        event = AuditEvent.objects.get(verb="assessment instrument loaded")
        assert event.actor == analyst

    def test_a_version_that_starts_today_is_in_force_at_once(self, tmp_path: Path) -> None:
        today = timezone.localdate()
        path = tmp_path / "now.toml"
        path.write_text(version_text("3.0.0", today.isoformat()), encoding="utf-8")
        output = run("load", str(path))
        assert f"from {today.isoformat()} (today): qadam-core 3.0.0 (this version)" in output
        assert "New assessments use qadam-core 3.0.0 from today." in output
        periods = in_force_timeline(today)
        assert [str(p.instrument) for p in periods] == ["qadam-core 3.0.0"]

    def test_a_version_never_in_force_from_today_on_is_said_so(self, tmp_path: Path) -> None:
        # Loaded for assessments in the past: 1.0.0 (from 2026-01-01) has taken over since.
        historic = tmp_path / "historic.toml"
        historic.write_text(version_text("0.9.0", "2025-06-01"), encoding="utf-8")
        output = run("load", str(historic))
        assert (
            "qadam-core 0.9.0 is not in force on any day from today on: versions that start "
            "later are in force instead." in output
        )
        ended = tmp_path / "ended.toml"
        ended.write_text(
            version_text(
                "0.8.0", "2025-01-01", **{"validated_on": "valid_to = 2025-06-01\nvalidated_on"}
            ),
            encoding="utf-8",
        )
        assert "its validity has ended" in run("load", str(ended))


# --- The upload page ------------------------------------------------------------------------------


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def upload(client: Client, text: str | bytes, name: str = "instrument.toml") -> Any:
    content = text.encode() if isinstance(text, str) else text
    return client.post(
        reverse("assessment:instrument_upload"),
        {"definition": SimpleUploadedFile(name, content, content_type="application/toml")},
    )


class TestUploadPage:
    def test_an_analyst_loads_a_version_and_the_list_shows_it(self) -> None:
        analyst = staff(Role.ANALYST, national=True, username="analyst")
        client = client_for(analyst)
        page = client.get(reverse("assessment:instrument_upload"))
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' in page.content.decode()
        response = upload(client, version_text(), "qadam-core-2.toml")
        assert response.status_code == 302
        assert response["Location"] == reverse("assessment:instrument_list")
        stored = Instrument.objects.get(code="qadam-core", version="2.0.0")
        event = AuditEvent.objects.get(verb="assessment instrument loaded", object_id=stored.pk)
        assert (event.actor, event.details["origin"]) == (analyst, "qadam-core-2.toml")
        listing = client.get(response["Location"]).content.decode()
        assert (
            "was loaded: valid from 01.01.2027 to —. New assessments use it from 01.01.2027."
            in (listing)
        )
        row = listing.split("<td>2.0.0</td>")[1].split("</tr>")[0]
        assert "<td>01.01.2027</td>" in row
        assert "<td>Not yet validated on Kazakh data</td>" in row
        assert reverse("assessment:instrument_upload") in listing
        # The same file again changes nothing.
        again = upload(client, version_text())
        assert again.status_code == 302
        assert "is already stored with this definition; nothing changed." in (
            client.get(again["Location"]).content.decode()
        )
        assert AuditEvent.objects.filter(verb="assessment instrument loaded").count() == 1

    def test_problems_are_shown_on_the_form_and_nothing_is_saved(self) -> None:
        analyst = staff(Role.ANALYST, national=True, username="analyst")
        before = AuditEvent.objects.count()
        response = upload(client_for(analyst), BROKEN)
        html = response.content.decode()
        assert response.status_code == 400
        with pytest.raises(InstrumentError) as raised:
            parse_instrument(tomllib.loads(BROKEN))
        count = len(raised.value.problems)
        assert f"The instrument does not validate; fix these {count} problems" in html
        assert html.count("<li>") >= count
        assert "valid_from: must be a date (YYYY-MM-DD), not &#x27;2027-02-30&#x27;" in html
        assert "name.en: the text is missing or empty" in html
        assert "refers to &#x27;ethnicity&#x27;: ethnicity, nationality and race are never" in html
        assert 'aria-describedby="id_definition_helptext id_definition_error"' in html
        assert 'id="id_definition_error"' in html
        assert not Instrument.objects.filter(code="broken").exists()
        assert AuditEvent.objects.count() == before

    def test_every_problem_of_the_validator_has_a_translation(self) -> None:
        variants = [
            BROKEN,
            BROKEN.replace("schema = 1", "schema = 2\nextra = 1")
            .replace('version = "1"', "version = 3")
            .replace('code = "broken"', 'code = "a b"'),
            version_text(
                **{
                    'points_kind = "integer"': 'points_kind = "fractions"',
                    'code = "low"\nmin_points = -7': 'code = "low"\nmin_points = 30',
                    "[calibration.year1]": "[calibration.year9]",
                    'code = "18_22"\npoints = 3': 'code = "23_29"\npoints = 1.5\nvalues = [1.5]',
                    'layer = "dynamic"': 'layer = "wishful"',
                    'need_area = "criminal_history"': 'need_area = "astrology"',
                    '[[items.options]]\ncode = "male"': (
                        '[[items.options]]\nmissing = 2\ncode = "male"'
                    ),
                }
            ),
        ]
        seen = 0
        for text in variants:
            with pytest.raises(InstrumentError) as raised:
                parse_instrument(tomllib.loads(text))
            for problem in raised.value.problems:
                seen += 1
                assert instrument_problem_text(problem)[1], f"no translation for: {problem}"
        assert seen >= 25

    def test_problems_in_the_users_language(self) -> None:
        analyst = staff(Role.ANALYST, national=True, username="analyst", language="ru")
        client = client_for(analyst, "ru")
        upload(client, version_text())
        response = upload(client, version_text(**{"points = 3": "points = 4"}))
        assert response.status_code == 400
        assert "Версия 2.0.0 инструмента qadam-core уже сохранена" in response.content.decode()

    def test_not_utf8_not_toml_and_too_large(self) -> None:
        client = client_for(staff(Role.ANALYST, national=True, username="analyst"))
        html = upload(client, "name = 'Ærø'".encode("latin-1")).content.decode()
        assert "The file is not UTF-8 text" in html
        html = upload(client, 'code = "x"\nversion = [\n').content.decode()
        assert "The file is not valid TOML" in html
        response = upload(client, "# " + "x" * 1_000_001)
        assert response.status_code == 400
        assert "The file is larger than 1 MB" in response.content.decode()
        missing = client.post(reverse("assessment:instrument_upload"), {})
        assert "Choose the instrument file to upload." in missing.content.decode()
        assert Instrument.objects.count() == 1

    def test_an_administrator_may_load_and_returns_to_the_page(self) -> None:
        admin = staff(Role.ADMIN, national=True, username="admin")
        client = client_for(admin)
        response = upload(client, version_text())
        assert response.status_code == 302
        assert response["Location"] == reverse("assessment:instrument_upload")
        page = client.get(response["Location"]).content.decode()
        assert "was loaded" in page
        assert "<td>2.0.0</td>" in page  # the timeline of versions in force
        assert Instrument.objects.filter(version="2.0.0").exists()

    def test_other_roles_may_not(self) -> None:
        institution = InstitutionFactory()
        for role in (Role.PSYCHOLOGIST, Role.HEAD, Role.RECEPTION):
            client = client_for(staff(role, institution))
            assert client.get(reverse("assessment:instrument_upload")).status_code == 403
            assert upload(client, version_text()).status_code == 403
        assert not Instrument.objects.filter(version="2.0.0").exists()


# --- export-local → fit → load --------------------------------------------------------------------


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
    released: int,
    answers: dict[str, str],
    readmitted: int | None = None,
    sex: str = "M",
    citizenship: str = "KZ",
) -> Any:
    """A person admitted, assessed with `answers` and released `released` days ago, maybe
    admitted again `readmitted` days ago."""
    person = PersonFactory(sex=sex, citizenship=citizenship)
    place = s["women"] if sex == "F" else s["institution"]
    admit(person, place, s["reception"], at(released + 200))
    person.refresh_from_db()
    assess(
        person,
        s["psychologist"],
        instrument=s["instrument"],
        on=at(released + 100).date(),
        overrides=answers,
    )
    release(person, place, s["reception"], at(released))
    if readmitted is not None:
        admit(person, place, s["reception"], at(readmitted))
    return person


def registry(s: dict[str, Any], persons: int, *, seed: int = 3) -> list[Any]:
    """`persons` released 400–1600 days ago; re-admitted within a year with a probability that
    rises with the points of their answers; every fifth a woman, every fifth a foreign national."""
    rng = random.Random(seed)
    engine = s["instrument"].engine
    people = []
    for index in range(persons):
        sex = "F" if index % 5 == 0 else "M"
        # Three answers per item at most, so that every answer is common in the training set: the
        # fit lumps answers of fewer than 30 rows into an option coded "other", which clashes
        # with an item's own "other" answer (current_offence).
        answers = {item.code: rng.choice(item.options[:3]).code for item in engine.items}
        answers["sex"] = "female" if sex == "F" else "male"
        points = sum(
            next(o.points for o in item.options if o.code == answers[item.code])
            for item in engine.items
        )
        risk = 1 / (1 + math.exp(-(-1.2 + 0.18 * (points - 10))))
        released = rng.randint(400, 1600)
        readmitted = None
        if rng.random() < risk:
            readmitted = released - rng.randint(20, 330)
        elif released > 800 and rng.random() < 0.2:
            readmitted = released - rng.randint(400, 700)
        people.append(
            journey(
                s,
                released=released,
                answers=answers,
                readmitted=readmitted,
                sex=sex,
                citizenship="UZ" if index % 5 == 1 else "KZ",
            )
        )
    return people


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class TestExportLocal:
    def test_export_fit_load_end_to_end_without_identifiers(
        self, setting: dict[str, Any], tmp_path: Path
    ) -> None:
        people = registry(setting, 240)
        recent = journey(setting, released=100, answers={})  # followed up < 1 year: left out
        analyst = staff(Role.ANALYST, national=True, username="analyst")
        out = tmp_path / "export"
        output = run(
            "export-local",
            "--instrument",
            "qadam-core-test",
            "--out",
            str(out),
            "--min-rows",
            "50",
            "--user",
            analyst.username,
        )
        rows = read_csv(out / "registry.csv")
        engine = setting["instrument"].engine
        items = [item.code for item in engine.items]
        assert list(rows[0]) == [
            SPLIT_COLUMN,
            SEX_COLUMN,
            FAIRNESS_COLUMN,
            outcome_column(1),
            outcome_column(2),
            outcome_column(3),
            *items,
        ]
        assert len(rows) == 240
        assert "1 released less than a year before the as-of date" in output
        # Only the values of the columns: no name, IIN, case number, date or id.
        allowed = {
            SPLIT_COLUMN: {"train", "test"},
            SEX_COLUMN: {"male", "female"},
            FAIRNESS_COLUMN: {"citizen", "foreign"},
            **{outcome_column(y): {"0", "1", ""} for y in (1, 2, 3)},
            **{item.code: {o.code for o in item.options} for item in engine.items},
        }
        for row in rows:
            for column, value in row.items():
                assert value in allowed[column], (column, value)
        text = (out / "registry.csv").read_text(encoding="utf-8")
        for person in [*people, recent]:
            for identifier in (person.iin, person.case_number, person.surname):
                assert identifier not in text
        assert {r[outcome_column(1)] for r in rows} == {"0", "1"}
        assert sum(r[FAIRNESS_COLUMN] == "foreign" for r in rows) == 48
        # A temporal split: every test release is on or after every training release.
        observations = release_observations(
            instrument=setting["instrument"], as_of=timezone.localdate()
        )
        kept = sorted(o.released_at.date() for o in observations if o.outcomes[1] >= 0)
        test_from = kept[int(len(kept) * 0.7)]
        assert sum(r[SPLIT_COLUMN] == "test" for r in rows) == sum(d >= test_from for d in kept)
        assert f"released before {test_from.isoformat()}" in output
        mapping = tomllib.loads((out / "mapping.toml").read_text(encoding="utf-8"))
        assert mapping["fairness"]["column"] == FAIRNESS_COLUMN
        assert FAIRNESS_COLUMN not in mapping["inputs"]
        assert (
            mapping["inputs"]["substance_use"]["label"]["ru"]
            == "Употребление алкоголя и наркотиков"
        )
        assert mapping["inputs"]["age"]["values"]["18_22"]["kk"] == "18–22 жас"
        assert mapping["inputs"]["work"]["layer"] == "change"
        event = AuditEvent.objects.get(verb="assessment outcomes exported for fitting")
        assert event.actor == analyst
        assert event.action == AuditEvent.Action.EXPORT
        assert (event.details["rows"], event.details["as_of"]) == (
            240,
            timezone.localdate().isoformat(),
        )

        fitted = tmp_path / "fit"
        run(
            "fit",
            "--data",
            str(out / "registry.csv"),
            "--mapping",
            str(out / "mapping.toml"),
            "--out",
            str(fitted),
        )
        figures = json.loads((fitted / "report.json").read_text(encoding="utf-8"))
        year1 = figures["validation"]["integer_points"]["horizons"]["year1"]["all"]
        assert year1["rows"] == sum(r[SPLIT_COLUMN] == "test" for r in rows)
        assert year1["fairness"]["groups"]
        output = run("load", str(fitted / "instrument.toml"), "--user", analyst.username)
        fitted_on = datetime.now(UTC).date().isoformat()  # the fit's version: the day, in UTC
        loaded = Instrument.objects.get(code="qadam-core-test", version=fitted_on)
        assert "(this version)" in output
        assert {item.code for item in loaded.engine.items} <= set(items)
        assert loaded.engine.name.en.endswith("(re-fitted on registry data)")
        assert loaded.validation_label.startswith("fitted on")

    def test_validate_local_audits_fairness_by_citizenship(
        self, setting: dict[str, Any], tmp_path: Path
    ) -> None:
        registry(setting, 200, seed=11)
        output = run(
            "validate-local",
            "--instrument",
            "qadam-core-test",
            "--years",
            "1",
            "--min-rows",
            "50",
            "--out",
            str(tmp_path),
        )
        figures = json.loads((tmp_path / "local-validation.json").read_text(encoding="utf-8"))
        (overall,) = [row for row in figures["fairness"] if row["stratum"] == "all"]
        groups = {group["group"]: group for group in overall["groups"]}
        assert set(groups) == {"citizen", "foreign"}
        assert groups["foreign"]["rows"] == 40
        assert overall["fpr_gap_band"] == pytest.approx(
            abs(groups["citizen"]["fpr_band"] - groups["foreign"]["fpr_band"]), abs=1e-4
        )
        assert "year1 fairness by citizenship (decision band)" in output
        assert "Fairness by citizenship" in (tmp_path / "local-validation.html").read_text(
            encoding="utf-8"
        )
        stored = Instrument.objects.get(code="qadam-core-test").local_validation
        assert stored is not None
        assert stored["cohort"]["fairness_group"] == "citizenship"

    def test_too_little_data_writes_nothing(self, setting: dict[str, Any], tmp_path: Path) -> None:
        for released in (500, 600, 700):
            journey(setting, released=released, answers={}, readmitted=released - 100)
        with pytest.raises(CommandError, match="too little local data to export for fitting"):
            run("export-local", "--instrument", "qadam-core-test", "--out", str(tmp_path / "x"))
        assert not (tmp_path / "x").exists()
        assert not AuditEvent.objects.filter(verb="assessment outcomes exported for fitting")
        with pytest.raises(CommandError, match="no instrument with code 'nothing'"):
            run("export-local", "--instrument", "nothing", "--out", str(tmp_path))
        with pytest.raises(CommandError, match="is in the future"):
            run(
                "export-local",
                "--instrument",
                "qadam-core-test",
                "--out",
                str(tmp_path),
                "--as-of",
                (timezone.localdate() + timedelta(days=1)).isoformat(),
            )

    def test_as_of_reads_the_registry_up_to_that_day(self, setting: dict[str, Any]) -> None:
        # Released 1,000 days ago, re-admitted 500 days ago. As of 600 days ago the person had
        # been followed up for a year without re-admission; the two-year window was still open.
        person = journey(setting, released=1000, answers={}, readmitted=500)
        later = journey(setting, released=550, answers={})
        (then,) = release_observations(instrument=setting["instrument"], as_of=at(600).date())
        assert then.person_id == person.pk
        assert then.readmitted_at is None
        assert then.outcomes == {1: 0, 2: -1, 3: -1}
        now = {
            o.person_id: o
            for o in release_observations(
                instrument=setting["instrument"], as_of=timezone.localdate()
            )
        }
        assert now[person.pk].outcomes == {1: 0, 2: 1, 3: -1}  # three years not over yet
        assert now[later.pk].outcomes == {1: 0, 2: -1, 3: -1}

    def test_small_groups_leave_the_fairness_column_out(
        self, setting: dict[str, Any], tmp_path: Path
    ) -> None:
        for index in range(40):
            journey(
                setting,
                released=1200 - index * 10,
                answers={},
                readmitted=(1200 - index * 10 - 100) if index % 2 else None,
                citizenship="KG" if index < 3 else "KZ",
            )
        result = export_local(
            instrument=setting["instrument"],
            out_dir=tmp_path,
            as_of=timezone.localdate(),
            min_rows=10,
        )
        assert not result.fairness
        assert "37 citizens of Kazakhstan and 3 foreign nationals" in result.fairness_note
        assert FAIRNESS_COLUMN not in read_csv(tmp_path / "registry.csv")[0]
        assert "[fairness]" not in (tmp_path / "mapping.toml").read_text(encoding="utf-8")
        # The later 30 % of release dates are the test set.
        assert (result.train, result.test) == (28, 12)
        assert result.test_from == at(1200 - 28 * 10).date()
