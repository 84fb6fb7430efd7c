"""Fitting instruments on outcomes: an unrestricted logistic model and an integer-point instrument.

Both come out as instruments in the format of `instruments/*.toml`, so that the same validation,
scoring and report serve either:

- the **unrestricted** model: every input by level (missing values a level of their own, rare
  levels merged) plus a trend over ordered levels, and, when cross-validation keeps them, women's
  trend terms (a shared model whose terms may differ for women); L2-penalised logistic regression
  with the penalty and the encoding chosen by 5-fold cross-validation on the training rows (mean of
  the men's and women's Brier), then recalibrated (intercept and slope) on the cross-validated
  linear predictor; written with real-valued weights (`points_kind = "weights"`), the women's terms
  as items on the derived source "<column>|women" (zero for everyone who is not a woman). When
  cross-validation prefers it, the logistic regression is blended with boosted trees whose branches
  split on at most two inputs (boosting.py), read back as tables: their one-input tables join the
  items' weights and their two-input tables become items on the derived source "<column>&<column>"
  (the interaction of two inputs), so the model stays a sum of points that validation can score.
- the **integer-point** instrument: at most `max_items` inputs chosen by forward stepwise selection
  (Rao score test, AIC: each step adds the input that most improves the likelihood for its degrees
  of freedom), refitted (levels plus trend, penalty chosen by 5-fold CV), coefficients scaled to
  whole points (the smallest scale whose rounding costs under 0.0002 Brier on the training rows),
  and points → probability recalibrated by a logistic fit of the outcome on the total.

Only training rows are used here; the test rows are for `validate`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from ..engine.batch import MISSING, encode_column, sources, total_points
from ..engine.schema import Band, Calibration, Instrument, Item, Option, Texts
from .boosting import (
    AdditiveTables,
    BoostingSettings,
    Inputs,
    ReadBackError,
    decision,
    fit_pairwise_trees,
    read_tables,
)
from .data import NOT_WOMEN, PAIR_SEPARATOR, PAIR_VALUE_SEPARATOR, WOMEN_SUFFIX, Dataset
from .mapping import ColumnMapping, InputColumn

MIN_LEVEL_ROWS = 30
NUMERIC_BINS = 5
# The integer instrument's refit: (λ, with trends); the first is plain one-hot logistic regression.
POINTS_PENALTIES = ((1.0, False), (100.0, True), (300.0, True))
POINT_SCALES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20)
ROUNDING_TOLERANCE = 0.0002
BAND_CODES = ("low", "medium", "high", "very_high", "highest")
BAND_NAMES = {
    "low": Texts("Төмен", "Низкий", "Low"),
    "medium": Texts("Орташа", "Средний", "Medium"),
    "high": Texts("Жоғары", "Высокий", "High"),
    "very_high": Texts("Өте жоғары", "Очень высокий", "Very high"),
    "highest": Texts("Ең жоғары", "Наивысший", "Highest"),
}
Float = npt.NDArray[np.float64]


class FitError(ValueError):
    """The data cannot support the fit asked for; the message says why."""


@dataclass(frozen=True)
class FitResult:
    unrestricted: Instrument
    points: Instrument
    details: dict[str, Any] = field(default_factory=dict)


# --- candidate items: one per input, options = levels seen in training ---------------------------


def _missing_texts() -> Texts:
    return Texts("Көрсетілмеген", "Не указано", "Not recorded")


def _other_texts() -> Texts:
    return Texts("Басқа мәндер", "Прочие значения", "Other values")


def _value_texts(spec: InputColumn, values: Sequence[str]) -> Texts:
    if len(values) == 1 and values[0] in spec.value_labels:
        return spec.value_labels[values[0]]
    if all(v in spec.value_labels for v in values):
        labels = [spec.value_labels[v] for v in values]
        return Texts(*("; ".join(getattr(t, lang) for t in labels) for lang in ("kk", "ru", "en")))
    joined = ", ".join(values)
    return Texts(joined, joined, joined)


def _range_texts(low: float | None, high: float | None) -> Texts:
    def f(x: float) -> str:
        return f"{x:g}"

    if low is None and high is not None:
        return Texts(f"{f(high)}-ден кем", f"менее {f(high)}", f"under {f(high)}")
    if high is None and low is not None:
        return Texts(f"{f(low)} және одан көп", f"{f(low)} и более", f"{f(low)} or more")
    assert low is not None
    assert high is not None
    return Texts(f"{f(low)}–{f(high)}", f"{f(low)}–{f(high)}", f"{f(low)} to under {f(high)}")


def _ordinal_groups(levels: list[tuple[float, str, int]]) -> list[list[tuple[float, str, int]]]:
    """Adjacent levels merged until each group has MIN_LEVEL_ROWS rows."""
    groups: list[list[tuple[float, str, int]]] = []
    current: list[tuple[float, str, int]] = []
    for level in levels:
        current.append(level)
        if sum(c for _, _, c in current) >= MIN_LEVEL_ROWS:
            groups.append(current)
            current = []
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def _code(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in text).strip("_")
    return cleaned if cleaned and cleaned[0].isalnum() else f"v{cleaned}"


def _unused_code(code: str, options: Sequence[Option]) -> str:
    """`code`, or `code_2`, `code_3`… when an answer in the data is already coded so (an input
    whose raw values include "other" or "missing")."""
    taken = {option.code for option in options}
    candidate, n = code, 1
    while candidate in taken:
        n += 1
        candidate = f"{code}_{n}"
    return candidate


def candidate_item(spec: InputColumn, values: npt.NDArray[np.str_]) -> Item:
    """An item for one input, with zero points, whose options cover the training values."""
    present = values[values != MISSING]
    uniques, counts = np.unique(present, return_counts=True)
    options: list[Option] = []
    numeric_levels: list[tuple[float, str, int]] | None = None
    if spec.type in {"ordinal", "numeric"}:
        try:
            numeric_levels = sorted(
                (float(u), str(u), int(c)) for u, c in zip(uniques, counts, strict=True)
            )
        except ValueError:
            numeric_levels = None
    if spec.type == "numeric" and numeric_levels is not None and len(numeric_levels) > 12:
        numbers = present.astype(np.float64)
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, NUMERIC_BINS + 1))[1:-1])
        bounds = [None, *(float(e) for e in edges), None]
        for low, high in itertools.pairwise(bounds):
            code = _code(
                f"{'min' if low is None else f'{low:g}'}_{'max' if high is None else f'{high:g}'}"
            )
            options.append(
                Option(code=code, points=0, text=_range_texts(low, high), minimum=low, maximum=high)
            )
    elif numeric_levels is not None:
        groups = _ordinal_groups(numeric_levels)
        for index, group in enumerate(groups):
            low = None if index == 0 else (groups[index - 1][-1][0] + group[0][0]) / 2
            high = (
                None if index == len(groups) - 1 else (group[-1][0] + groups[index + 1][0][0]) / 2
            )
            raw = [r for _, r, _ in group]
            if len(raw) == 1 and index not in (0, len(groups) - 1):
                code, text = raw[0], _value_texts(spec, raw)
            elif index == len(groups) - 1 and len(groups) > 1:
                code = f"{raw[0]}_plus" if len(raw) > 1 else raw[0]
                text = _range_texts(group[0][0], None) if len(raw) > 1 else _value_texts(spec, raw)
            else:
                code = raw[0] if len(raw) == 1 else f"{raw[0]}_{raw[-1]}"
                text = _value_texts(spec, raw)
            options.append(Option(code=_code(code), points=0, text=text, minimum=low, maximum=high))
    else:
        common = [str(u) for u, c in zip(uniques, counts, strict=True) if c >= MIN_LEVEL_ROWS]
        rare = [str(u) for u, c in zip(uniques, counts, strict=True) if c < MIN_LEVEL_ROWS]
        for value in common:
            options.append(
                Option(
                    code=_code(value), points=0, text=_value_texts(spec, [value]), values=(value,)
                )
            )
        if rare:
            options.append(
                Option(
                    code=_unused_code("other", options),
                    points=0,
                    text=_other_texts(),
                    values=tuple(rare),
                    other=True,
                )
            )
    if (values == MISSING).any():
        options.append(
            Option(
                code=_unused_code("missing", options), points=0, text=_missing_texts(), missing=True
            )
        )
    if len(options) < 2:
        options.append(
            Option(code=_unused_code("other", options), points=0, text=_other_texts(), other=True)
        )
    return Item(
        code=_code(spec.column.lower()),
        layer=spec.layer,
        source=spec.column,
        text=spec.texts(),
        options=tuple(options),
        need_area=spec.need_area,
    )


def _one_hot(codes: npt.NDArray[np.intp], width: int) -> Float:
    block = np.zeros((len(codes), width), dtype=np.float64)
    block[np.arange(len(codes)), codes] = 1.0
    return block


# --- small fitting helpers ---------------------------------------------------------------------


@dataclass
class LogisticFit:
    intercept: float
    coef: Float

    def decision_function(self, design: Float) -> Float:
        return np.asarray(design @ self.coef + self.intercept, dtype=np.float64)


def fit_logistic(
    design: Float,
    y: npt.NDArray[np.int8],
    C: float,
    *,
    start: LogisticFit | None = None,
    max_iter: int = 50,
    penalty_factors: Float | None = None,
) -> LogisticFit:
    """L2-penalised logistic regression by Newton's method (sklearn's objective: the log-loss
    summed over rows plus ||coef||² / 2C, intercept unpenalised; `penalty_factors` scale the
    penalty column by column). Designs have a few dozen columns, so the Hessian is dense; a
    handful of iterations converge."""
    rows, width = design.shape
    matrix = np.hstack([np.ones((rows, 1)), np.asarray(design, dtype=np.float64)])
    target = y.astype(np.float64)
    penalty = np.full(width + 1, 1.0 / C)
    if penalty_factors is not None:
        penalty[1:] *= penalty_factors
    penalty[0] = 0.0
    beta = np.zeros(width + 1)
    if start is not None:
        beta[0], beta[1:] = start.intercept, start.coef
    else:
        rate = min(max(float(target.mean()), 1e-6), 1 - 1e-6)
        beta[0] = math.log(rate / (1 - rate))

    def objective(b: Float) -> float:
        z = matrix @ b
        return float(np.sum(np.logaddexp(0.0, z) - target * z) + 0.5 * np.sum(penalty * b * b))

    value = objective(beta)
    for _ in range(max_iter):
        p = _sigmoid(matrix @ beta)
        gradient = matrix.T @ (p - target) + penalty * beta
        hessian = (matrix * (p * (1 - p))[:, None]).T @ matrix + np.diag(penalty)
        hessian[np.diag_indices_from(hessian)] += 1e-10
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while True:
            candidate = beta - scale * step
            new_value = objective(candidate)
            if new_value <= value + 1e-12 or scale < 1e-6:
                break
            scale /= 2
        beta = candidate
        converged = value - new_value < 1e-10 * max(1.0, abs(value))
        value = new_value
        if converged:
            break
    return LogisticFit(float(beta[0]), beta[1:].copy())


def _sigmoid(z: Float) -> Float:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def _recalibrate(z: Float, y: npt.NDArray[np.int8]) -> tuple[float, float]:
    """Intercept and slope of the logistic regression of y on z (nearly unpenalised)."""
    model = fit_logistic(z[:, None], y, 1e8)
    return model.intercept, float(model.coef[0])


def _brier(p: Float, y: npt.NDArray[np.int8]) -> float:
    return float(np.mean((p - y) ** 2))


def _log_loss(p: Float, y: npt.NDArray[np.int8]) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _cv_folds(y: npt.NDArray[np.int8], sex: npt.NDArray[np.str_]) -> list[tuple[Any, Any]]:
    strata = y.astype(np.int64) * 2 + (sex == "female")
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=20260101)
    return list(splitter.split(np.zeros(len(y)), strata))


# --- the unrestricted model --------------------------------------------------------------------
#
# Each input enters as one column per option (its level effects) and, when its options are ordered
# numbers, as a trend column too: the option's mean raw value, standardised. The level columns are
# penalised more than the trend (ratio TREND_RATIOS), so sparse levels are pulled towards a smooth
# trend rather than towards zero. With SEX_RATIOS not None, every numeric input also gets a women's
# trend column (its trend times "is a woman"): a shared model whose strongest terms may differ for
# women, who are a small group. The penalty, the ratios and whether to have the women's terms at
# all are chosen together by 5-fold cross-validation on the training rows (the mean of the men's
# and the women's Brier, as the NIJ challenge scored them).
#
# Then, with that encoding fixed, the model may be blended with boosted trees whose every branch
# splits on at most two inputs (see boosting.py): their one-input tables add to the items' weights
# and their two-input tables become items on the derived sources "<column>&<column>", so the blend
# is still a sum of points. The trees' settings and the blend's weight are chosen by the same
# cross-validation (weight 0: no trees).

PENALTY_GRID = (100.0, 300.0)  # λ = 1 / C on the level columns
TREND_RATIOS = (0.1,)  # the trend columns' penalty, as a share of λ
SEX_RATIOS: tuple[float | None, ...] = (None, 0.3, 0.1)  # the women's trend columns' (None: none)
BOOSTING_GRID = (BoostingSettings(learning_rate=0.05, iterations=400, min_leaf_rows=100),)
BLEND_WEIGHTS = (0.3, 0.5, 0.7)  # the trees' share of the blended linear predictor
MAX_PAIR_VALUES = 24  # inputs with more raw values (say, measurements) enter the trees alone


@dataclass(frozen=True)
class Encoding:
    """Which columns the design has: per item, its levels, its trend, its women's trend."""

    trend_ratio: float
    women_ratio: float | None
    penalty: float

    @property
    def label(self) -> str:
        women = "none" if self.women_ratio is None else f"{self.women_ratio:g}"
        return f"lambda={self.penalty:g}, trend={self.trend_ratio:g}, women={women}"


