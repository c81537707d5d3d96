"""Posting throughput on PostgreSQL: the service against a raw-SQL baseline, same run.

    python benchmarks/ledger_posting.py [--single 3000] [--batches 20] [--batch-size 1000]
        [--head-every 1000] [--rounds 3]

The baseline inserts the same rows (one journal transaction and its three postings) with
the same durability (each transaction committed, synchronous_commit on), in one statement
per transaction and in one multi-row statement per batch, with no validation, no hash
chain, no idempotency check and no stored balances. The service does all of those.

Signed tree heads (a Merkle root, a consistency proof and an Ed25519 signature after every
``--head-every`` transactions, the production default) are measured against the same
service with them off, in alternating rounds of the same run; the median of each is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import time

from _setup import fresh_database, machine

LEGS = (("assets:stripe", 970), ("expenses:processing_fees", 30), ("income:donations", -1000))


def raw_single(conn, n: int, offset: int) -> float:
    sql = """
    WITH t AS (
        INSERT INTO ledger_journaltransaction (sequence, kind, date, recorded_at, currency,
            memo, source_ref, idempotency_key, prev_hash, hash)
        VALUES (%s, 'donation', %s, now(), 'usd', '', '', %s, %s, %s) RETURNING id)
    INSERT INTO ledger_posting (transaction_id, account_id, amount)
    SELECT t.id, l.a, l.m FROM t, unnest(%s::bigint[], %s::bigint[]) AS l(a, m)
    """
    accounts, amounts = _account_ids(conn), [m for _, m in LEGS]
    start = time.perf_counter()
    for i in range(n):
        seq = offset + i
        digest = hashlib.sha256(str(seq).encode()).hexdigest()
        conn.execute(
            sql,
            [seq, dt.date(2026, 1, 1), f"raw:{seq}", digest, digest, accounts, amounts],
            prepare=True,
        )
    return time.perf_counter() - start


def raw_batches(conn, batches: int, size: int, offset: int) -> float:
    accounts, amounts = _account_ids(conn), [m for _, m in LEGS]
    start = time.perf_counter()
    seq = offset
    for _ in range(batches):
        with conn.transaction():
            seqs = list(range(seq, seq + size))
            seq += size
            digests = [hashlib.sha256(str(s).encode()).hexdigest() for s in seqs]
            conn.execute(
                """
                WITH t AS (
                    INSERT INTO ledger_journaltransaction (sequence, kind, date, recorded_at,
                        currency, memo, source_ref, idempotency_key, prev_hash, hash)
                    SELECT s, 'donation', '2026-01-01', now(), 'usd', '', '', 'raw:' || s, d, d
                      FROM unnest(%s::bigint[], %s::text[]) AS x(s, d) RETURNING id)
                INSERT INTO ledger_posting (transaction_id, account_id, amount)
                SELECT t.id, l.a, l.m FROM t, unnest(%s::bigint[], %s::bigint[]) AS l(a, m)
                """,
                [seqs, digests, accounts, amounts],
            )
    return time.perf_counter() - start


def _account_ids(conn) -> list[int]:
    rows = dict(conn.execute("SELECT code, id FROM ledger_account").fetchall())
    return [rows[code] for code, _ in LEGS]


def service_single(n: int, tag: str = "") -> float:
    from ledger.books.posting import transaction_post

    start = time.perf_counter()
    for i in range(n):
        transaction_post(
            kind="donation",
            date=dt.date(2026, 1, 1 + i % 28),
            legs=LEGS,
            idempotency_key=f"bench:single:{tag}:{i}",
        )
    return time.perf_counter() - start


def _timed(work, clients: int) -> float:
    """Seconds from the moment ``clients`` threads running ``work(number, ready)`` have all
    called ``ready()`` until the last one ends."""
    import threading

    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=work, args=(c, barrier.wait)) for c in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def service_single_concurrent(n: int, clients: int) -> float:
    """n postings, one transaction at a time, from `clients` threads (own connections)."""
    from django.db import connections

    from ledger.books.posting import transaction_post

    def work(number: int, ready) -> None:
        try:
            ready()
            for i in range(n // clients):
                transaction_post(
                    kind="donation",
                    date=dt.date(2026, 2, 1 + i % 28),
                    legs=LEGS,
                    idempotency_key=f"bench:concurrent:{number}:{i}",
                )
        finally:
            connections.close_all()

    return _timed(work, clients)


def raw_single_concurrent(url: str, n: int, clients: int, offset: int) -> float:
    import psycopg

    def work(number: int, ready) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            ready()
            raw_single(conn, n // clients, offset + number * (n // clients))

    return _timed(work, clients)


def service_batches(batches: int, size: int, tag: str = "") -> float:
    from ledger.books.posting import Entry, transactions_post_batch

    start = time.perf_counter()
    for b in range(batches):
        transactions_post_batch(
            entries=[
                Entry(
                    kind="donation",
                    date=dt.date(2026, 1 + i % 12, 1),
                    legs=LEGS,
                    idempotency_key=f"bench:batch:{tag}:{b}:{i}",
                )
                for i in range(size)
            ]
        )
    return time.perf_counter() - start


def heads_cost(args) -> dict[str, tuple[float, float]]:
    """Transactions per second with signed heads off and on, the median of alternating
    rounds, for single postings and for batches."""
    import statistics

    from django.conf import settings

    from ledger.models import Checkpoint

    rates: dict[tuple[str, int], list[float]] = {}
    for round_ in range(args.rounds):
        for every in (0, args.head_every):
            settings.LEDGER_HEAD_EVERY = every
            tag = f"heads{every}:{round_}"
            single = service_single(args.single, tag)
            batches = service_batches(args.batches, args.batch_size, tag)
            rates.setdefault(("single", every), []).append(args.single / single)
            batch_n = args.batches * args.batch_size
            rates.setdefault(("batches", every), []).append(batch_n / batches)
    assert Checkpoint.objects.exclude(signature="").exists(), "no head was signed"
    return {
        kind: (
            statistics.median(rates[(kind, 0)]),
            statistics.median(rates[(kind, args.head_every)]),
        )
        for kind in ("single", "batches")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=3000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="for the concurrent run")
    parser.add_argument("--head-every", type=int, default=1000, help="signed heads: every N")
    parser.add_argument("--rounds", type=int, default=3, help="heads off/on rounds")
    args = parser.parse_args()

    url = fresh_database("bench_posting")
    import psycopg
    from django.conf import settings

    from ledger.books.verification import verify_ledger

    settings.LEDGER_HEAD_EVERY = args.head_every
    svc_single = service_single(args.single)
    svc_concurrent = service_single_concurrent(args.single, args.clients)
    svc_batch = service_batches(args.batches, args.batch_size)
    heads = heads_cost(args)
    report = verify_ledger()
    assert report.ok, report.problems

    with psycopg.connect(url, autocommit=True) as conn:
        offset = 10_000_000
        base_single = raw_single(conn, args.single, offset)
        base_batch = raw_batches(conn, args.batches, args.batch_size, offset + args.single)
    base_concurrent = raw_single_concurrent(url, args.single, args.clients, 20_000_000)

    batch_n = args.batches * args.batch_size
    rows = [
        ("raw SQL, one at a time (baseline)", args.single / base_single),
        ("service, one at a time", args.single / svc_single),
        ("raw SQL, batches (baseline)", batch_n / base_batch),
        ("service, batches", batch_n / svc_batch),
        (f"raw SQL, one at a time, {args.clients} clients", args.single / base_concurrent),
        (f"service, one at a time, {args.clients} clients", args.single / svc_concurrent),
    ]
    print(f"# ledger posting, {dt.date.today()}, {machine()}, PostgreSQL")
    print(f"# {args.single} single postings; {args.batches} batches of {args.batch_size}")
    for label, rate in rows:
        print(f"{label:40s} {rate:10.0f} transactions/s")
    print(f"service/raw, one at a time: {rows[1][1] / rows[0][1]:.2f}")
    print(f"service/raw, batches:       {rows[3][1] / rows[2][1]:.2f}")
    print(f"service/raw, {args.clients} clients:     {rows[5][1] / rows[4][1]:.2f}")
    for kind, (off, on) in heads.items():
        print(
            f"signed heads every {args.head_every}, {kind}: {off:.0f}/s off, {on:.0f}/s on, "
            f"on/off {on / off:.3f} (median of {args.rounds} rounds)"
        )
    print(f"verify_ledger: {report.summary()[:60]}…")


if __name__ == "__main__":
    main()
