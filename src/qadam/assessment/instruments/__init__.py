"""Shipped instrument definitions (TOML) and a helper to find them."""

from __future__ import annotations

from pathlib import Path

INSTRUMENTS_DIR = Path(__file__).resolve().parent
DEFAULT_INSTRUMENT = INSTRUMENTS_DIR / "qadam_core_v1.toml"
