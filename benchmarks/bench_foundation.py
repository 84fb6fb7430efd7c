"""Foundation benchmarks on the full national demo data (issue 3, "Performance").

    .venv/bin/python benchmarks/bench_foundation.py                     # SQLite, var/bench/
    .venv/bin/python benchmarks/bench_foundation.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Uses a database of its own: an SQLite file under var/bench/, or a PostgreSQL database
`qadam_bench` that it drops and creates through the given server's `postgres` database. Prints each
figure beside its target with the ratio; writes the figures as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    PROJECT_DIR,
    Stopwatch,
    database_label,
    figure,
    machine,
    summarise,
    time_ms,
    write_results,
)

BENCH_DATABASE = "qadam_bench"


def prepare_database(url: str | None, keep: bool) -> str:
    """Point Django at the benchmark's own database, created empty unless `keep`."""
    if not url:
        path = PROJECT_DIR / "var" / "bench" / "bench.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("--database-url must be a postgres:// URL (or leave it out for SQLite)")
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    if not keep:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples", type=int, default=200, help="dates and searches")
    parser.add_argument("--pages", type=int, default=100, help="person pages")
    parser.add_argument("--admissions", type=int, default=1000)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the benchmark database (skip generation)"
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = prepare_database(args.database_url, args.keep)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qadam.config.settings")
    os.environ["QADAM_DEBUG"] = "false"  # no query log, as in production
    os.environ.setdefault("QADAM_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["QADAM_AXES_ENABLED"] = "false"
    os.environ["QADAM_FAST_PASSWORD_HASHING"] = "true"
    import django

    django.setup()
    from django.core.management import call_command

    label = database_label()
    facts = machine()
    print(f"Foundation benchmarks on {label}; {facts}")
    results: dict[str, Any] = {"database": label, "machine": facts, "scale": args.scale}
    with Stopwatch() as migrate_time:
        call_command("migrate", verbosity=0)
    results["migrate_seconds"] = migrate_time.wall

    from django.utils import timezone

    today = timezone.localdate()
    if not args.keep:
        results["generation"] = bench_generation(args.seed, args.scale, today)
    rng = random.Random(args.seed)
    results["population"] = bench_population(rng, args.samples, today)
    user = national_user()
    results["search"] = bench_search(rng, user, args.samples)
    results["person_page"] = bench_person_page(rng, user, args.pages)
    results["admissions"] = bench_admissions(rng, args.admissions)
    path = write_results("foundation", label, results)
    print(f"Results written to {path.relative_to(PROJECT_DIR)}")


def bench_generation(seed: int, scale: float, today: date) -> dict[str, Any]:
    import io

    from qadam.demo import generate
    from qadam.people.models import Person

    with Stopwatch() as watch:
        ctx = generate.run(
            seed=seed,
            scale=scale,
            today=today,
            out=io.StringIO(),
            err=sys.stderr,
            only=["institutions", "custody"],
        )
    seconds = ctx.timings["institutions"] + ctx.timings["custody"]
    cpu = ctx.timings["institutions (cpu)"] + ctx.timings["custody (cpu)"]
    print("Demo data: persons and ledger")
    print(f"  {ctx.summary}")
    print(figure("generation, wall clock", seconds, "s", 90))
    print(figure("generation, CPU time of the process", cpu, "s", 90))
    checks = generate.stock_by_year(ctx)
    for check in checks:
        print(
            f"  stock 1 July {check.year}: {check.stock:,} vs target {check.target:,.0f} "
            f"({100 * check.difference:+.1f} %)"
        )
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "total_seconds": watch.wall,
        "persons": Person.objects.count(),
        "summary": ctx.summary,
        "stock_by_year": [
            {"year": c.year, "stock": c.stock, "target": c.target, "difference": c.difference}
            for c in checks
        ],
    }


def random_day(rng: random.Random, today: date) -> date:
    return today - timedelta(days=rng.randint(0, 3650))


def bench_population(rng: random.Random, samples: int, today: date) -> dict[str, Any]:
    from django.db.models import Count

    from qadam.custody.models import Stay

    try:
        from qadam.custody.population import population_counts

        def count(day: date) -> dict[Any, int]:
            return population_counts(day, "institution")

        source = "custody.population.population_counts"
        prepare_snapshots(today)
    except ImportError:

        def count(day: date) -> dict[Any, int]:
            rows = Stay.objects.on(day).values("institution").annotate(n=Count("id")).order_by()
            return {r["institution"]: r["n"] for r in rows}

        source = "Stay.objects.on(day) grouped by institution"
    for _ in range(5):  # warm the caches
        count(random_day(rng, today))
    timings = [time_ms(lambda: count(random_day(rng, today)))[0] for _ in range(samples)]
    stats = summarise(timings)
    print(f"Population on a date, whole country by institution ({source})")
    print(figure("p50", stats["p50_ms"], "ms"))
    print(figure("p95", stats["p95_ms"], "ms", 100))
    return stats | {"source": source}


def prepare_snapshots(today: date) -> None:
    """A benchmark database kept from before the snapshots existed gets them built first, as the
    generator builds them, so that the figure is the steady state (not the first use)."""
    try:
        from qadam.custody.models import PopulationSnapshot
        from qadam.custody.snapshots import build_month_snapshots
        from qadam.demo.generate import history_start
    except ImportError:
        return
    stored = PopulationSnapshot.objects.count()
    if not stored:
        with Stopwatch() as watch:
            stored = build_month_snapshots(today, since=history_start(today))
        print(f"  built {stored} month-start population snapshots in {watch.wall:.1f} s")


def national_user() -> Any:
    from qadam.core.models import User
    from qadam.core.roles import Role, ScopeLevel
    from qadam.core.roles_sync import group_for, sync_role_groups

    sync_role_groups()
    user, _ = User.objects.get_or_create(
        username="bench-national",
        defaults={"role": Role.HEAD, "scope_level": ScopeLevel.NATIONAL, "language": "en"},
    )
    user.groups.set([group_for(Role.HEAD)])
    return user


def search_queries(rng: random.Random, count: int) -> list[str]:
    from qadam.people.identity import transliterate
    from qadam.people.models import Person

    ids = list(Person.objects.values_list("id", flat=True))
    queries: list[str] = []
    for person in Person.objects.filter(pk__in=rng.sample(ids, count)):
        kind = len(queries) % 6
        if kind == 0:
            queries.append(person.surname)
        elif kind == 1:
            queries.append(f"{person.surname} {person.first_name}")
        elif kind == 2:
            queries.append(transliterate(f"{person.surname} {person.first_name}"))
        elif kind == 3:  # a typo: one letter dropped from the surname
            cut = rng.randrange(1, len(person.surname))
            queries.append(
                person.surname[:cut] + person.surname[cut + 1 :] + " " + person.first_name
            )
        elif kind == 4:
            queries.append(person.iin or person.case_number)
        else:
            queries.append(person.case_number)
    return queries


def bench_search(rng: random.Random, user: Any, samples: int) -> dict[str, Any]:
    queries = search_queries(rng, samples)
    try:
        from qadam.people.search import search_persons

        def run(query: str) -> int:
            return search_persons(user=user, query=query).total

        source = "people.search.search_persons"
    except ImportError:
        from qadam.people.identity import name_key
        from qadam.people.models import Person

        def run(query: str) -> int:
            key = name_key(query.split()[0])
            return len(Person.objects.visible_to(user).filter(surname_key=key)[:50])

        source = "surname key lookup"
    for query in queries[:5]:
        run(query)
    timings: list[float] = []
    hits = 0
    for query in queries:
        elapsed, found = time_ms(lambda q=query: run(q))
        timings.append(elapsed)
        hits += 1 if found else 0
    stats = summarise(timings)
    print(f"Person search ({source}; surnames, full names, Latin, typos, IIN, case numbers)")
    print(figure("p50", stats["p50_ms"], "ms"))
    print(figure("p95", stats["p95_ms"], "ms", 100))
    print(f"  queries that found someone: {hits} of {len(queries)}")
    return stats | {"source": source, "queries_with_hits": hits}


def bench_person_page(rng: random.Random, user: Any, pages: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from qadam.people.models import Person

    try:
        reverse("people:person_detail", args=[1])
    except NoReverseMatch:
        print("Person page: no route people:person_detail yet — skipped")
        return {"skipped": True}
    client = Client()
    client.force_login(user)
    held = list(
        Person.objects.filter(current_institution__isnull=False).values_list("id", flat=True)
    )
    others = list(
        Person.objects.filter(current_institution__isnull=True).values_list("id", flat=True)[:20000]
    )
    chosen = rng.sample(held, min(len(held), pages * 3 // 4))
    chosen += rng.sample(others, min(len(others), pages - len(chosen)))
    client.get(reverse("people:person_detail", args=[chosen[0]]))
    timings: list[float] = []
    queries: list[int] = []
    statuses: set[int] = set()
    for person_id in chosen:
        url = reverse("people:person_detail", args=[person_id])
        with CaptureQueriesContext(connection) as captured:
            elapsed, response = time_ms(lambda u=url: client.get(u))
        timings.append(elapsed)
        queries.append(len(captured.captured_queries))
        statuses.add(response.status_code)
    stats = summarise(timings)
    print("Person page, server time through the test client (national user)")
    print(figure("p50", stats["p50_ms"], "ms"))
    print(figure("p95", stats["p95_ms"], "ms", 150))
    print(
        f"  queries per page: min {min(queries)}, max {max(queries)}; statuses {sorted(statuses)}"
    )
    return stats | {"queries_min": min(queries), "queries_max": max(queries)}


def bench_admissions(rng: random.Random, count: int) -> dict[str, Any]:
    from django.utils import timezone

    from qadam.core.models import User
    from qadam.core.roles import Role, ScopeLevel
    from qadam.core.roles_sync import group_for
    from qadam.custody import services
    from qadam.custody.models import Institution, Section
    from qadam.demo.names import random_name
    from qadam.people.identity import make_iin
    from qadam.people.services import AdmissionRecordInput, IdentityInput, KinInput

    actor, _ = User.objects.get_or_create(
        username="bench-reception",
        defaults={"role": Role.RECEPTION, "scope_level": ScopeLevel.NATIONAL},
    )
    actor.groups.set([group_for(Role.RECEPTION)])
    actor = User.objects.get(pk=actor.pk)  # fresh permission cache
    sizos = list(Institution.objects.filter(type__code="SIZO").order_by("code"))
    sections = {
        s.institution_id: s
        for s in Section.objects.filter(institution__in=sizos, sex="M", is_juvenile=False)
    }
    now = timezone.now()
    with Stopwatch() as watch:
        for number in range(count):
            sex = rng.choice("MF")
            name = random_name(rng, sex)
            born = date(1970, 1, 1) + timedelta(days=rng.randint(0, 12000))
            sizo = sizos[number % len(sizos)]
            occurred = now - timedelta(minutes=count - number)
            services.admission_create(
                actor=actor,
                data=services.MovementInput(
                    occurred_at=occurred,
                    institution=sizo,
                    section=sections.get(sizo.pk) if sex == "M" else None,
                ),
                legal_status="remand",
                basis=services.BasisInput(
                    kind="remand_order",
                    authority="Следственный суд",
                    document_number=f"BENCH-{number:05d}",
                    issued_on=occurred.date(),
                    valid_until=occurred.date() + timedelta(days=60),
                ),
                record=AdmissionRecordInput(
                    commitment_reason="Постановление о содержании под стражей",
                    commitment_authority="Следственный суд",
                    arrested_at=occurred - timedelta(hours=20),
                    arrest_place="Отдел полиции",
                    rights_informed_at=occurred + timedelta(minutes=1) - timedelta(minutes=2),
                    information_language="русский язык",
                    next_of_kin=[KinInput(name="Иванова Анна", relationship="мать")],
                ),
                identity=IdentityInput(
                    surname=name.surname,
                    first_name=name.first_name,
                    patronymic=name.patronymic,
                    birth_date=born,
                    sex=sex,
                    iin=make_iin(born, sex, 9000 + number % 900),
                ),
                allow_duplicate_reason="benchmark admission",
                capacity_override_reason="benchmark admission",
            )
    rate = count / watch.wall
    print(f"Admissions through the service layer (custody.services.admission_create), {count}")
    print(f"  {watch.wall:.1f} s wall, {watch.cpu:.1f} s CPU: {rate:.1f} admissions per second")
    return {"count": count, "seconds": watch.wall, "cpu_seconds": watch.cpu, "per_second": rate}


if __name__ == "__main__":
    main()
