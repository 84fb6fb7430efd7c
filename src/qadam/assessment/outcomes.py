"""Local validation: the outcome from the movements ledger, the data set, and the validation run.

Outcome definition (documented on the instrument page and in the report):

- A *release* is an effective `release` event of the ledger (corrections applied).
- The person's *score at release* is their latest assessment with the instrument, dated within the
  custody episode that the release ends (on or after the admission that started it, on or before
  the day of release). Releases without such an assessment are left out.
- One observation per person: their first release with a score (the longest follow-up).
- *Re-admission within N years*: an effective `admission` event of the same person after the
  release and no later than the same calendar day N years on.
- *Follow-up*: complete when the N-year window has ended by the as-of date, or when the person was
  re-admitted inside it (the outcome is then known early). Otherwise the observation is *censored*
  for that horizon: it counts in the cohort but not in the figures.

The data set then goes through the same validation code as `qadam assessment validate`
(`fitting/validate.py`, `fitting/report.py`): AUC, Brier, calibration, by sex.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from qadam.assessment.engine import Instrument as EngineInstrument
from qadam.assessment.engine.batch import sourced_by_item_code
from qadam.assessment.fitting.data import MIN_EVENTS, Dataset
from qadam.assessment.fitting.mapping import ColumnMapping, InputColumn
from qadam.assessment.fitting.report import write_report
from qadam.assessment.fitting.validate import metrics, validate_instrument
from qadam.assessment.models import Assessment, Instrument
from qadam.assessment.services import add_months

HORIZON_YEARS = {"year1": 1, "year2": 2, "year3": 3}
SEX = {"M": "male", "F": "female"}
DEFINITION = (
    "Outcome: an effective admission event of the same person within N years of an effective "
    "release; score: the latest assessment in the custody episode that the release ends; one "
    "observation per person (their first release with a score); censored when the window has "
    "not ended by the as-of date and no re-admission happened yet."
)


class LocalValidationError(ValueError):
    """Too little local data to validate; says what is missing."""


@dataclass(frozen=True)
class Observation:
    person_id: int
    assessment_id: int
    released_at: datetime
    sex: str
    answers: dict[str, str]
    total_points: float
    readmitted_at: datetime | None
    outcomes: dict[int, int]  # years → 1 re-admitted, 0 not, -1 censored


def outcome_within(
    released_at: datetime, readmitted_at: datetime | None, years: int, as_of: date
) -> int:
    """1 re-admitted within `years`, 0 followed up for `years` without, -1 censored."""
    window_end = add_months(released_at.date(), 12 * years)
    if readmitted_at is not None and readmitted_at.date() <= window_end:
        return 1
    return 0 if window_end <= as_of else -1


def release_observations(
    *, instrument: Instrument, as_of: date, years: tuple[int, ...] = (1, 2, 3)
) -> list[Observation]:
    """One observation per person released after an assessment with `instrument`."""
    from qadam.custody.models import Movement, MovementKind
    from qadam.people.models import Person

    assessed: dict[int, list[tuple[date, int, dict[str, str], float]]] = defaultdict(list)
    rows = Assessment.objects.filter(instrument=instrument).values_list(
        "person_id", "assessed_on", "pk", "answers", "total_points"
    )
    for person_id, assessed_on, pk, answers, total in rows.iterator(chunk_size=5000):
        assessed[person_id].append((assessed_on, pk, answers, total))
    if not assessed:
        return []
    events: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    ledger = (
        Movement.objects.effective()
        .filter(
            person_id__in=list(assessed),
            kind__in=[MovementKind.ADMISSION, MovementKind.RELEASE],
        )
        .order_by("person_id", "occurred_at", "pk")
        .values_list("person_id", "occurred_at", "kind")
    )
    for person_id, occurred_at, kind in ledger.iterator(chunk_size=5000):
        events[person_id].append((occurred_at, kind))
    sexes = dict(Person.objects.filter(pk__in=list(events)).values_list("pk", "sex"))
    observations: list[Observation] = []
    for person_id, timeline in events.items():
        candidates = sorted(assessed[person_id])
        episode_start: datetime | None = None
        for index, (moment, kind) in enumerate(timeline):
            if kind == MovementKind.ADMISSION:
                episode_start = moment
                continue
            if episode_start is None:
                continue
            start, episode_start = episode_start, None
            in_episode = [c for c in candidates if start.date() <= c[0] <= moment.date()]
            if not in_episode:
                continue
            _day, pk, answers, total = in_episode[-1]
            readmitted = next(
                (m for m, k in timeline[index + 1 :] if k == MovementKind.ADMISSION), None
            )
            observations.append(
                Observation(
                    person_id=person_id,
                    assessment_id=pk,
                    released_at=moment,
                    sex=SEX.get(sexes.get(person_id, ""), ""),
                    answers=dict(answers),
                    total_points=float(total),
                    readmitted_at=readmitted,
                    outcomes={y: outcome_within(moment, readmitted, y, as_of) for y in years},
                )
            )
            break  # the first release with a score: one observation per person
    observations.sort(key=lambda o: (o.released_at, o.person_id))
    return observations


def build_dataset(
    observations: list[Observation], instrument: EngineInstrument, *, years: int
) -> Dataset:
    horizons = [h for h in ("year1", "year2") if h in instrument.calibration]
    horizons = [h for h in horizons if HORIZON_YEARS[h] <= years]
    mapping = ColumnMapping(
        origin="registry (movements ledger)",
        outcomes={h: f"readmitted_within_{HORIZON_YEARS[h]}_years" for h in horizons},
        inputs=tuple(
            InputColumn(column=item.code, type="categorical") for item in instrument.items
        ),
        sex_column="sex",
        sex_values={"male": "male", "female": "female"},
        min_rows=1,
        instrument_code=instrument.code,
    )
    columns = {
        item.code: np.array([o.answers.get(item.code, "") for o in observations], dtype=np.str_)
        for item in instrument.items
    }
    outcomes = {
        h: np.array([o.outcomes[HORIZON_YEARS[h]] for o in observations], dtype=np.int8)
        for h in horizons
    }
    return Dataset(
        origin="registry (movements ledger)",
        mapping=mapping,
        columns=columns,
        outcomes=outcomes,
        sex=np.array([o.sex for o in observations], dtype=np.str_),
        split=None,
        group=None,
    )


def _summary(figures: dict[str, Any], year3: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for horizon, block in figures["horizons"].items():
        for stratum in ("all", "male", "female"):
            m = block[stratum]
            rows.append(
                {
                    "horizon": horizon,
                    "stratum": stratum,
                    "rows": m.get("rows", 0),
                    "events": m.get("events"),
                    "auc": m.get("auc"),
                    "brier": m.get("brier"),
                    "calibration_intercept": m.get("calibration_intercept"),
                    "calibration_slope": m.get("calibration_slope"),
                    "expected_calibration_error": m.get("expected_calibration_error"),
                }
            )
    if year3 is not None:
        rows.append({"horizon": "year3", "stratum": "all", **year3})
    return rows


def validate_local(
    *,
    instrument: Instrument,
    years: int,
    as_of: date,
    out_dir: Path,
    min_rows: int = 100,
) -> dict[str, Any]:
    """Build the data set from the ledger, validate, write the HTML and JSON report."""
    if years not in (1, 2, 3):
        raise LocalValidationError("--years must be 1, 2 or 3")
    engine = sourced_by_item_code(instrument.engine)
    observations = release_observations(instrument=instrument, as_of=as_of)
    known = [o for o in observations if o.outcomes[min(years, 2)] >= 0]
    events = sum(o.outcomes[min(years, 2)] == 1 for o in known)
    if len(known) < min_rows or min(events, len(known) - events) < MIN_EVENTS:
        raise LocalValidationError(
            f"too little local data: {len(observations)} releases of persons assessed with "
            f"{instrument} before release, {len(known)} with the {min(years, 2)}-year outcome "
            f"known ({events} re-admitted); at least {min_rows} with at least {MIN_EVENTS} "
            "re-admitted and not re-admitted are needed"
        )
    data = build_dataset(observations, engine, years=years)
    figures = validate_instrument(engine, data, part="all")
    year3 = None
    if years == 3 and "year2" in engine.calibration:
        # No 3-year calibration exists: report discrimination of the 2-year probability only.
        y3 = np.array([o.outcomes[3] for o in observations], dtype=np.int8)
        total = np.array([o.total_points for o in observations], dtype=np.float64)
        calibration = engine.calibration["year2"]
        p = 1.0 / (1.0 + np.exp(-(calibration.intercept + calibration.slope * total)))
        mask = y3 >= 0
        m = metrics(p[mask], y3[mask])
        year3 = {"rows": m.get("rows", 0), "events": m.get("events"), "auc": m.get("auc")}
    cohort = {
        "years": years,
        "as_of": as_of.isoformat(),
        "releases": len(observations),
        "outcome_known": len(known),
        "readmitted": int(events),
        "censored": len(observations) - len(known),
        "definition": DEFINITION,
    }
    summary = _summary(figures, year3)
    result = {"cohort": cohort, "summary": summary, "validation": figures, "year3": year3}
    html_path, json_path = write_report(
        out_dir,
        f"Local validation: {engine.label}",
        [(engine, figures)],
        figures=result,
        summary=summary,
        notes=[
            DEFINITION,
            f"{cohort['releases']} releases; {cohort['outcome_known']} with the outcome known, "
            f"{cohort['censored']} censored; as of {cohort['as_of']}.",
            "Three-year outcome: discrimination (AUC) of the two-year probability only; the "
            "instrument has no three-year calibration."
            if year3 is not None
            else "",
        ],
        stem="local-validation",
    )
    result["paths"] = {"report": str(html_path), "figures": str(json_path)}
    return result
