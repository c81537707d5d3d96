"""Every write to the books. Nothing else in the project writes ledger rows.

Posting takes the chain head's row lock first (``SELECT … FOR UPDATE``): the hash chain
needs one total order, and holding that lock while the sequence, hash, balances and monthly
totals are written keeps the sequence gapless and the derived totals exact under any number
of concurrent writers. A batch takes the lock once for all its entries, which is why batch
posting is an order of magnitude faster than one-at-a-time posting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ledger import exceptions
from ledger.hashing import (
    GENESIS_HASH,
    canonical_content,
    chain_hash,
    content_around_sequence,
)
from ledger.models import (
    Account,
    AuditEvent,
    ChainHead,
    Checkpoint,
    JournalTransaction,
    Posting,
    TransactionKind,
)

MAX_ABS_AMOUNT = 10**15  # a quadrillion minor units: far above any fund, far below bigint
MEMO_MAX_LENGTH = 200
_EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_KINDS = frozenset(TransactionKind.values)


@dataclass(frozen=True)
class Entry:
    """One fact to post: what happened, when, and the legs that record it."""

    kind: str
    date: dt.date
    legs: Sequence[tuple[str, int]]
    idempotency_key: str
    memo: str = ""
    source_ref: str = ""
    currency: str = ""
    reverses: JournalTransaction | None = None

    def content(self) -> tuple:
        """What an idempotency key stands for: everything but who posted it and when."""
        return (
            self.kind,
            self.date,
            self.currency,
            self.memo,
            self.source_ref,
            self.reverses.pk if self.reverses else None,
            sorted((code, amount) for code, amount in self.legs),
        )


def _validate(entry: Entry) -> Entry:
    """Check an entry without touching the database; returns it with its currency set."""
    if entry.kind not in _KINDS:
        raise exceptions.InvalidEntry(f"Unknown transaction kind {entry.kind!r}.")
    if entry.kind == TransactionKind.REVERSAL and entry.reverses is None:
        raise exceptions.InvalidEntry("Reversals are posted with transaction_reverse.")
    if not isinstance(entry.date, dt.date) or isinstance(entry.date, dt.datetime):
        raise exceptions.InvalidEntry("The economic date must be a date.")
    key = entry.idempotency_key
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise exceptions.InvalidEntry("An idempotency key of 1 to 200 characters is required.")
    if not isinstance(entry.memo, str) or len(entry.memo) > MEMO_MAX_LENGTH:
        raise exceptions.InvalidEntry(f"The memo is text of at most {MEMO_MAX_LENGTH} characters.")
    if _EMAIL_RE.search(entry.memo):
        raise exceptions.PersonalDataInMemo("The memo looks like it holds an email address.")
    if not isinstance(entry.source_ref, str) or len(entry.source_ref) > 120:
        raise exceptions.InvalidEntry("The source reference is text of at most 120 characters.")
    legs = list(entry.legs)
    if len(legs) < 2:
        raise exceptions.TooFewPostings("A transaction needs at least two legs.")
    total = 0
    for leg in legs:
        if not (isinstance(leg, tuple | list) and len(leg) == 2 and isinstance(leg[0], str)):
            raise exceptions.InvalidEntry("Each leg is an (account code, amount) pair.")
        amount = leg[1]
        if type(amount) is not int:
            raise exceptions.InvalidAmount(
                f"Amounts are integers in minor units, not {type(amount).__name__}."
            )
        if amount == 0:
            raise exceptions.InvalidAmount("A leg of zero records nothing.")
        if abs(amount) > MAX_ABS_AMOUNT:
            raise exceptions.InvalidAmount("The amount is out of range.")
        total += amount
    if total != 0:
        raise exceptions.UnbalancedTransaction(f"The legs sum to {total}, not zero.")
    currency = (entry.currency or settings.FUND_CURRENCY).lower()
    if currency != settings.FUND_CURRENCY:
        raise exceptions.CurrencyMismatch(
            f"The books are kept in {settings.FUND_CURRENCY.upper()}, not {currency.upper()}."
        )
    return Entry(
        kind=entry.kind,
        date=entry.date,
        legs=tuple((code, amount) for code, amount in legs),
        idempotency_key=key,
        memo=entry.memo,
        source_ref=entry.source_ref,
        currency=currency,
        reverses=entry.reverses,
    )


def _lock_head() -> ChainHead:
    # The row lock on the head is what makes the sequence gapless and the chain linear:
    # two posters that both read the same head would both write sequence N+1.
    head = ChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_chainhead (id, sequence, hash) VALUES (1, 0, %s) "
                "ON CONFLICT (id) DO NOTHING",
                [GENESIS_HASH],
            )
        head = ChainHead.objects.select_for_update().get(id=1)
    return head


def books_lock() -> None:
    """Serialise the caller's database transaction with every posting (the chain-head row
    lock). Decisions that read balances and then post, such as paying bail only from funds
    that are there, take it first so no other posting can change those balances between
    the read and the write. Callers hold transaction.atomic()."""
    _lock_head()


def _stored_content(txn: JournalTransaction, legs: list[tuple[str, int]]) -> tuple:
    return (
        txn.kind,
        txn.date,
        txn.currency,
        txn.memo,
        txn.source_ref,
        txn.reverses_id,
        sorted(legs),
    )


def _existing_by_key(keys: Sequence[str]) -> dict[str, JournalTransaction]:
    """Transactions already posted under any of these keys (usually none)."""
    if connection.vendor == "postgresql":
        # One array parameter: Django would bind and resolve each key of an IN list.
        with _binary_cursor() as cursor:
            cursor.execute(
                "SELECT id FROM ledger_journaltransaction WHERE idempotency_key = ANY(%b::text[])",
                [list(keys)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        if not ids:
            return {}
        return {txn.idempotency_key: txn for txn in JournalTransaction.objects.filter(pk__in=ids)}
    found: dict[str, JournalTransaction] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for txn in JournalTransaction.objects.filter(idempotency_key__in=chunk):
            found[txn.idempotency_key] = txn
    return found


def _binary_cursor() -> psycopg.Cursor:
    """A psycopg cursor on Django's connection (same transaction) that binds parameters on
    the server, so column arrays travel in binary."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _legs_of(transaction_ids: Iterable[int]) -> dict[int, list[tuple[str, int]]]:
    legs: dict[int, list[tuple[str, int]]] = defaultdict(list)
    ids = list(transaction_ids)
    for start in range(0, len(ids), 500):
        rows = Posting.objects.filter(transaction_id__in=ids[start : start + 500]).values_list(
            "transaction_id", "account__code", "amount"
        )
        for txn_id, code, amount in rows:
            legs[txn_id].append((code, amount))
    return {txn_id: sorted(items) for txn_id, items in legs.items()}


