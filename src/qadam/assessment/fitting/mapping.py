"""The column-mapping file: which CSV column is what, for fitting and validating instruments.

```toml
[data]
missing_values = ["-1", ""]     # raw values meaning "not known"
min_rows = 200                  # fewer rows than this (per set used) is refused

[outcome]
year1 = "Recidivism_Arrest_Year1"   # 0/1; year2 is optional

[split]                         # optional: the train/test split
column = "Training_Sample"
train = "1"
test = "0"

[sex]
column = "Gender"
male = "1"
female = "0"

[fairness]                      # optional: the group for the fairness audit, never an input
column = "Race"
labels = { "0" = "White", "1" = "Black" }

[fit]
instrument_code = "nij-georgia-year1"
max_items = 12

[inputs.Age_at_Release]
type = "ordinal"                # categorical, ordinal, binary or numeric
layer = "static"
need_area = "criminal_history"  # optional for static inputs
label = { kk = "...", ru = "...", en = "..." }
values = { "6" = { kk = "...", ru = "...", en = "18–22" } }   # optional value labels
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.schema import HORIZONS, LANGUAGES, LAYERS, NEED_AREAS, Texts, protected_attribute

INPUT_TYPES = ("categorical", "ordinal", "binary", "numeric")


class MappingError(ValueError):
    """The mapping file is wrong; `problems` says what to fix, one per line."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"column mapping {origin} is not usable:\n{listing}")


@dataclass(frozen=True)
class InputColumn:
    column: str
    type: str
    layer: str = "static"
    need_area: str | None = None
    label: Texts | None = None
    value_labels: dict[str, Texts] = field(default_factory=dict)

    def texts(self) -> Texts:
        return self.label or Texts(self.column, self.column, self.column)


@dataclass(frozen=True)
class ColumnMapping:
    origin: str
    outcomes: dict[str, str]
    inputs: tuple[InputColumn, ...]
    sex_column: str
    sex_values: dict[str, str]  # raw value -> "male" / "female"
    split_column: str | None = None
    split_values: dict[str, str] = field(default_factory=dict)  # raw value -> "train" / "test"
    group_column: str | None = None
    group_labels: dict[str, str] = field(default_factory=dict)
    missing_values: tuple[str, ...] = ("",)
    min_rows: int = 200
    instrument_code: str = "fitted"
    instrument_name: Texts | None = None
    max_items: int = 12
    band_probabilities: tuple[float, ...] = (0.25, 0.5)
    description: str = ""

    def columns_needed(self) -> list[str]:
        needed = [*self.outcomes.values(), self.sex_column]
        needed += [i.column for i in self.inputs]
        if self.split_column:
            needed.append(self.split_column)
        if self.group_column:
            needed.append(self.group_column)
        return list(dict.fromkeys(needed))


def _texts(value: Any, where: str, problems: list[str]) -> Texts | None:
    if value is None:
        return None
    if not isinstance(value, MappingABC) or any(
        not isinstance(value.get(lang), str) or not value.get(lang) for lang in LANGUAGES
    ):
        problems.append(f"{where}: must be a table with kk, ru and en texts")
        return None
    return Texts(kk=value["kk"], ru=value["ru"], en=value["en"])


def _str_key(value: Any) -> str:
    return str(value).strip()


