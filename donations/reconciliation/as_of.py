"""Stripe's balance and the books' ``assets:stripe``, both as of one cutoff.

Stripe only says what its balance is now, and money keeps arriving while a run reads it:
a gift created a second before the read is in Stripe's balance but its event may not be
processed yet. Comparing the two live would open a discrepancy for every gift in flight.
So both sides are taken back to a cutoff a little in the past
(``RECONCILIATION_BALANCE_LAG_SECONDS``, or a moment an operator names):

* Stripe: the balance now (available + pending, which every balance transaction changes
  by its ``net`` when it is created, https://docs.stripe.com/api/balance_transactions/object),
  less the net of each balance transaction created after the cutoff, listed with
  ``created[gt]`` (https://docs.stripe.com/api/balance_transactions/list);
* the books: ``assets:stripe`` read with the chain head locked, less what the entries of
  those same balance transactions (their idempotency keys) posted to it up to that head.

The balance is read before the list, so every balance transaction the books hold is in
the list; one created in the instant between the two reads (after the balance, in the
same second) would be taken off Stripe's side only, and the discrepancy it opens closes at
the next run (``donations.reconciliation.discrepancies``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from donations import stripe_gateway
from donations.events.posting import balance_transaction_key
from ledger.books.chart import STRIPE
from ledger.books.selectors import account_balance_at_head, postings_total

PAGE = 100


@dataclass(frozen=True)
class BalancesAsOf:
    cutoff: int  # Unix time
    stripe: int
    books: int
    later: int  # balance transactions after the cutoff, taken off both sides


def balances_as_of(
    cutoff: int | None, *, currency: str, lag: int, read: Callable[..., dict]
) -> BalancesAsOf:
    """Stripe's balance and ``assets:stripe`` in ``currency``, both as of ``cutoff`` (Unix
    time; default: ``lag`` seconds ago). ``read`` calls Stripe (with the caller's retries)."""
    balance = read(stripe_gateway.retrieve_balance)
    read_at = int(time.time())
    head, books_now = account_balance_at_head(STRIPE)
    cutoff = read_at - lag if cutoff is None else min(cutoff, read_at)
    stripe_now = sum(
        entry["amount"]
        for key in ("available", "pending")
        for entry in balance.get(key, [])
        if entry["currency"].lower() == currency
    )
    later = [
        bt
        for bt in _created_after(cutoff, read)
        if bt["currency"].lower() == currency and bt["created"] <= read_at
    ]
    keys = [balance_transaction_key(bt["id"]) for bt in later]
    return BalancesAsOf(
        cutoff=cutoff,
        stripe=stripe_now - sum(bt["net"] for bt in later),
        books=books_now - postings_total(STRIPE, idempotency_keys=keys, up_to_sequence=head),
        later=len(later),
    )


def _created_after(cutoff: int, read: Callable[..., dict]) -> list[dict]:
    found: list[dict] = []
    params: dict = {"limit": PAGE, "created": {"gt": cutoff}}
    while True:
        page = read(stripe_gateway.list_balance_transactions, params)
        data = page.get("data") or []
        found += data
        if not data or not page.get("has_more"):
            return found
        params = {**params, "starting_after": data[-1]["id"]}