def _accounts_for(entries: Sequence[Entry]) -> dict[str, tuple[int, str, bool]]:
    codes = {code for entry in entries for code, _ in entry.legs}
    accounts = {
        code: (pk, currency, is_open)
        for pk, code, currency, is_open in Account.objects.filter(code__in=codes).values_list(
            "pk", "code", "currency", "is_open"
        )
    }
    for entry in entries:
        for code, _ in entry.legs:
            if code not in accounts:
                raise exceptions.UnknownAccount(f"There is no account {code!r}.")
            _, currency, is_open = accounts[code]
            if not is_open:
                raise exceptions.AccountClosed(f"The account {code!r} is closed.")
            if currency != entry.currency:
                raise exceptions.CurrencyMismatch(
                    f"The account {code!r} is kept in {currency.upper()}, "
                    f"not {entry.currency.upper()}."
                )
    return accounts


def _apply_totals(
    balance_deltas: dict[int, int], monthly: dict[tuple[int, dt.date], list[int]]
) -> None:
    """Add this write's postings to the stored balances and monthly totals."""
    with connection.cursor() as cursor:
        ids = sorted(balance_deltas)
        cases = " ".join("WHEN %s THEN %s" for _ in ids)
        params: list[object] = []
        for account_id in ids:
            params += [account_id, balance_deltas[account_id]]
        placeholders = ", ".join("%s" for _ in ids)
        cursor.execute(
            f"UPDATE ledger_account SET balance = balance + CASE id {cases} ELSE 0 END "  # noqa: S608
            f"WHERE id IN ({placeholders})",
            params + ids,
        )
        rows = sorted(monthly.items())
        values = ", ".join("(%s, %s, %s, %s, %s)" for _ in rows)
        params = []
        adapt = connection.ops.adapt_datefield_value
        for (account_id, month), (debits, credits, count) in rows:
            params += [account_id, adapt(month), debits, credits, count]
        cursor.execute(
            "INSERT INTO ledger_monthlytotal (account_id, month, debits, credits, postings_count) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (account_id, month) DO UPDATE SET "
            "debits = ledger_monthlytotal.debits + excluded.debits, "
            "credits = ledger_monthlytotal.credits + excluded.credits, "
            "postings_count = ledger_monthlytotal.postings_count + excluded.postings_count",
            params,
        )