def option_values(
    spec: InputColumn, item: Item, block: Float, values: npt.NDArray[np.str_]
) -> Float | None:
    """Each option's mean raw value on the training rows, standardised over rows (missing and
    other options at the mean); None when the input's values are not numbers."""
    if spec.type not in {"ordinal", "numeric", "binary"}:
        return None
    present = values != MISSING
    try:
        numbers = np.where(present, values, "0").astype(np.float64)
    except ValueError:
        return None
    if not present.any():
        return None
    counts = block[present].sum(axis=0)
    sums = block[present].T @ numbers[present]
    mean = float(numbers[present].mean())
    per_option = np.where(counts > 0, sums / np.maximum(counts, 1), mean)
    column = block @ per_option
    spread = float(column.std())
    if spread == 0:
        return None
    return np.asarray((per_option - float(column.mean())) / spread, dtype=np.float64)


@dataclass
class _Design:
    matrix: Float
    kinds: list[str]  # per column: "level", "trend" or "women"
    owners: list[tuple[int, Float]]  # per column: item index and its value per option

    def factors(self, encoding: Encoding) -> Float:
        ratio = {"level": 1.0, "trend": encoding.trend_ratio, "women": encoding.women_ratio or 1.0}
        return np.array([ratio[k] for k in self.kinds], dtype=np.float64)


