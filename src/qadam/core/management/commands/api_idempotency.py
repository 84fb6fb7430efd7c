"""Idempotency keys of API writes.

qadam api_idempotency purge   (deletes the keys older than QADAM_API_IDEMPOTENCY_HOURS; run daily)
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from qadam.core import idempotency


class Command(BaseCommand):
    help = "Delete the API idempotency keys that have expired."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "purge", help="Delete the keys older than the window (QADAM_API_IDEMPOTENCY_HOURS)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = idempotency.purge()
        hours = idempotency.window().total_seconds() / 3600
        self.stdout.write(f"Deleted {deleted} API idempotency keys older than {hours:g} hours.")
