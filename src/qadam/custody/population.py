"""Read models of the ledger: population on a date, occupancy and flows.

"As known now" counts the derived `Stay` rows open at the end of the day, through the month-start
snapshots of `custody.snapshots` (the snapshot plus the stays started and ended since). "As
recorded at" a moment replays the ledger as it stood then (later recordings and corrections
ignored) through `custody.engine`, for audit.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, Count, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qadam.core.models import Region
from qadam.core.sorting import natural_key
from qadam.custody import engine, snapshots
from qadam.custody.models import (
    Cell,
    Institution,
    InstitutionType,
    LegalStatus,
    Movement,
    MovementKind,
    ReleaseReason,
    Section,
    Stay,
)
from qadam.custody.querysets import end_of_day

# Grouping dimension → the Stay column (or lookup) it groups by.
DIMENSIONS: dict[str, str] = {
    "institution": "institution_id",
    "section": "section_id",
    "region": "institution__region_id",
    "institution_type": "institution__type_id",
    "sex": "sex",
    "age_band": "age_band",
    "legal_status": "legal_status",
}

DIMENSION_LABELS: dict[str, Promise] = {
    "institution": _("Institution"),
    "section": _("Section"),
    "region": _("Region"),
    "institution_type": _("Institution type"),
    "sex": _("Sex"),
    "age_band": _("Age band"),
    "legal_status": _("Legal status"),
}

# Age bands in years at the date counted: (key, lowest age in the band).
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("65+", 65),
    ("50-64", 50),
    ("35-49", 35),
    ("25-34", 25),
    ("18-24", 18),
)
UNDER_18 = "under-18"
AGE_BAND_ORDER = [UNDER_18, "18-24", "25-34", "35-49", "50-64", "65+"]
AGE_BAND_LABELS: dict[str, Promise] = {
    UNDER_18: _("under 18"),
    "18-24": _("18–24"),
    "25-34": _("25–34"),
    "35-49": _("35–49"),
    "50-64": _("50–64"),
    "65+": _("65 and over"),
}

SEX_LABELS: dict[str, Promise] = {"M": _("Male"), "F": _("Female")}


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band(birth_date: date, day: date) -> str:
    """The band of a person born on `birth_date`, by their age in whole years on `day`."""
    for key, years in AGE_BANDS:
        if birth_date <= _years_before(day, years):
            return key
    return UNDER_18


def _age_band_expression(day: date) -> Case:
    """The same bands computed in SQL from `birth_date` (indexable, no per-row Python)."""
    return Case(
        *[
            When(birth_date__lte=_years_before(day, years), then=Value(key))
            for key, years in AGE_BANDS
        ],
        default=Value(UNDER_18),
        output_field=CharField(),
    )


def _check_dimension(dimension: str) -> str:
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown grouping: {dimension}")
    return DIMENSIONS[dimension]


def population_counts(
    day: date, dimension: str = "institution", institution_ids: Sequence[int] | None = None
) -> dict[Any, int]:
    """Persons on the roll at the end of `day`, as known now, grouped by `dimension`.

    The month-start snapshot plus the stays started and ended since (`custody.snapshots`): two
    short queries whatever the length of the history (three for region and institution type).
    Age bands depend on the day counted, so they are counted over the stays directly.
    `institution_ids` limits the count to the user's scope (None: the whole country)."""
    _check_dimension(dimension)
    if dimension == "age_band":
        return _direct_counts(day, dimension, institution_ids)
    counter: Counter[Any] = Counter()
    by_key = snapshots.counts_by_key(day, institution_ids)
    if dimension in {"region", "institution_type"}:
        lookup = dict(
            Institution.objects.filter(pk__in={key[0] for key in by_key})
            .order_by()
            .values_list("pk", "region_id" if dimension == "region" else "type_id")
        )
        for key, n in by_key.items():
            counter[lookup[key[0]]] += n
    else:
        position = snapshots.KEY_FIELDS.index(DIMENSIONS[dimension])
        for key, n in by_key.items():
            counter[key[position]] += n
    return dict(counter)


def _direct_counts(
    day: date, dimension: str, institution_ids: Sequence[int] | None = None
) -> dict[Any, int]:
    """The same counts in one aggregate query over all the stays (the reference for tests)."""
    column = _check_dimension(dimension)
    stays: QuerySet[Stay] = Stay.objects.on(day)
    if institution_ids is not None:
        stays = stays.filter(institution_id__in=list(institution_ids))
    if dimension == "age_band":
        stays = stays.annotate(age_band=_age_band_expression(day))
    rows = stays.values(column).annotate(n=Count("id")).order_by()
    return {row[column]: row["n"] for row in rows}


@dataclass(frozen=True)
class _PlaceFacts:
    institution_id: int
    section_id: int | None
    legal_status: str
    sex: str
    birth_date: date


