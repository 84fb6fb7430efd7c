"""The `qadam assessment` commands that work on the registry: `load` (put a new instrument version
into use), `validate-local` (validate on the registry's own outcomes and keep the figures on the
instrument: its page then shows them and the "not yet validated" label changes) and
`export-local` (the same outcomes as a CSV file with its column mapping, for `fit`).

`in_force_timeline` says which version staff use from when on; `load` prints it and the upload
page shows it. The fitting code (numpy, polars, statsmodels: seconds to import) is imported only by
the commands that use it, not by the page."""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from qadam.assessment import policies, services
from qadam.assessment.models import Instrument
from qadam.core.audit import audit_write
from qadam.core.errors import ServiceError
from qadam.core.models import AuditEvent

if TYPE_CHECKING:
    from qadam.core.models import User


# --- What is in force when ------------------------------------------------------------------------


@dataclass(frozen=True)
class InForce:
    """From `start` (until the next period's start), staff assess with `instrument` (None: no
    instrument is in force)."""

    start: date
    instrument: Instrument | None


def in_force_timeline(today: date | None = None) -> list[InForce]:
    """The instrument in force today and at every later date where that changes (a version's
    validity starts or ends), by the rule staff's pages use (`services.instrument_in_force`)."""
    today = today or timezone.localdate()
    changes = {today}
    for valid_from, valid_to in Instrument.objects.values_list("valid_from", "valid_to"):
        changes |= {day for day in (valid_from, valid_to) if day is not None and day > today}
    periods: list[InForce] = []
    for day in sorted(changes):
        instrument = services.instrument_in_force(day)
        previous = periods[-1].instrument if periods else None
        if not periods or getattr(instrument, "pk", None) != getattr(previous, "pk", None):
            periods.append(InForce(day, instrument))
    return periods


def _timeline_lines(periods: list[InForce], today: date, loaded: Instrument) -> list[str]:
    lines = []
    for period in periods:
        when = f"from {period.start.isoformat()}" + (" (today)" if period.start == today else "")
        if period.instrument is None:
            lines.append(f"  {when}: no instrument in force")
            continue
        mark = " (this version)" if period.instrument.pk == loaded.pk else ""
        lines.append(f"  {when}: {period.instrument}{mark}")
    return lines


# --- load -----------------------------------------------------------------------------------------


def _user(username: str | None) -> User | None:
    if not username:
        return None
    from qadam.core.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    if not user.is_active:
        raise CommandError(f"user {username!r} is not active")
    return user


def load_command(command: BaseCommand, options: dict[str, Any]) -> None:
    """Validate and store one instrument version (the same file again changes nothing)."""
    path = Path(options["file"])
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text") from None
    actor = _user(options.get("user"))
    digest = hashlib.sha256(text.encode()).hexdigest()
    stored_before = set(
        Instrument.objects.filter(definition_sha256=digest).values_list("pk", flat=True)
    )
    try:
        with translation.override("en"):  # the command speaks English, as its other messages
            instrument = services.instrument_load(text=text, actor=actor, origin=str(path))
    except PermissionDenied:
        raise CommandError(
            f"user {actor} may not load instruments (it needs validate_instruments or "
            "manage_reference_data)"
        ) from None
    except ServiceError as error:
        problems = "\n".join(f"  - {message}" for message in error.as_list())
        raise CommandError(f"{path} was not loaded:\n{problems}") from None
    engine = instrument.engine
    today = timezone.localdate()
    out = command.stdout
    if instrument.pk in stored_before:
        out.write(f"{instrument} is already stored with this definition: nothing changed.")
    else:
        out.write(f"{instrument} stored from {path}.")
    out.write(f"  name: {engine.name.en}")
    valid_to = instrument.valid_to.isoformat() if instrument.valid_to else "open"
    out.write(f"  valid from {instrument.valid_from.isoformat()} to {valid_to}")
    out.write(f"  validated on: {engine.validated_on}")
    layers: dict[str, int] = {}
    for item in engine.items:
        layers[item.layer] = layers.get(item.layer, 0) + 1
    counts = ", ".join(f"{layer} {count}" for layer, count in layers.items())
    out.write(f"  items: {len(engine.items)} ({counts})")
    for item in engine.items:
        out.write(f"    {item.code} [{item.layer}]: {item.text.en} ({len(item.options)} answers)")
    periods = in_force_timeline(today)
    out.write(f"In force from today ({today.isoformat()}) on:")
    for line in _timeline_lines(periods, today, instrument):
        out.write(line)
    if not any(p.instrument is not None and p.instrument.pk == instrument.pk for p in periods):
        ended = instrument.valid_to is not None and instrument.valid_to <= today
        out.write(
            f"{instrument} is not in force on any day from today on: "
            + (
                "its validity has ended."
                if ended
                else "versions that start later are in force instead."
            )
        )
    elif instrument.valid_from <= today:
        out.write(f"New assessments use {instrument} from today.")


