"""Streaming the journal in sequence order, in bounded memory.

Verification and exports walk millions of transactions. They read them in windows of
sequence numbers (an index range scan each), so memory stays flat and no server-side
cursor has to stay open for the whole walk. Dates and times come back as the exact text
the hash covers, formatted by the database, so the walk does no datetime round trips.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils.dateparse import parse_datetime

from ledger.books.hashing import canonical_content, format_recorded_at
from ledger.models import Account

CHUNK_SIZE = 10_000


class JournalRow(NamedTuple):
    id: int
    sequence: int
    kind: str
    date: str  # YYYY-MM-DD
    recorded_at: str  # YYYY-MM-DDTHH:MM:SS.ffffffZ, UTC
    currency: str
    memo: str
    source_ref: str
    idempotency_key: str
    reverses: int | None
    actor: int | None
    prev_hash: str
    hash: str
    postings: list[tuple[int, int]]  # (account id, amount), in posting order

    @property
    def month(self) -> dt.date:
        return dt.date(int(self.date[:4]), int(self.date[5:7]), 1)

    def content(self, codes: Mapping[int, str]) -> bytes:
        """What the row's hash covers (``ledger.books.hashing``), its legs named by ``codes``
        (account id to code; an id with no account shows as ``?id``)."""
        return canonical_content(
            sequence=self.sequence,
            kind=self.kind,
            date=self.date,
            recorded_at=self.recorded_at,
            currency=self.currency,
            memo=self.memo,
            source_ref=self.source_ref,
            idempotency_key=self.idempotency_key,
            reverses=self.reverses,
            actor=self.actor,
            postings=[(codes.get(id_, f"?{id_}"), amount) for id_, amount in self.postings],
        )


_TRANSACTIONS_SQL = """
SELECT t.id, t.sequence, t.kind, {date}, {recorded_at}, t.currency, t.memo, t.source_ref,
       t.idempotency_key, r.sequence, t.actor_id, t.prev_hash, t.hash
  FROM ledger_journaltransaction t
  LEFT JOIN ledger_journaltransaction r ON r.id = t.reverses_id
 WHERE t.sequence BETWEEN %s AND %s
 ORDER BY t.sequence
"""

# Legs are read by a range of transaction ids, an index range scan with no join. Ids grow
# with the sequence (both are assigned under the chain lock), so the range holds just this
# window's transactions; if it ever held others, their legs are dropped below.
_POSTINGS_SQL = """
SELECT p.transaction_id, p.account_id, p.amount
  FROM ledger_posting p
 WHERE p.transaction_id BETWEEN %s AND %s
 ORDER BY p.transaction_id, p.id
"""


def _transactions_sql() -> str:
    if connection.vendor == "postgresql":
        return _TRANSACTIONS_SQL.format(
            date="t.date::text",
            recorded_at=(
                "to_char(t.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            ),
        )
    return _TRANSACTIONS_SQL.format(date="t.date", recorded_at="t.recorded_at")


def _normalise_recorded_at(value) -> str:
    """SQLite keeps datetimes in UTC without a zone, as text or (converted by the driver)
    as a naive datetime; give them the hashed shape. A naive one is UTC, never the
    process's local time (which Django sets to TIME_ZONE)."""
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return format_recorded_at(parsed)


def account_codes() -> dict[int, str]:
    return dict(Account.objects.values_list("pk", "code"))


def last_sequence() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(sequence) FROM ledger_journaltransaction")
        return cursor.fetchone()[0] or 0


def _fetch_chunk(start: int, end: int) -> tuple[list[tuple], dict[int, list[tuple[int, int]]]]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_transactions_sql(), [start, end])
        rows = cursor.fetchall()
        legs: dict[int, list[tuple[int, int]]] = {row[0]: [] for row in rows}
        if rows:
            cursor.execute(_POSTINGS_SQL, [min(legs), max(legs)])
            for txn_id, account_id, amount in cursor.fetchall():
                if txn_id in legs:
                    legs[txn_id].append((account_id, amount))
    return rows, legs


def _chunks(last: int, chunk_size: int) -> Iterator[tuple[list[tuple], dict]]:
    bounds = [(s, min(s + chunk_size - 1, last)) for s in range(1, last + 1, chunk_size)]
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(bounds) < 2:
        for start, end in bounds:
            yield _fetch_chunk(start, end)
        return

    # Outside a transaction (the commands), the next window is read on a second connection
    # while this one is being hashed or written out: the database's time and Python's
    # overlap. Rows up to `last` are committed and never change, so both connections see
    # the same rows.
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pending = pool.submit(_fetch_chunk, *bounds[0])
            for start_end in bounds[1:]:
                chunk = pending.result()
                pending = pool.submit(_fetch_chunk, *start_end)
                yield chunk
            yield pending.result()
        finally:
            pool.submit(connections.close_all).result()


def iter_journal(chunk_size: int = CHUNK_SIZE) -> Iterator[JournalRow]:
    """Every transaction with its legs, in sequence order.

    The highest sequence is read once at the start; rows posted while the walk runs are
    left for the next walk, so one walk describes one consistent prefix of the chain.
    """
    sqlite = connection.vendor != "postgresql"
    for rows, legs in _chunks(last_sequence(), chunk_size):
        for row in rows:
            if sqlite:
                row = (*row[:3], str(row[3]), _normalise_recorded_at(row[4]), *row[5:])
            yield JournalRow(*row, legs[row[0]])
