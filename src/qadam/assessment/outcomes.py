"""Local validation: the outcome from the movements ledger, the data set, and the validation run.

Outcome definition (documented on the instrument page and in the report):

- A *release* is an effective `release` event of the ledger (corrections applied).
- The person's *score at release* is their latest assessment with the instrument, dated within the
  custody episode that the release ends (on or after the admission that started it, on or before
  the day of release). Releases without such an assessment are left out.
- One observation per person: their first release with a score (the longest follow-up).
- *Re-admission within N years*: an effective `admission` event of the same person after the
  release and no later than the same calendar day N years on.
- *Follow-up*: complete when the N-year window has ended by the as-of date. Otherwise the
  observation is *censored* for that horizon, even when the person has already been re-admitted
  inside the window: counting the early re-admissions of recent releases while their other
  outcomes are still unknown would raise the re-admission rate of the recent releases. A censored
  observation counts in the cohort but not in the figures.
- *As of* a date: only ledger events and assessments up to that day are read.

The data set then goes through the same validation code as `qadam assessment validate`
(`fitting/validate.py`, `fitting/report.py`): AUC, Brier, calibration, by sex; and, when the
registry records a group usable for it, the fairness audit by citizenship (`FAIRNESS_COLUMN`:
citizen of Kazakhstan or foreign national; never an input of any instrument).

`export_local` writes the same observations as a CSV file with its column mapping, so that
`qadam assessment fit` re-fits the instrument on them (`qadam assessment export-local`).
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.utils import timezone

from qadam.assessment.engine import Instrument as EngineInstrument
from qadam.assessment.engine.batch import sourced_by_item_code
from qadam.assessment.fitting.data import MIN_EVENTS, Dataset, read_dataset
from qadam.assessment.fitting.mapping import ColumnMapping, InputColumn, load_mapping
from qadam.assessment.fitting.report import write_report
from qadam.assessment.fitting.validate import metrics, validate_instrument
from qadam.assessment.models import Assessment, Instrument
from qadam.assessment.services import add_months

HORIZON_YEARS = {"year1": 1, "year2": 2, "year3": 3}
SEX = {"M": "male", "F": "female"}
# The fairness audit's group: citizenship, the only group the registry records that the audit may
# use (ethnicity and nationality are not recorded). Never an input of an instrument.
FAIRNESS_COLUMN = "citizenship"
CITIZEN, FOREIGN = "citizen", "foreign"
FAIRNESS_LABELS = {CITIZEN: "Citizen of Kazakhstan", FOREIGN: "Foreign national"}
# Fewer persons than this in a group: its error rates are too unsteady to compare.
MIN_GROUP_ROWS = 30
# Columns of the export besides the items' answers (named so that no item code takes them).
SEX_COLUMN = "person_sex"
SPLIT_COLUMN = "split"
TEST_SHARE = 0.3  # the default test set: the later 30 % of release dates
DEFINITION = (
    "Outcome: an effective admission event of the same person within N years of an effective "
    "release; score: the latest assessment in the custody episode that the release ends; one "
    "observation per person (their first release with a score); censored until the N-year "
    "window has ended by the as-of date."
)


class LocalValidationError(ValueError):
    """Too little local data to validate; says what is missing."""


def outcome_column(years: int) -> str:
    """The export's column of re-admission within `years` years."""
    return f"readmitted_within_{years}_year{'' if years == 1 else 's'}"


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
    group: str = ""  # CITIZEN / FOREIGN / "" not recorded: the fairness audit only


def outcome_within(
    released_at: datetime, readmitted_at: datetime | None, years: int, as_of: date
) -> int:
    """1 re-admitted within `years`, 0 followed up for `years` without, -1 censored (the window
    has not ended by `as_of`, whether or not the person has been re-admitted yet)."""
    window_end = add_months(released_at.date(), 12 * years)
    if window_end > as_of:
        return -1
    return 1 if readmitted_at is not None and readmitted_at.date() <= window_end else 0


