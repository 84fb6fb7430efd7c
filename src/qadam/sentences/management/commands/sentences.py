"""`qadam sentences recalculate [--rules DIR] [--dry-run]`: recompute everyone's sentence dates
under a rule set, print the diff, and (unless a dry run) activate it.

`qadam sentences demo` adds the sentences of the national demo data to a database generated
before this module was installed (`demo_generate` runs the same step itself)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qadam.sentences import engine, recalculation
from qadam.sentences.models import CalculationField, RecalculationRun


class Command(BaseCommand):
    help = "Sentence dates: recalculation under (candidate) rule files, with the diff first."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recalc = sub.add_parser("recalculate", help="recompute everyone's dates")
        recalc.add_argument("--rules", default=None, help="folder of candidate rule files")
        recalc.add_argument(
            "--dry-run", action="store_true", help="compute and print the diff; write nothing"
        )
        recalc.add_argument("--batch-size", type=int, default=recalculation.BATCH_SIZE)
        sub.add_parser("demo", help="add demo sentences to an existing demo database")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "demo":
            self._demo()
            return
        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 1 or done == total:
                last[0] = now
                self.stderr.write(f"\r  {done:,} / {total:,} persons", ending="")
                self.stderr.flush()

        try:
            run = recalculation.recalculate_all(
                actor=None,
                rules_dir=options["rules"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except engine.RuleFileError as error:
            raise CommandError(
                "The rule files are not valid:\n  " + "\n  ".join(error.problems)
            ) from None
        self.stderr.write("")
        if run.status == RecalculationRun.Status.FAILED:
            raise CommandError(run.error)
        labels = dict(CalculationField.choices)
        self.stdout.write(
            f"Rule set {run.ruleset_version} ({run.rules_dir}): {run.total:,} persons, "
            f"{run.changed_persons:,} with a changed date, {run.invalid:,} not calculable, "
            f"{run.rewrite_persons:,} stored calculations to rewrite"
        )
        for field, values in (run.summary or {}).items():
            if not values.get("changed"):
                continue
            self.stdout.write(
                f"  {labels.get(field, field)!s:<55} changed {values['changed']:>7,}  "
                f"earlier {values['earlier']:>7,}  later {values['later']:>7,}  "
                f"gained {values['gained']:>5,}  lost {values['lost']:>5,}  "
                f"range {values['min']}…{values['max']} days"
            )
        verb = "dry run: nothing written" if options["dry_run"] else "activated"
        self.stdout.write(f"{verb}; run #{run.pk}; {time.perf_counter() - started:.1f} s in all")

    def _demo(self) -> None:
        from qadam.demo.progress import Progress
        from qadam.demo.registry import DemoContext
        from qadam.demo.users import system_user
        from qadam.sentences import demo
        from qadam.sentences.models import Verdict

        if Verdict.objects.exists():
            raise CommandError("This database already holds verdicts.")
        ctx = DemoContext(
            seed=2026,
            scale=1.0,
            today=timezone.localdate(),
            start=timezone.localdate(),
            system_user=system_user(),
            out=self.stdout,
            progress=lambda label, total: Progress(label, total, sys.stderr),
        )
        started = time.perf_counter()
        demo.sentences(ctx)
        self.stdout.write(f"{time.perf_counter() - started:.1f} s")
