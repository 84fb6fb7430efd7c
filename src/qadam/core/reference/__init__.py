"""Reference data shipped with the project, loaded by data migrations and editable afterwards."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CODE_VALID_FROM = date(2015, 1, 1)  # the 2014 Criminal Code entered into force on 1 Jan 2015


def load(name: str) -> dict[str, Any]:
    with (HERE / name).open("rb") as handle:
        return tomllib.load(handle)


def load_regions(apps: Any) -> None:
    region_model = apps.get_model("core", "Region")
    department_model = apps.get_model("core", "UisDepartment")
    data = load("regions.toml")
    for row in data["region"]:
        region_model.objects.update_or_create(
            code=row["code"],
            defaults={
                k: row[k] for k in ("legacy_code", "name_kk", "name_ru", "name_en", "centre")
            },
        )
    for row in data["department"]:
        department, _ = department_model.objects.update_or_create(
            code=row["code"], defaults={k: row[k] for k in ("name_kk", "name_ru", "name_en")}
        )
        department.regions.set(region_model.objects.filter(code__in=row["regions"]))


def load_offences(apps: Any) -> None:
    offence_model = apps.get_model("core", "Offence")
    for row in load("offences.toml")["offences"]:
        offence_model.objects.update_or_create(
            article=row["article"],
            part=row["part"],
            valid_from=CODE_VALID_FROM,
            defaults={
                "chapter": row["chapter"],
                "gravity": row["gravity"],
                "max_term_months": row["max_months"] or None,
                "groups": row["groups"],
                "title_kk": row["kk"],
                "title_ru": row["ru"],
                "title_en": row["en"],
            },
        )
