"""`qadam assessment`: fit instruments on outcome data, validate them, put a version into use.

    qadam assessment fit --data CSV --mapping TOML --out DIR
    qadam assessment validate --data CSV --mapping TOML --instrument TOML --out DIR
    qadam assessment load FILE.toml [--user USERNAME]
    qadam assessment validate-local [--years 1|2|3] [--out DIR] [--instrument CODE]
    qadam assessment export-local --instrument CODE [--version V] --out DIR [--as-of DATE]
        [--test-from DATE] [--min-rows N] [--user USERNAME]

The data default to the NIJ Georgia file under SHARED_DATA_DIR and the mapping to the one shipped
for it. Bad input ends with a message that says what to fix and a non-zero exit status.
"""

from __future__ import annotations

import argparse
from datetime import date
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


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _min_rows(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 10:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of at least 10")
    return number


EXPORT_HELP = """write DIR/registry.csv and DIR/mapping.toml from the registry's outcomes, for
`fit` and `validate`: one row per person released after an assessment with the instrument (the
observations of validate-local) with the answers by item code, sex, re-admission within 1, 2 and
3 years (empty while censored), the train/test split by release date and, when both groups are
large enough, the citizenship group of the fairness audit (never an input). The files hold no
names, IINs, dates or record ids; persons released less than a year before the as-of date are
left out. Every export is audited (who, what, how many rows)."""


class Command(BaseCommand):
    help = (
        "Fit risk instruments on outcome data, validate them, load a version into use, and "
        "validate or export on the registry's own outcomes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{fit,validate,load,validate-local,export-local}",
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

        load = subcommands.add_parser(
            "load",
            help="validate an instrument file and store it as a version; print what is in force "
            "when (the same file again changes nothing)",
        )
        load.add_argument("file", type=Path, help="instrument TOML")
        load.add_argument("--user", help="the member of staff loading it (audited)")

        export = subcommands.add_parser("export-local", help=EXPORT_HELP, description=EXPORT_HELP)
        export.add_argument("--instrument", required=True, help="instrument code")
        export.add_argument("--version", help="instrument version (default: the latest stored)")
        export.add_argument("--out", type=Path, required=True, help="directory for the two files")
        export.add_argument(
            "--as-of",
            type=_day,
            help="count releases, re-admissions and assessments up to this day (default: today)",
        )
        export.add_argument(
            "--test-from",
            type=_day,
            help="persons released on or after this day form the test set (default: the later "
            "30%% of release dates)",
        )
        export.add_argument(
            "--min-rows",
            type=_min_rows,
            default=100,
            help="fewest persons in each of the train and test sets (default 100)",
        )
        export.add_argument("--user", help="the member of staff exporting (audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in {"load", "validate-local", "export-local"}:
            from qadam.assessment import local_command

            run = {
                "load": local_command.load_command,
                "validate-local": local_command.validate_local_command,
                "export-local": local_command.export_local_command,
            }[action]
            run(self, options)
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
