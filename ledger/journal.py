"""Streaming the journal in sequence order, in bounded memory.

Verification and exports walk millions of transactions. They read them in windows of
sequence numbers (an index range scan each), so memory stays flat and no server-side
cursor has to stay open for the whole walk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Max

from ledger.models import Account, JournalTransaction, Posting

CHUNK_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class JournalRow:
    id: int
    sequence: int
    kind: str
    date: dt.date
    recorded_at: dt.datetime
    currency: str
    memo: str
    source_ref: str
    idempotency_key: str
    reverses: int | None
    actor: int | None
    prev_hash: str
    hash: str
    postings: list[tuple[int, int]]  # (account id, amount), in posting order


def account_codes() -> dict[int, str]:
    return dict(Account.objects.values_list("pk", "code"))


def iter_journal(chunk_size: int = CHUNK_SIZE) -> Iterator[JournalRow]:
    """Every transaction with its legs, in sequence order."""
    last = JournalTransaction.objects.aggregate(last=Max("sequence"))["last"] or 0
    start = 1
    # The highest sequence is read once; rows posted while the walk runs are left for the
    # next walk, so a verification describes one consistent prefix of the chain.
    while start <= last:
        end = min(start + chunk_size - 1, last)
        rows = list(
            JournalTransaction.objects.filter(sequence__gte=start, sequence__lte=end)
            .order_by("sequence")
            .values_list(
                "id",
                "sequence",
                "kind",
                "date",
                "recorded_at",
                "currency",
                "memo",
                "source_ref",
                "idempotency_key",
                "reverses__sequence",
                "actor_id",
                "prev_hash",
                "hash",
            )
        )
        legs: dict[int, list[tuple[int, int]]] = {}
        for txn_id, account_id, amount in (
            Posting.objects.filter(transaction__sequence__gte=start, transaction__sequence__lte=end)
            .order_by("transaction_id", "id")
            .values_list("transaction_id", "account_id", "amount")
        ):
            legs.setdefault(txn_id, []).append((account_id, amount))
        for row in rows:
            yield JournalRow(*row, postings=legs.get(row[0], []))
        start = end + 1


def last_sequence() -> int:
    return JournalTransaction.objects.aggregate(last=Max("sequence"))["last"] or 0
