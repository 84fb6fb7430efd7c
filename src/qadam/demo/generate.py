"""Run the registered generator steps and report what was made."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TextIO

from django.db.models import Count
from django.utils.module_loading import autodiscover_modules

from qadam.custody.models import Stay
from qadam.demo import registry
from qadam.demo.progress import Progress, SilentProgress
from qadam.demo.registry import DemoContext, Output
from qadam.demo.targets import Targets, load_custody_targets, mid_year
from qadam.demo.users import system_user
from qadam.people.models import Person

HISTORY_YEARS = 10
DEFAULT_SEED = 2026


def load_steps() -> list[registry.Step]:
    import qadam.demo.steps  # noqa: F401 - registers the foundation's steps

    autodiscover_modules("demo")
    return registry.ordered()


def history_start(today: date) -> date:
    try:
        return today.replace(year=today.year - HISTORY_YEARS)
    except ValueError:  # 29 February
        return (today - timedelta(days=1)).replace(year=today.year - HISTORY_YEARS)


def run(
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    today: date,
    out: Output,
    err: TextIO | None = None,
    show_progress: bool = True,
    only: list[str] | None = None,
) -> DemoContext:
    def progress(label: str, total: int) -> Progress:
        if show_progress:
            return Progress(label, total, err)
        return SilentProgress(label, total)

    ctx = DemoContext(
        seed=seed,
        scale=scale,
        today=today,
        start=history_start(today),
        system_user=system_user(),
        out=out,
        progress=progress,
    )
    try:
        for step in load_steps():
            if only is not None and step.name not in only:
                continue
            ctx.rng = ctx.random_for(step.name)
            wall, cpu = time.perf_counter(), time.process_time()
            step.function(ctx)
            ctx.timings[step.name] = time.perf_counter() - wall
            ctx.timings[f"{step.name} (cpu)"] = time.process_time() - cpu
    finally:
        # A step may move what it built out of the cyclic collector's reach (`gc.freeze`, see
        # demo/ledger.py) so that later steps do not walk it again; once the run is over it is
        # handed back, or a long-lived process (the demo server) could never free its cycles.
        gc.unfreeze()
    return ctx


@dataclass(frozen=True)
class YearCheck:
    year: int
    day: date
    stock: int
    target: float

    @property
    def difference(self) -> float:
        return (self.stock - self.target) / self.target if self.target else 0.0


def stock_by_year(ctx: DemoContext) -> list[YearCheck]:
    """Persons in custody on each year's mid-year day of the history against the target."""
    targets = Targets(load_custody_targets(), ctx.scale)
    checks = []
    for year in sorted(targets.custody):
        day = mid_year(year)
        if ctx.start <= day < ctx.today:
            stock = Stay.objects.on(day).count()
            checks.append(YearCheck(year, day, stock, targets.total(day)))
    return checks


def summary(ctx: DemoContext) -> str:
    lines = ["", "National demo data"]
    lines.append(f"  seed {ctx.seed}, scale {ctx.scale}, history {ctx.start} – {ctx.today}")
    for key in (
        "institutions",
        "sections",
        "cells",
        "persons",
        "movements",
        "stays",
        "population_snapshots",
        "detention_bases",
        "admission_records",
        "amnesty_releases",
        "early_releases",
    ):
        if key in ctx.summary:
            lines.append(f"  {key.replace('_', ' '):<22} {ctx.summary[key]:>10,}")
    lines.append("  Population today (open stays) by legal status and sex:")
    rows = (
        Stay.objects.open()
        .values("legal_status", "sex")
        .annotate(n=Count("id"))
        .order_by("legal_status", "sex")
    )
    total = 0
    for row in rows:
        lines.append(f"    {row['legal_status']:<10} {row['sex']}  {row['n']:>8,}")
        total += row["n"]
    lines.append(f"    {'total':<13} {total:>8,}")
    minors = (
        Stay.objects.open()
        .filter(birth_date__gt=ctx.today.replace(year=ctx.today.year - 18))
        .count()
    )
    lines.append(f"    minors (under 18) {minors:>6,}")
    held = Person.objects.filter(current_institution__isnull=False)
    lines.append(
        "  Lawful detention today: held past the lawful date "
        f"{held.filter(lawful_until__lt=ctx.today).count()}, release due today "
        f"{held.filter(lawful_until=ctx.today).count()}, expiring within 7 days "
        f"{held.filter(lawful_until__gt=ctx.today, lawful_until__lte=ctx.today + timedelta(days=7)).count()}"
    )
    lines.append("  Stock on 1 July of each year vs demo_targets.csv (custody incl. remand):")
    for check in stock_by_year(ctx):
        lines.append(
            f"    {check.year}  {check.stock:>8,}  target {check.target:>9,.0f}  "
            f"{100 * check.difference:+5.1f} %"
        )
    for name, seconds in ctx.timings.items():
        lines.append(f"  time {name:<22} {seconds:8.1f} s")
    return "\n".join(lines) + "\n"
