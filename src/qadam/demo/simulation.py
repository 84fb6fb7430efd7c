"""Ten years of custody flows for the national demo data, in plain Python (no Django imports).

A day-by-day simulation from `today − 10 years` to the day before `today`:

- Remand: people are admitted to pre-trial centres (SIZO) on a remand order; the daily intake
  follows the target remand stock (feedback on the gap, time constant `TAU` days). When the
  remand ends, a share is convicted to imprisonment (status change at the SIZO, then a transfer
  to a colony of the security type the sentence calls for); the rest are released (remand ended,
  court decision). The convicted share is adjusted to keep the sentenced stock on its target.
- Sentenced: a few are admitted straight to a colony on a verdict (and all minors, who serve in
  the colony for minors); each stay ends by parole, end of sentence, a milder punishment,
  a court decision, health, or death; some are moved between colonies, a few escape and are
  recaptured, some go to hospital for a while; the 2025 amnesty releases people with little
  left to serve.
- About a quarter of admissions are people released before (45 % of prisoners have a previous
  conviction, domain-kz.md §5.1).

The result is a list of `PersonPlan`s, each with its events in order and its detention
documents; the caller checks each ledger with `custody.engine.replay` and writes them in bulk.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from qadam.demo import names, places
from qadam.people.identity import make_iin

TAU = 20.0  # days over which a gap between stock and target is closed
RECIDIVIST_SHARE = 0.25
DIRECT_SENTENCED_SHARE = 0.08  # of sentenced inflow: taken into custody at the verdict
FOREIGN_SHARE = 0.03
FOREIGN_CITIZENSHIPS = ("UZ", "KG", "RU", "TJ", "TM", "CN", "AZ")
DEATH_RATE_PER_YEAR = 0.003
ESCAPES_PER_PERSON_YEAR = 0.0002
COLONY_TRANSFER_SHARE = 0.12
HOSPITAL_SHARE = 0.04
AMNESTY_START = date(2025, 7, 15)  # 30th anniversary of the Constitution (domain-kz.md §5.1)
AMNESTY_DAYS = 60
AMNESTY_RELEASES = 1800  # from custody, at scale 1.0 (about 6,000 qualified in all)
REMAND_MONTHS_FIRST = 60  # days of the first remand order (CPC: up to two months)
REMAND_EXTENSION = (60, 90)  # each extension, days
EXTENSION_LEAD = (10, 25)  # an extension is decided this many days before the order expires

# Sentence lengths in years (ranges and weights), adults; minors are given 1–4 years.
SENTENCE_BANDS = (
    ((0.5, 2.0), 0.30),
    ((2.0, 4.0), 0.32),
    ((4.0, 7.0), 0.22),
    ((7.0, 10.0), 0.09),
    ((10.0, 15.0), 0.05),
    ((15.0, 25.0), 0.02),
)
RELEASE_REASONS = (  # early releases; the rest serve to the end of the sentence
    ("parole", 0.28, (0.5, 0.8)),
    ("milder_punishment", 0.03, (0.4, 0.8)),
    ("to_probation", 0.03, (0.4, 0.8)),
    ("court_decision", 0.015, (0.1, 0.9)),
    ("health", 0.005, (0.2, 0.9)),
    ("pardon", 0.001, (0.3, 0.9)),
)


@dataclass(slots=True)
class SectionInfo:
    id: int
    type_code: str | None
    sex: str
    juvenile: bool
    cells: list[int]


@dataclass(slots=True)
class InstitutionInfo:
    id: int
    code: str
    type_code: str
    region_code: str
    town: str
    sex_profile: str
    capacity: int
    sections: list[SectionInfo]
    occupancy: int = 0

    @property
    def pretrial(self) -> bool:
        return self.type_code == "SIZO"


@dataclass(slots=True, eq=False)
class PlannedBasis:
    kind: str
    authority: str
    number: str
    issued_on: date
    valid_until: date | None
    extends: PlannedBasis | None = None
    id: int = 0


@dataclass(slots=True, eq=False)
class PlannedEvent:
    kind: str
    at: datetime  # naive, UTC
    institution_id: int
    section_id: int | None = None
    cell_id: int | None = None
    destination_id: int | None = None
    legal_status: str = ""
    release_reason: str = ""
    absence_reason: str = ""
    basis: PlannedBasis | None = None
    pair: PlannedEvent | None = None
    id: int = 0


@dataclass(slots=True, eq=False)
class PersonPlan:
    index: int
    surname: str
    first_name: str
    patronymic: str
    sex: str
    birth_date: date
    iin: str
    citizenship: str
    language: str
    home_region: str
    address: str
    birth_place: str
    stream: str  # "M", "F" (adults) or "J" (minors)
    events: list[PlannedEvent] = field(default_factory=list)
    bases: list[PlannedBasis] = field(default_factory=list)
    # Simulation state.
    status: str = "out"  # out, remand, sentenced, transit, at_large, dead
    institution: InstitutionInfo | None = None
    episode: int = 0
    stage_open_day: int = 0  # day the current stay (or remand) began
    remand_start_day: int = 0
    lawful_end_day: int = 0
    release_day: int = 0
    release_reason: str = ""
    security: str = "MED"
    last_release_day: int = -10_000
    current_admission: PlannedEvent | None = None
    held_past_lawful_date: bool = False


@dataclass
class SimulationResult:
    persons: list[PersonPlan]
    start: date
    today: date
    days: int
    daily_stock: list[tuple[int, int]]  # (remand, sentenced) at the end of each day
    amnesty_released: int = 0


_BANDS = [band for band, _weight in SENTENCE_BANDS]
# `choices(bands, cum_weights=...)` draws exactly as `choices(bands, weights=...)`, which would
# accumulate the weights on every call.
_BAND_CUM_WEIGHTS = list(itertools.accumulate(weight for _band, weight in SENTENCE_BANDS))


def sample_sentence_years(rng: random.Random, juvenile: bool) -> float:
    if juvenile:
        return rng.uniform(1.0, 4.0)
    low, high = rng.choices(_BANDS, cum_weights=_BAND_CUM_WEIGHTS)[0]
    return rng.uniform(low, high)


def sample_remand_days(rng: random.Random) -> int:
    return max(10, min(540, round(rng.lognormvariate(math.log(95), 0.6))))


def security_for(rng: random.Random, years: float, sex: str, juvenile: bool) -> str:
    """The colony type a court assigns (CC art. 46), roughly by the length of the sentence."""
    if juvenile:
        return "MED_JUV"
    if sex == "F":
        return "MIN" if years < 3 and rng.random() < 0.5 else "MED"
    draw = rng.random()
    if years >= 15 and draw < 0.3:
        return "EXTRA"
    if years >= 10 and draw < 0.2:
        return "FULL"
    if years >= 5 and draw < 0.65:
        return "MAX"
    if years < 2.5 and draw < 0.6:
        return "MIN"
    return "MED"


class Simulation:
    def __init__(
        self,
        *,
        seed_rng: random.Random,
        layout: list[InstitutionInfo],
        targets: list[tuple[float, float]],
        start: date,
        today: date,
        scale: float,
        region_codes: list[str],
        women_share: float,
        juveniles_today: float,
        on_day: Callable[[int], None] | None = None,
    ) -> None:
        self.rng = seed_rng
        self.layout = layout
        self.targets = targets
        self.start = start
        self.today = today
        self.days = (today - start).days
        self.scale = scale
        self.region_codes = region_codes
        self.women_share = women_share
        self.juveniles = juveniles_today * scale
        self.on_day = on_day
        self.base = datetime(start.year, start.month, start.day, tzinfo=UTC)
        self.persons: list[PersonPlan] = []
        self.agenda: list[list[tuple[str, PersonPlan, int]]] = [[] for _ in range(self.days + 1)]
        self.remand = {"M": 0, "F": 0}
        self.sentenced = {"M": 0, "F": 0, "J": 0}
        self.pool: dict[str, list[PersonPlan]] = {"M": [], "F": []}
        self.iin_serials: dict[tuple[date, str], int] = {}
        self.document_serial = 0
        self.sizos = [i for i in layout if i.pretrial]
        self.sizo_ids = {i.id for i in self.sizos}
        self.colonies = [i for i in layout if not i.pretrial]
        self.mean_remand = self._mean(lambda r: sample_remand_days(r))
        self.mean_served = {
            "adult": self._mean(lambda r: self._served_days(r, sample_sentence_years(r, False))),
            "J": self._mean(lambda r: self._served_days(r, sample_sentence_years(r, True))),
        }
        self.amnesty_released = 0
        self.amnesty_plan: dict[int, list[PersonPlan]] = {}
        self._colony_candidates: dict[tuple[str, str], list[InstitutionInfo]] = {}
        self._dates = [start + timedelta(days=d) for d in range(self.days + 1)]
        # `at` adds these: the start of each day of the history and the minutes of a day.
        self._day_starts = [self.base + timedelta(days=d) for d in range(self.days + 1)]
        self._minutes = [timedelta(minutes=m) for m in range(24 * 60 + 1)]
        self._sentenced_targets: dict[int, dict[str, float]] = {}
        self._sections: dict[tuple[int, str, str, bool], list[SectionInfo]] = {}
        # Persons admitted to colonies (may hold stale entries; checked when drawn).
        self.inside: list[PersonPlan] = []
        self.early_released = 0

    # --- helpers -------------------------------------------------------------------------
    def _mean(self, draw: Callable[[random.Random], float]) -> float:
        rng = random.Random(12345)
        return sum(draw(rng) for _ in range(4000)) / 4000

    def _served_days(self, rng: random.Random, years: float) -> float:
        _reason, fraction = self._release_plan(rng)
        return years * 365.25 * fraction

    def _release_plan(self, rng: random.Random) -> tuple[str, float]:
        draw = rng.random()
        for reason, share, (low, high) in RELEASE_REASONS:
            if draw < share:
                return reason, rng.uniform(low, high)
            draw -= share
        return "end_of_sentence", 1.0

    def at(self, day: int, hour: float) -> datetime:
        """A moment of day `day` (UTC; hours 0–12 UTC fall within the same day in Kazakhstan)."""
        minutes = round(hour * 60)
        if 0 <= day <= self.days and 0 <= minutes <= 24 * 60:
            return self._day_starts[day] + self._minutes[minutes]
        return self.base + timedelta(days=day, minutes=minutes)

    def date_of(self, day: int) -> date:
        if 0 <= day <= self.days:
            return self._dates[day]
        return self.start + timedelta(days=day)

    def document_number(self, day: int) -> str:
        self.document_serial += 1
        return f"{self.date_of(day).year}-{self.document_serial:07d}"

    def schedule(self, day: int, kind: str, person: PersonPlan) -> None:
        if day < self.days:
            self.agenda[max(day, 0)].append((kind, person, person.episode))

    # --- people --------------------------------------------------------------------------
    def new_person(self, stream: str, day: int, region_code: str) -> PersonPlan:
        rng = self.rng
        sex = "F" if stream == "F" else "M"
        if stream == "J":
            age = rng.uniform(14.2, 17.9)
        else:
            age = min(72.0, 18.0 + rng.gammavariate(2.2, 6.5))
        born = self.date_of(day) - timedelta(days=round(age * 365.25))
        foreign = stream != "J" and rng.random() < FOREIGN_SHARE
        name = names.random_name(rng, sex)
        home_region = region_code if rng.random() < 0.8 else rng.choice(self.region_codes)
        address, _town = places.address(rng, home_region)
        birth_region = home_region if rng.random() < 0.7 else rng.choice(self.region_codes)
        iin = ""
        citizenship = "KZ"
        if foreign:
            citizenship = rng.choice(FOREIGN_CITIZENSHIPS)
        else:
            key = (born, sex)
            serial = self.iin_serials.get(key, rng.randint(1, 400))
            iin = make_iin(born, sex, serial)
            self.iin_serials[key] = int(iin[7:11]) + 1
        person = PersonPlan(
            index=len(self.persons),
            surname=name.surname,
            first_name=name.first_name,
            patronymic=name.patronymic,
            sex=sex,
            birth_date=born,
            iin=iin,
            citizenship=citizenship,
            language=name.language,
            home_region=home_region,
            address=address,
            birth_place=rng.choice(places.TOWNS[birth_region]),
            stream=stream,
        )
        self.persons.append(person)
        return person

    def person_for(self, stream: str, day: int, region_code: str) -> PersonPlan:
        """A released person again (recidivism) or a new one."""
        pool = self.pool.get(stream)
        if pool and self.rng.random() < RECIDIVIST_SHARE:
            for _attempt in range(3):
                index = self.rng.randrange(len(pool))
                candidate = pool[index]
                if candidate.status == "out" and candidate.last_release_day <= day - 90:
                    pool[index] = pool[-1]
                    pool.pop()
                    return candidate
        return self.new_person(stream, day, region_code)

    # --- placement -----------------------------------------------------------------------
    def section_for(
        self, institution: InstitutionInfo, sex: str, security: str, juvenile: bool
    ) -> tuple[int | None, int | None]:
        key = (institution.id, sex, security, juvenile)
        sections = self._sections.get(key)
        if sections is None:
            sections = self._sections[key] = self._sections_for(
                institution, sex, security, juvenile
            )
        if not sections:
            return None, None
        section = self.rng.choice(sections)
        cell = self.rng.choice(section.cells) if section.cells else None
        return section.id, cell

    def _sections_for(
        self, institution: InstitutionInfo, sex: str, security: str, juvenile: bool
    ) -> list[SectionInfo]:
        sections = [s for s in institution.sections if s.sex == sex and s.juvenile == juvenile]
        if institution.type_code == "MIXED":
            sections = [s for s in sections if s.type_code == security] or sections
        if not sections:
            sections = institution.sections
        return sections

    def choose_sizo(self, sex: str) -> InstitutionInfo:
        # Room left, at least 1 (written out rather than max(1.0, ...): called very often).
        weights = [
            room if (room := i.capacity * 1.05 - i.occupancy) > 1.0 else 1.0 for i in self.sizos
        ]
        return self.rng.choices(self.sizos, weights=weights)[0]

    def choose_colony(
        self, person: PersonPlan, near_region: str, exclude: int | None = None
    ) -> InstitutionInfo:
        sex = person.sex
        security = person.security
        key = (sex, security)
        if key not in self._colony_candidates:
            self._colony_candidates[key] = self._candidates(sex, security)
        candidates = [c for c in self._colony_candidates[key] if c.id != exclude]
        weights = [
            (room if (room := c.capacity - c.occupancy) > 1.0 else 1.0)
            * (3.0 if c.region_code == near_region else 1.0)
            for c in candidates
        ]
        return self.rng.choices(candidates, weights=weights)[0]

    def _candidates(self, sex: str, security: str) -> list[InstitutionInfo]:
        candidates = []
        for colony in self.colonies:
            if colony.sex_profile not in (sex, "MF"):
                continue
            if security == "MED_JUV":
                fits = colony.type_code == "MED_JUV"
            elif colony.type_code == "MIXED":
                fits = any(s.type_code == security for s in colony.sections)
            else:
                fits = colony.type_code == security
            if fits:
                candidates.append(colony)
        if len(candidates) < 2:  # too few colonies of that type for this sex: any for the sex
            candidates += [
                c
                for c in self.colonies
                if c not in candidates
                and c.sex_profile in (sex, "MF")
                and (c.type_code == "MED_JUV") == (security == "MED_JUV")
            ]
        return candidates

    # --- events --------------------------------------------------------------------------
    def add(self, person: PersonPlan, event: PlannedEvent) -> PlannedEvent:
        """Append an event; one that would come before the person's latest event on the same
        day (two things happening to one person on one day) is placed after it."""
        if person.events and event.at <= person.events[-1].at:
            event.at = person.events[-1].at + timedelta(minutes=30)
        person.events.append(event)
        return event

    def admit_remand(self, day: int, sex: str, *, initial: tuple[int, int] | None = None) -> None:
        """Admission on remand; `initial` = (length, days already served) for the first stock."""
        sizo = self.choose_sizo(sex)
        person = self.person_for(sex, day, sizo.region_code)
        length, elapsed = initial if initial is not None else (sample_remand_days(self.rng), 0)
        start_day = day - elapsed
        person.episode += 1
        person.status = "remand"
        person.institution = sizo
        person.stage_open_day = start_day
        person.remand_start_day = start_day
        person.held_past_lawful_date = False
        order = PlannedBasis(
            kind="remand_order",
            authority=places.remand_court(sizo.town),
            number=self.document_number(start_day),
            issued_on=self.date_of(start_day - self.rng.randint(0, 1)),
            valid_until=self.date_of(start_day + REMAND_MONTHS_FIRST),
        )
        person.bases.append(order)
        section, cell = self.section_for(sizo, person.sex, "SIZO", False)
        person.current_admission = self.add(
            person,
            PlannedEvent(
                "admission",
                self.at(start_day, self.rng.uniform(4, 11)),
                sizo.id,
                section,
                cell,
                legal_status="remand",
                basis=order,
            ),
        )
        sizo.occupancy += 1
        self.remand[sex] += 1
        self.schedule(start_day + length, "remand_end", person)

    def plan_release(
        self,
        person: PersonPlan,
        day: int,
        years: float,
        served_before: int,
        plan: tuple[str, float] | None = None,
    ) -> None:
        """Lawful end and the day and reason the stay will end (possibly death)."""
        rng = self.rng
        sentence_days = max(round(years * 365.25), served_before + 120)
        person.lawful_end_day = person.remand_start_day + sentence_days
        reason, fraction = plan if plan is not None else self._release_plan(rng)
        release_day = person.remand_start_day + round(sentence_days * fraction)
        release_day = max(release_day, day + 60)
        release_day = min(release_day, person.lawful_end_day)
        if reason != "end_of_sentence" and release_day >= person.lawful_end_day:
            reason = "end_of_sentence"
        span_years = (release_day - day) / 365.25
        if rng.random() < 1 - math.exp(-DEATH_RATE_PER_YEAR * span_years):
            release_day = day + rng.randint(1, max(1, release_day - day - 1))
            reason = "death"
        person.release_day = release_day
        person.release_reason = reason
        self.schedule(release_day, "release", person)

    def verdict(self, person: PersonPlan, day: int, town: str) -> PlannedBasis:
        """The verdict is the latest document: it governs the lawful date from now on."""
        issued = self.date_of(day - self.rng.randint(0, 10))
        if person.bases:
            issued = max(issued, max(b.issued_on for b in person.bases))
        basis = PlannedBasis(
            kind="verdict",
            authority=places.trial_court(town),
            number=self.document_number(day),
            issued_on=issued,
            valid_until=self.date_of(person.lawful_end_day),
        )
        person.bases.append(basis)
        return basis

    def admit_sentenced(
        self,
        day: int,
        stream: str,
        *,
        initial: tuple[float, tuple[str, float], int] | None = None,
    ) -> None:
        """Taken into custody at the verdict and admitted straight to a colony; `initial` =
        (years, release plan, days already served) for the first stock."""
        rng = self.rng
        region = rng.choice(self.region_codes)
        person = self.person_for(stream, day, region)
        if initial is not None:
            years, plan, elapsed = initial
        else:
            years, plan, elapsed = sample_sentence_years(rng, stream == "J"), None, 0
        start_day = day - elapsed
        person.episode += 1
        person.remand_start_day = start_day
        person.security = security_for(rng, years, person.sex, stream == "J")
        colony = self.choose_colony(person, region)
        person.held_past_lawful_date = False
        self.plan_release(person, start_day, years, 0, plan)
        if initial is not None and person.release_day <= day:
            # Initial stock must still be held on the first day: serve at least until then.
            person.release_day = day + rng.randint(1, 30)
            person.lawful_end_day = max(person.lawful_end_day, person.release_day)
            person.release_reason = "end_of_sentence"
            self.schedule(person.release_day, "release", person)
        basis = self.verdict(person, start_day, colony.town)
        section, cell = self.section_for(colony, person.sex, person.security, stream == "J")
        person.current_admission = self.add(
            person,
            PlannedEvent(
                "admission",
                self.at(start_day, rng.uniform(4, 11)),
                colony.id,
                section,
                cell,
                legal_status="sentenced",
                basis=basis,
            ),
        )
        person.status = "sentenced"
        person.institution = colony
        person.stage_open_day = start_day
        colony.occupancy += 1
        self.sentenced[stream] += 1
        self.inside.append(person)
        self.plan_colony_life(person, max(start_day, day))

    def plan_colony_life(self, person: PersonPlan, day: int) -> None:
        """A transfer between colonies, or an escape, somewhere in the stay (not near its end)."""
        rng = self.rng
        room = person.release_day - day
        # There is one colony for minors: they are not moved between colonies.
        if person.stream != "J" and room > 60 and rng.random() < COLONY_TRANSFER_SHARE:
            self.schedule(day + rng.randint(20, room - 20), "colony_transfer", person)
        if room > 90 and rng.random() < ESCAPES_PER_PERSON_YEAR * room / 365.25:
            self.schedule(day + rng.randint(10, room - 60), "escape", person)

    # --- handlers ------------------------------------------------------------------------
    def on_remand_end(self, person: PersonPlan, day: int) -> None:
        rng = self.rng
        sizo = person.institution
        assert sizo is not None
        self.remand_absences(person, person.stage_open_day, day)
        self.remand_orders(person, until_day=day, final=True)
        self.remand[person.sex] -= 1
        target = self.sentenced_targets(day)[person.sex]
        gap = (target - self.sentenced[person.sex]) / max(target, 1.0)
        convict = rng.random() < min(0.95, max(0.3, 0.72 + 2.5 * gap))
        if not convict:
            reason = "remand_ended" if rng.random() < 0.6 else "court_decision"
            self.add(
                person,
                PlannedEvent(
                    "release",
                    self.at(day, rng.uniform(5, 9)),
                    sizo.id,
                    release_reason=reason,
                ),
            )
            self.leave(person, day)
            return
        years = sample_sentence_years(rng, False)
        person.security = security_for(rng, years, person.sex, False)
        served = day - person.remand_start_day
        self.plan_release(person, day, years, served)
        basis = self.verdict(person, day, sizo.town)
        self.add(
            person,
            PlannedEvent(
                "status_change",
                self.at(day, rng.uniform(5, 7)),
                sizo.id,
                legal_status="sentenced",
                basis=basis,
            ),
        )
        person.status = "sentenced"
        self.sentenced[person.sex] += 1
        depart = day + rng.randint(10, 40)
        if depart < person.release_day - 8:
            self.schedule(depart, "sizo_depart", person)

    def on_transfer(self, person: PersonPlan, day: int, kind: str) -> None:
        rng = self.rng
        here = person.institution
        assert here is not None
        if kind == "colony_transfer":
            self.hospital_absence(person, person.stage_open_day, day)
        destination = self.choose_colony(person, here.region_code, exclude=here.id)
        out = self.add(
            person,
            PlannedEvent(
                "transfer_out",
                self.at(day, rng.uniform(2, 4)),
                here.id,
                destination_id=destination.id,
            ),
        )
        here.occupancy -= 1
        person.status = "transit"
        person.institution = destination
        arrive = day + rng.randint(1, 3)
        person.stage_open_day = arrive
        self.pending_arrival[person.index] = out
        self.schedule(arrive, "arrive", person)

    def on_arrive(self, person: PersonPlan, day: int) -> None:
        colony = person.institution
        assert colony is not None
        out = self.pending_arrival.pop(person.index)
        section, cell = self.section_for(colony, person.sex, person.security, person.stream == "J")
        self.add(
            person,
            PlannedEvent(
                "transfer_in",
                self.at(day, self.rng.uniform(8, 11)),
                colony.id,
                section,
                cell,
                legal_status="sentenced",
                pair=out,
            ),
        )
        colony.occupancy += 1
        person.status = "sentenced"
        person.stage_open_day = day
        if out.institution_id in self.sizo_ids:
            self.inside.append(person)
        self.plan_colony_life(person, day)

    def on_release(self, person: PersonPlan, day: int, reason: str) -> None:
        here = person.institution
        assert here is not None
        self.hospital_absence(person, person.stage_open_day, day)
        if reason == "death":
            event = PlannedEvent("death", self.at(day, self.rng.uniform(0, 12)), here.id)
        else:
            event = PlannedEvent(
                "release", self.at(day, self.rng.uniform(4, 8)), here.id, release_reason=reason
            )
        self.add(person, event)
        self.sentenced[person.stream] -= 1
        if reason == "death":
            here.occupancy -= 1
            person.status = "dead"
            person.institution = None
            return
        self.leave(person, day)

    def leave(self, person: PersonPlan, day: int) -> None:
        assert person.institution is not None
        person.institution.occupancy -= 1
        person.status = "out"
        person.last_release_day = day
        if person.stream in self.pool:
            self.pool[person.stream].append(person)

    def on_escape(self, person: PersonPlan, day: int) -> None:
        here = person.institution
        assert here is not None
        self.hospital_absence(person, person.stage_open_day, day)
        self.add(person, PlannedEvent("escape", self.at(day, self.rng.uniform(0, 2)), here.id))
        here.occupancy -= 1
        self.sentenced[person.stream] -= 1
        person.status = "at_large"
        self.schedule(day + self.rng.randint(1, 30), "recapture", person)

    def on_recapture(self, person: PersonPlan, day: int) -> None:
        here = person.institution
        assert here is not None
        section, cell = self.section_for(here, person.sex, person.security, person.stream == "J")
        self.add(
            person,
            PlannedEvent(
                "recapture", self.at(day, self.rng.uniform(6, 10)), here.id, section, cell
            ),
        )
        here.occupancy += 1
        self.sentenced[person.stream] += 1
        person.status = "sentenced"
        person.stage_open_day = day

    # --- absences and documents, filled in when a stage closes ----------------------------
    def remand_absences(self, person: PersonPlan, first: int, last: int) -> None:
        """Court hearings during remand: out in the morning, back in the evening."""
        rng = self.rng
        free = last - first - 1
        if free < 2:
            return
        count = 0 if rng.random() < 0.55 else (1 if rng.random() < 0.7 else 2)
        assert person.institution is not None
        for day in sorted(rng.sample(range(first + 1, last), min(count, free))):
            self.add(
                person,
                PlannedEvent(
                    "absence_out",
                    self.at(day, 2.5),
                    person.institution.id,
                    absence_reason="court",
                ),
            )
            self.add(
                person, PlannedEvent("absence_return", self.at(day, 11.5), person.institution.id)
            )

    def hospital_absence(self, person: PersonPlan, first: int, last: int) -> None:
        rng = self.rng
        if person.status != "sentenced" or last - first < 30 or rng.random() >= HOSPITAL_SHARE:
            return
        assert person.institution is not None
        if person.institution.pretrial:
            return
        length = rng.randint(1, 14)
        out_day = rng.randint(first + 1, last - length - 1)
        here = person.institution.id
        self.add(
            person,
            PlannedEvent("absence_out", self.at(out_day, 3.0), here, absence_reason="hospital"),
        )
        self.add(person, PlannedEvent("absence_return", self.at(out_day + length, 10.0), here))

    def remand_orders(self, person: PersonPlan, *, until_day: int, final: bool) -> None:
        """Extensions of the remand order so that it covers the remand until `until_day`.

        For someone still on remand today (`final` false) an extension not yet decided today is
        not there: the current order then ends within the next weeks.
        """
        rng = self.rng
        order = person.bases[-1]
        assert order.valid_until is not None
        sizo = person.institution
        assert sizo is not None
        until = self.date_of(until_day)
        while order.valid_until < until:
            issued = order.valid_until - timedelta(days=rng.randint(*EXTENSION_LEAD))
            if not final and issued >= self.today:
                break
            issued = max(issued, order.issued_on)
            extension = PlannedBasis(
                kind="extension",
                authority=places.remand_court(sizo.town),
                number=self.document_number((issued - self.start).days),
                issued_on=issued,
                valid_until=order.valid_until + timedelta(days=rng.randint(*REMAND_EXTENSION)),
                extends=order,
            )
            person.bases.append(extension)
            order = extension

    # --- the run -------------------------------------------------------------------------
    def initial_stock(self) -> None:
        """The persons in custody on the first day, admitted before it."""
        rng = self.rng
        # Length-biased draws: people with long stays are more likely to be inside on a day.
        remand_target = self.targets[0][0]
        women = self.women_share
        for sex, share in (("M", 1 - women), ("F", women)):
            for _ in range(round(remand_target * share)):
                while True:
                    length = sample_remand_days(rng)
                    if rng.random() < length / 540:
                        break
                self.admit_remand(0, sex, initial=(length, rng.randint(0, length - 1)))
        for stream, count in self.sentenced_targets(0).items():
            for _ in range(round(count)):
                while True:
                    years = sample_sentence_years(rng, stream == "J")
                    plan = self._release_plan(rng)
                    served = years * 365.25 * plan[1]
                    if rng.random() < served / 3650:
                        break
                elapsed = rng.randint(0, max(0, round(served) - 1))
                self.admit_sentenced(0, stream, initial=(years, plan, elapsed))

    def sentenced_targets(self, day: int) -> dict[str, float]:
        """The sentenced stock to aim at on `day`, by stream (computed once per day)."""
        targets = self._sentenced_targets.get(day)
        if targets is None:
            sentenced = self.targets[day][1]
            targets = self._sentenced_targets[day] = {
                "M": sentenced * (1 - self.women_share) - self.juveniles,
                "F": sentenced * self.women_share,
                "J": self.juveniles,
            }
        return targets

    def run(self) -> SimulationResult:
        self.pending_arrival: dict[int, PlannedEvent] = {}
        self.initial_stock()
        daily_stock: list[tuple[int, int]] = []
        amnesty_start = (AMNESTY_START - self.start).days
        for day in range(self.days):
            if self.on_day is not None:
                self.on_day(day)
            if day == amnesty_start:
                self.plan_amnesty(day)
            for kind, person, episode in self.agenda[day]:
                if episode != person.episode:
                    continue
                if kind == "remand_end" and person.status == "remand":
                    self.on_remand_end(person, day)
                elif kind == "sizo_depart" and person.status == "sentenced":
                    if person.institution is not None and person.institution.pretrial:
                        self.on_transfer(person, day, kind)
                elif kind == "arrive" and person.status == "transit":
                    self.on_arrive(person, day)
                elif kind in ("colony_transfer", "escape") and self.in_colony(person):
                    if kind == "colony_transfer" and person.release_day > day + 8:
                        self.on_transfer(person, day, kind)
                    elif kind == "escape" and person.release_day > day + 35:
                        self.on_escape(person, day)
                elif kind == "recapture" and person.status == "at_large":
                    self.on_recapture(person, day)
                elif kind == "release" and person.release_day == day:
                    if person.status == "sentenced":
                        self.on_release(person, day, person.release_reason)
                    elif person.status in ("transit", "at_large"):
                        person.release_day = day + 3  # arrives or is caught first
                        self.schedule(day + 3, "release", person)
            self.agenda[day] = []
            for person in self.amnesty_plan.pop(day, []):
                if person.status == "sentenced" and person.release_day > day:
                    person.release_day = day
                    self.on_release(person, day, "amnesty")
                    self.amnesty_released += 1
            self.early_releases(day)
            self.admissions(day)
            daily_stock.append((sum(self.remand.values()), sum(self.sentenced.values())))
        self.close_open_stages()
        return SimulationResult(
            self.persons, self.start, self.today, self.days, daily_stock, self.amnesty_released
        )

    def in_colony(self, person: PersonPlan) -> bool:
        return (
            person.status == "sentenced"
            and person.institution is not None
            and not person.institution.pretrial
        )

    def admissions(self, day: int) -> None:
        remand_target = self.targets[day + 1][0]
        women = self.women_share
        for sex, share in (("M", 1 - women), ("F", women)):
            target = remand_target * share
            want = target / self.mean_remand + (target - self.remand[sex]) / TAU
            for _ in range(self._round(want)):
                self.admit_remand(day, sex)
        for stream, target in self.sentenced_targets(day + 1).items():
            served = self.mean_served["J" if stream == "J" else "adult"]
            base = target / served * (1.0 if stream == "J" else DIRECT_SENTENCED_SHARE)
            want = base + (target - self.sentenced[stream]) / TAU
            for _ in range(self._round(want)):
                self.admit_sentenced(day, stream)

    def early_releases(self, day: int) -> None:
        """When the sentenced stock is above its target (falling national figures), courts
        release more people early: parole, or a milder punishment served on probation."""
        targets = self.sentenced_targets(day + 1)
        excess = sum(self.sentenced[s] - targets[s] for s in ("M", "F"))
        total = sum(targets[s] for s in ("M", "F"))
        if excess <= 0.01 * total:
            return
        count = self._round((excess - 0.01 * total) / TAU)
        attempts = 0
        while count > 0 and self.inside and attempts < count * 20:
            attempts += 1
            index = self.rng.randrange(len(self.inside))
            person = self.inside[index]
            if not self.in_colony(person) or person.stream == "J":
                self.inside[index] = self.inside[-1]
                self.inside.pop()
                continue
            if person.release_day <= day + 1 or person.stage_open_day >= day:
                continue
            served = (day - person.remand_start_day) / max(
                1, person.lawful_end_day - person.remand_start_day
            )
            reason = (
                "parole"
                if served >= 0.5
                else self.rng.choice(("milder_punishment", "to_probation"))
            )
            self.inside[index] = self.inside[-1]
            self.inside.pop()
            person.release_day = day
            self.on_release(person, day, reason)
            self.early_released += 1
            count -= 1

    def _round(self, value: float) -> int:
        if value <= 0:
            return 0
        whole = math.floor(value)
        return whole + (1 if self.rng.random() < value - whole else 0)

    def plan_amnesty(self, day: int) -> None:
        """People with at most a year left are released over the following weeks."""
        rng = self.rng
        candidates = [
            p
            for p in self.persons
            if p.status == "sentenced"
            and p.release_reason not in ("death",)
            and 0 < p.lawful_end_day - day <= 365
        ]
        rng.shuffle(candidates)
        chosen = candidates[: round(AMNESTY_RELEASES * self.scale)]
        for person in chosen:
            release = day + rng.randint(0, AMNESTY_DAYS - 1)
            if release < person.release_day:
                self.amnesty_plan.setdefault(release, []).append(person)

    def close_open_stages(self) -> None:
        """Fill in absences and documents of the persons still held today."""
        last = self.days  # today: nothing happens on it yet
        held_remand: list[PersonPlan] = []
        held_in_demo_colony: list[PersonPlan] = []
        demo_colony = self.demo_colony()
        for person in self.persons:
            if person.status == "remand":
                self.remand_absences(person, person.stage_open_day, last)
                self.remand_orders(person, until_day=last, final=False)
                held_remand.append(person)
            elif person.status == "sentenced":
                self.hospital_absence(person, person.stage_open_day, last)
                if person.institution is demo_colony and person.stage_open_day < last - 30:
                    held_in_demo_colony.append(person)
        self.lawful_date_cases(held_remand)
        self.unreleased_cases(held_in_demo_colony)

    def demo_colony(self) -> InstitutionInfo | None:
        """The colony the demo's institution-scoped users work in (`demo.users.demo_institution`:
        the largest medium-security colony for men)."""
        colonies = [c for c in self.colonies if c.type_code == "MED" and c.sex_profile == "M"]
        return min(colonies, key=lambda c: (-c.capacity, c.code), default=None)

    def unreleased_cases(self, held: list[PersonPlan]) -> None:
        """A sentence that ended a few days ago without the release being recorded, in the demo
        users' colony, so that its held-past-the-lawful-date alarm has something to show."""
        rng = self.rng
        rng.shuffle(held)
        for person in held[: max(1, round(3 * self.scale))]:
            verdict = person.bases[-1]
            end = self.today - timedelta(days=rng.randint(1, 3))
            if verdict.kind == "verdict" and verdict.issued_on <= end:
                verdict.valid_until = end
                person.held_past_lawful_date = True

    def lawful_date_cases(self, held_remand: list[PersonPlan]) -> None:
        """A few remand orders that run out within a week, and a few already run out."""
        rng = self.rng
        eligible = [p for p in held_remand if p.remand_start_day <= self.days - 45]
        rng.shuffle(eligible)
        past = max(2, round(8 * self.scale))
        expiring = max(3, round(12 * self.scale))
        for number, person in enumerate(eligible[: past + expiring]):
            if number < past:
                end = self.today - timedelta(days=rng.randint(1, 6))
                person.held_past_lawful_date = True
            else:
                end = self.today + timedelta(days=rng.randint(1, 6))
            while len(person.bases) > 1 and person.bases[-1].issued_on >= end:
                person.bases.pop()
            last_order = person.bases[-1]
            last_order.valid_until = max(end, last_order.issued_on)
