"""The one target table of the demo data: persons in custody (sentenced + remand) on a mid-year day.

Read from `<shared data>/kz-aggregates/demo_targets.csv` (see its README). When that file is not
beside the checkout (a fresh machine running the demo), the same yearly figures are used from the
copy below, which must be kept equal to the file (a test compares them when the file is present).
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings

# year → persons in custody including remand, mid-year (demo_targets.csv, 2016–2026).
FALLBACK_CUSTODY = {
    2016: 39179,
    2017: 37199,
    2018: 35219,
    2019: 32311,
    2020: 29403,
    2021: 32316,
    2022: 35228,
    2023: 39864,
    2024: 44500,
    2025: 37500,
    2026: 37500,
}

# Share of remand in custody: Nov 2021 4,000 of 34,000; Jul 2024 7,500 of 44,500; "today"
# 7,500 of 37,500 (README of the table and domain-kz.md §5.1). Interpolated between these points.
REMAND_SHARE = {2016: 0.12, 2021: 0.12, 2024: 0.17, 2025: 0.20, 2026: 0.20}
WOMEN_SHARE = 0.08  # ~3,000 women of ~37,000 (Jul 2024)
JUVENILES_TODAY = 50  # "> 50 juveniles" (Jul 2024)


def targets_path() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "kz-aggregates" / "demo_targets.csv"


def load_custody_targets(path: Path | None = None) -> dict[int, int]:
    path = path or targets_path()
    if not path.exists():
        return dict(FALLBACK_CUSTODY)
    with path.open(encoding="utf-8") as handle:
        return {int(row["year"]): int(row["custody_incl_remand"]) for row in csv.DictReader(handle)}


def mid_year(year: int) -> date:
    return date(year, 7, 1)


def _interpolate(points: dict[int, float], day: date) -> float:
    """Linear between the values on each year's mid-year day; constant beyond the ends."""
    ordinals = sorted((mid_year(y).toordinal(), v) for y, v in points.items())
    x = day.toordinal()
    if x <= ordinals[0][0]:
        return ordinals[0][1]
    for (x0, v0), (x1, v1) in itertools.pairwise(ordinals):
        if x <= x1:
            return v0 + (v1 - v0) * (x - x0) / (x1 - x0)
    return ordinals[-1][1]


@dataclass(frozen=True)
class Targets:
    custody: dict[int, int]
    scale: float = 1.0

    def total(self, day: date) -> float:
        return self.scale * _interpolate({k: float(v) for k, v in self.custody.items()}, day)

    def remand_share(self, day: date) -> float:
        return _interpolate(REMAND_SHARE, day)

    def daily(self, start: date, days: int) -> list[tuple[float, float]]:
        """(remand, sentenced) targets for each day from `start`."""
        out: list[tuple[float, float]] = []
        points = {k: float(v) for k, v in self.custody.items()}
        for offset in range(days + 1):
            day = date.fromordinal(start.toordinal() + offset)
            total = self.scale * _interpolate(points, day)
            share = _interpolate(REMAND_SHARE, day)
            out.append((total * share, total * (1 - share)))
        return out
