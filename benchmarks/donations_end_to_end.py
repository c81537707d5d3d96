"""Donations end to end: Stripe webhooks in, through a Celery worker, into the books.

    python benchmarks/donations_end_to_end.py [--charges 5000] [--clients 8]
        [--duplicates 0.05] [--web-workers 3] [--celery prefork:2] [--redis-db 13]

Runs the Stripe sandbox (no webhook delivery of its own), gunicorn (``config.wsgi``, DEBUG off,
production settings from the environment), a Celery worker on Redis and PostgreSQL (a fresh
database), all as separate processes on this machine. The sandbox creates ``--charges``
succeeded charges (amounts cycling through ``--amounts``), and their ``charge.succeeded``
events are read back from ``GET /v1/events``. This process then POSTs them, signed, to
``/stripe/webhook/`` with ``--clients`` concurrent clients, with a fraction ``--duplicates``
of them sent twice and everything shuffled (``--seed``), with the sandbox enforcing
``--stripe-limits`` (Stripe's live defaults: 100 requests a second per account, 25 per
endpoint). The worker processes each event as in production: it records the charge the
event carries and reads its balance transaction from Stripe's list, a page of 100 at a
time, posting it to the books. The requests the project made to Stripe meanwhile are
counted per endpoint.

Measured: donations per second from the first webhook sent until every charge is posted in
the books (the database is polled for journal transactions keyed ``stripe:…``), and the CPU
time each process group used meanwhile. Then the money check: the books equal the sandbox
(``income:donations`` credit = gross charged, ``assets:stripe`` = the sum of nets,
``expenses:processing_fees`` = the sum of fees), ``manage.py verify_ledger`` exits 0, every
event was stored once and processed, none failed, and every duplicate was answered as one.

``--celery`` takes ``pool:concurrency`` (``prefork:2``, ``threads:8``, ``solo:1``); a comma
list, like ``--web-workers``, runs the benchmark once per combination, each on a fresh
database, sandbox and Redis database (flushed before and after). Target, reported and not
asserted: at least 200 donations a second (900,000 gifts in under 75 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field

from _setup import ROOT, fresh_database, machine
from _stack import (
    Stack,
    add_traffic_arguments,
    closed_loop,
    cpu_report,
    cpu_snapshot,
    flush_redis,
    http_json,
    request_bytes,
    sign,
    stripe_limits_on,
    stripe_requests,
)

DATABASE = "bench_donations_e2e"
SECRET = "whsec_bench_end_to_end"
API_KEY = "sk_test_bench"
GIFTS = 900_000


@dataclass
class Outcome:
    web_workers: int
    celery: str
    deliveries: int = 0
    intake_seconds: float = 0.0
    intake_errors: int = 0
    duplicates_sent: int = 0
    duplicates_answered: int = 0
    posted: int = 0
    seconds: float = 0.0
    timed_out: bool = False
    connections: int = 0
    cpu: list[str] = field(default_factory=list)
    stripe_requests: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.posted / self.seconds if self.seconds else 0.0


def create_charges(sandbox_url: str, count: int, amounts: list[int]) -> None:
    """``count`` succeeded charges, emitting their events, amounts cycling through ``amounts``."""
    share, extra = divmod(count, len(amounts))
    for i, amount in enumerate(amounts):
        n = share + (1 if i < extra else 0)
        if n:
            body = json.dumps({"count": n, "amount": amount, "emit_events": True}).encode()
            http_json(f"{sandbox_url}/_sandbox/charges/bulk", body)


def charge_events(sandbox_url: str) -> list[bytes]:
    """Every stored ``charge.succeeded`` event, as the JSON body Stripe would POST."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    bodies, after = [], ""
    while True:
        query = "type=charge.succeeded&limit=100" + (f"&starting_after={after}" if after else "")
        page = http_json(f"{sandbox_url}/v1/events?{query}", headers=headers)
        bodies += [json.dumps(event, separators=(",", ":")).encode() for event in page["data"]]
        if not page["has_more"] or not page["data"]:
            return bodies
        after = page["data"][-1]["id"]


