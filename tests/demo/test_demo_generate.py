"""The national demo generator at a tiny scale (never the full scale in tests)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from demo_helpers import SCALE, SEED, generated_demo
from qadam.core.models import AuditEvent, Region
from qadam.custody import engine
from qadam.custody.models import Institution, Movement, Section, Stay
from qadam.custody.services import rebuild_stays
from qadam.demo import generate
from qadam.demo.ledger import _plan_simulation
from qadam.demo.registry import DemoContext
from qadam.demo.users import demo_institution
from qadam.people.identity import iin_is_valid, parse_iin
from qadam.people.models import AdmissionRecord, Person


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with generated_demo(
        django_db_blocker, only=["institutions", "custody"]
    ) as ctx:  # other modules test their own steps
        yield ctx


def _stay_tuple(stay: Stay) -> tuple[Any, ...]:
    return (
        stay.institution_id,
        stay.section_id,
        stay.cell_id,
        stay.legal_status,
        stay.sex,
        stay.birth_date,
        stay.start,
        stay.end,
        stay.start_event_id,
        stay.end_event_id,
    )


@pytest.mark.django_db
class TestInstitutions:
    def test_78_colonies_of_every_type_and_16_pretrial_centres(self, demo: DemoContext) -> None:
        institutions = Institution.objects.filter(pk__in=[i.pk for i in demo.institutions])
        assert institutions.filter(type__code="SIZO").count() == 16
        colonies = institutions.exclude(type__code="SIZO")
        assert colonies.count() == 78
        assert set(colonies.values_list("type__code", flat=True)) == {
            "MIN",
            "MED",
            "MED_JUV",
            "MAX",
            "FULL",
            "EXTRA",
            "MIXED",
        }
        assert institutions.values("region").distinct().count() == Region.objects.count() == 20
        assert colonies.filter(sex_profile="F").count() == 3

    def test_mixed_institutions_have_sections_of_their_own_types(self, demo: DemoContext) -> None:
        mixed = Section.objects.filter(
            institution__type__code="MIXED", institution__sex_profile="M"
        )
        assert set(mixed.values_list("type__code", flat=True)) == {"MIN", "MED", "MAX"}
        assert not mixed.filter(type__isnull=True).exists()

    def test_cells_have_places_and_space(self, demo: DemoContext) -> None:
        institution = demo.institutions[0]
        cells = Section.objects.filter(institution=institution).values_list(
            "cells__places", "cells__area_m2"
        )
        assert sum(places for places, _area in cells) >= institution.design_capacity
        assert all(area > 0 for _places, area in cells)


@pytest.mark.django_db
class TestLedger:
    def test_every_persons_ledger_replays_without_error(self, demo: DemoContext) -> None:
        events: dict[int, list[engine.Event]] = defaultdict(list)
        for m in Movement.objects.filter(person_id__in=demo.person_ids).effective():
            events[m.person_id].append(
                engine.Event(
                    id=m.pk,
                    kind=m.kind,
                    occurred_at=m.occurred_at,
                    institution_id=m.institution_id,
                    section_id=m.section_id,
                    cell_id=m.cell_id,
                    destination_id=m.destination_id,
                    legal_status=m.legal_status,
                    transfer_out_id=m.transfer_out_id,
                )
            )
        assert len(events) == len(demo.person_ids) > 1000
        for person_events in events.values():
            engine.replay(person_events)  # raises LedgerError on a broken ledger
        kinds = {e.kind for person_events in events.values() for e in person_events}
        assert {"admission", "status_change", "transfer_out", "transfer_in", "release"} <= kinds
        assert {"absence_out", "absence_return"} <= kinds

    def test_stays_equal_a_rebuild_through_the_service(self, demo: DemoContext) -> None:
        sample = Person.objects.filter(pk__in=demo.person_ids[::40])
        assert sample.count() >= 40
        for person in sample:
            before = sorted(_stay_tuple(s) for s in Stay.objects.filter(person=person))
            fields = (
                person.current_institution_id,
                person.last_institution_id,
                person.legal_status,
            )
            rebuild_stays(person)
            person.refresh_from_db()
            after = sorted(_stay_tuple(s) for s in Stay.objects.filter(person=person))
            assert after == before
            assert (
                person.current_institution_id,
                person.last_institution_id,
                person.legal_status,
            ) == fields

    def test_stock_each_mid_year_within_ten_percent_of_the_target(self, demo: DemoContext) -> None:
        checks = generate.stock_by_year(demo)
        assert len(checks) >= 9
        for check in checks:
            assert abs(check.difference) <= 0.10, check

    def test_todays_population_is_remand_and_sentenced_with_women_apart(
        self, demo: DemoContext
    ) -> None:
        open_stays = Stay.objects.open()
        total = open_stays.count()
        assert 0.9 * 375 <= total <= 1.1 * 375  # 37,500 at scale 1
        remand = open_stays.filter(legal_status="remand").count()
        assert 0.15 <= remand / total <= 0.25  # 7,500 of 37,500
        women = open_stays.filter(sex="F")
        assert 0.03 <= women.count() / total <= 0.13
        # Women are held in women's colonies or in the women's sections of pre-trial centres.
        for stay in women.select_related("institution", "section"):
            assert stay.institution.sex_profile in ("F", "MF")
            assert stay.section is None or stay.section.sex == "F"

    def test_one_audit_event_per_batch(self, demo: DemoContext) -> None:
        events = [
            e
            for e in AuditEvent.objects.filter(verb="demo data generated")
            if e.details.get("step") in ("institutions", "custody")
        ]
        assert [e.details["step"] for e in events] == ["custody", "institutions"]  # newest first
        assert all(e.actor == demo.system_user for e in events)
        assert sum(e.details["persons"] for e in events) == len(demo.person_ids)


@pytest.mark.django_db
class TestPersons:
    def test_iins_are_valid_unique_and_encode_birth_date_and_sex(self, demo: DemoContext) -> None:
        rows = list(
            Person.objects.filter(pk__in=demo.person_ids).values_list(
                "iin", "birth_date", "sex", "citizenship"
            )
        )
        iins = [iin for iin, _b, _s, _c in rows if iin]
        assert len(iins) == len(set(iins))
        assert len(iins) >= 0.9 * len(rows)
        for iin, born, sex, citizenship in rows:
            if not iin:
                assert citizenship != "KZ"  # only foreigners lack an IIN
                continue
            assert iin_is_valid(iin)
            facts = parse_iin(iin)
            assert (facts.birth_date, facts.sex) == (born, sex)

    def test_names_have_the_right_gender_forms(self, demo: DemoContext) -> None:
        persons = Person.objects.filter(pk__in=demo.person_ids)
        for surname, patronymic, sex, surname_latin, key in persons.values_list(
            "surname", "patronymic", "sex", "surname_latin", "surname_key"
        ):
            if sex == "M":
                assert surname.endswith(("ов", "ев", "ин", "ёв")), surname
                assert patronymic.endswith(("ұлы", "вич", "ич")), patronymic
            else:
                assert surname.endswith(("ова", "ева", "ина", "ёва")), surname
                assert patronymic.endswith(("қызы", "вна", "чна")), patronymic
            assert surname_latin.isascii()
            assert surname_latin
            assert key

    def test_person_fields_follow_the_ledger(self, demo: DemoContext) -> None:
        held = Person.objects.filter(pk__in=demo.population_ids, current_institution__isnull=False)
        assert held.exists()
        for person in held[:50]:
            stay = Stay.objects.get(person=person, end__isnull=True)
            assert person.current_institution_id == stay.institution_id
            assert person.legal_status == stay.legal_status
            assert person.lawful_until is not None
        released = Person.objects.filter(pk__in=demo.person_ids, current_institution__isnull=True)
        assert released.filter(last_institution__isnull=False).count() == released.count()

    def test_lawful_detention_lists_have_something_to_show(self, demo: DemoContext) -> None:
        today = demo.today
        held = Person.objects.filter(pk__in=demo.person_ids, current_institution__isnull=False)
        past = held.filter(lawful_until__lt=today)
        assert past.filter(legal_status="remand").count() >= 2
        # ... and in the colony of the demo users, whose home page shows the alarm.
        demo_colony = demo_institution()
        assert demo_colony is not None
        assert past.filter(current_institution=demo_colony, legal_status="sentenced").exists()
        soon = [
            p
            for p in held.filter(legal_status="remand")
            if p.lawful_until is not None and 0 < (p.lawful_until - today).days <= 7
        ]
        assert len(soon) >= 1

    def test_current_population_has_admission_records(self, demo: DemoContext) -> None:
        on_roll = Person.objects.filter(
            pk__in=demo.population_ids, current_institution__isnull=False
        )
        records = AdmissionRecord.objects.filter(person__in=on_roll)
        assert records.count() >= on_roll.count() * 0.95
        for record in records.select_related("movement", "person")[:100]:
            assert record.movement.kind == "admission"
            assert record.arrested_at <= record.movement.occurred_at
            assert record.rights_informed_at >= record.arrested_at
            assert record.commitment_reason
            assert record.commitment_authority
            assert record.person.next_of_kin.exists()
            if record.person.citizenship != "KZ":
                assert record.consulate_notified_at is not None


@pytest.mark.django_db
def test_same_seed_gives_the_same_first_twenty_persons(demo: DemoContext) -> None:
    def first_twenty(seed: int) -> list[tuple[Any, ...]]:
        ctx = DemoContext(
            seed=seed,
            scale=SCALE,
            today=demo.today,
            start=demo.start,
            system_user=demo.system_user,
            out=io.StringIO(),
            progress=demo.progress,
            data={"custody.layout": demo.data["custody.layout"]},
        )
        ctx.rng = ctx.random_for("custody")
        for info in ctx.data["custody.layout"]:
            info.occupancy = 0
        plans = _plan_simulation(ctx).run_result.persons[:20]  # type: ignore[attr-defined]
        return [(p.surname, p.first_name, p.patronymic, p.birth_date, p.iin) for p in plans]

    stored = list(
        Person.objects.filter(pk__in=demo.person_ids)
        .order_by("pk")
        .values_list("surname", "first_name", "patronymic", "birth_date", "iin")[:20]
    )
    assert first_twenty(SEED) == stored
    assert first_twenty(SEED + 1) != stored


@pytest.mark.django_db  # ordered with the database tests, before transactional ones flush it
def test_the_run_hands_frozen_objects_back_to_the_collector(demo: DemoContext) -> None:
    """The custody step freezes what it built (demo/ledger.py); after the run nothing stays
    frozen, so a long-lived process such as the demo server can still free its cycles."""
    import gc

    assert demo.summary["persons"] > 0
    assert gc.get_freeze_count() == 0


def test_loading_the_steps_does_not_import_the_fitting_code() -> None:
    """The generator's first run should not pay for scikit-learn, statsmodels and altair."""
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'qadam.config.settings'; "
        "django.setup(); from qadam.demo.generate import load_steps; load_steps(); "
        "print(sorted(m for m in ('sklearn', 'statsmodels', 'altair') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr
