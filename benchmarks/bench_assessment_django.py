"""Assessment pages on the national demo data: the person's assessment pages, server time.

    QADAM_VAR_DIR=var .venv/bin/python benchmarks/bench_assessment_django.py
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/bench_assessment_django.py

Runs against an existing demo database (the one `scripts/demo.sh` or `qadam demo_generate` made);
it only reads, apart from the audit rows each page writes and one benchmark user. Django runs with
`QADAM_DEBUG=false` (no query log). As a psychologist scoped to the institution with the most
assessed persons, through Django's test client, for persons assessed there (those with the most
assessments first):

- the person's assessments (history with the change over time and its chart);
- the latest assessment's result (points, probabilities, band, each item's contribution as a
  chart and in words);
- the form for a new assessment (every item with its options, the last answers filled in).

Target (issue 5): the person's assessment page p95 < 150 ms. Prints p50 / p95 per page and the
number of SQL queries of one request; writes the figures as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_label, figure, machine, summarise, time_ms, write_results

TARGET_MS = 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100, help="persons, one request per page")
    args = parser.parse_args()
    os.environ["QADAM_DEBUG"] = "false"  # no query log, as in production
    os.environ.setdefault("QADAM_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qadam.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, Max
    from django.test import Client
    from django.urls import reverse

    from qadam.assessment.models import Assessment
    from qadam.core.models import User
    from qadam.core.roles import Role, ScopeLevel
    from qadam.core.roles_sync import group_for

    label = database_label()
    print(f"Assessment pages (Django) on {label}")
    results: dict[str, Any] = {"machine": machine()}
    largest = (
        Assessment.objects.filter(institution__isnull=False)
        .values("institution")
        .annotate(n=Count("person", distinct=True))
        .order_by("-n")
        .first()
    )
    if largest is None:
        raise SystemExit("no assessments in this database: run `qadam demo_generate` first")
    institution_id = largest["institution"]
    people = list(
        Assessment.objects.filter(institution_id=institution_id)
        .values("person")
        .annotate(n=Count("id"), latest=Max("id"))
        .order_by("-n", "person")[: args.persons]
    )
    results["institution_assessed_persons"] = largest["n"]
    results["persons"] = len(people)
    print(
        f"  institution with the most assessed persons: {largest['n']:,}; "
        f"{len(people)} persons, up to {people[0]['n']} assessments each"
    )
    user, _created = User.objects.get_or_create(
        username="bench-assessment-psychologist",
        defaults={
            "role": Role.PSYCHOLOGIST,
            "scope_level": ScopeLevel.INSTITUTION,
            "language": "ru",
        },
    )
    user.groups.set([group_for(Role.PSYCHOLOGIST)])
    user.institutions.set([institution_id])
    client = Client()
    client.force_login(user)
    pages = {
        "history": lambda row: reverse(
            "assessment:person_assessments", kwargs={"person_pk": row["person"]}
        ),
        "result": lambda row: reverse("assessment:detail", kwargs={"pk": row["latest"]}),
        "form": lambda row: reverse("assessment:assess", kwargs={"person_pk": row["person"]}),
    }
    for name, url_for in pages.items():
        client.get(url_for(people[0]))  # warm up
        statements: list[str] = []

        def count(execute: Any, sql: str, *rest: Any, log: list[str] = statements) -> Any:
            log.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            client.get(url_for(people[0]))
        samples = []
        for row in people:
            url = url_for(row)
            elapsed, response = time_ms(lambda u=url: client.get(u))
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            samples.append(elapsed)
        stats = summarise(samples)
        stats["queries"] = len(statements)
        results[name] = stats
        print(
            figure(f"{name} p95 ({len(statements)} queries)", stats["p95_ms"], "ms", TARGET_MS)
            + f"   p50 {stats['p50_ms']:.1f} ms"
        )
    path = write_results("assessment_django", label, results)
    print(f"  written to {path}")


if __name__ == "__main__":
    main()
