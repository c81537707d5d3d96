"""The public figures on gunicorn and PostgreSQL, at a small and a large journal, beside a
static file served by the same server in the same run.

    python benchmarks/transparency.py [--transactions 1000,1000000] [--refresh 0,60]
        [--workers 2] [--threads 4] [--clients 32] [--duration 12] [--rounds 3]
        [--max-cases 5000] [--audit] [--cache-url URL]

For each journal size: a fresh PostgreSQL database loaded through the batch posting
service (``ledger_scale.load``: card donations, payouts and bail payments spread over seven
years, so about 84 months of monthly totals at any size), then one case per hundred
transactions (at most ``--max-cases``) in twenty counties, each with a paid bail
disbursement, a third of them returned. Then every month that is due is released, in
order (``ledger.public.releases``). By default each release is stored as the privacy rules alone
choose it, without complementary suppression and the linear-programming audit, whose cost
grows with the history and is measured by ``release_audit.py``: what is served has the same
shape and size either way. ``--audit`` publishes them as production does (slow: seven
years released at once took over eight minutes here, with ten cases). Static files are
collected, and gunicorn starts with production settings (DEBUG off) and the cache given
(``--cache-url``; the default is local memory per worker; the public pages do not use it).

Then ``--clients`` concurrent clients (each request says ``Accept-Encoding: gzip``, as
browsers do; WhiteNoise answers the static file compressed too), closed loop, fetch in
turn for ``--duration``
seconds each, alternating in ``--rounds`` slices so other load on the machine weighs on
all three alike:

* the ceiling: ``/static/css/site.css``, served by WhiteNoise in the same processes;
* ``/transparency.json``;
* ``/transparency/`` (the HTML page, in English).

Each size is measured once per ``--refresh`` value (``TRANSPARENCY_REFRESH_SECONDS``): 0
rebuilds every document from the stored releases on every request; 60, the default, lets
each process serve its own copy and look for a new release at most once a minute.

Reported: throughput, p50 and p99 latency, each against the static file, gunicorn's CPU
time per request, the time of the first request for each (the copy not built yet), and,
in this process, the time and queries to rebuild every public document from the releases.
Targets, reported and not asserted: throughput at least 0.9 of the static file's, and the
same p99 at every size.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
import urllib.request

from _setup import fresh_database, machine
from _stack import LoadResult, Stack, app_env, closed_loop, cpu_snapshot, request_bytes

WARM_UP = 2.0
TARGETS = (
    ("static", "/static/css/site.css"),
    ("json", "/transparency.json"),
    ("page", "/transparency/"),
)
COUNTIES = [f"County {chr(65 + n)}" for n in range(20)]


def load_cases(transactions: int, max_cases: int) -> int:
    """Cases with paid bail, spread over the same seven years as the journal."""
    from django.contrib.auth.models import User

    from ledger.models import (
        BailCase,
        Disbursement,
        DisbursementOutcome,
        DisbursementStatus,
        JournalTransaction,
        OutcomeKind,
    )

    count = max(10, min(max_cases, transactions // 100))
    rng = random.Random(2020)
    user = User.objects.create_user("bench-staff", password=None)
    some_transaction = JournalTransaction.objects.order_by("sequence").first()
    now = dt.datetime.now(dt.UTC)
    cases = BailCase.objects.bulk_create(
        BailCase(
            county=rng.choice(COUNTIES[: 5 + n % 16]),
            bail_type=rng.choice(["criminal_bail", "criminal_bail", "immigration_bond"]),
            opened_on=dt.date(2020, 1, 1) + dt.timedelta(days=n * 2555 // count),
        )
        for n in range(count)
    )
    disbursements = []
    for n, case in enumerate(cases):
        amount = rng.choice([50_000, 100_000, 150_000, 250_000, 500_000])
        returned = n % 3 == 0
        disbursements.append(
            Disbursement(
                request_token=f"bench-{n}",
                case=case,
                purpose="bail",
                status=DisbursementStatus.RETURNED if returned else DisbursementStatus.PAID,
                amount=amount,
                currency="usd",
                payee_kind="court",
                method="check",
                requested_by=user,
                requested_at=now,
                paid_on=case.opened_on,
                returned_amount=amount if returned else 0,
            )
        )
    disbursements = Disbursement.objects.bulk_create(disbursements)
    DisbursementOutcome.objects.bulk_create(
        DisbursementOutcome(
            disbursement=d,
            kind=OutcomeKind.RETURN,
            token=f"bench-outcome-{d.pk}",
            occurred_on=d.paid_on + dt.timedelta(days=200),
            returned_amount=d.amount,
            recorded_by=user,
            recorded_at=now,
            transaction=some_transaction,
        )
        for d in disbursements
        if d.status == DisbursementStatus.RETURNED
    )
    return count


def publish_releases(audit: bool) -> int:
    """Release every month that is due; returns how many were published."""
    from django.utils import timezone

    from ledger.books.tree_heads import checkpoint_create
    from ledger.models import ReleaseStatus, TransparencyRelease
    from ledger.public import releases

    today = timezone.localdate()
    if audit:
        made = releases.releases_publish_due(today=today)
        for release in made:
            if release.status != ReleaseStatus.PUBLISHED:
                print(f"# release {release.period} held: {release.held_reason[:200]}")
        return sum(release.status == ReleaseStatus.PUBLISHED for release in made)
    count, period = 0, releases.next_period()
    while period is not None and releases.due_on(period) <= today:
        candidate = releases.release_build(period, complementary=False)
        digest = releases.content_hash(candidate.content)
        TransparencyRelease.objects.create(
            period=period,
            status=ReleaseStatus.PUBLISHED,
            created_at=timezone.now(),
            content=candidate.content,
            content_hash=digest,
            truth=candidate.truth,
            checkpoint=checkpoint_create(release_hash=digest),
        )
        count += 1
        period = releases.next_period()
    return count


def rebuild_cost() -> tuple[float, int]:
    """(median milliseconds, queries) to rebuild every public document from the stored
    releases, in this process: what each web process does once per refresh interval."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ledger.public import transparency
    from ledger.public.views import _page

    timings = []
    for _ in range(5):
        transparency.forget()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            for kind in ("json", "csv", "dictionary", "checkpoints"):
                transparency.open_data(kind)
            transparency.page("en", _page)
            timings.append(time.perf_counter() - start)
    return sorted(timings)[2] * 1000, len(queries)