def _design(
    items: list[Item],
    blocks: list[Float],
    trends: list[Float | None],
    women: npt.NDArray[np.bool_] | None,
    *,
    trend_from: int = 3,
) -> _Design:
    columns: list[Float] = []
    kinds: list[str] = []
    owners: list[tuple[int, Float]] = []
    for j, (block, trend) in enumerate(zip(blocks, trends, strict=True)):
        for k in range(block.shape[1]):
            columns.append(block[:, k])
            kinds.append("level")
            owners.append((j, np.eye(block.shape[1])[k]))
        if trend is None:
            continue
        column = block @ trend
        if len(items[j].options) >= trend_from:
            columns.append(column)
            kinds.append("trend")
            owners.append((j, trend))
        if women is not None:
            for_women = np.where(women, column, 0.0)
            if for_women[women].std() > 0:
                columns.append(for_women)
                kinds.append("women")
                owners.append((j, trend))
    matrix = np.column_stack(columns) if columns else np.zeros((len(blocks[0]), 0))
    return _Design(matrix, kinds, owners)


def _select(design: _Design, women: bool) -> npt.NDArray[np.bool_]:
    return np.array([women or k != "women" for k in design.kinds])


@dataclass
class UnrestrictedFit:
    """The chosen model: the logistic regression on the design's columns, blended (when chosen)
    with pairwise boosted trees read back as tables; and the recalibration of the blend."""

    model: LogisticFit
    encoding: Encoding
    intercept: float  # the recalibration of the cross-validated linear predictor
    slope: float
    details: dict[str, Any]
    trees: AdditiveTables | None = None
    trees_weight: float = 0.0


