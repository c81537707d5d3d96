"""Stripe webhook intake on gunicorn and PostgreSQL, against a trivial view on the same server.

    python benchmarks/webhook_intake.py [--workers 3] [--threads 1] [--clients 16]
        [--duration 10] [--rounds 2] [--rate 200] [--rate-duration 20] [--redis-db 12]

Runs gunicorn (``config.wsgi``, DEBUG off, production settings from the environment) on a
fresh PostgreSQL database, with Celery's broker pointed at an otherwise unused Redis database
and no worker, so only intake is measured: verifying the signature, storing the event once
and enqueueing its processing after commit. The load generator is this process (asyncio,
one core at most), sharing the machine with the server and PostgreSQL.

1. Ceiling: ``GET /healthz/live`` (a trivial view: a fixed JSON answer through the whole
   middleware stack, touching nothing) as fast as ``--clients``
   concurrent clients get answers, for ``--duration`` seconds in all.
2. Intake: signed ``charge.succeeded`` events, each with a new id, the same way. Ceiling and
   intake alternate in ``--rounds`` slices (after 2-second warm-ups), so that other load on
   a shared machine weighs on both alike.
3. Latency: signed events offered at a fixed ``--rate`` a second for ``--rate-duration``
   seconds, open loop (sent on schedule whatever the answers, latency measured from the
   scheduled time, so queueing shows), p50 and p99.

Also reported: gunicorn's CPU time per request in each phase (from ``/proc``), a cost ratio
that other load on the machine disturbs less than throughput does, and where the machine's
CPU went. Then every event sent must be stored exactly once and every answer must be 200.
With several
``--workers`` values (e.g. ``--workers 2,3,4``) all three are run for each. The Redis
database is flushed before and after. Targets, reported and not asserted: intake at least half
the ceiling, p99 under 100 ms at 200 requests a second.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import time

from _setup import fresh_database, machine
from _stack import (
    LoadResult,
    Stack,
    app_env,
    closed_loop,
    cpu_report,
    cpu_snapshot,
    flush_redis,
    open_loop,
    request_bytes,
    sign,
)

WARM_UP = 2.0


def charge_event(n: int, run: str, created: int) -> bytes:
    """A ``charge.succeeded`` event shaped (and sized, about 1.8 kB) like Stripe's."""
    charge_id = f"ch_bench{run}{n:09d}"
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": 2500,
        "amount_captured": 2500,
        "amount_refunded": 0,
        "balance_transaction": f"txn_bench{run}{n:09d}",
        "billing_details": {
            "address": {"city": None, "country": "US", "line1": None, "postal_code": "10001"},
            "email": "donor@example.org",
            "name": "A Donor",
            "phone": None,
        },
        "captured": True,
        "created": created,
        "currency": "usd",
        "customer": None,
        "description": "Gift to Community Bail Fund",
        "disputed": False,
        "livemode": False,
        "metadata": {"donation_id": "00000000-0000-4000-8000-000000000000"},
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": f"pi_bench{run}{n:09d}",
        "payment_method": "pm_bench",
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "checks": {"address_postal_code_check": "pass", "cvc_check": "pass"},
                "country": "US",
                "exp_month": 12,
                "exp_year": 2030,
                "fingerprint": "benchfingerprint",
                "funding": "credit",
                "last4": "4242",
                "network": "visa",
            },
            "type": "card",
        },
        "receipt_email": "donor@example.org",
        "receipt_url": f"https://pay.stripe.com/receipts/{charge_id}",
        "refunded": False,
        "status": "succeeded",
    }
    event = {
        "id": f"evt_bench{run}{n:09d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "data": {"object": charge},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "charge.succeeded",
    }
    return json.dumps(event, separators=(",", ":")).encode()


class Events:
    """Unique signed webhook requests, numbered across all phases of a run."""

    def __init__(self, host: str, secret: str) -> None:
        self.host, self.secret, self.count = host, secret, 0
        self.run = secrets.token_hex(3)
        self.created = int(dt.datetime.now(dt.UTC).timestamp())

    def __call__(self, _: int) -> bytes:
        body = charge_event(self.count, self.run, self.created)
        self.count += 1
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": sign(self.secret, body),
        }
        return request_bytes("POST", "/stripe/webhook/", self.host, body, headers)


