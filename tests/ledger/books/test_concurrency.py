"""Concurrent writers on PostgreSQL: the chain head lock keeps the books exact."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from ledger.books.posting import transaction_post
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.models import JournalTransaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_own_connection(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


def test_eight_threads_posting_two_hundred_each_leave_exact_books():
    threads, per_thread = 8, 200
    start = threading.Barrier(threads)

    @_in_own_connection
    def worker(worker_id):
        start.wait()
        for n in range(per_thread):
            amount = 100 + worker_id
            transaction_post(
                kind="donation",
                date=dt.date(2026, 1 + n % 12, 1 + worker_id),
                legs=[
                    ("assets:stripe", amount - 30),
                    ("expenses:processing_fees", 30),
                    ("income:donations", -amount),
                ],
                idempotency_key=f"worker:{worker_id}:{n}",
            )

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))

    sequences = list(JournalTransaction.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, threads * per_thread + 1))
    balances = account_balances()
    assert balances["income:donations"] == -sum((100 + w) * per_thread for w in range(threads))
    assert balances["expenses:processing_fees"] == 30 * threads * per_thread
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.transactions == threads * per_thread


def test_the_same_key_posted_concurrently_yields_one_transaction():
    threads = 8
    start = threading.Barrier(threads)

    @_in_own_connection
    def worker(_):
        start.wait()
        return transaction_post(
            kind="donation",
            date=dt.date(2026, 1, 1),
            legs=[
                ("assets:stripe", 970),
                ("expenses:processing_fees", 30),
                ("income:donations", -1000),
            ],
            idempotency_key="stripe:txn_race",
        ).pk

    with ThreadPoolExecutor(threads) as pool:
        ids = set(pool.map(worker, range(threads)))

    assert len(ids) == 1
    assert JournalTransaction.objects.count() == 1
    assert account_balances()["income:donations"] == -1000
    assert connection.vendor == "postgresql"


def test_a_walk_outside_a_transaction_reads_ahead_on_a_second_connection_and_agrees():
    from ledger.books.journal import iter_journal
    from ledger.books.posting import Entry, transactions_post_batch

    transactions_post_batch(
        entries=[
            Entry(
                kind="offline_gift",
                date=dt.date(2026, 1, 1),
                legs=(("assets:bank", 100 + n), ("income:donations", -100 - n)),
                idempotency_key=f"walk:{n}",
            )
            for n in range(250)
        ]
    )

    rows = list(iter_journal(chunk_size=40))

    assert [row.sequence for row in rows] == list(range(1, 251))
    assert all(len(row.postings) == 2 for row in rows)
    assert verify_ledger().ok