# Journal columns in model field order (what from_db expects after the id).
_TXN_FIELDS = (
    "sequence",
    "kind",
    "date",
    "recorded_at",
    "currency",
    "memo",
    "actor_id",
    "source_ref",
    "idempotency_key",
    "reverses_id",
    "prev_hash",
    "hash",
)
_TXN_TYPES = (
    "bigint",
    "text",
    "date",
    "timestamptz",
    "text",
    "text",
    "bigint",
    "text",
    "text",
    "bigint",
    "text",
    "text",
)
_PG_CHUNK = 250

# Each chunk is one statement: the journal rows from column arrays, then their legs joined
# to the ids just assigned by sequence. A dozen array parameters whatever the chunk size, no
# round trip between the two inserts, and a transaction's legs are never split over
# statements.
_INSERT_CHUNK_PG = f"""
WITH txn AS (
    INSERT INTO ledger_journaltransaction ({", ".join(_TXN_FIELDS)})
    SELECT * FROM unnest({", ".join(f"%b::{t}[]" for t in _TXN_TYPES)})
    RETURNING id, sequence
)
INSERT INTO ledger_posting (transaction_id, account_id, amount)
SELECT txn.id, leg.account_id, leg.amount
  FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[]) WITH ORDINALITY
       AS leg(sequence, account_id, amount, position)
  JOIN txn ON txn.sequence = leg.sequence
 ORDER BY leg.position
"""  # noqa: S608


def _insert_rows_postgres(chunks: Iterable[tuple[list[tuple], list[tuple]]]) -> dict[int, int]:
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


def _insert_rows_portable(chunks: Iterable[tuple[list[tuple], list[tuple]]]) -> dict[int, int]:
    ids: dict[int, int] = {}
    for rows, legs in chunks:
        transactions = [
            JournalTransaction(**dict(zip(_TXN_FIELDS, row, strict=True))) for row in rows
        ]
        JournalTransaction.objects.bulk_create(transactions, batch_size=1000)
        ids.update((txn.sequence, txn.pk) for txn in transactions)
        Posting.objects.bulk_create(
            [Posting(transaction_id=ids[seq], account_id=a, amount=m) for seq, a, m in legs],
            batch_size=2000,
        )
    return ids


class Posted(NamedTuple):
    """What a batch posting returns for each entry."""

    pk: int
    sequence: int
    hash: str
    idempotency_key: str
    created: bool  # False: the key was already posted, with the same content