async def measure(url: str, secret: str, args, groups: dict[str, int]) -> dict:
    host = url.split("//", 1)[1]
    healthz = request_bytes("GET", "/healthz/live", host)
    events = Events(host, secret)
    results = {name: LoadResult() for name in ("ceiling", "intake", "fixed")}
    gunicorn_cpu = dict.fromkeys(results, 0.0)
    cpu: dict[str, list[str]] = {}

    async def phase(name: str, run) -> LoadResult:
        before, started = cpu_snapshot(groups), time.perf_counter()
        result = await run
        after = cpu_snapshot(groups)
        cpu[name] = cpu_report(before, after, time.perf_counter() - started)
        gunicorn_cpu[name] += after["gunicorn"] - before["gunicorn"]
        results[name].add(result)
        return result

    # Ceiling and intake alternate, so that other load on the machine weighs on both alike.
    slice_ = args.duration / args.rounds
    await closed_loop(url, lambda i: healthz, clients=args.clients, duration=WARM_UP)
    warm = await closed_loop(url, events, clients=args.clients, duration=WARM_UP)
    for _ in range(args.rounds):
        await phase(
            "ceiling", closed_loop(url, lambda i: healthz, clients=args.clients, duration=slice_)
        )
        await phase("intake", closed_loop(url, events, clients=args.clients, duration=slice_))
    await asyncio.sleep(1)
    await phase("fixed", open_loop(url, events, rate=args.rate, duration=args.rate_duration))
    return {
        **results,
        "cpu": cpu,
        "per_request": {
            name: gunicorn_cpu[name] / max(result.ok, 1) for name, result in results.items()
        },
        "event_errors": warm.errors + results["intake"].errors + results["fixed"].errors,
        "events_ok": warm.ok + results["intake"].ok + results["fixed"].ok,
        "events_sent": events.count,
    }


def stored_events() -> int:
    from donations.models import StripeEvent

    return StripeEvent.objects.count()


def clear_events() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE donations_stripeevent")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="3", help="gunicorn workers; a comma list sweeps")
    parser.add_argument("--threads", type=int, default=1, help=">1: gthread workers")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients, max rate")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per max-rate run")
    parser.add_argument("--rounds", type=int, default=2, help="ceiling/intake alternations")
    parser.add_argument("--rate", type=float, default=200.0, help="offered requests/s")
    parser.add_argument("--rate-duration", type=float, default=20.0)
    parser.add_argument("--redis-db", type=int, default=12, help="broker db, flushed")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    database_url = fresh_database("bench_webhook_intake")
    broker_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    secret = "whsec_" + secrets.token_hex(16)
    env = app_env(database_url=database_url, broker_url=broker_url, webhook_secret=secret)

    results = []
    flush_redis(broker_url)
    try:
        for workers in worker_counts:
            clear_events()
            with Stack() as stack:
                web = stack.gunicorn(env, workers=workers, threads=args.threads)
                figures = asyncio.run(measure(web.url, secret, args, stack.groups()))
                stack.check()
            figures.update(workers=workers, stored=stored_events())
            results.append(figures)
    finally:
        flush_redis(broker_url)

    threads = f", {args.threads} threads each (gthread)" if args.threads > 1 else " (sync)"
    print(f"# webhook intake, {dt.date.today()}, {machine()}, PostgreSQL, gunicorn")
    print(
        f"# {args.clients} clients for {args.duration:.0f} s per max-rate run; open loop at "
        f"{args.rate:.0f} req/s for {args.rate_duration:.0f} s; DEBUG off; broker: Redis, "
        "no worker"
    )
    for r in results:
        ceiling, intake, fixed = r["ceiling"], r["intake"], r["fixed"]
        ratio = intake.rate / ceiling.rate
        p50, p99 = fixed.percentile(50) * 1000, fixed.percentile(99) * 1000
        errors = ceiling.errors + r["event_errors"]
        print(f"gunicorn workers: {r['workers']}{threads}")
        print(f"  ceiling, GET /healthz/live     {ceiling.rate:8.0f} req/s")
        print(f"  intake, signed webhook events   {intake.rate:8.0f} events/s")
        print(f"  intake / ceiling                {ratio:8.2f}   (target >= 0.50)")
        print(
            f"  at {args.rate:.0f} req/s offered: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"max {max(fixed.latencies, default=0) * 1000:.1f} ms "
            f"(target p99 < 100 ms); achieved {fixed.ok / fixed.elapsed:.0f} req/s"
        )
        print(
            f"  errors: {errors}; events sent {r['events_sent']}, answered 200 "
            f"{r['events_ok']}, stored {r['stored']}"
            + ("  OK" if r["stored"] == r["events_sent"] == r["events_ok"] else "  MISMATCH")
        )
        samples = ceiling.error_samples + intake.error_samples + fixed.error_samples
        for sample in samples[:3]:
            print(f"    e.g. {sample}")
        ms = {name: 1000 * seconds for name, seconds in r["per_request"].items()}
        print(
            f"  gunicorn CPU per request: healthz {ms['ceiling']:.2f} ms, webhook "
            f"{ms['intake']:.2f} ms at max rate, {ms['fixed']:.2f} ms at {args.rate:.0f} req/s "
            f"(ratio {ms['ceiling'] / ms['intake']:.2f})"
        )
        for name, label in (("ceiling", "ceiling"), ("intake", "intake, max rate")):
            print(f"  CPU during the last {label} run:")
            for line in r["cpu"][name]:
                print("  " + line)
    bad = any(
        r["ceiling"].errors + r["event_errors"] or r["stored"] != r["events_sent"] for r in results
    )
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
