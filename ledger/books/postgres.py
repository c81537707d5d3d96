"""The PostgreSQL fast paths of posting.

``post_one`` posts one transaction in one statement, and ``insert_rows`` sends a batch's
rows as column arrays. ``post_one`` restates in SQL what ``ledger.books.posting`` does in
Python: the next sequence and hash of the chain, the balances and the monthly totals
(``ledger.books.totals``).
``tests/ledger/books/test_fast_path.py`` guards that restatement: it posts random entries
through both paths and proves identical rows, balances, totals and hashes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ledger.books.entries import Entry, hashed_fields
from ledger.books.hashing import content_around_sequence
from ledger.models import JournalTransaction

# Journal columns in model field order (what from_db expects after the id), each with the
# PostgreSQL type of the array it is sent in.
TXN_COLUMNS = (
    ("sequence", "bigint"),
    ("kind", "text"),
    ("date", "date"),
    ("recorded_at", "timestamptz"),
    ("currency", "text"),
    ("memo", "text"),
    ("actor_id", "bigint"),
    ("source_ref", "text"),
    ("idempotency_key", "text"),
    ("reverses_id", "bigint"),
    ("prev_hash", "text"),
    ("hash", "text"),
)
TXN_FIELDS = tuple(name for name, _ in TXN_COLUMNS)
CHUNK = 250

# Each chunk is one statement: the journal rows from column arrays, then their legs joined
# to the ids just assigned by sequence. A dozen array parameters whatever the chunk size, no
# round trip between the two inserts, and a transaction's legs are never split over
# statements.
_INSERT_CHUNK_PG = f"""
WITH txn AS (
    INSERT INTO ledger_journaltransaction ({", ".join(TXN_FIELDS)})
    SELECT * FROM unnest({", ".join(f"%b::{t}[]" for _, t in TXN_COLUMNS)})
    RETURNING id, sequence
)
INSERT INTO ledger_posting (transaction_id, account_id, amount)
SELECT txn.id, leg.account_id, leg.amount
  FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[]) WITH ORDINALITY
       AS leg(sequence, account_id, amount, position)
  JOIN txn ON txn.sequence = leg.sequence
 ORDER BY leg.position
