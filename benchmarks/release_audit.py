"""How long choosing and auditing each monthly release takes as a fund's history grows.

    python benchmarks/release_audit.py [--months 36] [--people 100] [--counties 12]
        [--seed 1]

Builds the releases' truths directly (no database): each month ``--people`` new people
have bail paid, in ``--counties`` counties of very different sizes (most people in a few
counties, a long tail of small ones, as in a state's caseload), two kinds of help; each
month a seventh of those still out get their bail back (less a fee), and one in twenty of
those returns is a forfeiture instead. Then, month after month, it runs what publishing
runs (``ledger.public.releases.release_choose``: the rules, complementary suppression and the
linear-programming audit over every release so far) and reports the seconds each release
took, how many of its figures were suppressed, and the peak memory of the process.

Target, reported and not asserted: every release of a three-year history chosen within the
nightly task's budget of ten minutes on this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time

from _setup import machine

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def synthetic_truths(months: int, people: int, counties: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    persons: dict[str, dict] = {}
    truths = []
    for month in range(months):
        for person in persons.values():
            person["month"] = [0] * 5
        for _ in range(people):
            county = f"c{min(int(rng.expovariate(0.5)), counties - 1)}"
            kind = rng.choice(["criminal_bail", "criminal_bail", "immigration_bond"])
            amount = rng.randint(200, 5000) * 100
            persons[str(len(persons) + 1)] = {
                "c": county,
                "b": kind,
                "cum": [amount, 0, 0, 0, 0],
                "month": [amount, 0, 0, 0, 0],
            }
        for person in persons.values():
            out = person["cum"][0] - sum(person["cum"][1:4])
            if out and not person["month"][0] and rng.random() < 1 / 7:
                if rng.random() < 0.05:
                    person["cum"][3] += out
                    person["month"][3] = out
                else:
                    fee = min(5_000, out)
                    person["cum"][1] += out - fee
                    person["cum"][2] += fee
                    person["month"][1], person["month"][2] = out - fee, fee
        truths.append(
            {
                "period": f"{2024 + month // 12}-{month % 12 + 1:02d}",
                "persons": {
                    key: {**p, "cum": list(p["cum"]), "month": list(p["month"])}
                    for key, p in persons.items()
                },
                "labels": {f"c{n}": f"County {n}" for n in range(counties)},
                "cells": [],
            }
        )
    return truths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--counties", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import django

    django.setup()
    from ledger.public.releases import release_choose

    print(
        f"# {machine()}; {args.months} months, {args.people} people a month, "
        f"{args.counties} counties",
        flush=True,
    )
    print("release  seconds  suppressed  figures  people so far", flush=True)
    done: list[dict] = []
    started = time.perf_counter()
    slowest = 0.0
    for truth in synthetic_truths(args.months, args.people, args.counties, args.seed):
        began = time.perf_counter()
        open_findings = release_choose(done, truth)
        took = time.perf_counter() - began
        slowest = max(slowest, took)
        if open_findings:
            sys.exit(f"{truth['period']} would be held: {open_findings[0].describe()}")
        hidden = sum(not cell["published"] for cell in truth["cells"])
        print(
            f"{truth['period']}  {took:7.1f}  {hidden:10d}  {len(truth['cells']):7d}  "
            f"{len(truth['persons']):13d}",
            flush=True,
        )
        done.append(truth)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"total {time.perf_counter() - started:.1f} s, slowest release {slowest:.1f} s, "
        f"peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
