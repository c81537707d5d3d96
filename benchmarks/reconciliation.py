"""Reconciliation against a sandbox holding a large fund's year of balance transactions.

    python benchmarks/reconciliation.py [--transactions 100000]

Loads the Stripe sandbox (in this process) with N succeeded charges spread over a week of
sandbox time, none of them in the books (no webhooks), then runs, each as its own process
(`benchmarks/_peak.py` reports its peak resident memory):

1. `manage.py reconcile_stripe --full`: walks every balance transaction, posts them all,
   checks payouts, Stripe's balance, the processing fees and verify_ledger;
2. `manage.py reconcile_stripe --kind sync`: the incremental run that finds nothing new.

Baselines from the same run: listing every balance transaction from the sandbox through
the SDK without posting anything (the floor for any full run), and a process that only
starts Django (`manage.py check`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

from _sandbox import bulk_create_charges
from _setup import ROOT, fresh_database, machine


def load_sandbox(server, total: int, per_call: int = 100) -> float:
    start = time.perf_counter()
    step = max(1, 7 * 24 * 3600 // max(1, total // per_call))
    for first in range(0, total, per_call):
        bulk_create_charges(server.state, min(per_call, total - first), amount=2500 + first % 900)
        server.state.advance_clock(step)
    return time.perf_counter() - start


def list_everything(url: str) -> tuple[float, int]:
    """Read every balance transaction the way the run does (the gateway's plain-JSON
    reads through the SDK), posting nothing: the floor for any full run."""
    from django.test.utils import override_settings

    from donations import stripe_gateway

    with override_settings(STRIPE_API_BASE=url, STRIPE_SECRET_KEY="sk_test_bench"):
        start = time.perf_counter()
        count = 0
        params: dict = {"limit": 100}
        while True:
            page = stripe_gateway.list_balance_transactions(params)
            count += len(page["data"])
            if not page["has_more"]:
                break
            params["starting_after"] = page["data"][-1]["id"]
        return time.perf_counter() - start, count


def run_command(args: list[str], env: dict) -> tuple[float, float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "_peak.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = max(
        (int(line.split()[1]) for line in result.stderr.splitlines() if "peak-rss-kb" in line),
        default=0,
    )
    if result.returncode != 0:
        raise SystemExit(f"{args} failed: {result.stdout}{result.stderr[-2000:]}")
    return seconds, peak / 1024, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    options = parser.parse_args()

    fresh_database("bench_reconciliation")
    from donations.models import ReconciliationRun
    from stripe_sandbox import SandboxServer

    server = SandboxServer(port=0, webhook_url=None).start()
    try:
        load_seconds = load_sandbox(server, options.transactions)
        list_seconds, listed = list_everything(server.url)
        env = dict(
            os.environ,
            STRIPE_API_BASE=server.url,
            STRIPE_SECRET_KEY="sk_test_bench",
            DEBUG="1",
        )
        env.pop("CELERY_BROKER_URL", None)
        full = run_command(["reconcile_stripe", "--full"], env)
        full_run = ReconciliationRun.objects.order_by("-id").first()
        noop = run_command(["reconcile_stripe", "--kind", "sync"], env)
        noop_run = ReconciliationRun.objects.order_by("-id").first()
        bare = run_command(["check"], env)
    finally:
        server.stop()

    def seconds(run) -> float:
        return (run.finished_at - run.started_at).total_seconds()

    n = options.transactions
    print(f"# reconciliation, {dt.date.today()}, {machine()}, PostgreSQL, {n:,} balance txns")
    print(f"sandbox loaded in {load_seconds:.1f} s; listed {listed:,} in {list_seconds:.1f} s")
    print(
        f"full run:        {full[0]:.1f} s process, {seconds(full_run):.1f} s run, "
        f"peak {full[1]:.0f} MB"
    )
    print(f"  {full[2]}")
    print(
        f"incremental:     {noop[0]:.2f} s process, {seconds(noop_run):.2f} s run, "
        f"peak {noop[1]:.0f} MB"
    )
    print(f"  {noop[2]}")
    print(f"baseline, listing only: {list_seconds:.1f} s; Django process: peak {bare[1]:.0f} MB")
    print(f"full run / listing only: {seconds(full_run) / list_seconds:.2f}")


if __name__ == "__main__":
    main()
