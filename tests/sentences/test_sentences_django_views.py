"""Sentence pages: entry with live recalculation, the timeline with its breakdown, the sheet in
kk and ru (HTML and PDF), the person-page section, worklists (content, scope, export), the API,
the adapters and the recalculation diff with its activation."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import InstitutionFactory, institution_type, offence, remanded_person, staff
from qadam.core.api_tokens import issue_token
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.sentences import adapters, engine, recalculation, services
from qadam.sentences.engine.rules import RULES_DIR
from qadam.sentences.models import (
    LegislationVersion,
    RecalculationChange,
    RecalculationRun,
    SentenceCalculation,
    Verdict,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    a = InstitutionFactory(type=institution_type("MED"))
    b = InstitutionFactory(type=institution_type("MED"))
    clerk = staff(Role.RECEPTION, a, b)
    person = remanded_person(a, clerk, days_ago=200, surname="Сапаров")
    other = remanded_person(b, clerk, days_ago=200, surname="Омаров")
    return {"a": a, "b": b, "clerk": clerk, "person": person, "other": other}


def enter(
    world: dict[str, Any], key: str, *, years: int = 3, months: int = 0, start_days_ago: int = 5
) -> Verdict:
    today = timezone.localdate()
    start = today - timedelta(days=start_days_ago)
    return services.sentence_enter(
        actor=world["clerk"],
        person=world[key],
        verdict=services.VerdictInput(
            court="Almaty city court",
            verdict_date=start - timedelta(days=10),
            case_number=f"1-{world[key].pk}",
            institution_type=institution_type("MED"),
            start_date=start,
            entered_into_force=start,
        ),
        counts=[
            services.CountInput(
                offence=offence("188", "2"),
                offence_date=today - timedelta(days=400),
                years=years,
                months=months,
            )
        ],
        detention=[
            services.PeriodInput(
                date_from=today - timedelta(days=200),
                date_to=start - timedelta(days=1),
                source="Remand order",
            )
        ],
    )


def form_data(today: date, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "court": "Almaty city court",
        "case_number": "1-77/2025",
        "verdict_date": (today - timedelta(days=15)).isoformat(),
        "entered_into_force": (today - timedelta(days=5)).isoformat(),
        "start_date": (today - timedelta(days=5)).isoformat(),
        "institution_type": str(institution_type("MED").pk),
        "combination": "absorption",
        "partial_share": "1/2",
        "count-TOTAL_FORMS": "3",
        "count-INITIAL_FORMS": "0",
        "count-0-offence": str(offence("188", "2").pk),
        "count-0-years": "3",
        "count-0-offence_date": (today - timedelta(days=400)).isoformat(),
        "detention-TOTAL_FORMS": "2",
        "detention-INITIAL_FORMS": "0",
        "detention-0-date_from": (today - timedelta(days=200)).isoformat(),
        "detention-0-date_to": (today - timedelta(days=6)).isoformat(),
        "detention-0-source": "Remand order R-1",
    }
    data.update(changes)
    return data


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestEntry:
    def test_live_preview_shows_dates_and_saves_nothing(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        client = client_for(world["clerk"])
        url = reverse("sentences:preview", kwargs={"person_pk": world["person"].pk})
        response = client.post(url, form_data(today), headers={"HX-Request": "true"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html  # the partial only
        assert "pretrial_credit_ratio" in html
        assert "[U]" in html  # the unverified credit-as-served rule is flagged
        assert not Verdict.objects.exists()
        assert (
            AuditEvent.objects.filter(
                verb="sentence recalculated live", person_id=world["person"].pk
            ).count()
            == 1
        )

    def test_preview_names_the_problem(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        client = client_for(world["clerk"])
        url = reverse("sentences:preview", kwargs={"person_pk": world["person"].pk})
        response = client.post(url, form_data(today, **{"count-0-years": "9"}))
        assert response.status_code == 200
        assert "maximum of 5 year" in response.content.decode()

    def test_submit_without_js_saves_and_redirects(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        client = client_for(world["clerk"])
        url = reverse("sentences:enter", kwargs={"person_pk": world["person"].pk})
        response = client.post(url, form_data(today))
        assert response.status_code == 302
        assert SentenceCalculation.objects.filter(person=world["person"]).exists()

    def test_bad_input_is_shown_on_the_field_with_400(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        client = client_for(world["clerk"])
        url = reverse("sentences:enter", kwargs={"person_pk": world["person"].pk})
        response = client.post(
            url,
            form_data(
                today,
                **{"detention-0-date_to": (today - timedelta(days=1)).isoformat()},
            ),
        )
        assert response.status_code == 400
        assert "the day before the sentence starts" in response.content.decode()
        assert not Verdict.objects.exists()


class TestTimelineAndSheet:
    def test_timeline_shows_each_date_with_its_breakdown(self, world: dict[str, Any]) -> None:
        enter(world, "person")
        calc = SentenceCalculation.objects.get(person=world["person"])
        client = client_for(world["clerk"])
        response = client.get(reverse("sentences:detail", kwargs={"person_pk": world["person"].pk}))
        html = response.content.decode()
        assert response.status_code == 200
        assert calc.end_of_sentence is not None
        assert "How this was calculated" in html
        assert "parole_fraction_general" in html
        assert "Criminal Code, article 62, part 3" in html
        assert AuditEvent.objects.filter(verb="sentence viewed").count() == 1

    @pytest.mark.parametrize("lang", ["kk", "ru"])
    def test_sheet_in_the_persons_language(self, world: dict[str, Any], lang: str) -> None:
        enter(world, "person")
        client = client_for(world["clerk"])
        url = reverse("sentences:sheet", kwargs={"person_pk": world["person"].pk})
        response = client.get(url + f"?lang={lang}")
        html = response.content.decode()
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in html
        assert world["person"].full_name in html
        assert AuditEvent.objects.get(verb="sentence sheet printed").details == {
            "language": lang,
            "format": "html",
        }

    def test_sheet_pdf(self, world: dict[str, Any]) -> None:
        enter(world, "person")
        client = client_for(world["clerk"])
        url = reverse("sentences:sheet_pdf", kwargs={"person_pk": world["person"].pk})
        response = client.get(url + "?lang=ru")
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")

    def test_person_page_section_shows_dates(self, world: dict[str, Any]) -> None:
        enter(world, "person")
        calc = SentenceCalculation.objects.get(person=world["person"])
        assert calc.end_of_sentence is not None
        client = client_for(world["clerk"])
        response = client.get(reverse("people:person_detail", kwargs={"pk": world["person"].pk}))
        html = response.content.decode()
        assert "Open the sentence and its breakdown" in html
        assert str(calc.end_of_sentence.year) in html


class TestWorklists:
    def test_content_and_scope(self, world: dict[str, Any]) -> None:
        # 100 days held before the verdict × 3/2 = 150 days of credit: nine months counted from
        # 250 days ago end within the next 30 days.
        enter(world, "person", years=0, months=9, start_days_ago=100)
        enter(world, "other", years=0, months=9, start_days_ago=100)
        today = timezone.localdate()
        calc = SentenceCalculation.objects.get(person=world["person"])
        assert calc.end_of_sentence is not None
        assert calc.end_of_sentence <= today + timedelta(days=30)
        reader = staff(Role.REGIME, world["a"])
        client = client_for(reader)
        response = client.get(reverse("sentences:worklist", kwargs={"kind": "release_due"}))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Сапаров" in html
        assert "Омаров" not in html  # held in B, outside the reader's scope
        event = AuditEvent.objects.filter(verb="worklist release_due listed").get()
        assert event.details["result_count"] == 1

    def test_parole_lists_and_export(self, world: dict[str, Any]) -> None:
        enter(world, "person", years=1, start_days_ago=100)
        today = timezone.localdate()
        calc = SentenceCalculation.objects.get(person=world["person"])
        assert calc.parole_date is not None
        assert calc.parole_date <= today
        client = client_for(world["clerk"])
        response = client.get(
            reverse("sentences:worklist", kwargs={"kind": "parole_now"}) + "?format=csv"
        )
        body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        assert "Сапаров" in body
        assert AuditEvent.objects.filter(action="export").count() == 1
        response = client.get(reverse("sentences:worklists"))
        assert response.status_code == 200

    def test_unknown_list_is_404(self, world: dict[str, Any]) -> None:
        client = client_for(world["clerk"])
        assert client.get(reverse("sentences:worklist", kwargs={"kind": "nope"})).status_code == 404


class TestApi:
    def test_read_and_write_through_the_services(self, world: dict[str, Any]) -> None:
        today = timezone.localdate()
        token = issue_token(user=world["clerk"], name="t")
        client = Client(headers={"Authorization": f"Bearer {token}"})
        url = f"/api/v1/persons/{world['person'].pk}/sentence"
        body = {
            "court": "Court",
            "case_number": "1-1",
            "verdict_date": (today - timedelta(days=10)).isoformat(),
            "start_date": (today - timedelta(days=5)).isoformat(),
            "institution_type": "MED",
            "counts": [
                {
                    "offence_id": offence("188", "2").pk,
                    "offence_date": (today - timedelta(days=300)).isoformat(),
                    "years": 7,
                }
            ],
        }
        refused = client.post(url, json.dumps(body), content_type="application/json")
        assert refused.status_code == 400
        assert "counts.0.years" in refused.json()["errors"]
        assert not Verdict.objects.exists()
        body["counts"][0]["years"] = 2  # type: ignore[index]
        created = client.post(url, json.dumps(body), content_type="application/json")
        assert created.status_code == 201
        data = client.get(url).json()
        assert data["dates"]["end_of_sentence"] is not None
        assert data["breakdown"]["parole"]["breakdown"]["rules"]
        missing = client.get(f"/api/v1/persons/{world['other'].pk + 1000}/sentence")
        assert missing.status_code == 404
        worklist = client.get("/api/v1/sentences/worklists/not_eligible")
        assert worklist.status_code == 200
        assert worklist.json()["kind"] == "not_eligible"


class TestAdapters:
    def test_rows_become_engine_inputs(self, world: dict[str, Any]) -> None:
        verdict = enter(world, "person")
        verdict = Verdict.objects.get(pk=verdict.pk)
        sentence = adapters.sentence_input(
            verdict=verdict,
            counts=list(verdict.counts.select_related("offence")),
            adjustments=list(verdict.adjustments.all()),
            person=world["person"],
            on=timezone.localdate(),
        )
        assert sentence.institution_type == "MED"
        assert sentence.counts[0].article == "188"
        assert sentence.counts[0].part == "2"
        assert sentence.counts[0].term == engine.Term(years=3)
        assert sentence.counts[0].article_max_years == 5
        assert len(sentence.detention) == 1
        assert sentence.person.sex == "M"
        assert sentence.person.minor_at_offence is False

    def test_catalogue_groups_reach_the_rule_files_names(self) -> None:
        from qadam.sentences.models import Count as CountRow

        count = CountRow(
            number=1,
            offence=offence("120", "4"),
            gravity="especially_grave",
            term_years=10,
            offence_date=date(2020, 1, 1),
        )
        converted = adapters.count_input(count, recidivism=True)
        assert "sexual_offence_against_minor" in converted.groups
        assert "dangerous_recidivism" in converted.groups

    def test_default_behaviour_reads_nothing(self) -> None:
        assert adapters.behaviours([1, 2], date(2025, 1, 1)) == {}


class TestRecalculation:
    def test_diff_then_activation(self, world: dict[str, Any], tmp_path: Path) -> None:
        enter(world, "person")
        enter(world, "other")
        admin = staff(Role.ADMIN, national=True)
        before = SentenceCalculation.objects.get(person=world["person"])
        # A candidate rule set: the general parole fraction for medium gravity raised to 2/3.
        for source in RULES_DIR.glob("*.toml"):
            text = source.read_text()
            if source.name == "cc_art72_parole.toml":
                head, sep, tail = text.partition('id = "parole_fraction_general"')
                assert sep
                tail = tail.replace('medium = "1/2"', 'medium = "2/3"', 1).replace(
                    'medium = "1/3"', 'medium = "2/3"', 1
                )
                text = head + sep + tail
            (tmp_path / source.name).write_text(text)
        run = services.legislation_diff_start(actor=admin, rules_dir=str(tmp_path))
        run = recalculation.diff_compute(run)
        assert run.status == RecalculationRun.Status.READY
        assert run.total == 2
        assert run.processed == 2
        changes = RecalculationChange.objects.filter(run=run, field="parole")
        assert changes.count() == 2
        change = changes.get(person=world["person"])
        assert change.old_date == before.parole_date
        assert change.delta_days is not None
        assert change.delta_days > 0
        assert run.summary["parole"]["later"] == 2
        # Nothing is written before the activation.
        assert (
            SentenceCalculation.objects.get(person=world["person"]).parole_date
            == before.parole_date
        )
        client = client_for(admin)
        page = client.get(reverse("sentences:recalculation_detail", kwargs={"pk": run.pk}))
        assert page.status_code == 200
        assert "Activate this rule set" in page.content.decode()
        services.legislation_activate(actor=admin, run=run)
        after = SentenceCalculation.objects.get(person=world["person"])
        assert after.parole_date == change.new_date
        assert after.ruleset_version == run.ruleset_version != before.ruleset_version
        assert LegislationVersion.objects.get().ruleset_version == run.ruleset_version
        assert AuditEvent.objects.filter(verb="legislation version activated", actor=admin).exists()

    def test_invalid_rule_files_are_refused(self, world: dict[str, Any], tmp_path: Path) -> None:
        admin = staff(Role.ADMIN, national=True)
        (tmp_path / "bad.toml").write_text('[[rule]]\nid = "parole_minimum_served"\n')
        from qadam.core.errors import ServiceError

        with pytest.raises(ServiceError) as caught:
            services.legislation_diff_start(actor=admin, rules_dir=str(tmp_path))
        assert "rules_dir" in caught.value.errors
        assert not RecalculationRun.objects.exists()
