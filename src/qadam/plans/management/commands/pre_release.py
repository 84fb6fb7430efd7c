"""`qadam pre_release`: put everyone held under a sentence and never assessed on the assessment
schedule, and bring the plan review and the reassessment forward for everyone whose pre-release
window opened in the last days (idempotent; run it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qadam.plans.pre_release import (
    CATCH_UP_DAYS,
    first_assessments_scheduled,
    open_pre_release_windows,
)


class Command(BaseCommand):
    help = (
        "Put sentenced persons in custody who were never assessed on the assessment schedule; for "
        "sentenced persons whose pre-release window opened recently, bring the plan's review and "
        "the next assessment forward (idempotent); run it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=CATCH_UP_DAYS,
            help=f"windows opened within this many days (default {CATCH_UP_DAYS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        # First the never assessed: their first assessment is then due before any pre-release one.
        first = first_assessments_scheduled()
        run = open_pre_release_windows(days=options["days"])
        self.stdout.write(
            f"pre-release windows opened: {run.persons}; plan reviews brought forward: "
            f"{run.reviews_brought_forward}; reassessments brought forward: {run.other_changes}; "
            f"not yet assessed, put on the schedule: {first}"
        )
