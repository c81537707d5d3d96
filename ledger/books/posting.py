"""Every write to the journal. Nothing else in the project writes ledger rows, but for the
audit log's chain (``ledger.books.audit_chain``) and the signed tree heads
(``ledger.books.tree_heads``), which take the same lock.

Posting takes the chain head's row lock first (``SELECT … FOR UPDATE``): the hash chain
needs one total order, and holding that lock while the sequence, hash, balances and monthly
totals are written keeps the sequence gapless and the derived totals exact under any number
of concurrent writers. A batch takes the lock once for all its entries, which is why a surge
posts in batches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from ledger import exceptions
from ledger.books import postgres
from ledger.books.entries import Entry, hashed_fields, validate
from ledger.books.fund_time import fund_today
from ledger.books.hashing import GENESIS_HASH, canonical_content, chain_hash
from ledger.books.head_schedule import schedule_after
from ledger.books.postgres import CHUNK, TXN_FIELDS
from ledger.books.totals import Totals
from ledger.models import (
    Account,
    AuditEvent,
    ChainHead,
    JournalTransaction,
    Posting,
    TransactionKind,
)


def _lock_head() -> ChainHead:
    # The row lock on the head is what makes the sequence gapless and the chain linear:
    # two posters that both read the same head would both write sequence N+1.
    head = ChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_chainhead (id, sequence, hash, prev_hash, time_zone, "
                "audit_sequence, audit_hash) VALUES (1, 0, %s, '', '', 0, %s) "
                "ON CONFLICT (id) DO NOTHING",
                [GENESIS_HASH, GENESIS_HASH],
            )
        head = ChainHead.objects.select_for_update().get(id=1)
    return head


def books_time_zone_check() -> None:
    """Refuse to post when FUND_TIME_ZONE is not the zone the books were started in (the
    first posting records it): a change would move posted entries to other days and
    months (``ledger.books.fund_time``). Checked once per process and zone."""
    _time_zone_checked(settings.FUND_TIME_ZONE)


def books_time_zone_forget() -> None:
    """Check the zone again on the next posting (a new database, in tests)."""
    _time_zone_checked.cache_clear()


@functools.lru_cache(maxsize=8)
def _time_zone_checked(zone: str) -> None:
    with transaction.atomic():
        head = _lock_head()
        if not head.time_zone:
            ChainHead.objects.filter(id=1).update(time_zone=zone)
        elif head.time_zone != zone:
            raise exceptions.TimeZoneChanged(
                f"The books were started in the time zone {head.time_zone}, and "
                f"FUND_TIME_ZONE is now {zone}. Changing it would move posted entries to "
                f"other days and months: set FUND_TIME_ZONE back to {head.time_zone}."
            )


def books_lock() -> None:
    """Serialise the caller's database transaction with every posting (the chain-head row
    lock). Decisions that read balances and then post, such as paying bail only from funds
    that are there, take it first so no other posting can change those balances between
    the read and the write. Callers hold transaction.atomic()."""
    _lock_head()


def _stored_content(txn: JournalTransaction, legs: list[tuple[str, int]], date=None) -> tuple:
    return (
        txn.kind,
        date or txn.date,
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
        with postgres.binary_cursor() as cursor:
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


def _apply_totals(totals: Totals) -> None:
    """Add this write's postings to the stored balances and monthly totals."""
    balance_deltas = totals.balances
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
        rows = sorted(totals.monthly.items())
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


