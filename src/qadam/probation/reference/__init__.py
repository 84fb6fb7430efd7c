"""Probation offices shipped with the project: loaded by a data migration, then editable by
administrators in the reference-data pages."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load(name: str) -> dict[str, Any]:
    with (HERE / name).open("rb") as handle:
        return tomllib.load(handle)


def load_offices(apps: Any) -> None:
    office_model = apps.get_model("probation", "ProbationOffice")
    region_model = apps.get_model("core", "Region")
    organisation_model = apps.get_model("core", "Organisation")
    data = load("offices.toml")
    row = data["organisation"]
    organisation, _ = organisation_model.objects.get_or_create(
        code=row["code"], defaults={k: v for k, v in row.items() if k != "code"}
    )
    regions = {region.code: region for region in region_model.objects.all()}
    for row in data["office"]:
        office_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "region": regions[row["region"]],
                "organisation": organisation,
                **{f"name_{x}": row[f"name_{x}"] for x in ("kk", "ru", "en")},
            },
        )
