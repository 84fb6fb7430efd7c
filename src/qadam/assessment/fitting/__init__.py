"""Fitting and validating instruments on outcome data (no Django imports)."""

from .data import DataError, Dataset, read_dataset
from .fit import FitError, FitResult, fit_instruments
from .mapping import ColumnMapping, MappingError, load_mapping, parse_mapping
from .pipeline import JobResult, run_fit, run_validate
from .validate import validate_instrument

__all__ = [
    "ColumnMapping",
    "DataError",
    "Dataset",
    "FitError",
    "FitResult",
    "JobResult",
    "MappingError",
    "fit_instruments",
    "load_mapping",
    "parse_mapping",
    "read_dataset",
    "run_fit",
    "run_validate",
    "validate_instrument",
]