def _fit_unrestricted(
    design: _Design,
    y: npt.NDArray[np.int8],
    sex: npt.NDArray[np.str_],
    inputs: Inputs | None = None,
) -> UnrestrictedFit:
    """The encoding chosen by cross-validation (first the logistic regression's columns, then the
    blend with pairwise trees when `inputs` are given), the model refitted on all training rows
    with it, and the recalibration (intercept, slope) of its cross-validated linear predictor."""
    folds = _cv_folds(y, sex)
    has_women = "women" in design.kinds
    encodings = [
        Encoding(trend, women, penalty)
        for women in SEX_RATIOS
        if women is None or has_women
        for trend in TREND_RATIOS
        for penalty in PENALTY_GRID
    ]
    cv_scores: dict[str, dict[str, float]] = {}
    male = sex == "male"

    def record(label: str, z: Float) -> float:
        p = _sigmoid(z)
        by_sex = [_brier(p[mask], y[mask]) for mask in (male, ~male) if mask.any()]
        score = float(np.mean(by_sex))
        cv_scores[label] = {
            "brier_mean_of_sexes": round(score, 6),
            "brier_men": round(by_sex[0], 6),
            "brier_women": round(by_sex[-1], 6),
            "log_loss": round(_log_loss(p, y), 6),
        }
        return score

    best: tuple[float, Encoding, Float] | None = None
    starts: dict[tuple[int, bool], LogisticFit] = {}
    for encoding in encodings:
        use = _select(design, encoding.women_ratio is not None)
        matrix = design.matrix[:, use]
        factors = design.factors(encoding)[use]
        z = np.zeros(len(y))
        for fold, (train, held) in enumerate(folds):
            key = (fold, encoding.women_ratio is not None)
            model = fit_logistic(
                matrix[train],
                y[train],
                1.0 / encoding.penalty,
                start=starts.get(key),
                penalty_factors=factors,
            )
            starts[key] = model
            z[held] = model.decision_function(matrix[held])
        score = record(encoding.label, z)
        if best is None or score < best[0] - 1e-9:
            best = (score, encoding, z)
    assert best is not None
    score, encoding, z_logistic = best
    label, z_oof = encoding.label, z_logistic

    # The blend with pairwise trees, the logistic regression's encoding fixed.
    chosen: tuple[BoostingSettings, float] | None = None
    if inputs is not None:
        for settings in BOOSTING_GRID:
            z_trees = np.zeros(len(y))
            for train, held in folds:
                trees = fit_pairwise_trees(inputs, y, settings, train)
                z_trees[held] = decision(trees, inputs.matrix(held))
            for weight in BLEND_WEIGHTS:
                blend_label = f"{encoding.label}; {settings.label}, weight={weight:g}"
                z = (1 - weight) * z_logistic + weight * z_trees
                blend_score = record(blend_label, z)
                if blend_score < score - 1e-9:
                    score, label, z_oof, chosen = blend_score, blend_label, z, (settings, weight)

    a, b = _recalibrate(z_oof, y)
    use = _select(design, encoding.women_ratio is not None)
    model = fit_logistic(
        design.matrix[:, use],
        y,
        1.0 / encoding.penalty,
        penalty_factors=design.factors(encoding)[use],
    )
    full = np.zeros(design.matrix.shape[1])
    full[use] = model.coef
    tables: AdditiveTables | None = None
    weight = 0.0
    note = ""
    if chosen is not None and inputs is not None:
        settings, weight = chosen
        try:
            tables = read_tables(fit_pairwise_trees(inputs, y, settings), inputs)
        except ReadBackError as exc:
            # Not expected with pairwise trees; the logistic regression alone is then used,
            # recalibrated on its own cross-validated predictions.
            note = f"trees left out: {exc}"
            tables, weight, label = None, 0.0, encoding.label
            a, b = _recalibrate(z_logistic, y)
    details = {
        "encoding": label,
        "penalty": encoding.penalty,
        "trend_ratio": encoding.trend_ratio,
        "women_ratio": encoding.women_ratio,
        "trees": chosen[0].label if tables is not None and chosen is not None else None,
        "trees_weight": weight,
        "recalibration": {"intercept": round(a, 4), "slope": round(b, 4)},
        "cv": cv_scores,
    }
    if note:
        details["note"] = note
    return UnrestrictedFit(
        model=LogisticFit(model.intercept, full),
        encoding=encoding,
        intercept=a,
        slope=b,
        details=details,
        trees=tables,
        trees_weight=weight,
    )


