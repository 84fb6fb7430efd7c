"""Scoring many rows at once: raw data values → option indices → points (numpy).

Used by fitting and validation. A raw value selects an option by the option's listed `values`,
then by its numeric range [min, max), then by the option's code; the missing value ("") selects the
option marked `missing`; anything else selects the option marked `other`, or is an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .schema import Instrument, Item

MISSING = ""


class DataEncodingError(ValueError):
    """Rows whose values no option of the item takes; says which values and how many rows."""

    def __init__(self, item: str, source: str, missing: int, unknown: Mapping[str, int]) -> None:
        self.item = item
        self.source = source
        self.missing = missing
        self.unknown = dict(unknown)
        parts = []
        if missing:
            parts.append(f"{missing} rows have no value and the item has no 'missing' option")
        if unknown:
            shown = ", ".join(f"{v!r} ({n} rows)" for v, n in list(self.unknown.items())[:8])
            parts.append(f"values outside the item's options: {shown}")
        super().__init__(f"item {item} (column {source}): " + "; ".join(parts))


class MissingSourcesError(ValueError):
    """The data has no column for some items' sources."""

    def __init__(self, sources: list[str]) -> None:
        self.sources = sources
        super().__init__(
            f"the data has no column for the items' sources {sources}; "
            "map them as inputs in the column-mapping file"
        )


def _option_for(item: Item, value: str) -> int:
    if value == MISSING:
        for index, option in enumerate(item.options):
            if option.missing:
                return index
        return -1
    for index, option in enumerate(item.options):
        if value in option.values:
            return index
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        for index, option in enumerate(item.options):
            low, high = option.minimum, option.maximum
            if (low is not None or high is not None) and (
                (low is None or number >= low) and (high is None or number < high)
            ):
                return index
    for index, option in enumerate(item.options):
        if option.code == value:
            return index
    for index, option in enumerate(item.options):
        if option.other:
            return index
    return -1


def encode_column(item: Item, values: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    """Option index per row; DataEncodingError if any row's value fits no option."""
    uniques, inverse = np.unique(values, return_inverse=True)
    lookup = np.array([_option_for(item, str(u)) for u in uniques], dtype=np.intp)
    codes = lookup[inverse]
    if (lookup < 0).any():
        counts = np.bincount(inverse, minlength=len(uniques))
        missing = 0
        unknown: dict[str, int] = {}
        for position in np.flatnonzero(lookup < 0):
            value = str(uniques[position])
            if value == MISSING:
                missing = int(counts[position])
            else:
                unknown[value] = int(counts[position])
        raise DataEncodingError(item.code, item.source, missing, unknown)
    return codes


def item_points(item: Item) -> npt.NDArray[np.float64]:
    return np.array([o.points for o in item.options], dtype=np.float64)


def total_points(
    instrument: Instrument, columns: Mapping[str, npt.NDArray[np.str_]]
) -> npt.NDArray[np.float64]:
    """Total points per row, the raw values taken from `columns` by each item's source."""
    rows = len(next(iter(columns.values()))) if columns else 0
    total = np.zeros(rows, dtype=np.float64)
    missing = [item.source for item in instrument.items if item.source not in columns]
    if missing:
        raise MissingSourcesError(missing)
    for item in instrument.items:
        total += item_points(item)[encode_column(item, columns[item.source])]
    return total


def probabilities(
    instrument: Instrument, total: npt.NDArray[np.float64], horizon: str
) -> npt.NDArray[np.float64]:
    calibration = instrument.calibration[horizon]
    z = calibration.intercept + calibration.slope * total
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def band_index(instrument: Instrument, total: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    starts = np.array([b.min_points for b in instrument.bands], dtype=np.float64)
    return np.maximum(np.searchsorted(starts, total, side="right") - 1, 0).astype(np.intp)


def sources(instrument: Instrument) -> Sequence[str]:
    return [item.source for item in instrument.items]


def sourced_by_item_code(instrument: Instrument) -> Instrument:
    """The instrument reading each item's answer from a column named by the item's code (as
    stored answers are keyed), instead of from the item's source column."""
    items = tuple(dataclasses.replace(item, source=item.code) for item in instrument.items)
    return dataclasses.replace(instrument, items=items)
