"""Need areas and responsible agency types shipped with the project (loaded by a data migration,
then editable by administrators in the reference admin), and the plain-words texts of the
printed plan."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# The data controllers a plan moves between (design.md §1): created when missing.
ORGANISATIONS = (
    {
        "code": "penal-system",
        "kind": "penal",
        "name_kk": "Қылмыстық-атқару жүйесі комитеті",
        "name_ru": "Комитет уголовно-исполнительной системы",
        "name_en": "Committee of the Penal System",
    },
    {
        "code": "probation-service",
        "kind": "probation",
        "name_kk": "Пробация қызметі",
        "name_ru": "Служба пробации",
        "name_en": "Probation service",
    },
)


def load(name: str) -> dict[str, Any]:
    with (HERE / name).open("rb") as handle:
        return tomllib.load(handle)


@cache
def print_texts() -> dict[str, dict[str, str]]:
    """key → {kk, ru, en}: the printed plan's plain words."""
    data: dict[str, dict[str, str]] = load("print_texts.toml")["text"]
    return data


def load_reference(apps: Any) -> None:
    need_area = apps.get_model("plans", "NeedArea")
    agency_type = apps.get_model("plans", "AgencyType")
    organisation = apps.get_model("core", "Organisation")
    for row in load("need_areas.toml")["need_area"]:
        need_area.objects.update_or_create(
            code=row["code"],
            defaults={
                "group": row["group"],
                "checklist": row.get("checklist", False),
                "order": row["order"],
                **{
                    f"{kind}_{lang}": row[f"{kind}_{lang}"]
                    for kind in ("name", "plain")
                    for lang in ("kk", "ru", "en")
                },
            },
        )
    for row in load("agency_types.toml")["agency_type"]:
        agency_type.objects.update_or_create(
            code=row["code"],
            defaults={
                "order": row["order"],
                **{f"name_{x}": row[f"name_{x}"] for x in ("kk", "ru", "en")},
            },
        )
    for row in ORGANISATIONS:
        organisation.objects.get_or_create(
            code=row["code"], defaults={k: v for k, v in row.items() if k != "code"}
        )