def _group(citizenship: str) -> str:
    if not citizenship:
        return ""
    return CITIZEN if citizenship.upper() == "KZ" else FOREIGN


def release_observations(
    *, instrument: Instrument, as_of: date, years: tuple[int, ...] = (1, 2, 3)
) -> list[Observation]:
    """One observation per person released after an assessment with `instrument`, from the
    ledger and the assessments as they stood at the end of `as_of`."""
    from qadam.custody.models import Movement, MovementKind
    from qadam.people.models import Person

    day_after = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    assessed: dict[int, list[tuple[date, int, dict[str, str], float]]] = defaultdict(list)
    rows = Assessment.objects.filter(instrument=instrument, assessed_on__lte=as_of).values_list(
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
            occurred_at__lt=day_after,
        )
        .order_by("person_id", "occurred_at", "pk")
        .values_list("person_id", "occurred_at", "kind")
    )
    for person_id, occurred_at, kind in ledger.iterator(chunk_size=5000):
        events[person_id].append((occurred_at, kind))
    people = {
        pk: (sex, citizenship)
        for pk, sex, citizenship in Person.objects.filter(pk__in=list(events)).values_list(
            "pk", "sex", "citizenship"
        )
    }
    observations: list[Observation] = []
    for person_id, timeline in events.items():
        candidates = sorted(assessed[person_id])
        sex, citizenship = people.get(person_id, ("", ""))
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
                    sex=SEX.get(sex, ""),
                    answers=dict(answers),
                    total_points=float(total),
                    readmitted_at=readmitted,
                    outcomes={y: outcome_within(moment, readmitted, y, as_of) for y in years},
                    group=_group(citizenship),
                )
            )
            break  # the first release with a score: one observation per person
    observations.sort(key=lambda o: (o.released_at, o.person_id))
    return observations


def fairness_usable(observations: list[Observation]) -> tuple[bool, str]:
    """Whether the citizenship groups of `observations` are large enough for the fairness audit;
    if not, why not."""
    counts = Counter(o.group for o in observations if o.group)
    if len(counts) >= 2 and min(counts.values()) >= MIN_GROUP_ROWS:
        return True, ""
    return False, (
        f"fairness audit by {FAIRNESS_COLUMN} not run: {counts[CITIZEN]} citizens of Kazakhstan "
        f"and {counts[FOREIGN]} foreign nationals with the outcome known; at least "
        f"{MIN_GROUP_ROWS} in each group are needed"
    )