def first_request(url: str) -> float:
    """Seconds for one request that nothing has cached yet (in the worker that gets it)."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return time.perf_counter() - start


async def measure(url: str, args, groups: dict[str, int]) -> dict:
    host = url.split("//", 1)[1]
    requests = {
        name: request_bytes(
            "GET", path, host, headers={"Accept-Language": "en", "Accept-Encoding": "gzip"}
        )
        for name, path in TARGETS
    }
    results = {name: LoadResult() for name, _ in TARGETS}
    cpu = dict.fromkeys(results, 0.0)
    for name, _ in TARGETS:
        await closed_loop(
            url, lambda i, r=requests[name]: r, clients=args.clients, duration=WARM_UP
        )
    slice_ = args.duration / args.rounds
    for _ in range(args.rounds):
        for name, _ in TARGETS:
            before = cpu_snapshot(groups)
            result = await closed_loop(
                url, lambda i, r=requests[name]: r, clients=args.clients, duration=slice_
            )
            cpu[name] += cpu_snapshot(groups)["gunicorn"] - before["gunicorn"]
            results[name].add(result)
    return {"results": results, "cpu_per_request": {n: cpu[n] / max(results[n].ok, 1) for n in cpu}}


def run_size(transactions: int, args) -> list[dict]:
    from ledger_scale import load

    if "django" in sys.modules and os.environ.get("DATABASE_URL"):
        from django.db import connections

        connections.close_all()  # the database is dropped and created again
    database_url = fresh_database("bench_transparency")
    started = time.perf_counter()
    load(transactions)
    cases = load_cases(transactions, args.max_cases)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    published = publish_releases(args.audit)
    release_seconds = time.perf_counter() - started
    compute_ms, compute_queries = rebuild_cost()
    env = app_env(database_url=database_url, broker_url="", webhook_secret="whsec_unused")
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    runs = []
    for refresh in args.refresh.split(","):
        if args.cache_url.startswith("redis"):
            from _stack import flush_redis

            flush_redis(args.cache_url)
        with Stack() as stack:
            web = stack.gunicorn(
                {**env, "TRANSPARENCY_REFRESH_SECONDS": refresh},
                workers=args.workers,
                threads=args.threads,
            )
            cold = {name: first_request(web.url + path) for name, path in TARGETS}
            with urllib.request.urlopen(web.url + "/transparency.json") as response:
                body = response.read()
            figures = json.loads(body)
            measured = asyncio.run(measure(web.url, args, stack.groups()))
            stack.check()
        runs.append(
            {
                "transactions": transactions,
                "refresh": refresh,
                "cases": cases,
                "load_seconds": load_seconds,
                "releases": published,
                "release_seconds": release_seconds,
                "cold": cold,
                "compute_ms": compute_ms,
                "compute_queries": compute_queries,
                "latest_release": figures["latest_release"],
                "json_bytes": len(body),
                "people_helped": figures["releases"][-1]["people"]["total"]["people_helped"]
                if figures["releases"]
                else 0,
                **measured,
            }
        )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", default="1000,1000000", help="comma list of sizes")
    parser.add_argument(
        "--refresh", default="0,60", help="TRANSPARENCY_REFRESH_SECONDS values, comma list"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help=">1: gthread workers")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-cases", type=int, default=5000)
    parser.add_argument(
        "--audit", action="store_true", help="publish releases through the audit (slow)"
    )
    parser.add_argument("--cache-url", default="", help="e.g. redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    runs = [run for n in args.transactions.split(",") for run in run_size(int(n), args)]

    cache = args.cache_url or "local memory per worker"
    print(f"# transparency, {dt.date.today()}, {machine()}, PostgreSQL, gunicorn")
    print(
        f"# {args.workers} workers x {args.threads} threads, {args.clients} clients, closed "
        f"loop, {args.duration:.0f} s per target in {args.rounds} rounds; cache: {cache}"
    )
    bad = False
    for run in runs:
        results = run["results"]
        static = results["static"]
        people = run["people_helped"]  # "suppressed" when the latest release hides it
        helped = f"{people:,}" if isinstance(people, int) else people
        print(
            f"{run['transactions']:,} transactions, {run['cases']:,} cases, {helped} people "
            f"helped; loaded in {run['load_seconds']:.0f} s; {run['releases']} releases to "
            f"{run['latest_release']} in {run['release_seconds']:.0f} s "
            f"({'audited' if args.audit else 'rules only'}); "
            f"TRANSPARENCY_REFRESH_SECONDS={run['refresh']}"
        )
        print(
            f"  rebuilding every public document from the releases: "
            f"{run['compute_ms']:.1f} ms, {run['compute_queries']} queries; "
            f"transparency.json {run['json_bytes'] / 1024:.0f} KiB"
        )
        for name, path in TARGETS:
            result = results[name]
            p50, p99 = result.percentile(50) * 1000, result.percentile(99) * 1000
            ratio = result.rate / static.rate if static.rate else float("nan")
            cpu_ms = run["cpu_per_request"][name] * 1000
            print(
                f"  {path:24s} {result.rate:7.0f} req/s ({ratio:4.2f} of static)  "
                f"p50 {p50:5.1f} ms  p99 {p99:5.1f} ms  gunicorn CPU {cpu_ms:4.2f} ms/req  "
                f"first request {run['cold'][name] * 1000:6.1f} ms  errors {result.errors}"
            )
            for sample in result.error_samples[:2]:
                print(f"    e.g. {sample}")
            bad |= result.errors > 0
    sizes = sorted({run["transactions"] for run in runs})
    if len(sizes) > 1:
        for refresh in args.refresh.split(","):
            small, large = (
                next(r for r in runs if r["transactions"] == n and r["refresh"] == refresh)
                for n in (sizes[0], sizes[-1])
            )
            for name, path in TARGETS[1:]:
                ratio = large["results"][name].percentile(99) / small["results"][name].percentile(
                    99
                )
                print(
                    f"p99 of {path} at {sizes[-1]:,} / at {sizes[0]:,} transactions, "
                    f"refresh {refresh}: {ratio:.2f}"
                )
    print("targets: throughput >= 0.9 x static; the same p99 at every size")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