def _weights(
    design: _Design,
    coef: Float,
    blocks: list[Float],
    kind: str,
    use: npt.NDArray[np.bool_] | None = None,
) -> list[Float]:
    """Per item, the weight of each option from the columns of one kind ("women": the women's
    adjustment; otherwise levels and trend together)."""
    weights = [np.zeros(block.shape[1]) for block in blocks]
    for index, ((j, vector), column_kind) in enumerate(
        zip(design.owners, design.kinds, strict=True)
    ):
        if use is not None and not use[index]:
            continue
        if (column_kind == "women") == (kind == "women"):
            weights[j] += coef[index] * vector
    return weights


# --- the integer-point instrument ----------------------------------------------------------------


def _reference_dropped(block: Float) -> Float:
    keep = np.ones(block.shape[1], dtype=bool)
    keep[int(np.argmax(block.sum(axis=0)))] = False
    return block[:, keep]


def stepwise_select(blocks: list[Float], y: npt.NDArray[np.int8], max_items: int) -> list[int]:
    """Forward selection by the Rao score test with an AIC penalty; indices into `blocks`."""
    reduced = [_reference_dropped(b) for b in blocks]
    rows = len(y)
    selected: list[int] = []
    current = np.ones((rows, 1))
    p = np.full(rows, float(y.mean()))
    while len(selected) < max_items:
        w = p * (1 - p)
        residual = y - p
        weighted = current * w[:, None]
        information_inverse = np.linalg.pinv(current.T @ weighted)
        best: tuple[float, int] | None = None
        for index, block in enumerate(reduced):
            if index in selected or block.shape[1] == 0:
                continue
            gradient = block.T @ residual
            cross = block.T @ weighted
            information = block.T @ (block * w[:, None]) - cross @ information_inverse @ cross.T
            statistic = float(gradient @ np.linalg.pinv(information) @ gradient)
            criterion = statistic - 2 * block.shape[1]
            if best is None or criterion > best[0]:
                best = (criterion, index)
        if best is None or best[0] <= 0:
            break
        selected.append(best[1])
        current = np.hstack([np.ones((rows, 1)), *(reduced[j] for j in selected)])
        p = _sigmoid(fit_logistic(current[:, 1:], y, 1.0).decision_function(current[:, 1:]))
    return selected


def _refit_selected(
    items: list[Item],
    blocks: list[Float],
    trends: list[Float | None],
    selected: list[int],
    y: npt.NDArray[np.int8],
    sex: npt.NDArray[np.str_],
    trend_ratio: float,
) -> tuple[list[Float], Float, dict[str, Any]]:
    """The selected items refitted with levels and trends; the penalty chosen by 5-fold CV among
    POINTS_PENALTIES (the first, λ = 1 without trends, is plain one-hot logistic regression)."""
    chosen_items = [items[j] for j in selected]
    chosen_blocks = [blocks[j] for j in selected]
    design = _design(chosen_items, chosen_blocks, [trends[j] for j in selected], None)
    folds = _cv_folds(y, sex)
    male = sex == "male"
    best: tuple[float, float, bool] | None = None
    scores: dict[str, float] = {}
    for penalty, with_trend in POINTS_PENALTIES:
        use = np.array([with_trend or k != "trend" for k in design.kinds])
        factors = design.factors(Encoding(trend_ratio, None, penalty))[use]
        z = np.zeros(len(y))
        for train, held in folds:
            model = fit_logistic(
                design.matrix[train][:, use], y[train], 1.0 / penalty, penalty_factors=factors
            )
            z[held] = model.decision_function(design.matrix[held][:, use])
        p = _sigmoid(z)
        score = float(np.mean([_brier(p[m], y[m]) for m in (male, ~male) if m.any()]))
        scores[f"lambda={penalty:g}{', trend' if with_trend else ''}"] = round(score, 6)
        if best is None or score < best[0] - 1e-9:
            best = (score, penalty, with_trend)
    assert best is not None
    _, penalty, with_trend = best
    use = np.array([with_trend or k != "trend" for k in design.kinds])
    factors = design.factors(Encoding(trend_ratio, None, penalty))[use]
    model = fit_logistic(design.matrix[:, use], y, 1.0 / penalty, penalty_factors=factors)
    full = np.zeros(design.matrix.shape[1])
    full[use] = model.coef
    weights = _weights(design, full, chosen_blocks, "levels")
    z_all = model.decision_function(design.matrix[:, use])
    label = f"lambda={penalty:g}{', trend' if with_trend else ''}"
    return weights, z_all, {"refit": label, "refit_cv": scores}


