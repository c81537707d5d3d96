"""Stripe balance transactions into the books.

A balance transaction is Stripe's own record of money moving in or out of the balance it
holds for the fund, with gross (``amount``), ``fee`` and ``net``. Posting from it, rather
than from charges or events, is what makes ``assets:stripe`` equal Stripe's balance: every
balance transaction moves ``assets:stripe`` by exactly its ``net``, and the other legs say
why. The idempotency key is ``stripe:<balance transaction id>``, the same whichever path
(webhook, retry, reconciliation) gets there first, so nothing is posted twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from ledger.books.chart import (
    BANK,
    DISPUTE_LOSSES,
    DONATIONS,
    DONATIONS_REFUNDED,
    PROCESSING_FEES,
    STRIPE,
)
from ledger.books.posting import Entry, entry_post, transactions_post_batch
from ledger.models import TransactionKind

_REFUNDS = {"refund", "payment_refund", "refund_failure", "payment_failure_refund"}
_CHARGES = {"charge", "payment"}
_PAYOUTS = {"payout", "payout_failure", "payout_cancel", "payout_minimum_balance_hold"}
_DISPUTE_CATEGORIES = {"dispute", "dispute_reversal"}

_MEMOS = {
    TransactionKind.DONATION: "Card donation settled at Stripe",
    TransactionKind.REFUND: "Donation refunded at Stripe",
    TransactionKind.DISPUTE: "Card dispute at Stripe",
    TransactionKind.PAYOUT: "Stripe payout to the bank",
    TransactionKind.FEE: "Stripe fee or adjustment",
}


def balance_transaction_key(balance_transaction_id: str) -> str:
    return f"stripe:{balance_transaction_id}"


def entry_for(balance_transaction: dict) -> Entry | None:
    """The posting recipe for one balance transaction; None when it moves no money."""
    bt = balance_transaction
    kind_of, amount, fee, net = bt["type"], bt["amount"], bt["fee"], bt["net"]
    legs: dict[str, int] = defaultdict(int)
    legs[STRIPE] += net
    if kind_of in _CHARGES:
        kind = TransactionKind.DONATION
        legs[DONATIONS] -= amount
        legs[PROCESSING_FEES] += fee
    elif kind_of in _REFUNDS:
        kind = TransactionKind.REFUND
        legs[DONATIONS_REFUNDED] -= amount
        legs[PROCESSING_FEES] += fee
    elif kind_of in _PAYOUTS:
        kind = TransactionKind.PAYOUT
        legs[BANK] -= amount
        legs[PROCESSING_FEES] += fee
    elif kind_of == "adjustment" and bt.get("reporting_category") in _DISPUTE_CATEGORIES:
        # Withdrawn: -amount and the dispute fee leave the balance; reinstated: amount returns.
        kind = TransactionKind.DISPUTE
        legs[DISPUTE_LOSSES] -= net
    else:
        # Stripe's own fees and any other adjustment.
        kind = TransactionKind.FEE
        legs[PROCESSING_FEES] -= net
    nonzero = tuple((code, value) for code, value in sorted(legs.items()) if value)
    if len(nonzero) < 2:
        return None
    created = dt.datetime.fromtimestamp(bt["created"], tz=dt.UTC)
    return Entry(
        kind=kind,
        date=timezone.localtime(created).date(),
        legs=nonzero,
        idempotency_key=balance_transaction_key(bt["id"]),
        memo=_MEMOS[kind],
        source_ref=f"stripe:{bt['id']}",
        currency=bt["currency"].lower(),
    )


def post_balance_transaction(balance_transaction: dict) -> bool:
    """Post one balance transaction (idempotent). Returns True if it moved money."""
    entry = entry_for(balance_transaction)
    if entry is None:
        return False
    entry_post(entry)
    return True


def post_entries(entries: list[Entry]) -> int:
    """Post many at once (reconciliation); returns how many were new to the books."""
    if not entries:
        return 0
    return sum(posted.created for posted in transactions_post_batch(entries=entries))
