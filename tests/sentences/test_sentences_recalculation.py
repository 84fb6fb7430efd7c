"""Bulk recalculation: the fingerprint that decides which stored rows a new rule set changes, the
diff that records them, and the activation that rewrites only those (audited per person whose
dates move, the lawful date following the end with its history), on the day of the diff or later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from sentences_golden_loader import load_cases

from factories import InstitutionFactory, institution_type, offence, remanded_person, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.custody.models import DetentionBasis
from qadam.people.models import Person
from qadam.sentences import adapters, bulk, engine, recalculation, services
from qadam.sentences.engine.rules import RULES_DIR
from qadam.sentences.models import (
    RecalculationChange,
    RecalculationRewrite,
    RecalculationRun,
    SentenceCalculation,
    Verdict,
)

# --- The fingerprint (no database) ------------------------------------------------------------------


def test_fingerprint_is_the_same_with_or_without_the_breakdown() -> None:
    cases = load_cases()
    assert len(cases) > 150
    for case in cases:
        digests = adapters.rule_digests(case.rules)
        full = engine.calculate(case.sentence, as_of=case.as_of, rules=case.rules)
        compact = engine.calculate(case.sentence, as_of=case.as_of, rules=case.rules, explain=False)
        assert adapters.calculation_fingerprint(
            case.sentence, full, digests
        ) == adapters.calculation_fingerprint(case.sentence, compact, digests), case.id


def _medium_case() -> Any:
    return next(
        c
        for c in load_cases()
        if c.expected.get("parole") and c.sentence.counts[0].gravity == "medium"
    )


def test_fingerprint_follows_inputs_and_the_content_of_the_rules_cited() -> None:
    case = _medium_case()
    rules = case.rules
    calc = engine.calculate(case.sentence, as_of=case.as_of, rules=rules, explain=False)
    digests = adapters.rule_digests(rules)
    before = adapters.calculation_fingerprint(case.sentence, calc, digests)
    # A rule the calculation cites changes a value that does not decide this person's dates:
    # the dates stay, the breakdown (which quotes the rule) does not, so the row must be rewritten.
    edited = rules.with_params("parole_fraction_general", especially_grave="3/4")
    again = engine.calculate(case.sentence, as_of=case.as_of, rules=edited, explain=False)
    assert again.dates == calc.dates
    after = adapters.calculation_fingerprint(case.sentence, again, adapters.rule_digests(edited))
    assert after != before
    # An input changes (a child born) without changing any date: also rewritten.
    person = replace(case.sentence.person, single_father=not case.sentence.person.single_father)
    other = replace(case.sentence, person=person)
    assert adapters.calculation_fingerprint(other, calc, digests) != before
    # The same inputs and rules give the same fingerprint in another rule set object.
    reloaded = engine.calculate(case.sentence, as_of=case.as_of, rules=rules, explain=False)
    assert adapters.calculation_fingerprint(case.sentence, reloaded, digests) == before


# --- Diff and activation ----------------------------------------------------------------------------


@pytest.fixture
def world() -> dict[str, Any]:
    colony = InstitutionFactory(type=institution_type("MED"))
    clerk = staff(Role.RECEPTION, colony)
    medium = remanded_person(colony, clerk, days_ago=200, surname="Сапаров")
    grave = remanded_person(colony, clerk, days_ago=200, surname="Омаров")
    world = {"colony": colony, "clerk": clerk, "medium": medium, "grave": grave}
    enter(world, "medium", ("188", "2"))
    enter(world, "grave", ("188", "3"))
    return world


def enter(world: dict[str, Any], key: str, article: tuple[str, str]) -> Verdict:
    today = timezone.localdate()
    start = today - timedelta(days=5)
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
                offence=offence(*article), offence_date=today - timedelta(days=400), years=3
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


def candidate(tmp_path: Path, file: str, family: str, old: str, new: str) -> str:
    """The shipped rule files with one parameter of one family changed."""
    for source in RULES_DIR.glob("*.toml"):
        text = source.read_text()
        if source.name == file:
            head, sep, tail = text.partition(f'id = "{family}"')
            assert sep
            assert old in tail
            text = head + sep + tail.replace(old, new, 1)
        (tmp_path / source.name).write_text(text)
    return str(tmp_path)


def stored(person: Person) -> SentenceCalculation:
    return SentenceCalculation.objects.get(person=person)


@pytest.mark.django_db
class TestDiffAndActivation:
    def test_only_the_rows_that_change_are_rewritten(
        self, world: dict[str, Any], tmp_path: Path
    ) -> None:
        admin = staff(Role.ADMIN, national=True)
        rules_dir = candidate(
            tmp_path,
            "cc_art72_parole.toml",
            "parole_fraction_general",
            'medium = "1/3"',
            'medium = "1/2"',
        )
        medium, grave = stored(world["medium"]), stored(world["grave"])
        run = services.legislation_diff_start(actor=admin, rules_dir=rules_dir)
        run = recalculation.diff_compute(run)
        assert run.status == RecalculationRun.Status.READY
        assert run.as_of == timezone.localdate()
        # The medium crime's parole moves; the grave one cites the edited rule (its wording is
        # quoted in the breakdown) but keeps its dates: both are rewritten, one date changes.
        assert run.changed_persons == 1
        assert set(RecalculationChange.objects.filter(run=run).values_list("person", "field")) == {
            (world["medium"].pk, "parole")
        }
        assert run.rewrite_persons == 2
        client = Client()
        client.force_login(admin)
        page = client.get(reverse("sentences:recalculation_detail", kwargs={"pk": run.pk}))
        assert "The activation rewrites 2 stored calculations" in page.content.decode()
        services.legislation_activate(actor=admin, run=run)
        after = stored(world["medium"])
        assert after.parole_date is not None
        assert medium.parole_date is not None
        assert after.parole_date > medium.parole_date
        assert after.ruleset_version == run.ruleset_version
        assert after.result["parole"]["date"] == after.parole_date.isoformat()
        kept = stored(world["grave"])
        assert kept.parole_date == grave.parole_date
        assert kept.fingerprint != grave.fingerprint
        # One audit row for the person whose dates moved, none for the other, one for the run.
        moved = AuditEvent.objects.filter(verb="sentence dates recalculated")
        assert list(moved.values_list("person_id", flat=True)) == [world["medium"].pk]
        event = moved.get()
        assert event.actor == admin
        assert event.details["dates"]["parole"] == [
            medium.parole_date.isoformat(),
            after.parole_date.isoformat(),
        ]
        run_event = AuditEvent.objects.get(verb="legislation version activated")
        assert run_event.details["rewritten"] == 2
        assert run_event.details["dates_moved"] == 1
        assert run_event.details["compared_again"] is False

    def test_an_unchanged_rule_set_rewrites_nothing_and_notes_the_version(
        self, world: dict[str, Any], tmp_path: Path
    ) -> None:
        rules_dir = candidate(
            tmp_path,
            "cc_art72_parole.toml",
            "parole_fraction_general",
            'medium = "1/3"',
            'medium = "1/3"',
        )
        before = {key: stored(world[key]) for key in ("medium", "grave")}
        run = recalculation.diff_compute(recalculation.diff_start(actor=None, rules_dir=rules_dir))
        assert run.rewrite_persons == 0
        assert not RecalculationRewrite.objects.filter(run=run).exists()
        # The copy of the rule files is another rule set (its own version) with the same content.
        assert run.ruleset_version == before["medium"].ruleset_version
        recalculation.activate(run, actor=None)
        for key, row in before.items():
            now = stored(world[key])
            assert (now.result, now.fingerprint, now.end_of_sentence) == (
                row.result,
                row.fingerprint,
                row.end_of_sentence,
            )
            assert now.computed_at >= row.computed_at
        assert not AuditEvent.objects.filter(verb="sentence dates recalculated").exists()
        event = AuditEvent.objects.get(verb="legislation version activated")
        assert (event.details["persons"], event.details["rewritten"]) == (2, 0)

    def test_rows_written_after_the_diff_are_rewritten_under_the_new_rules(
        self, world: dict[str, Any], tmp_path: Path
    ) -> None:
        rules_dir = candidate(
            tmp_path,
            "cc_art72_parole.toml",
            "parole_fraction_general",
            'grave = "1/2"',
            'grave = "2/3"',
        )
        run = recalculation.diff_compute(recalculation.diff_start(actor=None, rules_dir=rules_dir))
        assert set(RecalculationRewrite.objects.values_list("person", flat=True)) == {
            world["medium"].pk,
            world["grave"].pk,
        }
        # After the diff, an amnesty for the grave crime is recorded under the rules in force.
        verdict = Verdict.objects.get(person=world["grave"])
        services.adjustment_add(
            actor=staff(Role.RECEPTION, world["colony"]),
            verdict=verdict,
            data=services.AdjustmentInput(
                kind="amnesty",
                date=timezone.localdate() - timedelta(days=1),
                source="Amnesty law",
                months=2,
            ),
        )
        RecalculationRewrite.objects.filter(run=run, person=world["grave"]).delete()
        recalculation.activate(run, actor=None)
        row = stored(world["grave"])
        rules = adapters.load_rule_dir(rules_dir)
        fresh = recalculation.compute_batch([row.person_id], [row.verdict_id], rules, row.as_of)
        assert row.fingerprint == fresh.rows[0].fingerprint
        assert row.parole_date == fresh.rows[0].parole_date
        assert row.result["parole"]["breakdown"]["steps"]  # written with its breakdown

    def test_an_activation_on_a_later_day_compares_everyone_again(
        self, world: dict[str, Any], tmp_path: Path
    ) -> None:
        rules_dir = candidate(
            tmp_path,
            "cc_art72_parole.toml",
            "parole_fraction_general",
            'medium = "1/3"',
            'medium = "1/2"',
        )
        run = recalculation.diff_compute(recalculation.diff_start(actor=None, rules_dir=rules_dir))
        RecalculationRewrite.objects.filter(run=run).delete()  # the diff's word is not taken
        later = timezone.localdate() + timedelta(days=1)
        recalculation.activate(run, actor=None, on=later)
        assert stored(world["medium"]).as_of == later
        assert stored(world["medium"]).ruleset_version == run.ruleset_version
        event = AuditEvent.objects.get(verb="legislation version activated")
        assert event.details["compared_again"] is True
        assert event.details["rewritten"] == 2

    def test_a_moved_end_moves_the_lawful_date_with_its_history(
        self, world: dict[str, Any], tmp_path: Path
    ) -> None:
        person = world["medium"]
        before = stored(person)
        assert Person.objects.get(pk=person.pk).lawful_until == before.end_of_sentence
        # Credit for pre-trial detention at one day per day in medium security: ends later.
        rules_dir = candidate(
            tmp_path,
            "cc_art62_pretrial_credit.toml",
            "pretrial_credit_ratio",
            'MED = "3/2"',
            'MED = "1"',
        )
        admin = staff(Role.ADMIN, national=True)
        run = recalculation.diff_compute(recalculation.diff_start(actor=admin, rules_dir=rules_dir))
        recalculation.activate(run, actor=admin)
        after = stored(person)
        assert after.end_of_sentence is not None
        assert before.end_of_sentence is not None
        assert after.end_of_sentence > before.end_of_sentence
        fresh = Person.objects.get(pk=person.pk)
        assert fresh.lawful_until == after.end_of_sentence
        basis = DetentionBasis.objects.get(verdict__person=person)
        assert basis.valid_until == after.end_of_sentence
        latest = fresh.history.order_by("-history_id").first()
        assert latest is not None
        assert latest.lawful_until == after.end_of_sentence
        assert run.ruleset_version in (latest.history_change_reason or "")
        event = AuditEvent.objects.get(verb="sentence dates recalculated", person_id=person.pk)
        assert event.details["lawful_until"] == [
            before.end_of_sentence.isoformat(),
            after.end_of_sentence.isoformat(),
        ]

    def test_activation_is_idempotent(self, world: dict[str, Any], tmp_path: Path) -> None:
        rules_dir = candidate(
            tmp_path,
            "cc_art72_parole.toml",
            "parole_fraction_general",
            'medium = "1/3"',
            'medium = "1/2"',
        )
        run = recalculation.diff_compute(recalculation.diff_start(actor=None, rules_dir=rules_dir))
        recalculation.activate(run, actor=None)
        first = {key: stored(world[key]) for key in ("medium", "grave")}
        recalculation.activate(run, actor=None)  # e.g. a worker retried the task
        for key, row in first.items():
            again = stored(world[key])
            assert (again.parole_date, again.fingerprint, again.result) == (
                row.parole_date,
                row.fingerprint,
                row.result,
            )
        assert AuditEvent.objects.filter(verb="sentence dates recalculated").count() == 1


# --- Writing rows in bulk ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_inserted_with_reserved_ids_leave_the_sequence_past_them(
    world: dict[str, Any],
) -> None:
    verdict = Verdict.objects.get(person=world["medium"])
    ids = bulk.reserve_ids(Verdict, 3)
    assert ids.start > verdict.pk
    row = [
        ids.start + 2,
        world["grave"].pk,
        "Court",
        verdict.verdict_date,
        "1-99",
        None,
        verdict.institution_type_id,
        "absorption",
        "1/2",
        "",
        verdict.start_date,
        False,
        False,
        False,
        None,
        world["clerk"].pk,
        timezone.now(),
    ]
    from qadam.sentences.demo import VERDICT_FIELDS

    assert bulk.insert_rows(Verdict, VERDICT_FIELDS, [row]) == 1
    bulk.ids_inserted(Verdict)
    inserted = Verdict.objects.get(pk=ids.start + 2)
    assert inserted.case_number == "1-99"
    assert inserted.entered_into_force is None
    created = Verdict.objects.create(
        person=world["grave"],
        court="Court",
        verdict_date=verdict.verdict_date,
        case_number="1-100",
        institution_type=verdict.institution_type,
        start_date=verdict.start_date,
        recorded_by=world["clerk"],
    )
    assert created.pk > ids.start + 2


@pytest.mark.django_db
def test_store_inserts_and_replaces_one_row_per_person(world: dict[str, Any]) -> None:
    row = stored(world["medium"])
    SentenceCalculation.objects.filter(pk=row.pk).delete()
    rules = adapters.active_rules()
    batch = recalculation.compute_batch([row.person_id], [row.verdict_id], rules, row.as_of)
    recalculation.store(batch.rows)
    recalculation.store(batch.rows)
    again = stored(world["medium"])
    assert (again.parole_date, again.result, again.fingerprint, again.overridden) == (
        row.parole_date,
        row.result,
        row.fingerprint,
        row.overridden,
    )
    assert SentenceCalculation.objects.filter(person=world["medium"]).count() == 1
    assert isinstance(again.as_of, date)
