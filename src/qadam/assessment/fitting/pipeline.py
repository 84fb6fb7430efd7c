"""The two jobs behind `qadam assessment fit` and `validate`, as plain functions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.schema import Instrument, load_instrument
from ..engine.serialise import instrument_to_toml
from .data import Dataset, read_dataset
from .fit import fit_instruments
from .mapping import load_mapping
from .reference import compare_with_reference
from .report import write_report
from .validate import validate_instrument


@dataclass(frozen=True)
class JobResult:
    paths: dict[str, Path]
    figures: dict[str, Any]
    seconds: float
    instruments: dict[str, Instrument] = field(default_factory=dict)


def _headline(figures: dict[str, Any]) -> dict[str, Any]:
    """Brier, AUC and the NIJ fairness score per sex, for the first horizon."""
    horizons = figures["horizons"]
    if not horizons:
        return {}
    horizon, by_stratum = next(iter(horizons.items()))
    row: dict[str, Any] = {"instrument": figures["instrument"]["code"], "horizon": horizon}
    for stratum in ("all", "male", "female"):
        block = by_stratum[stratum]
        row[f"brier_{stratum}"] = block.get("brier")
        row[f"auc_{stratum}"] = block.get("auc")
        fairness = block.get("fairness") or {}
        row[f"nij_fairness_{stratum}"] = fairness.get("nij_fairness_score")
    return row


def _validation_part(data: Dataset) -> str:
    return "test" if data.split is not None else "all"


def run_fit(data_path: Path, mapping_path: Path, out_dir: Path) -> JobResult:
    """Fit both instruments on the training rows, score the test rows once, write everything."""
    started = time.perf_counter()
    mapping = load_mapping(mapping_path)
    data = read_dataset(data_path, mapping)
    fitted = fit_instruments(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, instrument in (("instrument", fitted.points), ("unrestricted", fitted.unrestricted)):
        path = out_dir / f"{key}.toml"
        header = (
            f"{instrument.name.en}\nFitted by `qadam assessment fit` from {data.origin}\n"
            f"with mapping {mapping.origin}. Validate before use."
        )
        path.write_text(instrument_to_toml(instrument, header=header), encoding="utf-8")
        load_instrument(path)  # what was written must read back
        paths[key] = path
    part = _validation_part(data)
    sections = [
        (fitted.points, validate_instrument(fitted.points, data, part=part)),
        (fitted.unrestricted, validate_instrument(fitted.unrestricted, data, part=part)),
    ]
    summary = [_headline(figures) for _, figures in sections]
    reference = compare_with_reference(
        {"integer_points": fitted.points, "unrestricted": fitted.unrestricted}, data, part=part
    )
    seconds = time.perf_counter() - started
    figures = {
        "fit": fitted.details,
        "summary": summary,
        "validation": {
            "integer_points": sections[0][1],
            "unrestricted": sections[1][1],
        },
        "reference": reference,
        "seconds": round(seconds, 2),
    }
    notes = [
        f"Fitted on the training rows of {data.origin}; figures below are on the "
        f"{part} rows, scored once.",
        "Ethnicity, nationality and race are never inputs; the fairness group is used only here.",
    ]
    html_path, json_path = write_report(
        out_dir,
        f"Fit and validation: {mapping.instrument_code}",
        sections,
        figures=figures,
        summary=summary,
        notes=notes,
        reference=reference,
    )
    paths["report"] = html_path
    paths["figures"] = json_path
    return JobResult(
        paths=paths,
        figures=figures,
        seconds=time.perf_counter() - started,
        instruments={"integer_points": fitted.points, "unrestricted": fitted.unrestricted},
    )


def run_validate(
    data_path: Path, mapping_path: Path, instrument_path: Path, out_dir: Path, *, part: str = ""
) -> JobResult:
    """Validate one instrument on the test rows (or all rows when the data has no split)."""
    started = time.perf_counter()
    instrument = load_instrument(instrument_path)
    mapping = load_mapping(mapping_path)
    data = read_dataset(data_path, mapping)
    part = part or _validation_part(data)
    figures = validate_instrument(instrument, data, part=part)
    summary = [_headline(figures)]
    html_path, json_path = write_report(
        out_dir,
        f"Validation: {instrument.label}",
        [(instrument, figures)],
        figures={"summary": summary, "validation": figures},
        summary=summary,
        notes=[f"Figures on the {figures['data']['part']} rows of {data.origin}."],
        stem="validation",
    )
    return JobResult(
        paths={"report": html_path, "figures": json_path},
        figures=figures,
        seconds=time.perf_counter() - started,
        instruments={"validated": instrument},
    )