def _replayed_places(
    day: date, moment: datetime, institution_ids: Sequence[int] | None
) -> list[_PlaceFacts]:
    """Replay each person's ledger as recorded at `moment`, up to the end of `day`."""
    instant = end_of_day(day)
    events = (
        Movement.objects.as_recorded_at(moment)
        .filter(occurred_at__lt=instant)
        .order_by("person_id", "occurred_at", "id")
        .values_list(
            "person_id",
            "id",
            "kind",
            "occurred_at",
            "institution_id",
            "section_id",
            "cell_id",
            "destination_id",
            "legal_status",
            "transfer_out_id",
            "person__sex",
            "person__birth_date",
        )
    )
    wanted = set(institution_ids) if institution_ids is not None else None
    places: list[_PlaceFacts] = []
    for _person_id, rows in itertools.groupby(events.iterator(chunk_size=5000), key=lambda r: r[0]):
        state = engine.State()
        sex, birth_date = "", None
        for row in rows:
            sex, birth_date = row[10], row[11]
            event = engine.Event(
                id=row[1],
                kind=row[2],
                occurred_at=row[3],
                institution_id=row[4],
                section_id=row[5],
                cell_id=row[6],
                destination_id=row[7],
                legal_status=row[8],
                transfer_out_id=row[9],
            )
            try:
                engine.apply(state, event)
            except engine.LedgerError:
                # The ledger as recorded then broke here; what stood before the break is kept.
                break
        if state.status not in engine.ON_ROLL or state.institution_id is None:
            continue
        if wanted is not None and state.institution_id not in wanted:
            continue
        assert birth_date is not None
        places.append(
            _PlaceFacts(state.institution_id, state.section_id, state.legal_status, sex, birth_date)
        )
    return places


def population_counts_as_recorded(
    day: date,
    moment: datetime,
    dimension: str = "institution",
    institution_ids: Sequence[int] | None = None,
) -> dict[Any, int]:
    """The population on `day` as the ledger stood at `moment` (for audit of past reports)."""
    _check_dimension(dimension)
    places = _replayed_places(day, moment, institution_ids)
    counter: Counter[Any] = Counter()
    if dimension in {"region", "institution_type"}:
        lookup = dict(
            Institution.objects.filter(pk__in={p.institution_id for p in places}).values_list(
                "pk", "region_id" if dimension == "region" else "type_id"
            )
        )
        counter.update(lookup[p.institution_id] for p in places)
    elif dimension == "age_band":
        counter.update(age_band(p.birth_date, day) for p in places)
    else:
        attribute = {
            "institution": "institution_id",
            "section": "section_id",
            "sex": "sex",
            "legal_status": "legal_status",
        }[dimension]
        counter.update(getattr(p, attribute) for p in places)
    return dict(counter)


@dataclass(frozen=True)
class PopulationRow:
    key: Any
    label: str
    count: int
    link_kind: str = ""  # "institution" or "region": the row links to that page


def _labels(dimension: str, keys: Iterable[Any]) -> dict[Any, tuple[str, str]]:
    """Readable names (and sort keys) for the grouping keys of one dimension."""
    ids = [k for k in keys if k is not None]
    if dimension == "institution":
        return {
            i.pk: (i.name, i.code) for i in Institution.objects.filter(pk__in=ids).only(*_NAMES)
        }
    if dimension == "section":
        return {
            s.pk: (f"{s.institution.name} — {s.name}", f"{s.institution.code} {s.name}")
            for s in Section.objects.filter(pk__in=ids).select_related("institution")
        }
    if dimension == "region":
        return {r.pk: (r.name, r.code) for r in Region.objects.filter(pk__in=ids)}
    if dimension == "institution_type":
        return {t.pk: (t.name, f"{t.rank:03d}") for t in InstitutionType.objects.filter(pk__in=ids)}
    if dimension == "sex":
        return {k: (str(SEX_LABELS.get(k, k)), k) for k in ids}
    if dimension == "age_band":
        return {
            k: (str(AGE_BAND_LABELS.get(k, k)), f"{AGE_BAND_ORDER.index(k):02d}")
            for k in ids
            if k in AGE_BAND_ORDER
        }
    return {k: (str(LegalStatus(k).label) if k in LegalStatus.values else k, k) for k in ids}


_NAMES = ("code", "name_kk", "name_ru", "name_en")


def population_table(
    *,
    day: date,
    dimension: str,
    institution_ids: Sequence[int] | None,
    recorded_at: datetime | None = None,
) -> list[PopulationRow]:
    """Rows with readable labels, in a natural order, for the population page and its export."""
    counts = (
        population_counts(day, dimension, institution_ids)
        if recorded_at is None
        else population_counts_as_recorded(day, recorded_at, dimension, institution_ids)
    )
    labels = _labels(dimension, counts)
    unknown = str(_("not recorded"))
    link_kind = dimension if dimension in {"institution", "region"} else ""
    rows = [
        PopulationRow(key, labels.get(key, (unknown, "~"))[0], count, link_kind)
        for key, count in counts.items()
    ]
    # Natural order of the sort keys (codes and names with numbers by value), unknown last.
    return sorted(
        rows, key=lambda r: (r.key not in labels, natural_key(labels.get(r.key, ("", ""))[1]))
    )