"""  # noqa: S608


def insert_rows(chunks: Iterable[tuple[list[tuple], list[tuple]]]) -> dict[int, int]:
    """Insert journal rows and legs, a chunk per statement; returns {sequence: id}.

    The chunks come from a generator that hashes as it goes, and are sent in pipeline
    mode: while the database writes one chunk, Python is already hashing the next, so a
    large batch costs about the larger of the two rather than their sum.
    """
    connection.ensure_connection()
    raw = connection.connection
    first = last = None
    with raw.pipeline(), psycopg.Cursor(raw) as cursor:
        for rows, legs in chunks:
            first = rows[0][0] if first is None else first
            last = rows[-1][0]
            cursor.execute(
                _INSERT_CHUNK_PG,
                [*(list(column) for column in zip(*rows, strict=True))]
                + [list(column) for column in zip(*legs, strict=True)],
            )
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(
            "SELECT sequence, id FROM ledger_journaltransaction WHERE sequence BETWEEN %s AND %s",
            [first, last],
        )
        return dict(cursor.fetchall())


# One statement posts one transaction on PostgreSQL: it advances the head (the UPDATE's
# row lock is the chain lock, re-read at its newest version under READ COMMITTED), hashes
# the content with the sequence it assigned, and writes the transaction, its legs, the
# balances and the monthly totals. An unknown or closed account leaves a NULL account_id and
# a reused idempotency key trips the unique index: either error rolls the statement back and
# the portable path below re-does the work step by step and raises the precise error.
_POST_ONE_PG = """
WITH head AS (
    UPDATE ledger_chainhead
       SET sequence = sequence + 1,
           prev_hash = hash,
           hash = encode(sha256(
               convert_to(hash || E'\\n', 'UTF8') || %(prefix)s::bytea
               || convert_to((sequence + 1)::text, 'UTF8') || %(suffix)s::bytea), 'hex')
     WHERE id = 1 AND %(date)s::date > COALESCE(closed_through, '0001-01-01'::date)
 RETURNING sequence, prev_hash, hash
), txn AS (
    INSERT INTO ledger_journaltransaction
        (sequence, kind, date, recorded_at, currency, memo, actor_id, source_ref,
         idempotency_key, reverses_id, prev_hash, hash)
    SELECT head.sequence, %(kind)s::text, %(date)s::date, %(recorded_at)s::timestamptz,
           %(currency)s::text, %(memo)s::text, %(actor)s::bigint, %(source_ref)s::text,
           %(key)s::text, NULL, head.prev_hash, head.hash
      FROM head
 RETURNING id, sequence, prev_hash, hash
), legs AS MATERIALIZED (
    SELECT (SELECT a.id FROM ledger_account a
             WHERE a.code = l.code AND a.is_open AND a.currency = %(currency)s::text)
           AS account_id,
           l.amount
      FROM unnest(%(codes)s::text[], %(amounts)s::bigint[]) AS l(code, amount)
), postings AS (
    INSERT INTO ledger_posting (transaction_id, account_id, amount)
    SELECT txn.id, legs.account_id, legs.amount FROM txn, legs
), balances AS (
    UPDATE ledger_account a SET balance = a.balance + d.delta
      FROM (SELECT account_id, SUM(amount) AS delta FROM legs, txn GROUP BY account_id) d
     WHERE a.id = d.account_id
), monthly AS (
    INSERT INTO ledger_monthlytotal (account_id, month, debits, credits, postings_count)
    SELECT account_id, %(month)s::date, SUM(GREATEST(amount, 0)), SUM(GREATEST(-amount, 0)),
           COUNT(*)
      FROM legs, txn GROUP BY account_id
    ON CONFLICT (account_id, month) DO UPDATE SET
        debits = ledger_monthlytotal.debits + excluded.debits,
        credits = ledger_monthlytotal.credits + excluded.credits,
        postings_count = ledger_monthlytotal.postings_count + excluded.postings_count
)
SELECT id, sequence, prev_hash, hash FROM txn
"""


def post_one(entry: Entry, actor) -> JournalTransaction | None:
    """The fast path; returns None when the portable path must decide."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    prefix, suffix = content_around_sequence(**hashed_fields(entry, now, actor_id))
    params = {
        "prefix": prefix,
        "suffix": suffix,
        "kind": entry.kind,
        "date": entry.date,
        "recorded_at": now,
        "currency": entry.currency,
        "memo": entry.memo,
        "actor": actor_id,
        "source_ref": entry.source_ref,
        "key": entry.idempotency_key,
        "codes": [code for code, _ in entry.legs],
        "amounts": [amount for _, amount in entry.legs],
        "month": entry.date.replace(day=1),
    }
    connection.ensure_connection()
    # Outside a caller's transaction the statement runs on its own in autocommit, which is
    # atomic (the deferred balance triggers fire at its end) and saves BEGIN and COMMIT
    # round trips. Inside one, a savepoint lets a refused statement leave it usable.
    scope = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with scope, psycopg.Cursor(connection.connection) as cursor:
            # A server-side-binding cursor lets PostgreSQL keep this statement prepared on
            # the connection; planning the CTE anew would cost more than executing it.
            cursor.execute(_POST_ONE_PG, params, prepare=True)
            row = cursor.fetchone()
    except (IntegrityError, psycopg.IntegrityError):
        return None
    if row is None:  # no chain head row yet (an emptied database), or a closed period
        return None
    pk, sequence, prev_hash, digest = row
    return JournalTransaction(
        pk=pk,
        sequence=sequence,
        kind=entry.kind,
        date=entry.date,
        recorded_at=now,
        currency=entry.currency,
        memo=entry.memo,
        actor_id=actor_id,
        source_ref=entry.source_ref,
        idempotency_key=entry.idempotency_key,
        prev_hash=prev_hash,
        hash=digest,
    )


def binary_cursor() -> psycopg.Cursor:
    """A psycopg cursor on Django's connection (same transaction) that binds parameters on
    the server, so column arrays travel in binary."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
