"""Sentences module on the national demo data: bulk recalculation and the worklist page.

    QADAM_VAR_DIR=var .venv/bin/python benchmarks/bench_sentences_django.py
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_sentences_django.py

Runs against an existing demo database (the one `scripts/demo.sh` or `qadam demo_generate`
made); if it holds no verdicts yet, the sentences demo step adds them first. Measures:

- the diff of everyone's dates under the rule set in use (batch reads, pure engine, diff rows) and
  the activation (the same plus the upsert of every SentenceCalculation): target < 60 s;
- the worklist page for the largest institution, server time through Django's test client, for
  each list, as an institution-scoped officer: target p95 < 200 ms.

Prints each figure beside its target; writes the figures as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_label, figure, machine, summarise, time_ms, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per worklist")
    parser.add_argument("--skip-activation", action="store_true")
    parser.add_argument(
        "--worklists-only", action="store_true", help="measure the worklist pages only"
    )
    args = parser.parse_args()
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
    from qadam.sentences import recalculation
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

    if not args.worklists_only:
        wall, cpu = time.perf_counter(), time.process_time()
        run = recalculation.diff_start(actor=None)
        run = recalculation.diff_compute(run)
        results["diff_s"] = time.perf_counter() - wall
        results["diff_cpu_s"] = time.process_time() - cpu
        results["diff_persons"] = run.total
        results["diff_changed_persons"] = run.changed_persons
        print(figure(f"recalculation diff, {run.total:,} persons", results["diff_s"], "s", 60))
        print(figure("  of which CPU in this process", results["diff_cpu_s"], "s"))
        if not args.skip_activation:
            wall, cpu = time.perf_counter(), time.process_time()
            recalculation.activate(run, actor=None)
            results["activation_s"] = time.perf_counter() - wall
            results["activation_cpu_s"] = time.process_time() - cpu
            print(figure("activation (write everyone's dates)", results["activation_s"], "s", 60))
            print(figure("  of which CPU in this process", results["activation_cpu_s"], "s"))

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
