"""Shipped column-mapping files for fitting and validating instruments on outcome data."""

from __future__ import annotations

from pathlib import Path

MAPPINGS_DIR = Path(__file__).resolve().parent
NIJ_GEORGIA_MAPPING = MAPPINGS_DIR / "nij_georgia.toml"