@dataclass(frozen=True)
class Occupancy:
    institution: Institution
    population: int
    living_space_m2: Decimal
    living_space_places: int

    @property
    def operational_percent(self) -> float | None:
        capacity = self.institution.operational_capacity
        return 100.0 * self.population / capacity if capacity else None

    @property
    def design_percent(self) -> float | None:
        capacity = self.institution.design_capacity
        return 100.0 * self.population / capacity if capacity else None

    @property
    def living_space_percent(self) -> float | None:
        if not self.living_space_places:
            return None
        return 100.0 * self.population / self.living_space_places

    @property
    def is_over_capacity(self) -> bool:
        return self.population > self.institution.operational_capacity


def living_space(institution_ids: Sequence[int]) -> dict[int, Decimal]:
    """Sum of the cells' living space (m²) per institution."""
    rows = (
        Cell.objects.filter(section__institution_id__in=list(institution_ids))
        .values("section__institution_id")
        .annotate(area=Sum("area_m2"))
        .order_by()
    )
    return {row["section__institution_id"]: Decimal(row["area"] or 0) for row in rows}


def occupancy_of(institutions: Sequence[Institution], day: date | None = None) -> list[Occupancy]:
    """Population against operational and design capacity and against living space
    (places = m² ÷ settings.LIVING_SPACE_NORM_M2). Two queries whatever the number."""
    ids = [i.pk for i in institutions]
    counts = population_counts(day or timezone.localdate(), "institution", ids)
    areas = living_space(ids)
    norm = Decimal(str(settings.LIVING_SPACE_NORM_M2))
    result = []
    for institution in institutions:
        area = areas.get(institution.pk, Decimal(0))
        places = int(area / norm) if norm > 0 else 0
        result.append(Occupancy(institution, counts.get(institution.pk, 0), area, places))
    return result


@dataclass(frozen=True)
class Flows:
    start: date
    end: date
    admissions: dict[str, int]  # by legal status at admission
    releases: dict[str, int]  # by release reason
    transfers_out: int
    transfers_in: int
    escapes: int
    recaptures: int
    deaths: int

    @property
    def admissions_total(self) -> int:
        return sum(self.admissions.values())

    @property
    def releases_total(self) -> int:
        return sum(self.releases.values())

    def release_rows(self) -> list[tuple[str, int]]:
        return [
            (str(ReleaseReason(k).label) if k in ReleaseReason.values else k, n)
            for k, n in sorted(self.releases.items())
        ]

    def admission_rows(self) -> list[tuple[str, int]]:
        return [
            (str(LegalStatus(k).label) if k in LegalStatus.values else k, n)
            for k, n in sorted(self.admissions.items())
        ]


def flows(start: date, end: date, institution_ids: Sequence[int] | None = None) -> Flows:
    """Events (as known now) that happened from the start of `start` to the end of `end`."""
    events = Movement.objects.effective().filter(
        occurred_at__gte=end_of_day(start - timedelta(days=1)), occurred_at__lt=end_of_day(end)
    )
    if institution_ids is not None:
        events = events.filter(institution_id__in=list(institution_ids))
    rows = (
        events.values("kind", "release_reason", "legal_status").annotate(n=Count("id")).order_by()
    )
    admissions: Counter[str] = Counter()
    releases: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for row in rows:
        by_kind[row["kind"]] += row["n"]
        if row["kind"] == MovementKind.ADMISSION:
            admissions[row["legal_status"]] += row["n"]
        elif row["kind"] == MovementKind.RELEASE:
            releases[row["release_reason"]] += row["n"]
    return Flows(
        start=start,
        end=end,
        admissions=dict(admissions),
        releases=dict(releases),
        transfers_out=by_kind[MovementKind.TRANSFER_OUT],
        transfers_in=by_kind[MovementKind.TRANSFER_IN],
        escapes=by_kind[MovementKind.ESCAPE],
        recaptures=by_kind[MovementKind.RECAPTURE],
        deaths=by_kind[MovementKind.DEATH],
    )


def population_by_section_and_status(institution: Institution, day: date) -> list[dict[str, Any]]:
    """The institution's population on `day` by section and legal status (one query)."""
    rows = sorted(
        Stay.objects.on(day)
        .filter(institution=institution)
        .values("section_id", "section__name", "legal_status")
        .annotate(n=Count("id"))
        .order_by(),
        # Sections in natural order ("Отряд 2" before "Отряд 10"), those with none last.
        key=lambda row: (
            row["section__name"] is None,
            natural_key(row["section__name"] or ""),
            row["legal_status"],
        ),
    )
    return [
        {
            "section": row["section__name"] or "",
            "legal_status": str(LegalStatus(row["legal_status"]).label)
            if row["legal_status"] in LegalStatus.values
            else row["legal_status"],
            "count": row["n"],
        }
        for row in rows
    ]


__all__ = [
    "AGE_BAND_ORDER",
    "DIMENSIONS",
    "Flows",
    "Occupancy",
    "PopulationRow",
    "age_band",
    "flows",
    "occupancy_of",
    "population_by_section_and_status",
    "population_counts",
    "population_counts_as_recorded",
    "population_table",
]
