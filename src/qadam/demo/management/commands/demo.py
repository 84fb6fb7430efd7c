"""`qadam demo [--port 8000] [--seed N]`: set up and serve the demo on http://localhost:8000.

Migrates, generates the national demo data when the database has no persons yet, creates the demo
users, compiles the message catalogues if they are not compiled, prints the logins, and serves.
Meanwhile a background loop seals the audit trail every 2 seconds and, every 10 minutes, runs
`check_detention` and `pre_release` (which also puts the sentenced never assessed on the assessment
schedule) and purges expired API idempotency keys; a `qadam db_worker`
process runs the background jobs (e.g. the diff and activation of a sentence-rule recalculation).
Ctrl-C stops everything.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from qadam.core.audit import seal_pending
from qadam.demo import generate
from qadam.demo.users import create_demo_users, format_logins
from qadam.people.models import Person

SEAL_EVERY_SECONDS = 2.0
DETENTION_CHECK_EVERY_SECONDS = 600.0
# The lawful-detention alarms; the first assessment of the sentenced never assessed, and the plan
# reviews and reassessments brought forward as the pre-release window opens (`pre_release`); the
# purge of expired API idempotency keys: (command, its arguments).
PERIODIC_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("check_detention",),
    ("pre_release",),
    ("api_idempotency", "purge"),
)


def catalogues_missing() -> bool:
    """True when a .po catalogue has no compiled .mo beside it, or an older one."""
    for directory in settings.LOCALE_PATHS:
        for po in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                return True
    return False


class BackgroundLoop(threading.Thread):
    """Seals the audit trail every 2 s; runs the periodic commands every 10 minutes."""

    def __init__(self, write: Any) -> None:
        super().__init__(name="qadam-demo-background", daemon=True)
        self.stop = threading.Event()
        self.write = write
        commands = get_commands()
        # Daily jobs in production; every 10 minutes here (each is idempotent).
        self.periodic = [command for command in PERIODIC_COMMANDS if command[0] in commands]
        self.next_check = time.monotonic()

    def tick(self) -> None:
        """One round: seal, and check lawful detention when it is due."""
        try:
            seal_pending()
            if self.periodic and time.monotonic() >= self.next_check:
                for name, *arguments in self.periodic:
                    call_command(name, *arguments, verbosity=0, stdout=io.StringIO())
                self.next_check = time.monotonic() + DETENTION_CHECK_EVERY_SECONDS
        except Exception as error:  # keep serving; say what went wrong
            self.write(f"background task failed: {error}\n")

    def run(self) -> None:
        try:
            while True:
                self.tick()
                if self.stop.wait(SEAL_EVERY_SECONDS):
                    return
        finally:
            connection.close()  # this thread's own connection


def start_task_worker() -> subprocess.Popen[bytes]:
    """`qadam db_worker` for every queue, in its own process, with this process's settings."""
    return subprocess.Popen(
        [sys.executable, "-m", "qadam.manage", "db_worker", "--queue-name", "*", "--no-reload"]
    )


class Command(BaseCommand):
    help = "Set up and serve the demo: migrate, demo data, demo users, logins, server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument(
            "--no-generate-if-present",
            action="store_true",
            help="never generate when the database already holds persons (this is the default; "
            "the demo data are only generated into an empty database)",
        )
        parser.add_argument(
            "--no-generate", action="store_true", help="do not generate demo data at all"
        )
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not serve")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 1 <= port <= 65535:
            raise CommandError("--port must be a number from 1 to 65535")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready (migrations applied).\n")
        if options["no_generate"]:
            self.stdout.write("Demo data: not generated (--no-generate).\n")
        elif Person.objects.exists():
            self.stdout.write("Demo data: the database already holds persons; kept as it is.\n")
        else:
            ctx = generate.run(
                seed=options["seed"],
                scale=options["scale"],
                today=timezone.localdate(),
                out=self.stdout,
                err=sys.stderr,
            )
            self.stdout.write(generate.summary(ctx))
        logins = create_demo_users()
        if catalogues_missing():
            try:
                call_command("compilemessages", verbosity=0)
            except CommandError as error:  # gettext missing: the interface falls back to English
                self.stderr.write(f"Could not compile the message catalogues: {error}\n")
        url = f"http://localhost:{port}"
        self.stdout.write("\n" + format_logins(logins, url))
        if options["no_serve"]:
            return
        background = BackgroundLoop(self.stderr.write)
        background.start()
        worker = start_task_worker()
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            background.stop.set()
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
            background.join(timeout=10)
