"""verify_ledger and export_ledger over a large journal on PostgreSQL.

    python benchmarks/ledger_scale.py [--transactions 1000000]

Loads the journal through the batch posting service (10,000 per batch), then times
``manage.py verify_ledger`` and ``manage.py export_ledger --format csv`` as separate
processes and reads their peak resident memory from the kernel (wait4). Baselines from the
same run: PostgreSQL's own ``COPY (journal ⋈ postings) TO STDOUT`` streamed to a file (the
fastest the same rows can leave the database), and the resident memory of a process that
only starts Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time

from _setup import ROOT, fresh_database, machine


def load(total: int, batch: int = 10_000) -> float:
    from ledger.books.posting import Entry, transactions_post_batch

    start = time.perf_counter()
    for first in range(0, total, batch):
        entries = []
        for n in range(first, min(first + batch, total)):
            date = dt.date(2020 + (n * 7 // total), 1 + n % 12, 1 + n % 28)
            if n % 10 == 9:
                legs = (("assets:bank", 50_000), ("assets:stripe", -50_000))
                kind = "payout"
            elif n % 10 == 8:
                legs = (("assets:bail_outstanding", 40_000), ("assets:bank", -40_000))
                kind = "disbursement"
            else:
                gross = 1_000 + n % 9_000
                fee = (gross * 29 + 500) // 1000 + 30
                legs = (
                    ("assets:stripe", gross - fee),
                    ("expenses:processing_fees", fee),
                    ("income:donations", -gross),
                )
                kind = "donation"
            entries.append(Entry(kind=kind, date=date, legs=legs, idempotency_key=f"scale:{n}"))
        transactions_post_batch(entries=entries)
    return time.perf_counter() - start


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """Run a manage.py command; returns (seconds, peak RSS in MB, exit code)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "_peak.py"), *command],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak_kb = max(
        (
            int(line.split()[1])
            for line in result.stderr.splitlines()
            if line.startswith("peak-rss-kb")
        ),
        default=0,
    )
    return seconds, peak_kb / 1024, result.returncode


def copy_baseline(url: str, path: str) -> float:
    import psycopg

    query = (
        "COPY (SELECT t.sequence, t.date, t.recorded_at, t.kind, t.currency, t.memo, "
        "t.source_ref, t.idempotency_key, t.reverses_id, t.actor_id, t.prev_hash, t.hash, "
        "a.code, p.amount FROM ledger_journaltransaction t "
        "JOIN ledger_posting p ON p.transaction_id = t.id "
        "JOIN ledger_account a ON a.id = p.account_id ORDER BY t.sequence, p.id) "
        "TO STDOUT WITH CSV"
    )
    start = time.perf_counter()
    with (
        psycopg.connect(url) as conn,
        open(path, "wb") as out,
        conn.cursor().copy(query) as copy,
    ):
        for block in copy:
            out.write(block)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    options = parser.parse_args()

    if options.reuse:
        os.environ["DATABASE_URL"] = url = f"postgres://postgres@127.0.0.1:5432/{options.database}"
        os.environ.setdefault("DEBUG", "1")
        load_seconds = float("nan")
    else:
        url = fresh_database(options.database)
        load_seconds = load(options.transactions)

    with tempfile.TemporaryDirectory() as tmp:
        verify = run_measured(["verify_ledger"])
        export_path = os.path.join(tmp, "journal.csv")
        export = run_measured(["export_ledger", "--format", "csv", "--output", export_path])
        export_size = os.path.getsize(export_path)
        copy_seconds = copy_baseline(url, os.path.join(tmp, "copy.csv"))
        bare = run_measured(["check"])

    n = options.transactions
    print(f"# ledger scale, {dt.date.today()}, {machine()}, PostgreSQL, {n:,} transactions")
    if load_seconds == load_seconds:
        rate = n / load_seconds
        print(f"load through transactions_post_batch: {load_seconds:.1f} s ({rate:,.0f}/s)")
    print(f"verify_ledger: {verify[0]:.1f} s, peak {verify[1]:.0f} MB, exit {verify[2]}")
    print(
        f"export_ledger csv: {export[0]:.1f} s, peak {export[1]:.0f} MB, "
        f"{export_size / 1e6:.0f} MB written, exit {export[2]}"
    )
    print(f"baseline COPY of the same rows: {copy_seconds:.1f} s")
    print(f"baseline Django process (manage.py check): peak {bare[1]:.0f} MB")
    print(
        f"export / COPY: {export[0] / copy_seconds:.2f}; "
        f"verify / COPY: {verify[0] / copy_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