def build_dataset(
    observations: list[Observation],
    instrument: EngineInstrument,
    *,
    years: int,
    fairness: bool = False,
) -> Dataset:
    horizons = [h for h in ("year1", "year2") if h in instrument.calibration]
    horizons = [h for h in horizons if HORIZON_YEARS[h] <= years]
    mapping = ColumnMapping(
        origin="registry (movements ledger)",
        outcomes={h: outcome_column(HORIZON_YEARS[h]) for h in horizons},
        inputs=tuple(
            InputColumn(column=item.code, type="categorical") for item in instrument.items
        ),
        sex_column="sex",
        sex_values={"male": "male", "female": "female"},
        group_column=FAIRNESS_COLUMN if fairness else None,
        group_labels=dict(FAIRNESS_LABELS) if fairness else {},
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
        group=np.array([o.group for o in observations], dtype=np.str_) if fairness else None,
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


FAIRNESS_GAPS = ("fpr_gap_band", "fnr_gap_band", "fpr_gap_at_0_5", "fnr_gap_at_0_5")
FAIRNESS_GROUP_FIELDS = (
    "group",
    "label",
    "rows",
    "base_rate",
    "mean_predicted",
    "brier",
    "fpr_band",
    "fnr_band",
    "calibration_intercept",
    "expected_calibration_error",
)


def fairness_summary(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Per horizon and stratum: the error-rate gaps between the groups, the NIJ fairness score,
    and each group's rates and calibration (from `validate_instrument`'s figures)."""
    rows = []
    for horizon, block in figures["horizons"].items():
        for stratum in ("all", "male", "female"):
            audit = block[stratum].get("fairness")
            if not audit:
                continue
            rows.append(
                {
                    "horizon": horizon,
                    "stratum": stratum,
                    **{key: audit.get(key) for key in FAIRNESS_GAPS},
                    "nij_fairness_score": audit.get("nij_fairness_score"),
                    "groups": [
                        {key: group.get(key) for key in FAIRNESS_GROUP_FIELDS}
                        for group in audit["groups"]
                    ],
                }
            )
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
    audit_fairness, fairness_note = fairness_usable(known)
    data = build_dataset(observations, engine, years=years, fairness=audit_fairness)
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
        "fairness_group": FAIRNESS_COLUMN if audit_fairness else None,
    }
    summary = _summary(figures, year3)
    fairness = fairness_summary(figures)
    result = {
        "cohort": cohort,
        "summary": summary,
        "fairness": fairness,
        "fairness_note": fairness_note,
        "validation": figures,
        "year3": year3,
    }
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
            f"Fairness audit by {FAIRNESS_COLUMN} (citizen of Kazakhstan or foreign national), "
            "which is never an input."
            if audit_fairness
            else fairness_note.capitalize() + ".",
        ],
        stem="local-validation",
    )
    result["paths"] = {"report": str(html_path), "figures": str(json_path)}
    return result


# --- Export for re-fitting ------------------------------------------------------------------------

EXPORT_YEARS = (1, 2, 3)
REFIT_NAME_SUFFIX = {
    "kk": "(тізілім деректері бойынша қайта есептелген)",
    "ru": "(пересчитан на данных реестра)",
    "en": "(re-fitted on registry data)",
}


@dataclass(frozen=True)
class LocalExport:
    """What `export_local` wrote: counts only (the file holds no identifier)."""

    instrument: str
    as_of: date
    test_from: date
    rows: int
    train: int
    test: int
    known: dict[int, int]  # years → rows with the outcome known
    readmitted: dict[int, int]  # years → of which re-admitted
    left_out: dict[str, int]  # reason → persons left out
    fairness: bool
    fairness_note: str
    horizons: tuple[str, ...]  # the outcomes the mapping names (fit and validate read these)
    horizon_note: str  # why year2 is not among them
    columns: tuple[str, ...]
    paths: dict[str, Path]

    def audit_details(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "as_of": self.as_of.isoformat(),
            "test_from": self.test_from.isoformat(),
            "rows": self.rows,
            "train": self.train,
            "test": self.test,
            "left_out": self.left_out,
            "columns": list(self.columns),
            "fairness_group": FAIRNESS_COLUMN if self.fairness else None,
            "files": {name: str(path) for name, path in self.paths.items()},
        }


def _default_test_from(days: list[date]) -> date:
    """The first release date of the later TEST_SHARE of releases (all releases of that day go
    to the test set)."""
    ordered = sorted(days)
    return ordered[min(len(ordered) - 1, int(len(ordered) * (1 - TEST_SHARE)))]


def _refit_name(name: str, language: str) -> str:
    """The instrument's name, marked as re-fitted (once: a re-fit of a re-fit keeps one mark)."""
    suffix = REFIT_NAME_SUFFIX[language]
    return name if name.endswith(suffix) else f"{name} {suffix}"


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _toml_texts(kk: str, ru: str, en: str) -> str:
    return f"{{ kk = {_toml_string(kk)}, ru = {_toml_string(ru)}, en = {_toml_string(en)} }}"


def export_mapping(
    engine: EngineInstrument,
    *,
    horizons: tuple[str, ...],
    fairness: bool,
    min_rows: int,
    header: str,
) -> str:
    """The column mapping of the export: the instrument's items as categorical inputs with their
    layers, need areas and kk/ru/en texts; outcomes, split, sex and the fairness group."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [
        "",
        "[data]",
        'missing_values = [""]',
        f"min_rows = {min_rows}",
        "",
        "[outcome]",
        *(f"{h} = {_toml_string(outcome_column(HORIZON_YEARS[h]))}" for h in horizons),
        "",
        "[split]",
        f"column = {_toml_string(SPLIT_COLUMN)}",
        'train = "train"',
        'test = "test"',
        "",
        "[sex]",
        f"column = {_toml_string(SEX_COLUMN)}",
        'male = "male"',
        'female = "female"',
    ]
    if fairness:
        labels = ", ".join(
            f"{_toml_string(k)} = {_toml_string(v)}" for k, v in FAIRNESS_LABELS.items()
        )
        lines += [
            "",
            "# The group of the fairness audit: never an input.",
            "[fairness]",
            f"column = {_toml_string(FAIRNESS_COLUMN)}",
            f"labels = {{ {labels} }}",
        ]
    name = engine.name
    lines += [
        "",
        "[fit]",
        f"instrument_code = {_toml_string(engine.code)}",
        f"max_items = {min(12, len(engine.items))}",
        "name = "
        + _toml_texts(*(_refit_name(name.get(lang), lang) for lang in ("kk", "ru", "en"))),
    ]
    for item in engine.items:
        lines += [
            "",
            f"[inputs.{_toml_string(item.code)}]",
            'type = "categorical"',
            f"layer = {_toml_string(item.layer)}",
        ]
        if item.need_area:
            lines.append(f"need_area = {_toml_string(item.need_area)}")
        lines.append("label = " + _toml_texts(item.text.kk, item.text.ru, item.text.en))
        lines.append(f"[inputs.{_toml_string(item.code)}.values]")
        for option in item.options:
            text = option.text
            lines.append(f"{_toml_string(option.code)} = {_toml_texts(text.kk, text.ru, text.en)}")
    return "\n".join(lines) + "\n"


def export_local(
    *,
    instrument: Instrument,
    out_dir: Path,
    as_of: date,
    test_from: date | None = None,
    min_rows: int = 100,
) -> LocalExport:
    """Write `out_dir`/registry.csv and `out_dir`/mapping.toml from the observations that
    `validate_local` uses, for `qadam assessment fit` and `validate`.

    One row per person: the answers of the score at release by item code, sex, re-admission
    within 1, 2 and 3 years (1, 0, or empty while censored), the split (train: released before
    `test_from`; test: on or after it) and, when both groups are large enough, the citizenship
    group of the fairness audit. No name, IIN, date or record id. Persons released less than a
    year before `as_of` are left out (no outcome is known yet)."""
    engine = instrument.engine
    item_codes = [item.code for item in engine.items]
    fixed = [SPLIT_COLUMN, SEX_COLUMN, FAIRNESS_COLUMN, *map(outcome_column, EXPORT_YEARS)]
    clash = sorted(set(item_codes) & set(fixed))
    if clash:
        raise LocalValidationError(
            f"the instrument's items {clash} have the names of the export's own columns"
        )
    observations = release_observations(instrument=instrument, as_of=as_of, years=EXPORT_YEARS)
    left_out = {
        "followed_up_less_than_a_year": sum(o.outcomes[1] < 0 for o in observations),
        "sex_not_recorded": sum(o.outcomes[1] >= 0 and not o.sex for o in observations),
    }
    kept = [o for o in observations if o.outcomes[1] >= 0 and o.sex]
    if not kept:
        raise LocalValidationError(
            f"nothing to export: {len(observations)} releases of persons assessed with "
            f"{instrument} before release, none followed up for a year by {as_of.isoformat()}"
        )
    days = [o.released_at.date() for o in kept]
    if test_from is None:
        test_from = _default_test_from(days)
    train = [o for o in kept if o.released_at.date() < test_from]
    test = [o for o in kept if o.released_at.date() >= test_from]
    problems = [
        f"the {name} set (released {where} {test_from.isoformat()}) has {len(part)} persons; "
        f"at least {min_rows} are needed"
        for name, where, part in (("training", "before", train), ("test", "on or after", test))
        if len(part) < min_rows
    ]

    def outcomes_known(part: list[Observation], years: int) -> tuple[int, int]:
        return (
            sum(o.outcomes[years] == 1 for o in part),
            sum(o.outcomes[years] == 0 for o in part),
        )

    events, non_events = outcomes_known(train, 1)
    if min(events, non_events) < MIN_EVENTS:
        problems.append(
            f"the training set has {events} persons re-admitted within a year and "
            f"{non_events} not; at least {MIN_EVENTS} of each are needed"
        )
    horizons = ["year1"]
    horizon_note = ""
    # The two-year outcome is named for fit and validate only when both sets have it for enough
    # persons: the test set holds the latest releases, whose two years are often not over yet.
    train2, test2 = outcomes_known(train, 2), outcomes_known(test, 2)
    if min(*train2, *test2) >= MIN_EVENTS:
        horizons.append("year2")
    else:
        horizon_note = (
            f"year2 is not named in the mapping: {sum(train2)} training and {sum(test2)} test "
            f"persons were followed up for two years ({train2[0]} and {test2[0]} re-admitted); "
            f"at least {MIN_EVENTS} re-admitted and {MIN_EVENTS} not in each set are needed"
        )
    if problems:
        raise LocalValidationError(
            f"too little local data to export for fitting ({len(kept)} persons followed up for "
            f"a year by {as_of.isoformat()}): " + "; ".join(problems)
        )
    fairness, fairness_note = fairness_usable(kept)
    header = [SPLIT_COLUMN, SEX_COLUMN]
    if fairness:
        header.append(FAIRNESS_COLUMN)
    header += [outcome_column(y) for y in EXPORT_YEARS]
    header += item_codes
    split_of = {id(o): "train" for o in train} | {id(o): "test" for o in test}
    rows = []
    for o in kept:
        row = [split_of[id(o)], o.sex]
        if fairness:
            row.append(o.group)
        row += ["" if o.outcomes[y] < 0 else str(o.outcomes[y]) for y in EXPORT_YEARS]
        row += [str(o.answers.get(code, "")) for code in item_codes]
        rows.append(row)
    # Sorted by content, not by release: the row order says nothing about who is who.
    rows.sort()
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "registry.csv"
    mapping_path = out_dir / "mapping.toml"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    note = (
        f"Registry outcomes of {instrument}, written by `qadam assessment export-local` as of "
        f"{as_of.isoformat()}.\n"
        f"One row per person: the answers of their latest assessment before their first release "
        f"with a score;\nre-admission within 1, 2 and 3 years (empty while censored); split: "
        f"train = released before {test_from.isoformat()}, test = on or after it.\n"
        "No names, IINs, dates or record ids. "
        f"{outcome_column(3)} is for other analyses: fit and validate read year1 and year2.\n"
        + (f"{horizon_note[0].upper()}{horizon_note[1:]}.\n" if horizon_note else "")
        + "Re-fit: qadam assessment fit --data registry.csv --mapping mapping.toml --out DIR\n"
        "then read DIR/report.html and load DIR/instrument.toml with `qadam assessment load`."
    )
    mapping_path.write_text(
        export_mapping(
            engine, horizons=tuple(horizons), fairness=fairness, min_rows=min_rows, header=note
        ),
        encoding="utf-8",
    )
    # What was written must read back through the fitting code's own checks.
    read_dataset(csv_path, load_mapping(mapping_path))
    return LocalExport(
        instrument=str(instrument),
        as_of=as_of,
        test_from=test_from,
        rows=len(rows),
        train=len(train),
        test=len(test),
        known={y: sum(o.outcomes[y] >= 0 for o in kept) for y in EXPORT_YEARS},
        readmitted={y: sum(o.outcomes[y] == 1 for o in kept) for y in EXPORT_YEARS},
        left_out=left_out,
        fairness=fairness,
        fairness_note=fairness_note,
        horizons=tuple(horizons),
        horizon_note=horizon_note,
        columns=tuple(header),
        paths={"data": csv_path, "mapping": mapping_path},
    )
