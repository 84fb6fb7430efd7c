"""The demo data of a given seed, scale and day stay the same, row for row, on both databases:
the foundation's steps and the assessments and plans built on them.

A digest of every generated table's rows guards the generator's speed-ups (bulk writes, caches,
a different order of work): they must not change a single value. Ids are compared by their rank
in their table (the database may hand out other ids for the institutions), references to fixed
data by its code. When the generated data change on purpose, put the new digests below.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models

from qadam.assessment.models import Assessment, Reassessment
from qadam.custody.models import (
    Cell,
    DetentionBasis,
    Institution,
    Movement,
    PopulationSnapshot,
    PopulationSnapshotCount,
    Section,
    Stay,
)
from qadam.demo import generate
from qadam.demo.ledger import LOADED_MODELS
from qadam.people.models import AdmissionRecord, Child, NextOfKin, Person, PropertyItem
from qadam.plans.models import (
    Agreement,
    Evidence,
    Handover,
    Plan,
    PlanGoal,
    PlanNeed,
    PlanStep,
    PlanVersion,
    Review,
)

SEED = 7
SCALE = 0.01
TODAY = date(2026, 11, 26)

# Generated tables, parents before the tables that refer to them.
GENERATED: tuple[type[models.Model], ...] = (
    Institution,
    Section,
    Cell,
    Person,
    DetentionBasis,
    Movement,
    Stay,
    AdmissionRecord,
    NextOfKin,
    Child,
    PropertyItem,
    PopulationSnapshot,
    PopulationSnapshotCount,
    Assessment,
    Reassessment,
    Plan,
    PlanVersion,
    PlanNeed,
    PlanGoal,
    PlanStep,
    Evidence,
    Agreement,
    Review,
    Handover,
)
STEPS = ["institutions", "custody", "assessments", "plans"]
# Fields that record when a row was written, not what it says (or, for the versions' changes,
# whose user ids depend on the users made before).
WRITTEN_AT = {
    (PopulationSnapshot, "stored_at"),
    (Reassessment, "updated_at"),
    (PlanVersion, "changes"),
}
# Ids kept in a plain column: compared by their rank in the table they refer to.
ID_COLUMNS = {(PlanNeed, "assessment_id"): Assessment}
# Rows stored in the order a counting query returned them: compared sorted, without their ids.
UNORDERED = {PopulationSnapshotCount}

EXPECTED = {
    "custody.institution": "94:641654ac9d8b449e6c6a",
    "custody.section": "572:66ecd62ebbcd731dae6d",
    "custody.cell": "5759:5d3f8dec9c2ddd80bd32",
    "people.person": "1845:12a875120ddf227cc4b0",
    "custody.detentionbasis": "5519:8c9bb625456d369fdcef",
    "custody.movement": "10165:88b4a16748e39f96ce3f",
    "custody.stay": "4711:1809ca983cdf81d0e659",
    "people.admissionrecord": "382:e8ed88c2e93b43335868",
    "people.nextofkin": "587:f55014bebee53092ea01",
    "people.child": "33:95e77af0c187f9fe64dd",
    "people.propertyitem": "796:96aaf7e59523cb025212",
    "custody.populationsnapshot": "121:e1c91ef0d7634f4adf2c",
    "custody.populationsnapshotcount": "29111:396eac9accd458051f5a",
    "assessment.assessment": "602:4d63a0e96725283bedee",
    "assessment.reassessment": "306:86d5474c64255c12b49d",
    "plans.plan": "316:5c283cded2add893f93f",
    "plans.planversion": "698:57faccfd2086ef765599",
    "plans.planneed": "1813:1d957fff8e31237669c8",
    "plans.plangoal": "1813:a52e8878e6eef37581dc",
    "plans.planstep": "2850:6966a0bace4be047bb65",
    "plans.evidence": "2047:82fc49bf183cdf918870",
    "plans.agreement": "521:4a3b0fe69b44032d48a2",
    "plans.review": "285:3719c11902644552265e",
    "plans.handover": "92:b80adc34f9c8f4da3d5c",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _nothing(_value: Any) -> None:
    return None


def _reference(model: type[models.Model]) -> Callable[[Any], Any]:
    """How a reference to fixed data (regions, types, users) is written: by its code or name."""
    for attname in ("code", "username"):
        if any(f.attname == attname for f in model._meta.concrete_fields):
            names = dict(model._default_manager.values_list("pk", attname))
            return names.get
    return lambda pk: pk


def digests() -> dict[str, str]:
    """A digest of the rows of each generated table (in the order of their ids), every id
    replaced by its rank in its table."""
    ranks: dict[type[models.Model], dict[Any, int]] = {}
    result: dict[str, str] = {}
    for model in GENERATED:
        fields = [f for f in model._meta.concrete_fields if (model, f.attname) not in WRITTEN_AT]
        rows = list(model._default_manager.order_by("pk").values_list(*(f.attname for f in fields)))
        ranks[model] = {row[0]: rank for rank, row in enumerate(rows)}
        writers: list[Callable[[Any], Any]] = []
        for f in fields:
            related = f.related_model
            if f.primary_key:
                writers.append(_nothing if model in UNORDERED else ranks[model].get)
            elif (model, f.attname) in ID_COLUMNS:
                writers.append(ranks[ID_COLUMNS[(model, f.attname)]].get)
            elif isinstance(related, type):
                writers.append(ranks[related].get if related in ranks else _reference(related))
            else:
                writers.append(_plain)
        lines = [
            json.dumps(
                [write(value) for write, value in zip(writers, row, strict=True)], sort_keys=True
            )
            for row in rows
        ]
        if model in UNORDERED:
            lines.sort()
        digest = hashlib.sha256("\n".join(lines).encode())
        result[model._meta.label_lower] = f"{len(lines)}:{digest.hexdigest()[:20]}"
    return result


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows() -> None:
    assert not Person.objects.exists(), "needs a database without persons (ids start at 1)"
    generate.run(
        seed=SEED,
        scale=SCALE,
        today=TODAY,
        out=io.StringIO(),
        show_progress=False,
        only=STEPS,
    )
    connection.check_constraints()  # every reference points at a row (IntegrityError if not)
    assert digests() == EXPECTED


def test_every_table_the_generator_loads_is_compared() -> None:
    assert set(LOADED_MODELS) <= set(GENERATED)
    assert [model._meta.label_lower for model in GENERATED] == list(EXPECTED)
