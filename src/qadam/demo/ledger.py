"""Demo step "custody": persons and ten years of their movements ledger, written in bulk.

The simulation (`demo.simulation`) plans each person's events; here every person's ledger is
checked with `custody.engine.replay` — the rules the services enforce — and the stays come from
the same replay, field for field as `custody.services.rebuild_stays` writes them. Rows are
built as tuples and written in batches, one audit event per batch (SQLite: one transaction per
batch; PostgreSQL: one transaction for the whole load, see `demo.writer.bulk_load`); then the
month-start population snapshots of the ten years are built in one chain (`custody.snapshots`).
Persons in custody today also get their Mandela Rule 7 admission record, next of kin, property
and (for some women) children.

The same seed, scale and day give the same rows, value for value, on both databases
(tests/demo/test_demo_reproducible.py): a speed-up must keep every random draw in its order.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
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
from qadam.demo.simulation import PersonPlan, PlannedBasis, PlannedEvent, Simulation
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

# A transfer out of a pre-trial centre follows the verdict; between colonies, one of the others.
TRANSFER_REASON_SIZO = "Направлен для отбывания наказания по вступившему в силу приговору"
TRANSFER_REASONS_COLONY = (
    "Изменение вида учреждения по решению суда",
    "Перевод по соображениям личной безопасности",
    "Перевод для лечения и обследования",
    "Перевод ближе к месту жительства семьи",
)
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The step builds millions of small objects that all stay referenced until it ends (and the
    plans after it, in `ctx.data`): the cyclic garbage collector would walk them again and again
    — about a sixth of the step's time — and free nothing. It is paused during the step; what the
    step built is then moved out of its reach (`gc.freeze`), so that the first collection after
    the step does not walk it all once more."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def persons_and_ledger(ctx: DemoContext) -> None:
    with _collector_paused():
        _persons_and_ledger(ctx)


def _persons_and_ledger(ctx: DemoContext) -> None:
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


# The fields each table's rows give, in order (the others take their default).
PERSON_FIELDS = (
    "id",
    "case_number",
    "iin",
    "surname",
    "first_name",
    "patronymic",
    "surname_latin",
    "first_name_latin",
    "patronymic_latin",
    "surname_key",
    "first_name_key",
    "birth_date",
    "birth_place",
    "sex",
    "citizenship",
    "language",
    "address",
    "home_region_id",
    "current_institution_id",
    "last_institution_id",
    "legal_status",
    "lawful_until",
    "created_at",
)
BASIS_FIELDS = (
    "id",
    "person_id",
    "kind",
    "authority",
    "document_number",
    "issued_on",
    "valid_until",
    "extends_id",
    "recorded_at",
    "recorded_by_id",
)
MOVEMENT_FIELDS = (
    "id",
    "person_id",
    "kind",
    "occurred_at",
    "recorded_at",
    "institution_id",
    "section_id",
    "cell_id",
    "destination_id",
    "transfer_out_id",
    "legal_status",
    "basis_id",
    "release_reason",
    "absence_reason",
    "recorded_by_id",
    "escort",
    "vehicle",
    "conditions",
    "departure_at",
    "arrival_at",
    "reason",
)
STAY_FIELDS = (
    "id",
    "person_id",
    "institution_id",
    "section_id",
    "cell_id",
    "legal_status",
    "sex",
    "birth_date",
    "start",
    "end",
    "start_event_id",
    "end_event_id",
)
RECORD_FIELDS = (
    "id",
    "person_id",
    "movement_id",
    "commitment_reason",
    "commitment_authority",
    "arrested_at",
    "arrest_place",
    "visible_injuries",
    "ill_treatment_complaint",
    "rights_informed_at",
    "information_language",
    "interpreter_needed",
    "interpreter_name",
    "consulate_notified_at",
    "recorded_by_id",
)
PROPERTY_FIELDS = ("id", "admission_id", "description", "quantity", "storage", "returned_at")
KIN_FIELDS = (
    "id",
    "person_id",
    "name",
    "relationship",
    "phone",
    "address",
    "is_emergency_contact",
)
CHILD_FIELDS = (
    "id",
    "person_id",
    "name",
    "birth_date",
    "whereabouts",
    "carer",
    "custody_status",
)
TRANSFER_CONDITIONS = "Сопровождение конвоем, питание в пути, медицинский осмотр"
RECORDING_DELAY = timedelta(minutes=20)


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
        self.persons = Table(Person, PERSON_FIELDS)
        self.bases = Table(DetentionBasis, BASIS_FIELDS)
        self.movements = Table(Movement, MOVEMENT_FIELDS)
        self.stays = Table(Stay, STAY_FIELDS)
        self.records = Table(AdmissionRecord, RECORD_FIELDS)
        self.property = Table(PropertyItem, PROPERTY_FIELDS)
        self.kin = Table(NextOfKin, KIN_FIELDS)
        self.children = Table(Child, CHILD_FIELDS)
        self.sizo_ids = {i.id for i in ctx.data["custody.layout"] if i.pretrial}
        self.today = ctx.today
        self.stamp = self.movements.stamp
        self.basis_recorded: dict[date, Any] = {}  # issued on -> stamped 06:00 UTC that day

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
        events = sorted(plan.events, key=_event_time)
        movement_ids = self.movement_ids
        for event in events:
            event.id = movement_ids.next
            movement_ids.next += 1
        for basis in plan.bases:
            basis.id = self.basis_ids.take()
        state = self.replay(plan, events)
        on_roll = state.status in engine.ON_ROLL
        governing = max(plan.bases, key=_basis_order) if plan.bases else None
        first_at = events[0].at
        stamp = self.stamp
        self.persons.add(
            (
                person_id,
                f"Q-{first_at.year}-{person_id:07d}",
                plan.iin,
                plan.surname,
                plan.first_name,
                plan.patronymic,
                latin(plan.surname),
                latin(plan.first_name),
                latin(plan.patronymic),
                key_of(plan.surname),
                key_of(plan.first_name),
                plan.birth_date,
                plan.birth_place,
                plan.sex,
                plan.citizenship,
                plan.language,
                plan.address,
                self.regions[plan.home_region],
                state.institution_id if on_roll else None,
                state.institution_id,
                state.legal_status if on_roll else "",
                governing.valid_until if governing else None,
                stamp(first_at),
            )
        )
        add_basis = self.bases.add
        actor_id = self.actor_id
        basis_recorded = self.basis_recorded
        for basis in plan.bases:
            issued = basis.issued_on
            recorded = basis_recorded.get(issued)
            if recorded is None:
                recorded = basis_recorded[issued] = stamp(
                    datetime(issued.year, issued.month, issued.day, 6, tzinfo=UTC)
                )
            add_basis(
                (
                    basis.id,
                    person_id,
                    basis.kind,
                    basis.authority,
                    basis.number,
                    issued,
                    basis.valid_until,
                    basis.extends.id if basis.extends else None,
                    recorded,
                    actor_id,
                )
            )
        add_movement = self.movements.add
        occurred: dict[int, Any] = {}  # movement id -> its stamped time, for the stays
        for event in events:
            row = self.movement_row(person_id, event)
            occurred[event.id] = row[3]
            add_movement(row)
        add_stay = self.stays.add
        stay_ids = self.stay_ids
        sex, birth_date = plan.sex, plan.birth_date
        for stay in state.finish():
            add_stay(
                (
                    stay_ids.take(),
                    person_id,
                    stay.institution_id,
                    stay.section_id,
                    stay.cell_id,
                    stay.legal_status,
                    sex,
                    birth_date,
                    occurred[stay.start_event_id],
                    occurred[stay.end_event_id] if stay.end_event_id is not None else None,
                    stay.start_event_id,
                    stay.end_event_id,
                )
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
                        e.id,
                        e.kind,
                        e.at,
                        e.institution_id,
                        e.section_id,
                        e.cell_id,
                        e.destination_id,
                        e.legal_status,
                        e.pair.id if e.pair is not None else None,
                    )
                    for e in events
                ]
            )
        except engine.LedgerError as error:  # a bug in the simulation: stop, never write it
            raise RuntimeError(
                f"demo person #{plan.index} has an invalid ledger: {error}; events: "
                + ", ".join(f"{e.kind}@{e.at:%Y-%m-%d %H:%M}/{e.institution_id}" for e in events)
            ) from error

    def movement_row(self, person_id: int, event: PlannedEvent) -> tuple[Any, ...]:
        """The movement's row (MOVEMENT_FIELDS); a transfer, death or absence draws its escort,
        vehicle or reason here."""
        rng = self.rng
        kind = event.kind
        at = self.stamp(event.at)
        escort = vehicle = conditions = reason = ""
        departure_at = arrival_at = None
        if kind == "transfer_out":
            sizo = event.institution_id in self.sizo_ids
            escort = rng.choice(ESCORTS)
            vehicle = rng.choice(VEHICLES)
            conditions = TRANSFER_CONDITIONS
            departure_at = at
            reason = TRANSFER_REASON_SIZO if sizo else rng.choice(TRANSFER_REASONS_COLONY)
        elif kind == "transfer_in":
            arrival_at = at
        elif kind == "death":
            reason = rng.choice(DEATH_CAUSES)
        elif kind == "absence_out":
            escort = rng.choice(ESCORTS)
        pair, basis = event.pair, event.basis
        return (
            event.id,
            person_id,
            kind,
            at,
            self.stamp(event.at + RECORDING_DELAY),
            event.institution_id,
            event.section_id,
            event.cell_id,
            event.destination_id,
            pair.id if pair is not None else None,
            event.legal_status,
            basis.id if basis is not None else None,
            event.release_reason,
            event.absence_reason,
            self.actor_id,
            escort,
            vehicle,
            conditions,
            departure_at,
            arrival_at,
            reason,
        )

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
        stamp = self.stamp
        # The random draws in this order: injuries, interpreter needed, interpreter's name.
        injuries = "" if rng.random() < 0.97 else "Ссадина на левом предплечье"
        interpreter_needed = foreign and rng.random() < 0.5
        interpreter_name = self.interpreter() if foreign else ""
        self.records.add(
            (
                record_id,
                person_id,
                admission.id,
                (
                    f"Постановление о содержании под стражей № {basis.number}"
                    if basis is not None and basis.kind == "remand_order"
                    else f"Приговор № {basis.number if basis else ''}, вступивший в законную силу"
                ),
                basis.authority if basis is not None else town,
                stamp(arrested),
                places.police(town),
                injuries,
                "",
                stamp(admission.at + timedelta(minutes=40)),
                language if not foreign else "русский язык",
                interpreter_needed,
                interpreter_name,
                stamp(admission.at + timedelta(hours=20)) if foreign else None,
                self.actor_id,
            )
        )
        for description, storage in rng.sample(PROPERTY, rng.randint(1, 3)):
            self.property.add((self.property_ids.take(), record_id, description, 1, storage, None))
        relationship_words = names.RELATIONSHIPS[plan.language]
        for number in range(rng.randint(1, 2)):
            kin_sex = rng.choice("MF")
            kin = names.random_name(rng, kin_sex)
            relationship = rng.choice(relationship_words)
            phone = (
                f"+7 7{rng.randint(0, 99):02d} {rng.randint(100, 999)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
            )
            self.kin.add(
                (
                    self.kin_ids.take(),
                    person_id,
                    f"{kin.surname} {kin.first_name} {kin.patronymic}",
                    relationship,
                    phone,
                    plan.address,
                    number == 0,
                )
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
                custody_status = "опека оформлена" if rng.random() < 0.5 else ""
                self.children.add(
                    (
                        self.child_ids.take(),
                        person_id,
                        f"{plan.surname if child_sex == plan.sex else child.surname} "
                        f"{child.first_name}",
                        born,
                        f"{whereabouts}, {plan.address}",
                        carer,
                        custody_status,
                    )
                )


def _event_time(event: PlannedEvent) -> datetime:
    return event.at


def _basis_order(basis: PlannedBasis) -> tuple[date, int]:
    return (basis.issued_on, basis.id)