def _fit_points(
    items: list[Item],
    blocks: list[Float],
    y: npt.NDArray[np.int8],
    max_items: int,
    *,
    trends: list[Float | None] | None = None,
    sex: npt.NDArray[np.str_] | None = None,
    trend_ratio: float = TREND_RATIOS[0],
) -> tuple[list[int], list[npt.NDArray[np.int64]], float, float, dict[str, Any]]:
    selected = stepwise_select(blocks, y, max_items)
    if not selected:
        raise FitError("no input improves on the base rate; nothing to build an instrument from")
    trends = trends if trends is not None else [None] * len(blocks)
    sex = sex if sex is not None else np.full(len(y), "male")
    weights, z_all, refit_details = _refit_selected(
        items, blocks, trends, selected, y, sex, trend_ratio
    )
    shifted = [w - _anchor(items[j], w) for j, w in zip(selected, weights, strict=True)]
    continuous = _sigmoid(z_all)
    reference = _brier(continuous, y)
    chosen: tuple[int, list[npt.NDArray[np.int64]], float, float, float] | None = None
    trials = {}
    for scale in POINT_SCALES:
        points = [np.rint(w * scale).astype(np.int64) for w in shifted]
        total = sum(
            (blocks[j] @ pts for j, pts in zip(selected, points, strict=True)), np.zeros(len(y))
        )
        if np.ptp(total) == 0:
            continue
        a, b = _recalibrate(total, y)
        brier = _brier(_sigmoid(a + b * total), y)
        trials[str(scale)] = round(brier, 6)
        chosen = (scale, points, a, b, brier)
        if brier <= reference + ROUNDING_TOLERANCE and b > 0:
            break
    if chosen is None or chosen[3] <= 0:
        raise FitError("the selected inputs do not order the risk; cannot make points")
    scale, points, a, b, brier = chosen
    keep = [k for k, pts in enumerate(points) if np.ptp(pts) > 0]
    return (
        [selected[k] for k in keep],
        [points[k] for k in keep],
        a,
        b,
        {
            "selected_order": [items[j].source for j in selected],
            **refit_details,
            "points_per_logit": scale,
            "train_brier_continuous": round(reference, 6),
            "train_brier_by_scale": trials,
        },
    )


# --- bands and instruments -----------------------------------------------------------------------


def _bands(
    a: float, b: float, low: float, high: float, probabilities: Sequence[float], integer: bool
) -> tuple[tuple[Band, ...], str]:
    codes = BAND_CODES[: len(probabilities) + 1]
    bounds = [0.0, *probabilities, 1.0]
    starts: list[float] = [low]
    for p in probabilities:
        start = (math.log(p / (1 - p)) - a) / b
        starts.append(float(math.ceil(start - 1e-9)) if integer else round(start, 4))
    bands: list[Band] = []
    decision = codes[-1]
    for index, code in enumerate(codes):
        start = starts[index]
        if bands and start <= bands[-1].min_points:
            continue
        name = BAND_NAMES[code]
        lo, hi = round(100 * bounds[index]), round(100 * bounds[index + 1])
        text = Texts(
            f"{name.kk} ({lo}–{hi} %)", f"{name.ru} ({lo}–{hi} %)", f"{name.en} ({lo}–{hi} %)"
        )
        bands.append(Band(code=code, min_points=start, text=text))
        if index > 0 and math.isclose(bounds[index], 0.5):
            decision = code
    if decision not in {band.code for band in bands}:
        decision = bands[-1].code
    return tuple(bands), decision


def _instrument(
    mapping: ColumnMapping,
    *,
    kind: str,
    items: list[Item],
    calibration: dict[str, Calibration],
    data: Dataset,
    provenance: dict[str, Any],
    today: date,
) -> Instrument:
    integer = kind == "integer"
    low = sum(min(o.points for o in item.options) for item in items)
    high = sum(max(o.points for o in item.options) for item in items)
    first = calibration[next(iter(calibration))]
    bands, decision = _bands(
        first.intercept, first.slope, low, high, mapping.band_probabilities, integer
    )
    suffix = "" if integer else "-unrestricted"
    name = mapping.instrument_name or Texts(*(mapping.instrument_code,) * 3)
    if not integer:
        name = Texts(
            f"{name.kk} (шектелмеген модель)",
            f"{name.ru} (модель без ограничений)",
            f"{name.en} (unrestricted model)",
        )
    return Instrument(
        code=f"{mapping.instrument_code}{suffix}",
        version=today.isoformat(),
        name=name,
        valid_from=today,
        valid_to=None,
        validated_on=f"fitted on {provenance['fitted_on']}; validate before use",
        points_kind=kind,
        decision_band=decision,
        items=tuple(items),
        bands=bands,
        calibration=calibration,
        provenance=provenance,
    )


