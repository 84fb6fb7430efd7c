"""Boosted trees restricted to pairs of inputs, read back as tables of points.

Gradient-boosted trees in which every branch splits on at most two inputs (scikit-learn's
`HistGradientBoostingClassifier` with pairs as interaction constraints) add up to a sum of functions of
one input and of two inputs. The trees are grown on the inputs' option indices (the options of the
fitted items), so each of those functions is a table over options, and the tables are read back
exactly by evaluating the model where one or two inputs vary and every other input stays at a
reference row (functional ANOVA):

    F(x) = F(r) + Σᵢ [F(r; xᵢ) − F(r)] + Σᵢ<ⱼ [F(r; xᵢ, xⱼ) − F(r; xᵢ) − F(r; xⱼ) + F(r)]

So the model can be written as an instrument: its one-input tables join the items' weights and its
two-input tables become items on the derived sources "<column>&<column>". The reading is checked
against the model's own predictions on the training rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier

Float = npt.NDArray[np.float64]
Codes = npt.NDArray[np.intp]
READ_BACK_TOLERANCE = 1e-6
MAX_CATEGORIES = 255


class ReadBackError(ValueError):
    """The model is not a sum of one- and two-input functions (the tables do not reproduce it)."""


@dataclass(frozen=True)
class BoostingSettings:
    learning_rate: float
    iterations: int
    min_leaf_rows: int
    max_depth: int = 2
    l2: float = 1.0

    @property
    def label(self) -> str:
        return (
            f"pairwise trees: rate={self.learning_rate:g}, trees={self.iterations}, "
            f"depth={self.max_depth}, leaf={self.min_leaf_rows}"
        )


@dataclass(frozen=True)
class Inputs:
    """The inputs as the trees see them: per input its option index per row, its number of
    options, whether the options are ordered, which option (if any) means missing, and whether it
    may interact with other inputs (the others enter on their own only)."""

    codes: Sequence[Codes]
    sizes: Sequence[int]
    ordered: Sequence[bool]
    missing: Sequence[int | None]
    pairable: Sequence[bool]

    def pairs(self) -> list[tuple[int, int]]:
        chosen = [i for i, ok in enumerate(self.pairable) if ok]
        return list(itertools.combinations(chosen, 2))

    def constraints(self) -> list[set[int]]:
        """The sets of inputs a branch may split on: each allowed pair, each other input alone."""
        alone = [{i} for i, ok in enumerate(self.pairable) if not ok]
        pairs: list[set[int]] = [set(pair) for pair in self.pairs()]
        if not pairs:
            alone += [{i} for i, ok in enumerate(self.pairable) if ok]
        return pairs + alone

    def matrix(self, rows: npt.NDArray[np.intp] | slice = slice(None)) -> Float:
        return self.features([c[rows] for c in self.codes])

    def features(self, codes: Sequence[Codes]) -> Float:
        """Option indices as floats; the missing option as NaN (the trees' own missing branch)."""
        columns = []
        for code, missing in zip(codes, self.missing, strict=True):
            column = code.astype(np.float64)
            if missing is not None:
                column[code == missing] = np.nan
            columns.append(column)
        return np.column_stack(columns)


@dataclass(frozen=True)
class AdditiveTables:
    """F(x) = constant + Σ mains[i][xᵢ] + Σ pairs[(i, j)][xᵢ, xⱼ]."""

    constant: float
    mains: list[Float]
    pairs: dict[tuple[int, int], Float]

    def decision(self, codes: Sequence[Codes]) -> Float:
        total = np.full(len(codes[0]), self.constant)
        for main, code in zip(self.mains, codes, strict=True):
            total += main[code]
        for (i, j), table in self.pairs.items():
            total += table[codes[i], codes[j]]
        return total


def fit_pairwise_trees(
    inputs: Inputs,
    y: npt.NDArray[np.int8],
    settings: BoostingSettings,
    rows: npt.NDArray[np.intp] | slice = slice(None),
) -> HistGradientBoostingClassifier:
    # Unordered options are categories for the trees (at most 255 of them; beyond that, the
    # option order stands in).
    categorical = [
        not ordered and size <= MAX_CATEGORIES
        for ordered, size in zip(inputs.ordered, inputs.sizes, strict=True)
    ]
    model = HistGradientBoostingClassifier(
        learning_rate=settings.learning_rate,
        max_iter=settings.iterations,
        max_depth=settings.max_depth,
        min_samples_leaf=settings.min_leaf_rows,
        l2_regularization=settings.l2,
        interaction_cst=inputs.constraints(),
        categorical_features=categorical if any(categorical) else None,
        early_stopping=False,
        random_state=0,
    )
    model.fit(inputs.matrix(rows), y[rows])
    return model


def decision(model: HistGradientBoostingClassifier, features: Float) -> Float:
    return np.asarray(model.decision_function(features), dtype=np.float64)


def read_tables(model: HistGradientBoostingClassifier, inputs: Inputs) -> AdditiveTables:
    """The model's one- and two-input tables (see the module's docstring); two-input tables that
    are zero everywhere are left out. ReadBackError if they do not reproduce the model."""
    count = len(inputs.sizes)
    reference = np.array(
        [
            int(np.bincount(code, minlength=size).argmax())
            for code, size in zip(inputs.codes, inputs.sizes, strict=True)
        ],
        dtype=np.intp,
    )
    # One block of rows to evaluate: the reference row, each input varied alone, each pair varied.
    blocks: list[Codes] = [reference[None, :]]
    for i, size in enumerate(inputs.sizes):
        block = np.repeat(reference[None, :], size, axis=0)
        block[:, i] = np.arange(size)
        blocks.append(block)
    pairs = inputs.pairs()
    for i, j in pairs:
        first, second = np.meshgrid(
            np.arange(inputs.sizes[i]), np.arange(inputs.sizes[j]), indexing="ij"
        )
        block = np.repeat(reference[None, :], first.size, axis=0)
        block[:, i] = first.ravel()
        block[:, j] = second.ravel()
        blocks.append(block)
    grid = np.vstack(blocks)
    values = decision(model, inputs.features([grid[:, i] for i in range(count)]))
    constant = float(values[0])
    position = 1
    singles: list[Float] = []
    for size in inputs.sizes:
        singles.append(values[position : position + size])
        position += size
    mains = [single - constant for single in singles]
    tables: dict[tuple[int, int], Float] = {}
    for i, j in pairs:
        size = inputs.sizes[i] * inputs.sizes[j]
        both = values[position : position + size].reshape(inputs.sizes[i], inputs.sizes[j])
        position += size
        table = both - singles[i][:, None] - singles[j][None, :] + constant
        if np.abs(table).max() > 1e-9:
            tables[(i, j)] = table
    result = AdditiveTables(constant, mains, tables)
    expected = decision(model, inputs.matrix())
    error = float(np.abs(result.decision(list(inputs.codes)) - expected).max())
    if error > READ_BACK_TOLERANCE:
        raise ReadBackError(f"the tables miss the model by up to {error:.2g} on the training rows")
    return result