def _write(entries: Sequence[Entry], actor) -> list[Posted]:
    """Post validated entries under one head lock. Callers hold transaction.atomic()."""
    head = _lock_head()

    keys = list(dict.fromkeys(entry.idempotency_key for entry in entries))
    existing = _existing_by_key(keys)
    existing_legs = _legs_of(txn.pk for txn in existing.values()) if existing else {}

    results: list[Posted | None] = [None] * len(entries)
    new_entries: list[tuple[int, Entry]] = []
    first_in_batch: dict[str, Entry] = {}
    for index, entry in enumerate(entries):
        key = entry.idempotency_key
        if key in existing:
            txn = existing[key]
            if _stored_content(txn, existing_legs.get(txn.pk, [])) != entry.content():
                raise exceptions.IdempotencyConflict(
                    f"The idempotency key {key!r} already records a different transaction "
                    f"(#{txn.sequence})."
                )
            results[index] = Posted(txn.pk, txn.sequence, txn.hash, key, False)
        elif key in first_in_batch:
            if first_in_batch[key].content() != entry.content():
                raise exceptions.IdempotencyConflict(
                    f"The idempotency key {key!r} is used twice in this batch "
                    "with different content."
                )
        else:
            first_in_batch[key] = entry
            new_entries.append((index, entry))

    if new_entries:
        posted = _insert_new([entry for _, entry in new_entries], head, actor)
        for txn, (index, _) in zip(posted, new_entries, strict=True):
            results[index] = txn
        by_key = {txn.idempotency_key: txn for txn in posted}
        for index, entry in enumerate(entries):
            if results[index] is None:
                results[index] = by_key[entry.idempotency_key]
    return results  # type: ignore[return-value]


def _hashed_fields(entry: Entry, recorded_at: dt.datetime, actor_id: int | None) -> dict:
    """Everything the hash covers except the sequence (see ledger.hashing)."""
    return {
        "kind": entry.kind,
        "date": entry.date,
        "recorded_at": recorded_at,
        "currency": entry.currency,
        "memo": entry.memo,
        "source_ref": entry.source_ref,
        "idempotency_key": entry.idempotency_key,
        "reverses": entry.reverses.sequence if entry.reverses else None,
        "actor": actor_id,
        "postings": entry.legs,
    }


def _insert_new(entries: list[Entry], head: ChainHead, actor) -> list[Posted]:
    """Chain, hash and write entries known to be new; returns them in order."""
    accounts = _accounts_for(entries)
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    posted: list[Posted] = []
    balance_deltas: dict[int, int] = defaultdict(int)
    monthly: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    chain = [head.sequence, head.hash]

    def chunks():
        """Rows (in _TXN_FIELDS order) and legs (sequence, account id, amount), a chunk at
        a time; totals and results are gathered on the way."""
        sequence, prev_hash = chain
        for start in range(0, len(entries), _PG_CHUNK):
            rows: list[tuple] = []
            legs: list[tuple[int, int, int]] = []
            for entry in entries[start : start + _PG_CHUNK]:
                sequence += 1
                reverses = entry.reverses
                digest = chain_hash(
                    prev_hash,
                    canonical_content(sequence=sequence, **_hashed_fields(entry, now, actor_id)),
                )
                rows.append(
                    (
                        sequence,
                        entry.kind,
                        entry.date,
                        now,
                        entry.currency,
                        entry.memo,
                        actor_id,
                        entry.source_ref,
                        entry.idempotency_key,
                        reverses.pk if reverses else None,
                        prev_hash,
                        digest,
                    )
                )
                posted.append(Posted(0, sequence, digest, entry.idempotency_key, True))
                prev_hash = digest
                month = entry.date.replace(day=1)
                for code, amount in entry.legs:
                    account_id = accounts[code][0]
                    legs.append((sequence, account_id, amount))
                    balance_deltas[account_id] += amount
                    totals = monthly[(account_id, month)]
                    if amount > 0:
                        totals[0] += amount
                    else:
                        totals[1] -= amount
                    totals[2] += 1
            chain[:] = [sequence, prev_hash]
            yield rows, legs

    if connection.vendor == "postgresql":
        ids = _insert_rows_postgres(chunks())
    else:
        ids = _insert_rows_portable(chunks())
    _apply_totals(balance_deltas, monthly)
    ChainHead.objects.filter(id=1).update(sequence=chain[0], hash=chain[1])
    return [result._replace(pk=ids[result.sequence]) for result in posted]


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
     WHERE id = 1
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