def fit_instruments(data: Dataset, *, today: date | None = None) -> FitResult:
    """Fit the unrestricted model and the integer-point instrument on the training rows."""
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    mapping = data.mapping
    train = data.part("train")
    horizon = "year1" if "year1" in train.outcomes else next(iter(train.outcomes))
    y_all = train.outcomes[horizon]
    known = y_all >= 0
    train = train.subset(known)
    y = train.outcomes[horizon]
    items = [candidate_item(spec, train.columns[spec.column]) for spec in mapping.inputs]
    codes = [encode_column(item, train.columns[item.source]) for item in items]
    blocks = [_one_hot(c, len(item.options)) for item, c in zip(items, codes, strict=True)]
    provenance_base = {
        "fitted_on": f"{data.origin} ({'training split, ' if data.split is not None else ''}"
        f"{len(y)} rows, {int(y.sum())} events, outcome {mapping.outcomes[horizon]})",
        "mapping": mapping.origin,
        "horizon_fitted": horizon,
    }

    trends = [
        option_values(spec, item, block, train.columns[spec.column])
        for spec, item, block in zip(mapping.inputs, items, blocks, strict=True)
    ]
    women = train.sex == "female"
    enough_women = min(int(women.sum()), int((~women).sum())) >= mapping.min_rows
    women_trends = [
        None if spec.column == mapping.sex_column else trend
        for spec, trend in zip(mapping.inputs, trends, strict=True)
    ]
    # Women's trend columns for numeric inputs other than sex itself, when both sexes have rows.
    design = _design(items, blocks, women_trends, women if enough_women else None)
    # The trees see every input; those with few raw values, none containing the separator, may
    # interact (a derived "<column>&<column>" source lists the combinations of raw values).
    inputs = Inputs(
        codes=codes,
        sizes=[len(item.options) for item in items],
        ordered=[trend is not None for trend in trends],
        missing=[_missing_option(item) for item in items],
        pairable=[_pairable(train.columns[item.source]) for item in items],
    )
    with threadpool_limits(limits=1):
        fitted = _fit_unrestricted(design, y, train.sex, inputs)
    model, encoding, a, b = fitted.model, fitted.encoding, fitted.intercept, fitted.slope
    unrestricted_details = fitted.details
    share = fitted.trees_weight
    # The blend: (1 - share) × the logistic regression + share × the trees' tables.
    logistic_weights = [(1 - share) * w for w in _weights(design, model.coef, blocks, "levels")]
    intercept0 = (1 - share) * model.intercept
    if fitted.trees is not None:
        intercept0 += share * fitted.trees.constant
        for j, main in enumerate(fitted.trees.mains):
            logistic_weights[j] = logistic_weights[j] + share * main
    weighted_items = []
    for item, w in zip(items, logistic_weights, strict=True):
        floor = _anchor(item, w)
        intercept0 += floor
        weighted_items.append(_with_weights(item, w - floor))
    for item, w in zip(items, _weights(design, model.coef, blocks, "women"), strict=True):
        if not np.any(np.abs(w) > 1e-6):
            continue
        adjustment = women_item(item)
        full = np.append((1 - share) * w, 0.0)  # the last option: not a woman
        floor = _anchor(adjustment, full)
        intercept0 += floor
        weighted_items.append(_with_weights(adjustment, full - floor))
    pair_sources = []
    if fitted.trees is not None:
        for (j, k), table in fitted.trees.pairs.items():
            item, w = pair_item(
                items[j],
                items[k],
                _raw_values_by_option(items[j], train.columns[items[j].source]),
                _raw_values_by_option(items[k], train.columns[items[k].source]),
                share * table,
            )
            floor = _anchor(item, w)
            intercept0 += floor
            weighted_items.append(_with_weights(item, w - floor))
            pair_sources.append(item.source)
    unrestricted_details["pair_items"] = pair_sources
    unrestricted_calibration = {horizon: Calibration(a + b * intercept0, b)}

    with threadpool_limits(limits=1):
        selected, points, pa, pb, points_details = _fit_points(
            items,
            blocks,
            y,
            mapping.max_items,
            trends=trends,
            sex=train.sex,
            trend_ratio=encoding.trend_ratio,
        )
    point_items = [
        Item(
            code=items[j].code,
            layer=items[j].layer,
            source=items[j].source,
            text=items[j].text,
            need_area=items[j].need_area,
            options=tuple(
                _with_points(o, int(v)) for o, v in zip(items[j].options, pts, strict=True)
            ),
        )
        for j, pts in zip(selected, points, strict=True)
    ]
    point_calibration = {horizon: Calibration(pa, pb)}

    # Longer horizons: recalibrate the same totals on the rows where that outcome is known.
    for other, y_other_all in data.part("train").outcomes.items():
        if other == horizon:
            continue
        rows = y_other_all >= 0
        if rows.sum() < mapping.min_rows:
            continue
        other_data = data.part("train").subset(rows)
        for target, chosen_items in (
            (unrestricted_calibration, weighted_items),
            (point_calibration, point_items),
        ):
            total = np.zeros(int(rows.sum()))
            for item in chosen_items:
                pts = np.array([o.points for o in item.options])
                column = other_data.source_columns([item.source])[item.source]
                total += pts[encode_column(item, column)]
            oa, ob = _recalibrate(total, other_data.outcomes[other])
            if ob > 0:
                target[other] = Calibration(oa, ob)

    unrestricted = _instrument(
        mapping,
        kind="weights",
        items=weighted_items,
        calibration=unrestricted_calibration,
        data=train,
        today=today,
        provenance={
            **provenance_base,
            "method": "L2 logistic regression, every input by level plus a trend over ordered "
            "levels, with women's trend terms when cross-validation keeps them, blended with "
            "boosted trees on pairs of inputs when cross-validation prefers it; "
            f"{unrestricted_details['encoding']} chosen by 5-fold CV on the training rows; "
            "recalibrated on the CV predictions",
        },
    )
    # The written instrument must score the training rows as the fitted model does (up to the
    # weights' rounding to four decimals).
    z_model = (1 - share) * model.decision_function(design.matrix)
    if fitted.trees is not None:
        z_model += share * fitted.trees.decision(codes)
    z_model = a + b * z_model
    written = unrestricted_calibration[horizon]
    total = total_points(unrestricted, train.source_columns(sources(unrestricted)))
    unrestricted_details["written_max_logit_error"] = round(
        float(np.abs(written.intercept + written.slope * total - z_model).max()), 6
    )
    instrument = _instrument(
        mapping,
        kind="integer",
        items=point_items,
        calibration=point_calibration,
        data=train,
        today=today,
        provenance={
            **provenance_base,
            "method": f"forward stepwise (score test, AIC), at most {mapping.max_items} items; "
            f"refitted with {points_details['refit']} (chosen by 5-fold CV); "
            f"{points_details['points_per_logit']} points per logit unit; "
            "points recalibrated by logistic regression",
        },
    )
    return FitResult(
        unrestricted=unrestricted,
        points=instrument,
        details={
            "horizon": horizon,
            "training_rows": len(y),
            "training_events": int(y.sum()),
            "unrestricted": unrestricted_details,
            "points": points_details,
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


def women_item(item: Item) -> Item:
    """The women's adjustment of `item`: its options for women, and zero for everyone else."""
    return Item(
        code=f"{item.code}_women",
        layer=item.layer,
        source=f"{item.source}{WOMEN_SUFFIX}",
        text=Texts(
            f"{item.text.kk} (әйелдерге түзету)",
            f"{item.text.ru} (поправка для женщин)",
            f"{item.text.en} (adjustment for women)",
        ),
        options=(
            *item.options,
            Option(
                code="not_a_woman",
                points=0,
                text=Texts("Әйел емес", "Не женщина", "Not a woman"),
                values=(NOT_WOMEN,),
            ),
        ),
        need_area=item.need_area,
    )


def _anchor(item: Item, weights: Float) -> float:
    """What to subtract from an item's weights (the intercept takes it): the lowest, so that points
    start at zero; for a change item the highest, since change items only take points off."""
    return float(weights.max() if item.layer == "change" else weights.min())


def _pairable(values: npt.NDArray[np.str_]) -> bool:
    """Whether an input may enter interactions: few raw values, none containing the separator."""
    uniques = np.unique(values)
    return len(uniques) <= MAX_PAIR_VALUES and not bool(
        (np.char.find(uniques, PAIR_VALUE_SEPARATOR) >= 0).any()
    )


def _missing_option(item: Item) -> int | None:
    return next((k for k, option in enumerate(item.options) if option.missing), None)


def _raw_values_by_option(item: Item, values: npt.NDArray[np.str_]) -> list[list[str]]:
    """Per option of `item`, the raw values seen in `values` that select it."""
    uniques = np.unique(values)
    indices = encode_column(item, uniques)
    found: list[list[str]] = [[] for _ in item.options]
    for value, index in zip(uniques, indices, strict=True):
        found[int(index)].append(str(value))
    return found


def pair_item(
    first: Item,
    second: Item,
    first_values: list[list[str]],
    second_values: list[list[str]],
    table: Float,
) -> tuple[Item, Float]:
    """The interaction of two items as an item on their derived source "<first>&<second>": one
    option per combination of their options (raw values joined by "|"), weighted from `table`,
    and an "other" option (no adjustment) for combinations of values not seen in training."""
    options: list[Option] = []
    weights: list[float] = []
    for (a, first_option), (b, second_option) in itertools.product(
        enumerate(first.options), enumerate(second.options)
    ):
        values = tuple(
            f"{u}{PAIR_VALUE_SEPARATOR}{v}" for u in first_values[a] for v in second_values[b]
        )
        if not values:
            continue
        text = Texts(
            *(
                f"{getattr(first_option.text, lang)}; {getattr(second_option.text, lang)}"
                for lang in ("kk", "ru", "en")
            )
        )
        options.append(
            Option(
                code=f"{first_option.code}__{second_option.code}",
                points=0,
                text=text,
                values=values,
            )
        )
        weights.append(float(table[a, b]))
    if len({o.code for o in options}) < len(options):
        options = [_with_code(o, f"c{n}") for n, o in enumerate(options)]
    options.append(Option(code="other", points=0, text=_other_texts(), other=True))
    weights.append(0.0)
    # A dynamic input's need area first (dynamic items must name one).
    areas = [i.need_area for i in (first, second) if i.layer != "static"]
    need_area = next((a for a in [*areas, first.need_area, second.need_area] if a), None)
    item = Item(
        code=f"{first.code}_x_{second.code}",
        layer="static" if first.layer == second.layer == "static" else "dynamic",
        source=f"{first.source}{PAIR_SEPARATOR}{second.source}",
        text=Texts(
            *(
                f"{getattr(first.text, lang)} × {getattr(second.text, lang)}"
                for lang in ("kk", "ru", "en")
            )
        ),
        options=tuple(options),
        need_area=need_area,
    )
    return item, np.array(weights, dtype=np.float64)


def _with_code(option: Option, code: str) -> Option:
    return Option(
        code=code,
        points=option.points,
        text=option.text,
        values=option.values,
        minimum=option.minimum,
        maximum=option.maximum,
        missing=option.missing,
        other=option.other,
    )


def _with_weights(item: Item, weights: Float) -> Item:
    return Item(
        code=item.code,
        layer=item.layer,
        source=item.source,
        text=item.text,
        need_area=item.need_area,
        options=tuple(
            _with_points(o, round(float(v), 4)) for o, v in zip(item.options, weights, strict=True)
        ),
    )


def _with_points(option: Option, points: float) -> Option:
    return Option(
        code=option.code,
        points=points,
        text=option.text,
        values=option.values,
        minimum=option.minimum,
        maximum=option.maximum,
        missing=option.missing,
        other=option.other,
    )
