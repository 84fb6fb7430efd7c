"""`qadam assessment validate-local`: validate on the registry's own outcomes and keep the figures
on the instrument (its page then shows them and the "not yet validated" label changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qadam.assessment import services
from qadam.assessment.models import Instrument
from qadam.assessment.outcomes import LocalValidationError, validate_local


def validate_local_command(command: BaseCommand, options: dict[str, Any]) -> None:
    code = options.get("instrument")
    if code:
        instrument = Instrument.objects.filter(code=code).order_by("-valid_from").first()
        if instrument is None:
            raise CommandError(f"no instrument with code {code!r} is stored")
    else:
        instrument = services.instrument_in_force()
        if instrument is None:
            raise CommandError("no instrument is in force today")
    out_dir = options.get("out") or Path(settings.VAR_DIR) / "assessment-validation"
    try:
        result = validate_local(
            instrument=instrument,
            years=options["years"],
            as_of=timezone.localdate(),
            out_dir=Path(out_dir),
            min_rows=options.get("min_rows") or 100,
        )
    except LocalValidationError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write the report: {error}") from None
    paths = result.pop("paths")
    services.instrument_record_local_validation(instrument=instrument, figures=result, actor=None)
    cohort = result["cohort"]
    command.stdout.write(
        f"{instrument}: {cohort['releases']} releases, {cohort['outcome_known']} followed up "
        f"({cohort['readmitted']} re-admitted), {cohort['censored']} censored"
    )
    for row in result["summary"]:
        if row["stratum"] == "all":
            command.stdout.write(
                f"{row['horizon']}: AUC {row.get('auc')}, Brier {row.get('brier')} "
                f"({row['rows']} releases)"
            )
    for name, path in paths.items():
        command.stdout.write(f"{name}: {path}")
