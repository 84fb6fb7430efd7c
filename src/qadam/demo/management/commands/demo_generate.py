"""`qadam demo_generate [--seed N] [--scale 1.0] [--today YYYY-MM-DD]`: the national demo data."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qadam.demo import generate
from qadam.people.models import Person


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date written YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Generate the synthetic national demo data (never real people) into an empty database: "
        "institutions, persons, ten years of the movements ledger, and what other modules add."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="1.0 = the national figures; 0.01 for a quick small set",
        )
        parser.add_argument("--today", type=parse_day, default=None, help="YYYY-MM-DD")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["scale"]
        if not 0 < scale <= 2:
            raise CommandError("--scale must be more than 0 and at most 2 (1.0 = national)")
        today = options["today"] or timezone.localdate()
        if today > timezone.localdate():
            raise CommandError("--today cannot be in the future: the ledger never is")
        if Person.objects.exists():
            raise CommandError(
                "This database already holds persons. Generate demo data into an empty database "
                "(set DATABASE_URL or QADAM_VAR_DIR to a new one)."
            )
        ctx = generate.run(
            seed=options["seed"],
            scale=scale,
            today=today,
            out=self.stdout,
            err=sys.stderr,
            show_progress=not options["no_progress"],
        )
        self.stdout.write(generate.summary(ctx))
