"""Sentence engine throughput: calculations per second on one core for a realistic mix.

Run: .venv/bin/python benchmarks/bench_sentences.py [--n 50000] [--profile]

The mix is shaped on the national population: mostly single-count term sentences in MED/MAX/MIN,
some with pre-trial detention, a share with several counts, a few life sentences, preferential
categories, corruption counts committed before and after 30 Dec 2020 (two evaluations, CC arts.
5-6), escapes and amnesties. The rule files are loaded once before timing, as in a worker.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time
from datetime import date, timedelta

from qadam.sentences.engine import (
    Amnesty,
    Behaviour,
    Count,
    DetentionPeriod,
    Escape,
    PersonFacts,
    Sentence,
    Term,
    calculate,
    default_rules,
)

AS_OF = date(2026, 1, 1)


def population(n: int, seed: int = 7) -> list[Sentence]:
    rng = random.Random(seed)
    out: list[Sentence] = []
    for _ in range(n):
        start = date(2016, 1, 1) + timedelta(days=rng.randrange(3600))
        gravity = rng.choices(
            ["minor", "medium", "grave", "especially_grave"], weights=[10, 30, 40, 20]
        )[0]
        years = {"minor": 1, "medium": 3, "grave": 6, "especially_grave": 12}[gravity]
        life = gravity == "especially_grave" and rng.random() < 0.03
        groups: tuple[str, ...] = ()
        roll = rng.random()
        if roll < 0.05:
            groups = ("corruption_grave",)
        elif roll < 0.07:
            groups = ("sexual_offence_against_minor",)
        elif roll < 0.10 and gravity == "especially_grave":
            groups = ("against_life",)
        offence = start - timedelta(days=rng.randrange(30, 400))
        offence = max(offence, date(2015, 1, 1))
        term = Term(life=True) if life else Term(rng.randrange(1, years + 1), rng.randrange(12))
        counts = [Count("188", gravity, term, offence, part="2", groups=groups)]
        if rng.random() < 0.2 and not life:
            counts.append(Count("190", "medium", Term(1, rng.randrange(12)), offence))
        itype = "EXTRA" if life else rng.choices(["MIN", "MED", "MAX", "FULL"], [20, 50, 25, 5])[0]
        detention: tuple[DetentionPeriod, ...] = ()
        if rng.random() < 0.6:
            days = rng.randrange(10, 300)
            detention = (DetentionPeriod(start - timedelta(days=days), start - timedelta(days=1)),)
        adjustments: list[Escape | Amnesty] = []
        if rng.random() < 0.01:
            first = start + timedelta(days=rng.randrange(30, 300))
            adjustments.append(Escape(first, first + timedelta(days=rng.randrange(1, 40)), "r"))
        if rng.random() < 0.05 and not life and start < date(2021, 12, 16):
            adjustments.append(Amnesty(date(2021, 12, 16), "Amnesty 2021", Term(months=6)))
        sex = "F" if rng.random() < 0.08 else "M"
        out.append(
            Sentence(
                counts=tuple(counts),
                institution_type=itype,
                start_date=start,
                combination=rng.choice(["absorption", "consecutive", "partial"]),
                detention=detention,
                adjustments=tuple(adjustments),
                person=PersonFacts(
                    sex=sex,
                    birth_date=date(1960, 1, 1) + timedelta(days=rng.randrange(12000)),
                    has_minor_child=sex == "F" and rng.random() < 0.5,
                ),
                behaviour=Behaviour(
                    positive_degree=rng.randrange(4),
                    conditions=rng.choice(["ordinary", "facilitated", "strict"]),
                    damage_compensated=rng.random() < 0.5,
                ),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    rules = default_rules()
    sentences = population(args.n)
    for s in sentences[:1000]:  # warm the per-day rule views as a long-running worker would
        calculate(s, as_of=AS_OF, rules=rules)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for s in sentences:
            calculate(s, as_of=AS_OF, rules=rules)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return

    print(f"sentences: {len(sentences):,}")
    rates = {}
    for explain in (False, True):
        best = float("inf")
        issues = 0
        for _ in range(args.repeat):
            issues = 0
            t0 = time.perf_counter()
            for s in sentences:
                if calculate(s, as_of=AS_OF, rules=rules, explain=explain).dates is None:
                    issues += 1
            best = min(best, time.perf_counter() - t0)
        rate = len(sentences) / best
        rates[explain] = rate
        label = "dates + full breakdown" if explain else "dates only (explain=False)"
        print(
            f"{label:28} best of {args.repeat}: {best:.3f} s, "
            f"{best / len(sentences) * 1e6:.1f} us each, {rate:,.0f} calculations/s "
            f"({issues} with issues)"
        )
    # A fixed amount of plain Python work, to read the figures against the machine's speed.
    t0 = time.perf_counter()
    for _ in range(200_000):
        date(2020, 1, 1).toordinal()
    calibration = (time.perf_counter() - t0) / 200_000 * 1e9
    print(f"machine calibration: date(...).toordinal() takes {calibration:.0f} ns")
    target = "meets" if rates[False] >= 50_000 else "below"
    print(
        f"summary: {rates[False]:,.0f} calculations/s on one core without breakdown "
        f"({target} the 50,000/s target), {rates[True]:,.0f}/s with full breakdown"
    )


if __name__ == "__main__":
    main()
