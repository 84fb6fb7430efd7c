"""Demo step "institutions": 78 penal institutions of every type in all 20 regions, 16 pre-trial
detention centres, their sections (each with its own type in a mixed institution) and cells."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from django.db import transaction

from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, Region, UisDepartment
from qadam.custody.models import Cell, Institution, InstitutionType, Section
from qadam.demo.places import STREETS, TOWNS
from qadam.demo.registry import DemoContext
from qadam.demo.simulation import InstitutionInfo, SectionInfo

# Colonies by type (78 in all, Jul 2024): three for women, one for minors.
COLONY_TYPES: tuple[tuple[str, int], ...] = (
    ("MIN", 12),
    ("MED", 24),
    ("MED_JUV", 1),
    ("MAX", 18),
    ("FULL", 3),
    ("EXTRA", 3),
    ("MIXED", 17),
)
WOMEN_COLONIES = (("MIN", 1), ("MED", 1), ("MIXED", 1))
# Relative weight of each region in the number of colonies (old industrial regions hold most).
REGION_WEIGHTS = {
    "KZ-10": 3,
    "KZ-11": 5,
    "KZ-15": 3,
    "KZ-19": 4,
    "KZ-23": 2,
    "KZ-27": 3,
    "KZ-31": 3,
    "KZ-33": 2,
    "KZ-35": 8,
    "KZ-39": 5,
    "KZ-43": 2,
    "KZ-47": 2,
    "KZ-55": 5,
    "KZ-59": 4,
    "KZ-61": 3,
    "KZ-62": 2,
    "KZ-63": 5,
    "KZ-71": 2,
    "KZ-75": 3,
    "KZ-79": 2,
}
# Regions created in 2022 and one southern region share their neighbours' pre-trial centres.
REGIONS_WITHOUT_SIZO = ("KZ-10", "KZ-33", "KZ-62", "KZ-61")
SIZO_WEIGHTS = {"KZ-75": 3.0, "KZ-71": 2.0, "KZ-79": 2.0, "KZ-35": 1.8}
COLONY_DESIGN_TOTAL = 46_000
SIZO_DESIGN_TOTAL = 10_500
# Cyrillic letters of each region's institution codes (style of "ЛА-155/14").
CODE_LETTERS = {
    "KZ-10": "ОС",
    "KZ-11": "ЕЦ",
    "KZ-15": "ГК",
    "KZ-19": "ЛА",
    "KZ-23": "АТ",
    "KZ-27": "ОР",
    "KZ-31": "ЖД",
    "KZ-33": "ТЛ",
    "KZ-35": "АК",
    "KZ-39": "УК",
    "KZ-43": "КЗ",
    "KZ-47": "МН",
    "KZ-55": "АП",
    "KZ-59": "ЕС",
    "KZ-61": "ТР",
    "KZ-62": "ЖК",
    "KZ-63": "ОВ",
    "KZ-71": "АС",
    "KZ-75": "АЛ",
    "KZ-79": "ШМ",
}
TYPE_SIZE = {
    "MIN": (300, 700),
    "MED": (600, 1500),
    "MED_JUV": (100, 140),
    "MAX": (600, 1400),
    "FULL": (250, 500),
    "EXTRA": (150, 350),
    "MIXED": (700, 1500),
}
MIXED_SECTION_TYPES = ("MIN", "MED", "MAX")
WOMEN_MIXED_SECTION_TYPES = ("MIN", "MED")
SECTION_PLACES = 100  # a colony's detachment (отряд)
DEMO_CODE_MARK = "/"  # every demo colony code has it; SIZO codes start with "СИЗО-"


def _spread(rng: random.Random, count: int, regions: list[str]) -> list[str]:
    """One colony in each region first, the rest by weight."""
    chosen = list(regions)
    weights = [REGION_WEIGHTS[r] for r in regions]
    chosen += rng.choices(regions, weights=weights, k=count - len(regions))
    rng.shuffle(chosen)
    return chosen


def _plan_colonies(rng: random.Random, regions: list[str]) -> list[dict[str, object]]:
    kinds: list[tuple[str, str]] = []  # (type, sex)
    women = dict(WOMEN_COLONIES)
    for type_code, count in COLONY_TYPES:
        kinds += [(type_code, "F")] * women.get(type_code, 0)
        kinds += [(type_code, "M")] * (count - women.get(type_code, 0))
    rng.shuffle(kinds)
    plans: list[dict[str, object]] = []
    for (type_code, sex), region_code in zip(kinds, _spread(rng, len(kinds), regions), strict=True):
        low, high = TYPE_SIZE[type_code]
        size = 1000 if sex == "F" else rng.randint(low, high)
        plans.append({"type": type_code, "sex": sex, "region": region_code, "size": size})
    adult_total = sum(int(str(p["size"])) for p in plans if p["type"] != "MED_JUV")
    factor = (COLONY_DESIGN_TOTAL - 120) / adult_total
    for plan in plans:
        if plan["type"] != "MED_JUV":
            plan["size"] = round(int(str(plan["size"])) * factor)
    return plans


def _cells(section: Section, places_total: int, per_cell: tuple[int, int], rng: random.Random):  # type: ignore[no-untyped-def]
    number = 1
    remaining = places_total
    while remaining > 0:
        places = min(remaining, rng.randint(*per_cell))
        area = Decimal(str(round(places * rng.uniform(2.3, 4.2), 1)))
        yield Cell(section=section, number=str(number), places=places, area_m2=area)
        number += 1
        remaining -= places


def create_institutions(ctx: DemoContext) -> None:
    rng = ctx.rng
    regions = {r.code: r for r in Region.objects.all()}
    region_codes = [code for code in sorted(regions) if code in TOWNS]
    departments = {
        code: UisDepartment.objects.filter(regions=regions[code]).order_by("code").first()
        for code in region_codes
    }
    types = {t.code: t for t in InstitutionType.objects.all()}
    existing = list(Institution.objects.filter(code__startswith="СИЗО-")) + list(
        Institution.objects.filter(code__contains=DEMO_CODE_MARK)
    )
    if existing:
        ctx.out.write(f"Using the {len(existing)} demo institutions already present.\n")
    else:
        _create(ctx, rng, regions, region_codes, departments, types)
    institutions = list(
        Institution.objects.filter(code__startswith="СИЗО-").select_related("type", "region")
    ) + list(
        Institution.objects.filter(code__contains=DEMO_CODE_MARK).select_related("type", "region")
    )
    institutions.sort(key=lambda i: i.code)
    ctx.institutions = institutions
    ctx.data["custody.layout"] = layout(institutions)
    ctx.summary["institutions"] = len(institutions)


@transaction.atomic
def _create(  # type: ignore[no-untyped-def]
    ctx: DemoContext, rng: random.Random, regions, region_codes, departments, types
) -> None:
    sizo_regions = [c for c in region_codes if c not in REGIONS_WITHOUT_SIZO]
    sizo_weights = [SIZO_WEIGHTS.get(c, 1.0) for c in sizo_regions]
    sizo_sizes = [SIZO_DESIGN_TOTAL * w / sum(sizo_weights) for w in sizo_weights]
    plans = [
        {"type": "SIZO", "sex": "MF", "region": code, "size": round(size)}
        for code, size in zip(sizo_regions, sizo_sizes, strict=True)
    ] + _plan_colonies(rng, region_codes)
    serial: dict[str, int] = {}
    sections: list[Section] = []
    section_places: list[tuple[Section, int, tuple[int, int]]] = []
    for plan in plans:
        region_code = str(plan["region"])
        type_code = str(plan["type"])
        size = int(str(plan["size"]))
        town = TOWNS[region_code][0]
        letters = CODE_LETTERS[region_code]
        number = 150 + region_codes.index(region_code)
        serial[region_code] = serial.get(region_code, 0) + 1
        if type_code == "SIZO":
            code = f"СИЗО-{region_code[3:]}"
            names = (
                f"{town} тергеу изоляторы ({letters}-{number}/1)",
                f"Следственный изолятор {letters}-{number}/1, г. {town}",
                f"Pre-trial detention centre {letters}-{number}/1, {town}",
            )
        else:
            code = f"{letters}-{number}/{serial[region_code] + 1}"
            names = (f"{code} мекемесі", f"Учреждение {code}", f"Institution {code}")
        sex = str(plan["sex"])
        institution = Institution.objects.create(
            code=code,
            name_kk=names[0],
            name_ru=names[1],
            name_en=names[2],
            type=types[type_code],
            region=regions[region_code],
            department=departments[region_code],
            sex_profile=sex,
            age_profile=(
                Institution.AgeProfile.JUVENILE
                if type_code == "MED_JUV"
                else (Institution.AgeProfile.BOTH if type_code == "SIZO" else "adult")
            ),
            design_capacity=size,
            operational_capacity=round(size * rng.uniform(0.9, 1.0)),
            address=f"{town}, {rng.choice(STREETS)}, {rng.randint(1, 99)}",
        )
        if type_code == "SIZO":
            women = max(20, round(size * 0.07))
            juveniles = max(10, round(size * 0.01))
            men = size - women - juveniles
            blocks = max(1, math.ceil(men / 250))
            for index in range(blocks):
                section = Section(institution=institution, name=f"Корпус {index + 1}", sex="M")
                sections.append(section)
                section_places.append((section, math.ceil(men / blocks), (2, 8)))
            section = Section(institution=institution, name="Әйелдер корпусы", sex="F")
            sections.append(section)
            section_places.append((section, women, (2, 6)))
            section = Section(
                institution=institution, name="Кәмелетке толмағандар", sex="M", is_juvenile=True
            )
            sections.append(section)
            section_places.append((section, juveniles, (2, 4)))
            continue
        count = max(1, math.ceil(size / SECTION_PLACES))
        for index in range(count):
            section_type = None
            if type_code == "MIXED":
                kinds = WOMEN_MIXED_SECTION_TYPES if sex == "F" else MIXED_SECTION_TYPES
                section_type = types[kinds[index % len(kinds)]]
            section = Section(
                institution=institution,
                name=f"Отряд {index + 1}",
                type=section_type,
                sex=sex,
                is_juvenile=type_code == "MED_JUV",
            )
            sections.append(section)
            section_places.append((section, math.ceil(size / count), (8, 20)))
    Section.objects.bulk_create(sections, batch_size=2000)
    cells: list[Cell] = []
    for section, places, per_cell in section_places:
        cells.extend(_cells(section, places, per_cell, rng))
    Cell.objects.bulk_create(cells, batch_size=5000)
    ctx.summary["sections"] = len(sections)
    ctx.summary["cells"] = len(cells)
    audit_write(
        actor=ctx.system_user,
        action=AuditEvent.Action.CREATE,
        verb="demo data generated",
        details={
            "step": "institutions",
            "seed": ctx.seed,
            "institutions": len(plans),
            "sections": len(sections),
            "cells": len(cells),
            "persons": 0,
        },
    )


def layout(institutions: list[Institution]) -> list[InstitutionInfo]:
    """Plain data about institutions, sections and cells for the simulation."""
    by_institution: dict[int, list[SectionInfo]] = {i.pk: [] for i in institutions}
    section_rows = Section.objects.filter(institution__in=institutions).order_by("id")
    cells: dict[int, list[int]] = {}
    for section_id, cell_id in (
        Cell.objects.filter(section__institution__in=institutions)
        .order_by("id")
        .values_list("section_id", "id")
    ):
        cells.setdefault(section_id, []).append(cell_id)
    for section in section_rows.select_related("type"):
        by_institution[section.institution_id].append(
            SectionInfo(
                id=section.pk,
                type_code=section.type.code if section.type else None,
                sex=section.sex or "M",
                juvenile=section.is_juvenile,
                cells=cells.get(section.pk, []),
            )
        )
    return [
        InstitutionInfo(
            id=i.pk,
            code=i.code,
            type_code=i.type.code,
            region_code=i.region.code,
            town=(i.address.split(",")[0] if i.address else TOWNS[i.region.code][0]),
            sex_profile=i.sex_profile,
            capacity=i.operational_capacity,
            sections=by_institution[i.pk],
        )
        for i in institutions
    ]
