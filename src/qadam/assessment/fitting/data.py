"""Reading a CSV through its column mapping into arrays, with errors that say what to fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from ..engine.batch import MISSING
from .mapping import ColumnMapping

MIN_EVENTS = 10
# A derived source: the column's value for women, and NOT_WOMEN for everyone else. Items with such a
# source carry the women's adjustment of an input in a model with sex interactions.
WOMEN_SUFFIX = "|women"
NOT_WOMEN = "(not a woman)"
# A derived source "<column>&<column>": the two columns' raw values joined by "|". Items with such a
# source carry an interaction of two inputs.
PAIR_SEPARATOR = "&"
PAIR_VALUE_SEPARATOR = "|"
_TRUE = {"1", "1.0", "true", "yes"}
_FALSE = {"0", "0.0", "false", "no"}


class DataError(ValueError):
    """The data does not match its mapping; `problems` says what to fix, one per line."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"data {origin} does not match its mapping:\n{listing}")


@dataclass(frozen=True)
class Dataset:
    origin: str
    mapping: ColumnMapping
    columns: dict[str, npt.NDArray[np.str_]]  # input columns, raw text, MISSING for missing
    outcomes: dict[str, npt.NDArray[np.int8]]  # horizon -> 0/1, -1 where not known
    sex: npt.NDArray[np.str_]  # "male" / "female"
    split: npt.NDArray[np.str_] | None  # "train" / "test"
    group: npt.NDArray[np.str_] | None  # raw group values, MISSING where not known

    @property
    def rows(self) -> int:
        return len(self.sex)

    def subset(self, mask: npt.NDArray[np.bool_]) -> Dataset:
        return Dataset(
            origin=self.origin,
            mapping=self.mapping,
            columns={k: v[mask] for k, v in self.columns.items()},
            outcomes={k: v[mask] for k, v in self.outcomes.items()},
            sex=self.sex[mask],
            split=None if self.split is None else self.split[mask],
            group=None if self.group is None else self.group[mask],
        )

    def source_columns(self, sources: Iterable[str] = ()) -> dict[str, npt.NDArray[np.str_]]:
        """The input columns, plus any derived sources named in `sources` ("<column>|women",
        "<column>&<column>")."""
        columns = dict(self.columns)
        for source in sources:
            if source in columns:
                continue
            base = source.removesuffix(WOMEN_SUFFIX)
            if source != base and base in self.columns:
                columns[source] = women_column(self.columns[base], self.sex)
                continue
            parts = pair_parts(source, self.columns)
            if parts is not None:
                columns[source] = pair_column(self.columns[parts[0]], self.columns[parts[1]])
        return columns

    def part(self, name: str) -> Dataset:
        """The train or test rows; all rows when the mapping has no split."""
        if self.split is None:
            return self
        return self.subset(self.split == name)