def _post_one_postgres(entry: Entry, actor) -> JournalTransaction | None:
    """The fast path; returns None when the portable path must decide."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    prefix, suffix = content_around_sequence(**_hashed_fields(entry, now, actor_id))
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
    if row is None:  # no chain head row yet (an emptied database)
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


def transaction_post(
    *,
    kind: str,
    date: dt.date,
    legs: Sequence[tuple[str, int]],
    idempotency_key: str,
    memo: str = "",
    source_ref: str = "",
    currency: str = "",
    actor=None,
) -> JournalTransaction:
    """Post one balanced transaction, or return the one already posted under its key."""
    entry = _validate(
        Entry(
            kind=kind,
            date=date,
            legs=tuple(legs),
            idempotency_key=idempotency_key,
            memo=memo,
            source_ref=source_ref,
            currency=currency,
        )
    )
    if connection.vendor == "postgresql":
        posted = _post_one_postgres(entry, actor)
        if posted is not None:
            return posted
    with transaction.atomic():
        return JournalTransaction.objects.get(pk=_write([entry], actor)[0].pk)


def transactions_post_batch(*, entries: Sequence[Entry], actor=None) -> list[Posted]:
    """Post many transactions atomically under one lock; all are written or none.

    Returns, in the order of ``entries``, what was posted for each; an entry whose key was
    already posted with the same content gets that earlier transaction, with
    ``created=False``.
    """
    validated = [_validate(entry) for entry in entries]
    if not validated:
        return []
    with transaction.atomic():
        return _write(validated, actor)


def transaction_reverse(
    *,
    transaction_to_reverse: JournalTransaction,
    actor=None,
    memo: str = "",
    date: dt.date | None = None,
    idempotency_key: str = "",
) -> JournalTransaction:
    """Post the mirror image of a transaction. Each transaction is reversed at most once.

    Asking again with the same key returns the reversal already posted.
    """
    original = transaction_to_reverse
    key = idempotency_key or f"reversal:{original.sequence}"
    legs = _legs_of([original.pk]).get(original.pk, [])
    entry = _validate(
        Entry(
            kind=TransactionKind.REVERSAL,
            date=date or timezone.localdate(),
            legs=tuple((code, -amount) for code, amount in legs),
            idempotency_key=key,
            memo=memo or f"Reversal of #{original.sequence}",
            source_ref=f"ledger:{original.sequence}",
            currency=original.currency,
            reverses=original,
        )
    )
    with transaction.atomic():
        _lock_head()
        earlier = JournalTransaction.objects.filter(reverses=original).first()
        if earlier is not None and earlier.idempotency_key != key:
            raise exceptions.AlreadyReversed(
                f"Transaction #{original.sequence} was already reversed by #{earlier.sequence}."
            )
        reversal = JournalTransaction.objects.get(pk=_write([entry], actor)[0].pk)
        if actor is not None:
            audit_record(
                actor=actor,
                action="ledger.transaction_reversed",
                object_type="journal_transaction",
                object_id=str(original.sequence),
                details={"reversal_sequence": reversal.sequence},
            )
        return reversal


def checkpoint_create(*, release_hash: str = "") -> Checkpoint:
    """Record the current head with the time; published heads must keep verifying. With
    ``release_hash``, the checkpoint also fixes the public release published with it."""
    with transaction.atomic():
        head = _lock_head()
        return Checkpoint.objects.create(
            sequence=head.sequence,
            hash=head.hash,
            created_at=timezone.now(),
            release_hash=release_hash,
        )


def audit_record(
    *, actor, action: str, object_type: str, object_id: str, details: dict
) -> AuditEvent:
    """Append to the audit log inside the caller's transaction. No personal data in details."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details,
    )
