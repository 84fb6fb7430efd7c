"""Sentences module on the national demo data: bulk recalculation and the worklist page.

    QADAM_VAR_DIR=var .venv/bin/python benchmarks/bench_sentences_django.py
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_sentences_django.py

Runs against an existing demo database (the one `scripts/demo.sh` or `qadam demo_generate`
made; it writes to it, and leaves it under the shipped rule files); if it holds no verdicts yet,
the sentences demo step adds them first. Django runs with `QADAM_DEBUG=false` (no query log).
Measures, each against the target of 60 s for the whole population:

- the diff of everyone's dates under the rule set in use (batch reads, pure engine without the
  breakdown, comparison with the stored rows) and its activation: only the rows whose content
  changes are rewritten (none, once the stored rows carry their fingerprint);
- a rule change: the general parole fraction for medium crimes from 1/3 to 1/2 (a copy of the
  rule files), its diff and activation (every medium crime's parole moves, the other rows citing
  the rule are rewritten), then the shipped files again (the same persons move back);
- the worst case: every stored row rewritten with its breakdown (fingerprints cleared first, as
  after a change of the stored format);
- the worklist page for the largest institution, server time through Django's test client, for
  each list, as an institution-scoped officer: target p95 < 200 ms.

Prints each figure beside its target, with the CPU time of this process (the database server's
work is in the wall time only); writes the figures as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_label, figure, machine, summarise, time_ms, write_results

TARGET_S = 60


def _candidate_rules(directory: Path, shipped: Path) -> str:
    """The shipped rule files with the general parole fraction for medium crimes at 1/2."""
    for source in shipped.glob("*.toml"):
        text = source.read_text()
        if source.name == "cc_art72_parole.toml":
            head, sep, tail = text.partition('id = "parole_fraction_general"')
            if not sep or 'medium = "1/3"' not in tail:
                raise SystemExit("the shipped parole rule file changed: update this benchmark")
            text = head + sep + tail.replace('medium = "1/3"', 'medium = "1/2"', 1)
        (directory / source.name).write_text(text)
    return str(directory)


def _recalculate(label: str, key: str, rules_dir: str | None, results: dict[str, Any]) -> None:
    """Diff and activation under `rules_dir` (None: the rule set in use), timed separately."""
    from qadam.sentences import recalculation

    wall, cpu = time.perf_counter(), time.process_time()
    run = recalculation.diff_start(actor=None, rules_dir=rules_dir)
    run = recalculation.diff_compute(run)
    results[f"{key}_diff_s"] = time.perf_counter() - wall
    results[f"{key}_diff_cpu_s"] = time.process_time() - cpu
    results[f"{key}_persons"] = run.total
    results[f"{key}_changed_persons"] = run.changed_persons
    results[f"{key}_rewritten"] = run.rewrite_persons
    print(
        f"  {label}: {run.total:,} persons, {run.changed_persons:,} with a changed date, "
        f"{run.rewrite_persons:,} rows to rewrite"
    )
    print(figure("  diff", results[f"{key}_diff_s"], "s", TARGET_S))
    print(figure("    of which CPU in this process", results[f"{key}_diff_cpu_s"], "s"))
    wall, cpu = time.perf_counter(), time.process_time()
    recalculation.activate(run, actor=None)
    results[f"{key}_activation_s"] = time.perf_counter() - wall
    results[f"{key}_activation_cpu_s"] = time.process_time() - cpu
    print(figure("  activation (write the dates)", results[f"{key}_activation_s"], "s", TARGET_S))
    print(figure("    of which CPU in this process", results[f"{key}_activation_cpu_s"], "s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per worklist")
    parser.add_argument(
        "--skip-recalculation", action="store_true", help="measure the worklist pages only"
    )
    parser.add_argument("--skip-rule-change", action="store_true")
    parser.add_argument("--skip-full-rewrite", action="store_true")
    args = parser.parse_args()
    os.environ["QADAM_DEBUG"] = "false"  # no query log, as in production
    os.environ.setdefault("QADAM_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qadam.config.settings")
    import django

    django.setup()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from qadam.core.models import User
    from qadam.core.roles import Role, ScopeLevel
    from qadam.core.roles_sync import group_for
    from qadam.people.models import Person
    from qadam.sentences.engine.rules import RULES_DIR
    from qadam.sentences.models import SentenceCalculation, Verdict
    from qadam.sentences.worklists import LISTS

    label = database_label()
    print(f"Sentences (Django) on {label}")
    results: dict[str, Any] = {"machine": machine()}
    if not Verdict.objects.exists():
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("sentences", "demo")
        results["demo_step_s"] = time.perf_counter() - started
        print(figure("demo step (verdicts + dates)", results["demo_step_s"], "s"))
    persons = SentenceCalculation.objects.count()
    results["persons"] = persons
    print(f"  persons with a sentence                          {persons:>10,}")

    if not args.skip_recalculation:
        _recalculate("rule set in use", "same", None, results)
        if not args.skip_rule_change:
            with tempfile.TemporaryDirectory() as directory:
                candidate = _candidate_rules(Path(directory), RULES_DIR)
                _recalculate("rule change (parole, medium 1/2)", "change", candidate, results)
                _recalculate("the shipped rules again", "back", str(RULES_DIR), results)
        if not args.skip_full_rewrite:
            SentenceCalculation.objects.update(fingerprint="")
            _recalculate("every row rewritten", "full", None, results)

    largest = (
        Person.objects.filter(current_institution__isnull=False, sentence_calculation__isnull=False)
        .values("current_institution")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert largest is not None, "no sentenced person in custody"
    institution_id = largest["current_institution"]
    results["largest_institution_persons"] = largest["n"]
    user, _created = User.objects.get_or_create(
        username="bench-sentences-officer",
        defaults={"role": Role.REGIME, "scope_level": ScopeLevel.INSTITUTION, "language": "en"},
    )
    user.groups.set([group_for(Role.REGIME)])
    user.institutions.set([institution_id])
    client = Client()
    client.force_login(user)
    print(f"  largest institution: {largest['n']:,} sentenced persons")
    for kind in LISTS:
        url = reverse("sentences:worklist", kwargs={"kind": kind})
        client.get(url)  # warm up
        samples = []
        for page in range(args.requests):
            elapsed, response = time_ms(lambda u=url, p=page: client.get(u, {"page": 1 + p % 3}))
            assert response.status_code == 200, response.status_code
            samples.append(elapsed)
        stats = summarise(samples)
        results[f"worklist_{kind}"] = stats
        print(figure(f"worklist {kind} p95", stats["p95_ms"], "ms", 200))
    path = write_results("sentences_django", label, results)
    print(f"  written to {path}")


if __name__ == "__main__":
    main()
