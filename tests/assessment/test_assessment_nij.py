"""Acceptance on the NIJ Georgia data (official split, release-time fields, race excluded).

Runs only when the shared data file is present; it fits and validates once (up to about a minute).
The published figures it is held against are in the data's README and leaderboard file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from qadam.assessment.fitting import run_fit
from qadam.assessment.mappings import NIJ_GEORGIA_MAPPING

NIJ_FILE = Path(settings.SHARED_DATA_DIR) / "nij-georgia" / "NIJRecid.csv"


@pytest.mark.skipif(
    not NIJ_FILE.exists(),
    reason=f"NIJ Georgia data not found at {NIJ_FILE} (set QADAM_SHARED_DATA to its parent)",
)
def test_nij_fit_and_validate(tmp_path: Path) -> None:
    result = run_fit(NIJ_FILE, NIJ_GEORGIA_MAPPING, tmp_path)
    points = result.instruments["integer_points"]
    assert len(points.items) <= 12
    assert all(item.source != "Race" for item in points.items)
    assert all(item.source != "Race" for item in result.instruments["unrestricted"].items)
    by_name = {row["instrument"]: row for row in result.figures["summary"]}
    integer = by_name[points.code]
    unrestricted = by_name[result.instruments["unrestricted"].code]
    # Held to what release-time fields honestly reach (see the benchmark for the published
    # figures): near the published logistic baseline, and the integer version within 0.002.
    assert integer["brier_male"] < 0.195
    assert integer["brier_female"] < 0.160
    assert integer["auc_all"] > 0.68
    for sex in ("male", "female"):
        assert abs(integer[f"brier_{sex}"] - unrestricted[f"brier_{sex}"]) <= 0.002
        assert 0.7 < integer[f"nij_fairness_{sex}"] <= 1
