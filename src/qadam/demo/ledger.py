"""Demo step "custody": persons and ten years of their movements ledger, written in bulk.

The simulation (`demo.simulation`) plans each person's events; here every person's ledger is
checked with `custody.engine.replay` — the rules the services enforce — and the stays come from
the same replay, field for field as `custody.services.rebuild_stays` writes them. Rows are
written in batches, one transaction and one audit event per batch; then the month-start
population snapshots of the ten years are built in one chain (`custody.snapshots`). Persons in
custody today also get their Mandela Rule 7 admission record, next of kin, property and (for some
women) children.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import transaction

from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, Region
from qadam.custody import engine
from qadam.custody.models import DetentionBasis, Movement, Stay
from qadam.custody.snapshots import build_month_snapshots
from qadam.demo import names, places
from qadam.demo.registry import DemoContext
from qadam.demo.simulation import PersonPlan, PlannedEvent, Simulation
from qadam.demo.targets import JUVENILES_TODAY, WOMEN_SHARE, Targets, load_custody_targets
from qadam.demo.writer import IdBlock, Table, bulk_load, reset_sequences
from qadam.people.identity import name_key, transliterate
from qadam.people.models import AdmissionRecord, Child, NextOfKin, Person, PropertyItem

BATCH_PERSONS = 20_000
LOADED_MODELS = (
    Person,
    DetentionBasis,
    Movement,
    Stay,
    AdmissionRecord,
    NextOfKin,
    Child,
    PropertyItem,
)
IN_CUSTODY = frozenset(
    {engine.Status.IN, engine.Status.ABSENT, engine.Status.IN_TRANSIT, engine.Status.AT_LARGE}
)

TRANSFER_REASONS = {
    "sizo": "Направлен для отбывания наказания по вступившему в силу приговору",
    "colony": (
        "Изменение вида учреждения по решению суда",
        "Перевод по соображениям личной безопасности",
        "Перевод для лечения и обследования",
        "Перевод ближе к месту жительства семьи",
    ),
}
ESCORTS = ("Конвойная служба ДУИС", "Конвойный полк", "Конвой ДУИС, наряд №")
VEHICLES = ("Спецавтомобиль АЗ", "Спецвагон", "Спецавтомобиль КамАЗ")
DEATH_CAUSES = (
    "Смерть от заболевания: острая сердечная недостаточность; сообщено прокурору",
    "Смерть от заболевания: туберкулёз; сообщено прокурору и родственникам",
    "Смерть от онкологического заболевания; сообщено прокурору",
)
PROPERTY = (
    ("Мобильный телефон", "Камера хранения"),
    ("Удостоверение личности", "Личное дело"),
    ("Наручные часы", "Камера хранения"),
    ("Брючный ремень", "Камера хранения"),
    ("Деньги, тенге", "Лицевой счёт"),
    ("Куртка", "Камера хранения"),
    ("Банковская карта", "Камера хранения"),
)
CHILD_PLACES = (
    ("с бабушкой", "бабушка"),
    ("с отцом", "отец"),
    ("с тётей", "тётя"),
    ("в детском доме", "администрация детского дома"),
)


# Names repeat a great deal: derive the Latin spelling and the search key once per name.
latin = lru_cache(maxsize=None)(transliterate)
key_of = lru_cache(maxsize=None)(name_key)


def _plan_simulation(ctx: DemoContext) -> Simulation:
    targets = Targets(load_custody_targets(), ctx.scale)
    days = (ctx.today - ctx.start).days
    region_codes = sorted(Region.objects.values_list("code", flat=True))
    region_codes = [c for c in region_codes if c in places.TOWNS]
    bar = ctx.progress("Simulating ten years", days)
    simulation = Simulation(
        seed_rng=ctx.rng,
        layout=ctx.data["custody.layout"],
        targets=targets.daily(ctx.start, days),
        start=ctx.start,
        today=ctx.today,
        scale=ctx.scale,
        region_codes=region_codes,
        women_share=WOMEN_SHARE,
        juveniles_today=JUVENILES_TODAY,
        on_day=bar.set,
    )
    simulation.run_result = simulation.run()  # type: ignore[attr-defined]
    bar.finish()
    return simulation


def persons_and_ledger(ctx: DemoContext) -> None:
    simulation = _plan_simulation(ctx)
    result = simulation.run_result  # type: ignore[attr-defined]
    ctx.data["custody.simulation"] = result
    regions = dict(Region.objects.values_list("code", "id"))
    writer = LedgerWriter(ctx, regions)
    persons: list[PersonPlan] = result.persons
    bar = ctx.progress("Writing persons", len(persons))
    with bulk_load(LOADED_MODELS):
        for first in range(0, len(persons), BATCH_PERSONS):
            batch = persons[first : first + BATCH_PERSONS]
            with transaction.atomic():
                for person in batch:
                    writer.add(person)
                counts = writer.flush()
                audit_write(
                    actor=ctx.system_user,
                    action=AuditEvent.Action.CREATE,
                    verb="demo data generated",
                    details={"step": "custody", "seed": ctx.seed, "batch": first // BATCH_PERSONS}
                    | counts,
                )
            bar.set(first + len(batch))
        bar.finish()
    reset_sequences(LOADED_MODELS)
    # The stays were written without `rebuild_stays`: build the population snapshots afresh
    # (months before the history are computed when first asked for).
    snapshots = build_month_snapshots(ctx.today, since=ctx.start)
    ctx.summary.update(
        {
            "persons": writer.persons.written,
            "movements": writer.movements.written,
            "stays": writer.stays.written,
            "population_snapshots": snapshots,
            "detention_bases": writer.bases.written,
            "admission_records": writer.records.written,
            "amnesty_releases": result.amnesty_released,
            "early_releases": simulation.early_released,
        }
    )


class LedgerWriter:
    def __init__(self, ctx: DemoContext, regions: dict[str, int]) -> None:
        self.ctx = ctx
        self.rng = random.Random(f"qadam-demo/{ctx.seed}/custody-records")
        self.regions = regions
        self.actor_id = ctx.system_user.pk
        self.person_ids = IdBlock(Person)
        self.basis_ids = IdBlock(DetentionBasis)
        self.movement_ids = IdBlock(Movement)
        self.stay_ids = IdBlock(Stay)
        self.record_ids = IdBlock(AdmissionRecord)
        self.property_ids = IdBlock(PropertyItem)
        self.kin_ids = IdBlock(NextOfKin)
        self.child_ids = IdBlock(Child)
        self.persons = Table(Person)
        self.bases = Table(DetentionBasis)
        self.movements = Table(Movement)
        self.stays = Table(Stay)
        self.records = Table(AdmissionRecord)
        self.property = Table(PropertyItem)
        self.kin = Table(NextOfKin)
        self.children = Table(Child)
        self.sizo_ids = {i.id for i in ctx.data["custody.layout"] if i.pretrial}
        self.today = ctx.today
        self.now = datetime.now(tz=UTC)

    def flush(self) -> dict[str, int]:
        # Order does not matter for the (deferred) foreign keys, but keep parents first.
        counts = {
            "persons": self.persons.flush(),
            "detention_bases": self.bases.flush(),
            "movements": self.movements.flush(),
            "stays": self.stays.flush(),
            "admission_records": self.records.flush(),
        }
        self.property.flush()
        self.kin.flush()
        self.children.flush()
        return counts

    def add(self, plan: PersonPlan) -> None:
        person_id = self.person_ids.take()
        self.ctx.person_ids.append(person_id)
        events = sorted(plan.events, key=lambda e: e.at)
        for event in events:
            event.id = self.movement_ids.take()
        for basis in plan.bases:
            basis.id = self.basis_ids.take()
        state = self.replay(plan, events)
        on_roll = state.status in engine.ON_ROLL
        governing = max(plan.bases, key=lambda b: (b.issued_on, b.id)) if plan.bases else None
        first_at = events[0].at
        self.persons.add(
            {
                "id": person_id,
                "case_number": f"Q-{first_at.year}-{person_id:07d}",
                "iin": plan.iin,
                "surname": plan.surname,
                "first_name": plan.first_name,
                "patronymic": plan.patronymic,
                "surname_latin": latin(plan.surname),
                "first_name_latin": latin(plan.first_name),
                "patronymic_latin": latin(plan.patronymic),
                "surname_key": key_of(plan.surname),
                "first_name_key": key_of(plan.first_name),
                "birth_date": plan.birth_date,
                "birth_place": plan.birth_place,
                "sex": plan.sex,
                "citizenship": plan.citizenship,
                "language": plan.language,
                "address": plan.address,
                "home_region_id": self.regions[plan.home_region],
                "current_institution_id": state.institution_id if on_roll else None,
                "last_institution_id": state.institution_id,
                "legal_status": state.legal_status if on_roll else "",
                "lawful_until": governing.valid_until if governing else None,
                "created_at": first_at,
            }
        )
        for basis in plan.bases:
            self.bases.add(
                {
                    "id": basis.id,
                    "person_id": person_id,
                    "kind": basis.kind,
                    "authority": basis.authority,
                    "document_number": basis.number,
                    "issued_on": basis.issued_on,
                    "valid_until": basis.valid_until,
                    "extends_id": basis.extends.id if basis.extends else None,
                    "recorded_at": datetime(
                        basis.issued_on.year,
                        basis.issued_on.month,
                        basis.issued_on.day,
                        6,
                        tzinfo=UTC,
                    ),
                    "recorded_by_id": self.actor_id,
                }
            )
        for event in events:
            self.movements.add(self.movement_row(person_id, event))
        for stay in state.finish():
            self.stays.add(
                {
                    "id": self.stay_ids.take(),
                    "person_id": person_id,
                    "institution_id": stay.institution_id,
                    "section_id": stay.section_id,
                    "cell_id": stay.cell_id,
                    "legal_status": stay.legal_status,
                    "sex": plan.sex,
                    "birth_date": plan.birth_date,
                    "start": stay.start,
                    "end": stay.end,
                    "start_event_id": stay.start_event_id,
                    "end_event_id": stay.end_event_id,
                }
            )
        if state.status in IN_CUSTODY:
            self.ctx.population_ids.append(person_id)
            if plan.current_admission is not None:
                self.admission_record(person_id, plan, plan.current_admission)

    def replay(self, plan: PersonPlan, events: list[PlannedEvent]) -> engine.State:
        try:
            return engine.replay(
                [
                    engine.Event(
                        id=e.id,
                        kind=e.kind,
                        occurred_at=e.at,
                        institution_id=e.institution_id,
                        section_id=e.section_id,
                        cell_id=e.cell_id,
                        destination_id=e.destination_id,
                        legal_status=e.legal_status,
                        transfer_out_id=e.pair.id if e.pair is not None else None,
                    )
                    for e in events
                ]
            )
        except engine.LedgerError as error:  # a bug in the simulation: stop, never write it
            raise RuntimeError(
                f"demo person #{plan.index} has an invalid ledger: {error}; events: "
                + ", ".join(f"{e.kind}@{e.at:%Y-%m-%d %H:%M}/{e.institution_id}" for e in events)
            ) from error

    def movement_row(self, person_id: int, event: PlannedEvent) -> dict[str, Any]:
        rng = self.rng
        kind = event.kind
        row: dict[str, Any] = {
            "id": event.id,
            "person_id": person_id,
            "kind": kind,
            "occurred_at": event.at,
            "recorded_at": event.at + timedelta(minutes=20),
            "institution_id": event.institution_id,
            "section_id": event.section_id,
            "cell_id": event.cell_id,
            "destination_id": event.destination_id,
            "transfer_out_id": event.pair.id if event.pair is not None else None,
            "legal_status": event.legal_status,
            "basis_id": event.basis.id if event.basis is not None else None,
            "release_reason": event.release_reason,
            "absence_reason": event.absence_reason,
            "recorded_by_id": self.actor_id,
            "idempotency_key": None,
            "reverses_id": None,
        }
        if kind == "transfer_out":
            sizo = event.institution_id in self.sizo_ids
            row["escort"] = rng.choice(ESCORTS)
            row["vehicle"] = rng.choice(VEHICLES)
            row["conditions"] = "Сопровождение конвоем, питание в пути, медицинский осмотр"
            row["departure_at"] = event.at
            row["reason"] = (
                TRANSFER_REASONS["sizo"] if sizo else rng.choice(TRANSFER_REASONS["colony"])
            )
        elif kind == "transfer_in":
            row["arrival_at"] = event.at
        elif kind == "death":
            row["reason"] = rng.choice(DEATH_CAUSES)
        elif kind == "absence_out":
            row["escort"] = rng.choice(ESCORTS)
        return row

    def interpreter(self) -> str:
        name = names.random_name(self.rng, self.rng.choice("MF"))
        return f"{name.surname} {name.first_name}"

    def admission_record(self, person_id: int, plan: PersonPlan, admission: PlannedEvent) -> None:
        rng = self.rng
        record_id = self.record_ids.take()
        basis = admission.basis
        town = places.TOWNS[plan.home_region][0]
        arrested = admission.at - timedelta(hours=rng.randint(3, 60))
        foreign = plan.citizenship != "KZ"
        language = {"kk": "қазақ тілі", "ru": "русский язык"}[plan.language]
        self.records.add(
            {
                "id": record_id,
                "person_id": person_id,
                "movement_id": admission.id,
                "commitment_reason": (
                    f"Постановление о содержании под стражей № {basis.number}"
                    if basis is not None and basis.kind == "remand_order"
                    else f"Приговор № {basis.number if basis else ''}, вступивший в законную силу"
                ),
                "commitment_authority": basis.authority if basis is not None else town,
                "arrested_at": arrested,
                "arrest_place": places.police(town),
                "visible_injuries": "" if rng.random() < 0.97 else "Ссадина на левом предплечье",
                "ill_treatment_complaint": "",
                "rights_informed_at": admission.at + timedelta(minutes=40),
                "information_language": language if not foreign else "русский язык",
                "interpreter_needed": foreign and rng.random() < 0.5,
                "interpreter_name": self.interpreter() if foreign else "",
                "consulate_notified_at": admission.at + timedelta(hours=20) if foreign else None,
                "recorded_by_id": self.actor_id,
            }
        )
        for description, storage in rng.sample(PROPERTY, rng.randint(1, 3)):
            self.property.add(
                {
                    "id": self.property_ids.take(),
                    "admission_id": record_id,
                    "description": description,
                    "quantity": 1,
                    "storage": storage,
                    "returned_at": None,
                }
            )
        relationship_words = names.RELATIONSHIPS[plan.language]
        for number in range(rng.randint(1, 2)):
            kin_sex = rng.choice("MF")
            kin = names.random_name(rng, kin_sex)
            self.kin.add(
                {
                    "id": self.kin_ids.take(),
                    "person_id": person_id,
                    "name": f"{kin.surname} {kin.first_name} {kin.patronymic}",
                    "relationship": rng.choice(relationship_words),
                    "phone": f"+7 7{rng.randint(0, 99):02d} {rng.randint(100, 999)} "
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                    "address": plan.address,
                    "is_emergency_contact": number == 0,
                }
            )
        if plan.sex == "F" and rng.random() < 0.45:
            for _ in range(rng.randint(1, 3)):
                child_sex = rng.choice("MF")
                child = names.random_name(rng, child_sex)
                earliest = max(
                    plan.birth_date + timedelta(days=18 * 365),
                    self.today - timedelta(days=17 * 365),
                )
                latest = self.today - timedelta(days=30)
                if earliest >= latest:
                    break
                born = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
                whereabouts, carer = rng.choice(CHILD_PLACES)
                self.children.add(
                    {
                        "id": self.child_ids.take(),
                        "person_id": person_id,
                        "name": f"{plan.surname if child_sex == plan.sex else child.surname} "
                        f"{child.first_name}",
                        "birth_date": born,
                        "whereabouts": f"{whereabouts}, {plan.address}",
                        "carer": carer,
                        "custody_status": "опека оформлена" if rng.random() < 0.5 else "",
                    }
                )