def connections_opened(conn) -> int:
    """Connections opened to this database so far (PostgreSQL counts them as sessions)."""
    return conn.execute(
        "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()[0]


def posted_count(conn) -> int:
    return conn.execute(
        "SELECT count(*) FROM ledger_journaltransaction WHERE idempotency_key LIKE 'stripe:%'"
    ).fetchone()[0]


async def deliver_and_wait(
    web_url: str,
    database_url: str,
    bodies: list[bytes],
    expected: int,
    args,
    stack: Stack,
    out: Outcome,
) -> None:
    """POST every delivery; meanwhile poll the books until ``expected`` charges are posted."""
    import psycopg

    host = web_url.split("//", 1)[1]

    def make_request(i: int) -> bytes:
        body = bodies[i]
        headers = {"Content-Type": "application/json", "Stripe-Signature": sign(SECRET, body)}
        return request_bytes("POST", "/stripe/webhook/", host, body, headers)

    def on_response(status: int, body: bytes) -> None:
        if status == 200 and json.loads(body).get("duplicate"):
            out.duplicates_answered += 1

    with psycopg.connect(database_url, autocommit=True) as conn:
        groups = stack.groups()
        connections_before = connections_opened(conn)
        before = cpu_snapshot(groups)
        start = time.perf_counter()
        intake = asyncio.create_task(
            closed_loop(
                web_url,
                make_request,
                clients=args.clients,
                total=len(bodies),
                on_response=on_response,
            )
        )
        while True:
            await asyncio.sleep(args.poll)
            out.posted = await asyncio.to_thread(posted_count, conn)
            now = time.perf_counter()
            if out.posted >= expected:
                break
            if now - start > args.timeout:
                out.timed_out = True
                break
            if intake.done():
                stack.check()
        out.seconds = now - start
        out.cpu = cpu_report(before, cpu_snapshot(groups), out.seconds)
        result = await intake
        await asyncio.sleep(1.5)  # backends report their counters at most once a second
        out.connections = connections_opened(conn) - connections_before
    out.intake_seconds = result.elapsed
    out.intake_errors = result.errors
    out.error_samples = result.error_samples


def wait_for_events(expected: int, timeout: float) -> dict[str, int]:
    """Event statuses once every event has left ``received`` (or at the timeout)."""
    from django.db.models import Count

    from donations.models import StripeEvent

    deadline = time.monotonic() + timeout
    while True:
        counts = dict(StripeEvent.objects.values_list("status").annotate(n=Count("id")).order_by())
        if counts.get("received", 0) == 0 or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def money_checks(sandbox_url: str, charges: int, env: dict[str, str]) -> list[tuple[str, bool]]:
    from django.db import connection

    from donations.models import StripeCharge
    from ledger.books.money import format_money
    from ledger.books.selectors import account_balances

    summary = http_json(f"{sandbox_url}/_sandbox/summary")["currencies"]["usd"]
    balances = account_balances()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM ledger_journaltransaction WHERE idempotency_key LIKE 'stripe:%'"
        )
        journal = cursor.fetchone()[0]
    statuses = wait_for_events(charges, timeout=30)
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    gross, net, fees = summary["gross_charged"], summary["net"], summary["processing_fees"]
    income = -balances.get("income:donations", 0)
    stripe = balances.get("assets:stripe", 0)
    fee_books = balances.get("expenses:processing_fees", 0)

    def money(value: int) -> str:
        return format_money(value, "usd")

    return [
        (
            f"income:donations credit {money(income)} = gross charged {money(gross)} "
            f"({summary['charge_count']} charges)",
            income == gross and summary["charge_count"] == charges,
        ),
        (f"assets:stripe {money(stripe)} = sum of nets {money(net)}", stripe == net),
        (
            f"expenses:processing_fees {money(fee_books)} = sum of fees {money(fees)}",
            fee_books == fees,
        ),
        (
            f"{journal} journal transactions keyed stripe:…, "
            f"{StripeCharge.objects.count()} charges recorded",
            journal == charges == StripeCharge.objects.count(),
        ),
        (
            f"events stored {sum(statuses.values())}, by status {statuses}",
            statuses == {"processed": charges},
        ),
        (
            f"verify_ledger exit {verify.returncode}: {(verify.stdout + verify.stderr).strip()}",
            verify.returncode == 0,
        ),
    ]


