"""`qadam audit seal|verify` and the demo launcher's set-up path (without serving)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from factories import InstitutionFactory
from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, User
from qadam.demo.management.commands.demo import BackgroundLoop

pytestmark = pytest.mark.django_db


def _events(count: int) -> None:
    for number in range(count):
        audit_write(actor=None, action=AuditEvent.Action.CREATE, verb=f"test event {number}")


def test_seal_then_verify_reports_an_intact_chain() -> None:
    _events(3)
    out = io.StringIO()
    call_command("audit", "seal", stdout=out)
    assert "Sealed 3 audit events" in out.getvalue()
    assert AuditEvent.objects.filter(chain_hash="").count() == 0
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact: 3 sealed events checked" in out.getvalue()


def test_verify_names_the_first_broken_link_and_exits_non_zero() -> None:
    _events(4)
    call_command("audit", "seal", stdout=io.StringIO())
    tampered = AuditEvent.objects.order_by("id")[1]
    AuditEvent.objects.filter(pk=tampered.pk).update(verb="something else")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert f"broken at event {tampered.pk}" in err.getvalue()


def test_seal_watch_must_be_positive() -> None:
    with pytest.raises(CommandError, match="positive"):
        call_command("audit", "seal", "--watch", "0")


def test_background_loop_seals_and_stops() -> None:
    _events(2)
    loop = BackgroundLoop(lambda text: None)
    loop.periodic = []
    loop.tick()
    assert AuditEvent.objects.filter(chain_hash="").count() == 0


def test_background_loop_runs_the_periodic_commands() -> None:
    from factories import sentenced_person, staff
    from qadam.assessment.models import Reassessment
    from qadam.core.roles import Role

    institution = InstitutionFactory()
    person = sentenced_person(institution, staff(Role.RECEPTION, institution), days_ago=10)
    Reassessment.objects.filter(person=person).delete()  # held, never assessed, not scheduled
    failures: list[str] = []
    loop = BackgroundLoop(failures.append)
    assert [command[0] for command in loop.periodic] == [
        "check_detention",
        "pre_release",
        "api_idempotency",
    ]
    loop.tick()
    assert failures == []
    # `pre_release` put the person on the assessment schedule: not yet assessed.
    assert Reassessment.objects.get(person=person).reason == "first"


def test_demo_setup_without_generating_or_serving_prints_logins() -> None:
    InstitutionFactory()
    out = io.StringIO()
    call_command("demo", "--no-generate", "--no-serve", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "http://localhost:8000" in text
    assert "qadam-demo-2026" in text
    assert User.objects.filter(username="auditor", role="auditor").exists()


def test_the_demo_task_worker_command_line_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo starts `qadam db_worker` beside the server; its arguments must parse."""
    import subprocess

    from qadam.demo.management.commands import demo

    started: list[list[str]] = []

    class Recorder:
        def __init__(self, args: list[str]) -> None:
            started.append(args)

    monkeypatch.setattr(demo.subprocess, "Popen", Recorder)
    demo.start_task_worker()
    monkeypatch.undo()
    (args,) = started
    assert args[1:4] == ["-m", "qadam.manage", "db_worker"]
    done = subprocess.run([*args, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--batch" in done.stdout
