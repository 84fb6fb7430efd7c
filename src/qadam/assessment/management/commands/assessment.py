"""`qadam assessment fit|validate`: fit instruments on outcome data and validate them.

    qadam assessment fit --data CSV --mapping TOML --out DIR
    qadam assessment validate --data CSV --mapping TOML --instrument TOML --out DIR
    qadam assessment validate-local [--years 1|2|3] [--out DIR] [--instrument CODE]

The data default to the NIJ Georgia file under SHARED_DATA_DIR and the mapping to the one shipped
for it. Bad input ends with a message that says what to fix and a non-zero exit status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qadam.assessment.engine.batch import DataEncodingError, MissingSourcesError
from qadam.assessment.engine.schema import InstrumentError
from qadam.assessment.fitting.data import DataError
from qadam.assessment.fitting.fit import FitError
from qadam.assessment.fitting.mapping import MappingError
from qadam.assessment.fitting.pipeline import JobResult, run_fit, run_validate
from qadam.assessment.mappings import NIJ_GEORGIA_MAPPING


def _default_data() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "nij-georgia" / "NIJRecid.csv"


class Command(BaseCommand):
    help = "Fit risk instruments on outcome data, or validate an instrument on outcome data."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="action", required=True, metavar="{fit,validate,validate-local}"
        )
        fit = subcommands.add_parser(
            "fit", help="fit an unrestricted model and an integer-point instrument; validate both"
        )
        validate = subcommands.add_parser("validate", help="validate an instrument on the data")
        for sub in (fit, validate):
            sub.add_argument("--data", type=Path, help="CSV file (default: the NIJ Georgia data)")
            sub.add_argument(
                "--mapping", type=Path, default=NIJ_GEORGIA_MAPPING, help="column-mapping TOML"
            )
            sub.add_argument("--out", type=Path, required=True, help="directory for the outputs")
        validate.add_argument("--instrument", type=Path, required=True, help="instrument TOML")
        validate.add_argument(
            "--part",
            choices=["test", "train", "all"],
            default="",
            help="rows to validate on (default: the test split, or all rows without a split)",
        )

        local = subcommands.add_parser(
            "validate-local",
            help="validate the instrument in use on re-admissions from the movements ledger",
        )
        local.add_argument("--years", type=int, choices=[1, 2, 3], default=2)
        local.add_argument("--out", type=Path, help="directory for the report")
        local.add_argument("--instrument", help="instrument code (default: the one in force)")
        local.add_argument("--min-rows", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "validate-local":
            from qadam.assessment.local_command import validate_local_command

            validate_local_command(self, options)
            return
        data = options["data"] or _default_data()
        try:
            if options["action"] == "fit":
                result = run_fit(data, options["mapping"], options["out"])
            else:
                result = run_validate(
                    data,
                    options["mapping"],
                    options["instrument"],
                    options["out"],
                    part=options["part"],
                )
        except (
            MappingError,
            DataError,
            InstrumentError,
            DataEncodingError,
            MissingSourcesError,
            FitError,
        ) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write the outputs: {exc}") from None
        self._report(result)

    def _report(self, result: JobResult) -> None:
        summary = result.figures.get("summary") or []
        for row in summary:
            self.stdout.write(
                f"{row['instrument']}: Brier men {row.get('brier_male')}, women "
                f"{row.get('brier_female')}; AUC {row.get('auc_all')}; NIJ fairness men "
                f"{row.get('nij_fairness_male')}, women {row.get('nij_fairness_female')}"
            )
        for name, path in result.paths.items():
            self.stdout.write(f"{name}: {path}")
        self.stdout.write(f"done in {result.seconds:.1f} s")
