"""`qadam demo_users`: one demo user per role, with the printed login list (demo only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qadam.demo.users import create_demo_users, format_logins


class Command(BaseCommand):
    help = "Create or refresh one demo user per role with the shared demo password (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(format_logins(create_demo_users()))
