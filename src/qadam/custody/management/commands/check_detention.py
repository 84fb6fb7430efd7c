"""`qadam check_detention`: raise an alarm for each person held past the lawful date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qadam.custody.lawful import raise_alarms


class Command(BaseCommand):
    help = "Raise held-past-the-lawful-date alarms (idempotent); run it at least daily."

    def handle(self, *args: Any, **options: Any) -> None:
        run = raise_alarms()
        self.stdout.write(
            f"alarms raised: {run.raised}; already open: {run.already_open}; "
            f"resolved: {run.resolved}"
        )
