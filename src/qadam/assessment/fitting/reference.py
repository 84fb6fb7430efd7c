"""A plain logistic regression on the same inputs, to read the fitted instruments against.

Published baselines (the NIJ challenge's among them) are plain logistic regressions: every input
one-hot, fitted on the training rows. Their figures come from their own files, which may hold
inputs this file lacks, so a fitted instrument is best judged against the same method run on the
same rows. This module fits that reference (each raw value of each input a level of its own,
missing included; scikit-learn's default L2 penalty, C = 1) on the training rows, scores the
validation rows once, and compares each instrument with it by sex: the difference in Brier score
(instrument − reference; negative is better) with a 95% paired bootstrap interval, resampling
the validation rows of that sex with replacement.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from ..engine.batch import probabilities, sources, total_points
from ..engine.schema import Instrument
from .data import Dataset

Float = npt.NDArray[np.float64]
RESAMPLES = 2000
SEED = 20260101
CHUNK = 100
METHOD = "logistic regression, every input one-hot (missing a level), L2 penalty C = 1"


def _matrix(data: Dataset) -> npt.NDArray[np.str_]:
    columns = [data.columns[spec.column] for spec in data.mapping.inputs]
    return np.column_stack(columns).astype(np.str_)


def _horizon(data: Dataset) -> str:
    return "year1" if "year1" in data.outcomes else next(iter(data.outcomes))


def _brier(p: Float, y: npt.NDArray[np.int8]) -> float:
    return float(np.mean((p - y) ** 2))


def reference_probabilities(data: Dataset, part: str) -> tuple[str, Float]:
    """The horizon and the reference model's probability for each row of `part`, the model
    fitted on the training rows whose outcome is known."""
    horizon = _horizon(data)
    train = data.part("train")
    known = train.outcomes[horizon] >= 0
    encoder = OneHotEncoder(handle_unknown="ignore")
    features = encoder.fit_transform(_matrix(train)[known])
    model = LogisticRegression(C=1.0, max_iter=5000)
    with threadpool_limits(limits=1):
        model.fit(features, train.outcomes[horizon][known])
    rows = data if part == "all" or data.split is None else data.part(part)
    p = model.predict_proba(encoder.transform(_matrix(rows)))[:, 1]
    return horizon, np.asarray(p, dtype=np.float64)


def paired_interval(
    difference: Float, *, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the mean of `difference` over bootstrap resamples."""
    rng = np.random.default_rng(seed)
    n = len(difference)
    means: list[Float] = []
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        picks = rng.integers(0, n, size=(size, n))
        means.append(difference[picks].mean(axis=1))
    low, high = np.percentile(np.concatenate(means), [2.5, 97.5])
    return float(low), float(high)


def compare_with_reference(
    instruments: dict[str, Instrument], data: Dataset, *, part: str
) -> dict[str, Any]:
    """The reference's Brier and AUC by sex on `part`, and each instrument's Brier difference
    from it with a 95% paired bootstrap interval."""
    horizon, reference = reference_probabilities(data, part)
    rows = data if part == "all" or data.split is None else data.part(part)
    y = rows.outcomes[horizon]
    known = y >= 0
    result: dict[str, Any] = {
        "method": METHOD,
        "horizon": horizon,
        "part": "all" if data.split is None else part,
        "resamples": RESAMPLES,
        "reference": {},
        "instruments": {},
    }
    strata = {"all": known, **{sex: known & (rows.sex == sex) for sex in ("male", "female")}}
    for stratum, mask in strata.items():
        if not mask.any():
            continue
        outcome = y[mask]
        auc = roc_auc_score(outcome, reference[mask]) if 0 < outcome.sum() < len(outcome) else None
        result["reference"][stratum] = {
            "rows": int(mask.sum()),
            "brier": round(_brier(reference[mask], outcome), 5),
            "auc": None if auc is None else round(float(auc), 4),
        }
    for key, instrument in instruments.items():
        if horizon not in instrument.calibration:
            continue
        total = total_points(instrument, rows.source_columns(sources(instrument)))
        p = probabilities(instrument, total, horizon)
        figures: dict[str, Any] = {"code": instrument.code}
        for stratum, mask in strata.items():
            if not mask.any():
                continue
            outcome = y[mask]
            difference = (p[mask] - outcome) ** 2 - (reference[mask] - outcome) ** 2
            low, high = paired_interval(difference)
            figures[stratum] = {
                "brier": round(_brier(p[mask], outcome), 5),
                "difference": round(float(difference.mean()), 5),
                "interval": [round(low, 5), round(high, 5)],
            }
        result["instruments"][key] = figures
    return result
