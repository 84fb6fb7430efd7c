"""Shared helpers for the benchmarks: timing, percentiles, database labels, machine facts, results.

Benchmarks print figures beside their targets; they never pass or fail on a timing.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "benchmarks" / "results"


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarise(samples_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "mean_ms": statistics.fmean(samples_ms) if samples_ms else float("nan"),
        "p50_ms": percentile(samples_ms, 0.50),
        "p95_ms": percentile(samples_ms, 0.95),
        "p99_ms": percentile(samples_ms, 0.99),
        "max_ms": max(samples_ms) if samples_ms else float("nan"),
    }


def time_ms(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value


class Stopwatch:
    """Wall and CPU seconds of a block (CPU time is less disturbed by other work on the machine)."""

    def __enter__(self) -> Stopwatch:
        self.wall_started = time.perf_counter()
        self.cpu_started = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall_started
        self.cpu = time.process_time() - self.cpu_started


def database_label() -> str:
    """e.g. "sqlite 3.46.1" or "postgresql 16.4" (call after Django is set up)."""
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    version = connection.pg_version  # type: ignore[attr-defined]
    return f"postgresql {version // 10000}.{version % 10000}"


def python_speed() -> float:
    """Seconds for a fixed pure-Python loop (about 0.25 s on an idle modern core): how fast this
    machine ran Python while the benchmark ran — compare figures only at similar values."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - started


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cores": os.cpu_count(),
        "load_average_1m": round(load[0], 2),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "python_loop_seconds": round(python_speed(), 3),
    }


def figure(name: str, value: float, unit: str, target: float | None = None) -> str:
    """One printed line: the figure, its target and the ratio (below 1.0 meets a "<" target)."""
    text = f"  {name:<48} {value:>10.1f} {unit:<4}"
    if target is not None:
        text += f"  target < {target:g} {unit}  ratio {value / target:.2f}"
    return text


def write_results(name: str, label: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    vendor = label.split()[0]
    path = RESULTS_DIR / f"{name}-{vendor}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    return path