# --- validate-local -------------------------------------------------------------------------------


def _instrument(code: str | None, version: str | None = None) -> Instrument:
    if not code:
        instrument = services.instrument_in_force()
        if instrument is None:
            raise CommandError("no instrument is in force today")
        return instrument
    rows = Instrument.objects.filter(code=code)
    if version:
        rows = rows.filter(version=version)
    found = rows.order_by("-valid_from", "-pk").first()
    if not isinstance(found, Instrument):
        which = f"{code!r} version {version!r}" if version else f"{code!r}"
        raise CommandError(f"no instrument with code {which} is stored")
    return found


def validate_local_command(command: BaseCommand, options: dict[str, Any]) -> None:
    from qadam.assessment.outcomes import FAIRNESS_COLUMN, LocalValidationError, validate_local

    instrument = _instrument(options.get("instrument"))
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
    for row in result["fairness"]:
        if row["stratum"] != "all":
            continue
        groups = "; ".join(
            f"{g['label']} {g['rows']}: false positives {g['fpr_band']}, "
            f"false negatives {g['fnr_band']}"
            for g in row["groups"]
        )
        command.stdout.write(
            f"{row['horizon']} fairness by {FAIRNESS_COLUMN} (decision band): gap in false "
            f"positive rate {row['fpr_gap_band']}, in false negative rate "
            f"{row['fnr_gap_band']}; NIJ fairness score {row['nij_fairness_score']} ({groups})"
        )
    if result["fairness_note"]:
        command.stdout.write(result["fairness_note"])
    for name, path in paths.items():
        command.stdout.write(f"{name}: {path}")


# --- export-local ---------------------------------------------------------------------------------


def export_local_command(command: BaseCommand, options: dict[str, Any]) -> None:
    """Write the registry's outcomes for `fit`; audited with who ran it and what was written."""
    from qadam.assessment.outcomes import (
        FAIRNESS_COLUMN,
        LocalValidationError,
        export_local,
        outcome_column,
    )

    actor = _user(options.get("user"))
    if actor is not None and not policies.can_validate_instruments(actor):
        raise CommandError(f"user {actor} may not export registry outcomes (validate_instruments)")
    instrument = _instrument(options["instrument"], options.get("version"))
    today = timezone.localdate()
    as_of: date = options.get("as_of") or today
    if as_of > today:
        raise CommandError(f"--as-of {as_of.isoformat()} is in the future")
    test_from: date | None = options.get("test_from")
    if test_from is not None and test_from > as_of:
        raise CommandError(f"--test-from {test_from.isoformat()} is after --as-of")
    try:
        result = export_local(
            instrument=instrument,
            out_dir=Path(options["out"]),
            as_of=as_of,
            test_from=test_from,
            min_rows=options["min_rows"],
        )
    except LocalValidationError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write the export: {error}") from None
    audit_write(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        verb="assessment outcomes exported for fitting",
        obj=instrument,
        details={**result.audit_details(), "system_user": getpass.getuser()},
    )
    out = command.stdout
    out.write(
        f"{instrument}: {result.rows} persons as of {result.as_of.isoformat()} "
        f"({result.train} train, released before {result.test_from.isoformat()}; "
        f"{result.test} test)"
    )
    for years in sorted(result.known):
        out.write(
            f"  {outcome_column(years)}: {result.known[years]} known, "
            f"{result.readmitted[years]} re-admitted"
        )
    if result.left_out["followed_up_less_than_a_year"]:
        out.write(
            f"  left out: {result.left_out['followed_up_less_than_a_year']} released less than "
            "a year before the as-of date (no outcome known yet)"
        )
    if result.left_out["sex_not_recorded"]:
        out.write(f"  left out: {result.left_out['sex_not_recorded']} without a recorded sex")
    out.write(
        f"  fairness group: {FAIRNESS_COLUMN}"
        if result.fairness
        else f"  {result.fairness_note} (no fairness column)"
    )
    out.write(f"  outcomes for fit and validate: {', '.join(result.horizons)}")
    if result.horizon_note:
        out.write(f"  {result.horizon_note}")
    for name, path in result.paths.items():
        out.write(f"{name}: {path}")
    out.write(
        f"next: qadam assessment fit --data {result.paths['data']} "
        f"--mapping {result.paths['mapping']} --out DIR"
    )