def run_one(args, web_workers: int, celery: str, rng_seed: int) -> Outcome:
    pool, _, concurrency = celery.partition(":")
    out = Outcome(web_workers=web_workers, celery=celery)
    database_url = fresh_database(DATABASE)
    from django.db import connections

    connections.close_all()  # the database was just dropped and created again
    broker_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    flush_redis(broker_url)
    try:
        with Stack() as stack:
            env, sandbox = stack.with_sandbox(
                database_url=database_url, broker_url=broker_url, webhook_secret=SECRET
            )
            web = stack.gunicorn(env, workers=web_workers, threads=args.web_threads)
            stack.celery(env, concurrency=int(concurrency or 1), pool=pool)

            started = time.perf_counter()
            create_charges(sandbox.url, args.charges, args.amounts)
            events = charge_events(sandbox.url)
            prepared = time.perf_counter() - started
            assert len(events) == args.charges, (len(events), args.charges)
            rng = random.Random(rng_seed)
            duplicates = rng.sample(events, round(args.duplicates * len(events)))
            deliveries = events + duplicates
            rng.shuffle(deliveries)
            out.deliveries, out.duplicates_sent = len(deliveries), len(duplicates)
            print(
                f"[{web_workers} web, celery {celery}] {len(events)} charges and events "
                f"ready in {prepared:.1f} s; delivering {len(deliveries)} webhooks",
                file=sys.stderr,
                flush=True,
            )
            requests_before = stripe_limits_on(sandbox.url, args.stripe_limits)
            asyncio.run(
                deliver_and_wait(web.url, database_url, deliveries, args.charges, args, stack, out)
            )
            out.stripe_requests = stripe_requests(sandbox.url, requests_before, out.posted)
            out.checks = money_checks(sandbox.url, args.charges, env)
            out.checks.append(
                (
                    f"webhook errors {out.intake_errors}; duplicates sent {out.duplicates_sent}, "
                    f"answered as duplicates {out.duplicates_answered}",
                    out.intake_errors == 0 and out.duplicates_answered == out.duplicates_sent,
                )
            )
            stack.check()
    finally:
        flush_redis(broker_url)
    return out


def report(args, outcomes: list[Outcome]) -> None:
    threads = f", {args.web_threads} threads each" if args.web_threads > 1 else ""
    print(f"# donations end to end, {dt.date.today()}, {machine()}")
    print(
        f"# PostgreSQL, Redis, gunicorn, Celery and the Stripe sandbox on this machine; "
        f"{args.charges} charges of {'/'.join(str(a) for a in args.amounts)} cents, "
        f"{args.duplicates:.0%} sent twice, shuffled (seed {args.seed}), "
        f"{args.clients} webhook clients; Stripe's limits (per account, per endpoint): "
        f"{args.stripe_limits} requests/s"
    )
    for out in outcomes:
        minutes = GIFTS / out.rate / 60 if out.rate else float("inf")
        print(f"gunicorn workers: {out.web_workers} (sync{threads}); celery: {out.celery}")
        if out.timed_out:
            print(f"  TIMED OUT after {out.seconds:.0f} s with {out.posted} posted")
        print(
            f"  webhooks: {out.deliveries} answered in {out.intake_seconds:.1f} s "
            f"({out.deliveries / out.intake_seconds:.0f}/s), errors {out.intake_errors}"
        )
        print(
            f"  posted in the books: {out.posted} donations in {out.seconds:.1f} s = "
            f"{out.rate:.0f} donations/s (target >= 200)"
        )
        print(
            f"  {GIFTS:,} gifts at this rate: {minutes:.0f} min "
            f"({minutes / 60:.1f} h; target < 75 min)"
        )
        for sample in out.error_samples[:3]:
            print(f"    e.g. {sample}")
        for line in out.stripe_requests:
            print(line)
        for label, ok in out.checks:
            print(f"  {'ok ' if ok else 'BAD'} {label}")
        print(
            f"  new PostgreSQL connections meanwhile: {out.connections} "
            f"({out.connections / max(out.posted, 1):.2f} per donation)"
        )
        print("  CPU from the first webhook to the last posting:")
        for line in out.cpu:
            print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--charges", type=int, default=5000)
    add_traffic_arguments(parser, clients=8)
    parser.add_argument("--web-workers", default="3", help="gunicorn workers; a comma list sweeps")
    parser.add_argument("--web-threads", type=int, default=1, help=">1: gthread workers")
    parser.add_argument(
        "--celery", default="prefork:2", help="pool:concurrency; a comma list sweeps"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--poll", type=float, default=0.2, help="seconds between polls")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (s)")
    parser.add_argument("--redis-db", type=int, default=13, help="broker db, flushed")
    args = parser.parse_args()
    args.amounts = [int(a) for a in args.amounts.split(",")]

    outcomes = [
        run_one(args, int(web), celery, args.seed)
        for web, celery in itertools.product(args.web_workers.split(","), args.celery.split(","))
    ]
    report(args, outcomes)
    ok = all(ok for out in outcomes for _, ok in out.checks) and not any(
        out.timed_out for out in outcomes
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
