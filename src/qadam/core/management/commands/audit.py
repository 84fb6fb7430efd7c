"""`qadam audit seal [--watch SECONDS]` and `qadam audit verify`: the audit trail's hash chain."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qadam.core.audit import seal_pending, verify_chain


class Command(BaseCommand):
    help = "Seal pending audit rows into the hash chain, or verify the whole chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        seal = sub.add_parser("seal", help="chain every row appended since the last seal")
        seal.add_argument(
            "--watch",
            type=float,
            default=None,
            metavar="SECONDS",
            help="keep sealing every SECONDS until interrupted",
        )
        sub.add_parser("verify", help="recompute the chain; exit 1 at the first broken link")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "seal":
            self.seal(options["watch"])
        else:
            self.verify()

    def seal(self, watch: float | None) -> None:
        if watch is not None and watch <= 0:
            raise CommandError("--watch must be a positive number of seconds")
        while True:
            sealed = seal_pending()
            if watch is None or sealed:
                self.stdout.write(f"Sealed {sealed} audit events.\n")
            if watch is None:
                return
            try:
                time.sleep(watch)
            except KeyboardInterrupt:
                return

    def verify(self) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(
                f"Audit chain intact: {report.checked} sealed events checked, "
                f"{report.unsealed} not sealed yet.\n"
            )
            return
        self.stderr.write(
            f"Audit chain broken at event {report.first_broken_id}: {report.problem} "
            f"({report.checked} events verified before it).\n"
        )
        raise SystemExit(1)