def parse_mapping(data: MappingABC[str, Any], *, origin: str = "<memory>") -> ColumnMapping:
    problems: list[str] = []
    known = {"data", "outcome", "split", "sex", "fairness", "fit", "inputs"}
    unknown = sorted(set(data) - known)
    if unknown:
        problems.append(f"(top level): unknown sections {unknown}; use {sorted(known)}")

    data_section = data.get("data", {})
    missing_values = data_section.get("missing_values", [""])
    if not isinstance(missing_values, list):
        problems.append("data.missing_values: must be a list of raw values")
        missing_values = [""]
    min_rows = data_section.get("min_rows", 200)
    if not isinstance(min_rows, int) or isinstance(min_rows, bool) or min_rows < 10:
        problems.append(f"data.min_rows: must be a whole number of at least 10, not {min_rows!r}")
        min_rows = 200

    outcomes: dict[str, str] = {}
    outcome = data.get("outcome")
    if not isinstance(outcome, MappingABC) or not outcome:
        problems.append(f"outcome: name the 0/1 outcome column for at least one of {HORIZONS}")
        outcome = {}
    for horizon, column in outcome.items():
        if horizon not in HORIZONS:
            problems.append(f"outcome.{horizon}: unknown horizon; use {HORIZONS}")
        elif not isinstance(column, str) or not column:
            problems.append(f"outcome.{horizon}: must be a column name")
        else:
            outcomes[horizon] = column

    sex = data.get("sex")
    sex_column = ""
    sex_values: dict[str, str] = {}
    if not isinstance(sex, MappingABC) or not isinstance(sex.get("column"), str):
        problems.append("sex: give the sex column and its raw values for male and female")
    else:
        sex_column = sex["column"]
        for key in ("male", "female"):
            if key not in sex:
                problems.append(f"sex.{key}: give the raw value that means {key}")
            else:
                sex_values[_str_key(sex[key])] = key

    split = data.get("split")
    split_column = None
    split_values: dict[str, str] = {}
    if split is not None:
        if not isinstance(split, MappingABC) or not isinstance(split.get("column"), str):
            problems.append("split: give the split column and its train and test values")
        else:
            split_column = split["column"]
            for key in ("train", "test"):
                if key not in split:
                    problems.append(f"split.{key}: give the raw value that means {key}")
                else:
                    split_values[_str_key(split[key])] = key

    fairness = data.get("fairness")
    group_column = None
    group_labels: dict[str, str] = {}
    if fairness is not None:
        if not isinstance(fairness, MappingABC) or not isinstance(fairness.get("column"), str):
            problems.append("fairness: give the group column for the fairness audit")
        else:
            group_column = fairness["column"]
            labels = fairness.get("labels", {})
            if not isinstance(labels, MappingABC):
                problems.append("fairness.labels: must map raw values to names")
            else:
                group_labels = {_str_key(k): str(v) for k, v in labels.items()}

    fit = data.get("fit", {})
    max_items = fit.get("max_items", 12)
    if not isinstance(max_items, int) or isinstance(max_items, bool) or not 1 <= max_items <= 40:
        problems.append(f"fit.max_items: must be a whole number from 1 to 40, not {max_items!r}")
        max_items = 12
    band_probabilities = fit.get("band_probabilities", [0.25, 0.5])
    if (
        not isinstance(band_probabilities, list)
        or not all(isinstance(p, float) and 0 < p < 1 for p in band_probabilities)
        or band_probabilities != sorted(set(band_probabilities))
    ):
        problems.append("fit.band_probabilities: must be rising probabilities between 0 and 1")
        band_probabilities = [0.25, 0.5]
    instrument_code = fit.get("instrument_code", "fitted")
    if not isinstance(instrument_code, str) or not instrument_code:
        problems.append("fit.instrument_code: must be a code")
        instrument_code = "fitted"

    inputs: list[InputColumn] = []
    raw_inputs = data.get("inputs")
    if not isinstance(raw_inputs, MappingABC) or not raw_inputs:
        problems.append("inputs: list at least one input column ([inputs.<column>] tables)")
        raw_inputs = {}
    for column, spec in raw_inputs.items():
        where = f"inputs.{column}"
        if not isinstance(spec, MappingABC):
            problems.append(f"{where}: must be a table with at least a type")
            continue
        kind = spec.get("type")
        if kind not in INPUT_TYPES:
            problems.append(f"{where}.type: must be one of {INPUT_TYPES}, not {kind!r}")
        layer = spec.get("layer", "static")
        if layer not in LAYERS:
            problems.append(f"{where}.layer: must be one of {LAYERS}, not {layer!r}")
        need_area = spec.get("need_area")
        if need_area is not None and need_area not in NEED_AREAS:
            problems.append(f"{where}.need_area: must be one of {NEED_AREAS}, not {need_area!r}")
        if need_area is None and layer in {"dynamic", "change"}:
            problems.append(f"{where}.need_area: a {layer} input must name its need area")
        word = protected_attribute(column)
        if word is not None:
            problems.append(
                f"{where}: refers to {word!r}; ethnicity, nationality and race are never inputs "
                "(name it in [fairness] to audit by it)"
            )
        if column in outcomes.values():
            problems.append(f"{where}: is the outcome column; an outcome cannot be an input")
        if column == split_column:
            problems.append(f"{where}: is the split column; it cannot be an input")
        if column == group_column:
            problems.append(f"{where}: is the fairness group column; it is never an input")
        value_labels: dict[str, Texts] = {}
        raw_labels = spec.get("values", {})
        if not isinstance(raw_labels, MappingABC):
            problems.append(f"{where}.values: must map raw values to kk/ru/en labels")
            raw_labels = {}
        for raw_value, texts in raw_labels.items():
            parsed = _texts(texts, f"{where}.values.{raw_value}", problems)
            if parsed is not None:
                value_labels[_str_key(raw_value)] = parsed
        unknown_keys = sorted(set(spec) - {"type", "layer", "need_area", "label", "values"})
        if unknown_keys:
            problems.append(f"{where}: unknown keys {unknown_keys}")
        inputs.append(
            InputColumn(
                column=str(column),
                type=str(kind),
                layer=str(layer),
                need_area=need_area if need_area in NEED_AREAS else None,
                label=_texts(spec.get("label"), f"{where}.label", problems),
                value_labels=value_labels,
            )
        )
    instrument_name = _texts(fit.get("name"), "fit.name", problems)
    if group_column and group_column in outcomes.values():
        problems.append("fairness.column: is the outcome column")
    if problems:
        raise MappingError(origin, problems)
    return ColumnMapping(
        origin=origin,
        outcomes=outcomes,
        inputs=tuple(inputs),
        sex_column=sex_column,
        sex_values=sex_values,
        split_column=split_column,
        split_values=split_values,
        group_column=group_column,
        group_labels=group_labels,
        missing_values=tuple(_str_key(v) for v in missing_values),
        min_rows=min_rows,
        instrument_code=instrument_code,
        instrument_name=instrument_name,
        max_items=max_items,
        band_probabilities=tuple(band_probabilities),
        description=str(data_section.get("description", "")),
    )


def load_mapping(path: Path | str) -> ColumnMapping:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise MappingError(str(path), ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_mapping(data, origin=str(path))