def _insert_rows_portable(chunks: Iterable[tuple[list[tuple], list[tuple]]]) -> dict[int, int]:
    ids: dict[int, int] = {}
    for rows, legs in chunks:
        transactions = [
            JournalTransaction(**dict(zip(TXN_FIELDS, row, strict=True))) for row in rows
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
            # A fact moved out of a closed period was posted on another day than it says.
            date = entry.date if entry.outside_fact else None
            if _stored_content(txn, existing_legs.get(txn.pk, []), date) != entry.content():
                message = gettext(
                    "The idempotency key %(key)s already records a different transaction "
                    "(#%(sequence)s)."
                )
                raise exceptions.IdempotencyConflict(
                    message % {"key": repr(key), "sequence": txn.sequence}
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
            new_entries.append((index, _in_open_period(entry, head.closed_through)))

    if new_entries:
        posted = _insert_new([entry for _, entry in new_entries], head, actor)
        for txn, (index, _) in zip(posted, new_entries, strict=True):
            results[index] = txn
        by_key = {txn.idempotency_key: txn for txn in posted}
        for index, entry in enumerate(entries):
            if results[index] is None:
                results[index] = by_key[entry.idempotency_key]
    return results  # type: ignore[return-value]


def _in_open_period(entry: Entry, closed: dt.date | None) -> Entry:
    """The entry as it may be posted while the books are closed through ``closed``
    (``ledger.books.periods``): refused if dated in a closed period, or moved to the first
    open day if it records a fact that happened whatever the books say."""
    if closed is None or entry.date > closed:
        return entry
    if not entry.outside_fact:
        message = gettext(
            "The books are closed through %(closed)s: %(date)s is in a closed period. Post "
            "the correction in the open period, referring back to it."
        )
        raise exceptions.PeriodClosed(
            message % {"closed": f"{closed:%Y-%m-%d}", "date": f"{entry.date:%Y-%m-%d}"}
        )
    return dataclasses.replace(entry, date=closed + dt.timedelta(days=1))


def _insert_new(entries: list[Entry], head: ChainHead, actor) -> list[Posted]:
    """Chain, hash and write entries known to be new; returns them in order."""
    accounts = _accounts_for(entries)
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    posted: list[Posted] = []
    totals = Totals()
    chain = [head.sequence, head.hash]

    def chunks():
        """Rows (in TXN_FIELDS order) and legs (sequence, account id, amount), a chunk at
        a time; totals and results are gathered on the way."""
        sequence, prev_hash = chain
        for start in range(0, len(entries), CHUNK):
            rows: list[tuple] = []
            legs: list[tuple[int, int, int]] = []
            for entry in entries[start : start + CHUNK]:
                sequence += 1
                reverses = entry.reverses
                digest = chain_hash(
                    prev_hash,
                    canonical_content(sequence=sequence, **hashed_fields(entry, now, actor_id)),
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
                    totals.add(account_id, month, amount)
            chain[:] = [sequence, prev_hash]
            yield rows, legs

    if connection.vendor == "postgresql":
        ids = postgres.insert_rows(chunks())
    else:
        ids = _insert_rows_portable(chunks())
    _apply_totals(totals)
    ChainHead.objects.filter(id=1).update(sequence=chain[0], hash=chain[1])
    schedule_after(head.sequence, chain[0])
    return [result._replace(pk=ids[result.sequence]) for result in posted]


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
    entry = Entry(
        kind=kind,
        date=date,
        legs=tuple(legs),
        idempotency_key=idempotency_key,
        memo=memo,
        source_ref=source_ref,
        currency=currency,
    )
    return entry_post(entry, actor=actor)


def entry_post(entry: Entry, *, actor=None) -> JournalTransaction:
    """:func:`transaction_post` for an entry already built (reversals go through
    :func:`transaction_reverse`)."""
    entry = validate(entry)
    books_time_zone_check()
    # The fast path writes no ``reverses``: an entry naming the one it reverses goes the
    # portable way, which writes and hashes it.
    if connection.vendor == "postgresql" and entry.reverses is None:
        posted = postgres.post_one(entry, actor)
        if posted is not None:
            schedule_after(posted.sequence - 1, posted.sequence)
            return posted
    with transaction.atomic():
        return JournalTransaction.objects.get(pk=_write([entry], actor)[0].pk)


def transactions_post_batch(*, entries: Sequence[Entry], actor=None) -> list[Posted]:
    """Post many transactions atomically under one lock; all are written or none.

    Returns, in the order of ``entries``, what was posted for each; an entry whose key was
    already posted with the same content gets that earlier transaction, with
    ``created=False``.
    """
    validated = [validate(entry) for entry in entries]
    books_time_zone_check()
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
    entry = validate(
        Entry(
            kind=TransactionKind.REVERSAL,
            date=date or fund_today(),
            legs=tuple((code, -amount) for code, amount in legs),
            idempotency_key=key,
            memo=memo or f"Reversal of #{original.sequence}",
            source_ref=f"ledger:{original.sequence}",
            currency=original.currency,
            reverses=original,
        )
    )
    books_time_zone_check()
    with transaction.atomic():
        _lock_head()
        earlier = JournalTransaction.objects.filter(reverses=original).first()
        if earlier is not None and earlier.idempotency_key != key:
            message = gettext("Transaction #%(entry)s was already reversed by #%(reversal)s.")
            raise exceptions.AlreadyReversed(
                message % {"entry": original.sequence, "reversal": earlier.sequence}
            )
        reversal = JournalTransaction.objects.get(pk=_write([entry], actor)[0].pk)
        if actor is not None:
            audit_record(
                actor,
                "journal_transaction",
                original.sequence,
                "ledger.transaction_reversed",
                {"reversal_sequence": reversal.sequence},
            )
        return reversal


def audit_record(
    actor, object_type: str, object_id, action: str, details: dict | None = None
) -> AuditEvent:
    """Append to the audit log inside the caller's transaction: ``actor`` (None for the
    system) did ``action`` (``case.closed``) to one object. No personal data in details.
    The event joins the audit log's hash chain (``ledger.books.audit_chain``)."""
    from ledger.books.audit_chain import audit_append

    return audit_append(actor, object_type, object_id, action, details or {})
