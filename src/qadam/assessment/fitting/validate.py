"""Validating an instrument on outcome data: discrimination, calibration and fairness.

All figures are computed overall and by sex; fairness by the mapping's group column (which is
never an input). Definitions:

- AUC: area under the ROC curve of the year's probability.
- Brier: mean squared difference between probability and outcome.
- Calibration intercept ("in the large"): α in logit P(y) = α + logit p, the slope fixed at 1;
  0 when the average prediction is right. Calibration slope: β in logit P(y) = a + β·logit p;
  1 when predictions are neither too extreme (β < 1) nor too timid (β > 1).
- Expected calibration error (ECE): over ten equal-count bins of p, the row-weighted mean of
  |observed rate − mean predicted|.
- False positive rate at a threshold: among people who were not re-arrested, the share flagged;
  false negative rate: among people who were, the share not flagged. Flagged = in the instrument's
  decision band or above ("band threshold"), or p ≥ 0.5 (the NIJ challenge's threshold).
- NIJ fairness–accuracy score: (1 − Brier) × (1 − |FPR(group A) − FPR(group B)|) at p ≥ 0.5,
  computed per sex as the challenge did (with more than two groups, the largest FPR difference).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from sklearn.metrics import roc_auc_score

from ..engine.batch import band_index, probabilities, sources, total_points
from ..engine.schema import Instrument
from .data import Dataset

NIJ_THRESHOLD = 0.5
CALIBRATION_BINS = 10
Float = npt.NDArray[np.float64]
Outcome = npt.NDArray[np.int8]


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _logit(p: Float) -> Float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(p / (1 - p)), dtype=np.float64)


def calibration_intercept_slope(p: Float, y: Outcome) -> tuple[float | None, float | None]:
    if len(y) < 2 or y.min() == y.max():
        return None, None
    z = _logit(p)
    # Every prediction the same (a tiny group, a one-option instrument): no slope to estimate.
    constant = bool(np.ptp(z) == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            large = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=z).fit()
            slope = (
                None
                if constant
                else sm.GLM(y, sm.add_constant(z), family=sm.families.Binomial()).fit()
            )
        except (ValueError, np.linalg.LinAlgError):
            return None, None
    return float(large.params[0]), None if slope is None else float(slope.params[1])


def calibration_table(p: Float, y: Outcome, bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """Equal-count bins of p: rows, mean predicted, observed rate."""
    if len(p) == 0:
        return []
    order = np.argsort(p, kind="stable")
    table = []
    for index, part in enumerate(np.array_split(order, min(bins, len(p)))):
        if len(part) == 0:
            continue
        table.append(
            {
                "bin": index + 1,
                "rows": len(part),
                "mean_predicted": _round(float(p[part].mean())),
                "observed": _round(float(y[part].mean())),
                "p_from": _round(float(p[part].min())),
                "p_to": _round(float(p[part].max())),
            }
        )
    return table


def expected_calibration_error(table: list[dict[str, Any]]) -> float | None:
    rows = sum(row["rows"] for row in table)
    if not rows:
        return None
    weighted: float = sum(
        row["rows"] * abs(row["observed"] - row["mean_predicted"]) for row in table
    )
    return weighted / float(rows)


def _rates(flagged: npt.NDArray[np.bool_], y: Outcome) -> tuple[float | None, float | None]:
    negatives = y == 0
    positives = y == 1
    fpr = float(flagged[negatives].mean()) if negatives.any() else None
    fnr = float((~flagged[positives]).mean()) if positives.any() else None
    return fpr, fnr


def metrics(p: Float, y: Outcome) -> dict[str, Any]:
    rows = len(y)
    if rows == 0:
        return {"rows": 0}
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < rows else None
    base = float(y.mean())
    intercept, slope = calibration_intercept_slope(p, y)
    table = calibration_table(p, y)
    return {
        "rows": rows,
        "events": int(y.sum()),
        "base_rate": _round(base),
        "mean_predicted": _round(float(p.mean())),
        "auc": _round(auc),
        "brier": _round(float(np.mean((p - y) ** 2)), 5),
        "brier_base_rate": _round(base * (1 - base), 5),
        "calibration_intercept": _round(intercept),
        "calibration_slope": _round(slope),
        "expected_calibration_error": _round(expected_calibration_error(table)),
        "calibration_table": table,
    }


def _gap(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) - min(present) if len(present) >= 2 else None


def fairness(
    p: Float,
    y: Outcome,
    band_flagged: npt.NDArray[np.bool_],
    group: npt.NDArray[np.str_],
    labels: dict[str, str],
) -> dict[str, Any]:
    groups: list[dict[str, Any]] = []
    nij_flagged = p >= NIJ_THRESHOLD
    for value in sorted(set(group.tolist()) - {""}):
        mask = group == value
        yy, pp = y[mask], p[mask]
        fpr_band, fnr_band = _rates(band_flagged[mask], yy)
        fpr_nij, fnr_nij = _rates(nij_flagged[mask], yy)
        intercept, slope = calibration_intercept_slope(pp, yy)
        table = calibration_table(pp, yy)
        groups.append(
            {
                "group": value,
                "label": labels.get(value, value),
                "rows": int(mask.sum()),
                "base_rate": _round(float(yy.mean())),
                "mean_predicted": _round(float(pp.mean())),
                "brier": _round(float(np.mean((pp - yy) ** 2)), 5),
                "fpr_band": _round(fpr_band),
                "fnr_band": _round(fnr_band),
                "fpr_at_0_5": _round(fpr_nij),
                "fnr_at_0_5": _round(fnr_nij),
                "calibration_intercept": _round(intercept),
                "calibration_slope": _round(slope),
                "expected_calibration_error": _round(expected_calibration_error(table)),
                "calibration_table": table,
            }
        )
    brier = float(np.mean((p - y) ** 2)) if len(y) else float("nan")
    fpr_gap_nij = _gap([g["fpr_at_0_5"] for g in groups])
    return {
        "groups": groups,
        "fpr_gap_band": _round(_gap([g["fpr_band"] for g in groups])),
        "fnr_gap_band": _round(_gap([g["fnr_band"] for g in groups])),
        "fpr_gap_at_0_5": _round(fpr_gap_nij),
        "fnr_gap_at_0_5": _round(_gap([g["fnr_at_0_5"] for g in groups])),
        "nij_fairness_score": _round(
            (1 - brier) * (1 - fpr_gap_nij) if fpr_gap_nij is not None else None
        ),
    }


def validate_instrument(
    instrument: Instrument, data: Dataset, *, part: str = "test"
) -> dict[str, Any]:
    """All figures for `instrument` on the `part` rows ("test", "train" or "all") of `data`."""
    rows = data if part == "all" or data.split is None else data.part(part)
    used_part = "all" if data.split is None else part
    total = total_points(instrument, rows.source_columns(sources(instrument)))
    bands = band_index(instrument, total)
    decision_index = [b.code for b in instrument.bands].index(instrument.decision_band)
    band_flagged = bands >= decision_index
    result: dict[str, Any] = {
        "instrument": {
            "code": instrument.code,
            "version": instrument.version,
            "points_kind": instrument.points_kind,
            "items": len(instrument.items),
            "validated_on": instrument.validated_on,
            "decision_band": instrument.decision_band,
        },
        "data": {"origin": data.origin, "part": used_part, "rows": rows.rows},
        "fairness_group": data.mapping.group_column,
        "horizons": {},
    }
    for horizon, outcome in rows.outcomes.items():
        if horizon not in instrument.calibration:
            continue
        known = outcome >= 0
        p = probabilities(instrument, total, horizon)
        figures: dict[str, Any] = {}
        for stratum in ("all", "male", "female"):
            mask = known if stratum == "all" else known & (rows.sex == stratum)
            figures[stratum] = metrics(p[mask], outcome[mask])
            if rows.group is not None:
                figures[stratum]["fairness"] = fairness(
                    p[mask],
                    outcome[mask],
                    band_flagged[mask],
                    rows.group[mask],
                    data.mapping.group_labels,
                )
        band_rows = []
        for index, band in enumerate(instrument.bands):
            mask = known & (bands == index)
            band_rows.append(
                {
                    "band": band.code,
                    "label": band.text.en,
                    "min_points": band.min_points,
                    "rows": int(mask.sum()),
                    "observed": _round(float(outcome[mask].mean())) if mask.any() else None,
                    "mean_predicted": _round(float(p[mask].mean())) if mask.any() else None,
                }
            )
        figures["bands"] = band_rows
        result["horizons"][horizon] = figures
    return result