def women_column(values: npt.NDArray[np.str_], sex: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """`values` for women, NOT_WOMEN for everyone else."""
    return np.where(sex == "female", values, NOT_WOMEN).astype(np.str_)


def pair_parts(source: str, columns: Iterable[str]) -> tuple[str, str] | None:
    """The two columns a pair source "<column>&<column>" names, or None (column names may
    themselves contain "&": every split is tried)."""
    known = set(columns)
    position = source.find(PAIR_SEPARATOR)
    while position > 0:
        first, second = source[:position], source[position + len(PAIR_SEPARATOR) :]
        if first in known and second in known:
            return first, second
        position = source.find(PAIR_SEPARATOR, position + 1)
    return None


def pair_column(first: npt.NDArray[np.str_], second: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """The raw values of two columns joined row by row: "<first>|<second>"."""
    return np.char.add(np.char.add(first, PAIR_VALUE_SEPARATOR), second).astype(np.str_)


def _text(frame: pl.DataFrame, column: str, missing: tuple[str, ...]) -> npt.NDArray[np.str_]:
    series = frame.get_column(column).cast(pl.String).str.strip_chars().fill_null(MISSING)
    values = series.to_numpy().astype(np.str_)
    if missing:
        values = np.where(np.isin(values, list(missing)), MISSING, values)
    return values


def read_dataset(path: Path | str, mapping: ColumnMapping) -> Dataset:
    """Read `path` as CSV and check it against `mapping`; DataError lists every mismatch."""
    origin = str(path)
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except FileNotFoundError:
        raise DataError(origin, ["the file does not exist"]) from None
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(origin, [f"cannot read it as CSV: {exc}"]) from None
    return dataset_from_frame(frame, mapping, origin=origin)


def dataset_from_frame(frame: pl.DataFrame, mapping: ColumnMapping, *, origin: str) -> Dataset:
    problems: list[str] = []
    present = set(frame.columns)
    absent = [c for c in mapping.columns_needed() if c not in present]
    for column in absent:
        close = difflib.get_close_matches(column, frame.columns, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"column {column!r} named in the mapping is not in the file{hint}")
    if absent:
        raise DataError(origin, problems)

    outcomes: dict[str, npt.NDArray[np.int8]] = {}
    for horizon, column in mapping.outcomes.items():
        raw = _text(frame, column, ())
        lowered = np.char.lower(raw)
        known = np.isin(lowered, list(_TRUE | _FALSE))
        if not known.all():
            bad = sorted({str(v) for v in raw[~known]})
            if bad == [MISSING] and horizon != "year1":
                pass  # a longer horizon may be unknown for recent releases
            else:
                shown = ", ".join(repr(v) for v in bad[:6])
                problems.append(
                    f"outcome {column!r} must be 0 or 1 in every row; found {shown} in "
                    f"{int((~known).sum())} rows"
                )
        outcomes[horizon] = np.where(
            np.isin(lowered, list(_TRUE)), 1, np.where(np.isin(lowered, list(_FALSE)), 0, -1)
        ).astype(np.int8)

    sex_raw = _text(frame, mapping.sex_column, ())
    sex = np.array([mapping.sex_values.get(str(v), "") for v in sex_raw], dtype=np.str_)
    if (sex == "").any():
        bad = sorted({str(v) for v in sex_raw[sex == ""]})[:6]
        problems.append(
            f"sex column {mapping.sex_column!r} has values {bad} that the mapping does not name "
            f"(it names {sorted(mapping.sex_values)})"
        )

    split = None
    if mapping.split_column:
        split_raw = _text(frame, mapping.split_column, ())
        split = np.array([mapping.split_values.get(str(v), "") for v in split_raw], dtype=np.str_)
        if (split == "").any():
            bad = sorted({str(v) for v in split_raw[split == ""]})[:6]
            problems.append(
                f"split column {mapping.split_column!r} has values {bad} that are neither the "
                f"train nor the test value ({sorted(mapping.split_values)})"
            )

    group = None
    if mapping.group_column:
        group = _text(frame, mapping.group_column, mapping.missing_values)

    columns: dict[str, npt.NDArray[np.str_]] = {}
    for spec in mapping.inputs:
        values = _text(frame, spec.column, mapping.missing_values)
        if spec.type == "numeric":
            present_values = values[values != MISSING]
            try:
                present_values.astype(np.float64)
            except ValueError:
                bad = []
                for v in np.unique(present_values):
                    try:
                        float(v)
                    except ValueError:
                        bad.append(str(v))
                problems.append(
                    f"input {spec.column!r} is numeric but has values {bad[:6]}; mark them "
                    "missing in data.missing_values or change the type"
                )
        elif spec.type == "binary":
            levels = set(np.unique(values[values != MISSING]).tolist())
            if len(levels) > 2:
                problems.append(
                    f"input {spec.column!r} is binary but has {len(levels)} values "
                    f"{sorted(levels)[:6]}; use type 'categorical'"
                )
        columns[spec.column] = values

    rows = frame.height
    if rows < mapping.min_rows:
        problems.append(f"the file has {rows} rows; at least {mapping.min_rows} are needed")
    if split is not None:
        for part in ("train", "test"):
            count = int((split == part).sum())
            if count < mapping.min_rows:
                problems.append(
                    f"the {part} set has {count} rows; at least {mapping.min_rows} are needed"
                )
    for horizon, y in outcomes.items():
        rows_used = y if split is None else y[split == "train"]
        events = int((rows_used == 1).sum())
        non_events = int((rows_used == 0).sum())
        if min(events, non_events) < MIN_EVENTS:
            problems.append(
                f"outcome {mapping.outcomes[horizon]!r} has {events} events and {non_events} "
                f"non-events where it is fitted; at least {MIN_EVENTS} of each are needed"
            )
    if problems:
        raise DataError(origin, problems)
    return Dataset(
        origin=origin,
        mapping=mapping,
        columns=columns,
        outcomes=outcomes,
        sex=sex,
        split=split,
        group=group,
    )
