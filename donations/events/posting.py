"""Stripe balance transactions into the books.

A balance transaction is Stripe's own record of money moving in or out of the balance it
holds for the fund, with gross (``amount``), ``fee`` and ``net``. Posting from it, rather
than from charges or events, is what makes ``assets:stripe`` equal Stripe's balance: every
balance transaction moves ``assets:stripe`` by exactly its ``net``, and the other legs say
why. The idempotency key is ``stripe:<balance transaction id>``, the same whichever path
(webhook, retry, reconciliation) gets there first, so nothing is posted twice.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from donations.reconciliation.discrepancies import discrepancy_open
from ledger.books.chart import (
    BANK,
    DISPUTE_LOSSES,
    DONATIONS,
    DONATIONS_REFUNDED,
    PAYOUTS_IN_TRANSIT,
    PROCESSING_FEES,
    STRIPE,
    STRIPE_HELD,
    STRIPE_SUSPENSE,
)
from ledger.books.fund_time import fund_date
from ledger.books.posting import Entry, entry_post, transactions_post_batch
from ledger.exceptions import InvalidEntry
from ledger.models import JournalTransaction, TransactionKind

K = TransactionKind


class Recipe(NamedTuple):
    """How a balance transaction type posts: ``assets:stripe`` moves by its net, the
    ``counter`` account by its gross amount (the other way) and ``fees`` by its fee."""

    kind: str
    counter: str
    memo: str
    fees: str = PROCESSING_FEES


_DONATION = Recipe(K.DONATION, DONATIONS, "Card donation settled at Stripe")
_REFUND = Recipe(K.REFUND, DONATIONS_REFUNDED, "Donation refunded or reversed at Stripe")
_PAYOUT = Recipe(K.PAYOUT, PAYOUTS_IN_TRANSIT, "Stripe payout on its way to the bank")
_HELD = Recipe(K.ADJUSTMENT, STRIPE_HELD, "Stripe reserve or hold, held back or released")
_TOPUP = Recipe(K.ADJUSTMENT, BANK, "Top-up between the bank and Stripe")
_FEE = Recipe(K.FEE, PROCESSING_FEES, "Stripe fee")
_DISPUTE = Recipe(K.DISPUTE, DISPUTE_LOSSES, "Card dispute at Stripe", fees=DISPUTE_LOSSES)
# Anything else (Connect, Issuing, Capital, an adjustment Stripe did not explain, a type
# added after this list) waits in suspense, with a discrepancy naming it, for a person.
UNCLASSIFIED = Recipe(
    K.ADJUSTMENT, STRIPE_SUSPENSE, "Stripe movement to classify", fees=STRIPE_SUSPENSE
)

# Stripe's balance transaction types that a fund taking donations meets
# (https://docs.stripe.com/reports/balance-transaction-types).
RECIPES: dict[str, Recipe] = {
    "charge": _DONATION,
    "payment": _DONATION,
    "refund": _REFUND,
    "payment_refund": _REFUND,
    "refund_failure": _REFUND,
    "payment_failure_refund": _REFUND,
    "payment_reversal": _REFUND,  # a bank debit the donor's bank took back
    "payout": _PAYOUT,
    "payout_failure": _PAYOUT,
    "payout_cancel": _PAYOUT,
    "payout_minimum_balance_hold": _HELD,
    "payout_minimum_balance_release": _HELD,
    "reserve_transaction": _HELD,
    "reserved_funds": _HELD,
    "reserve_hold": _HELD,
    "reserve_release": _HELD,
    "payment_network_reserve_hold": _HELD,
    "payment_network_reserve_release": _HELD,
    "topup": _TOPUP,
    "topup_reversal": _TOPUP,
    "stripe_fee": _FEE,
    "stripe_fx_fee": _FEE,
    "tax_fee": _FEE,
}
# Stripe's reporting categories of an ``adjustment`` that is a dispute
# (https://docs.stripe.com/reports/reporting-categories).
_DISPUTE_CATEGORIES = {"dispute", "dispute_reversal"}


def recipe_for(balance_transaction: dict) -> Recipe:
    bt = balance_transaction
    if bt["type"] == "adjustment" and bt.get("reporting_category") in _DISPUTE_CATEGORIES:
        return _DISPUTE
    return RECIPES.get(bt["type"], UNCLASSIFIED)


def balance_transaction_key(balance_transaction_id: str) -> str:
    return f"stripe:{balance_transaction_id}"


def entry_for(balance_transaction: dict) -> Entry | None:
    """The posting of one balance transaction; None when it moves no money."""
    bt = balance_transaction
    recipe = recipe_for(bt)
    legs: dict[str, int] = defaultdict(int)
    legs[STRIPE] += bt["net"]
    legs[recipe.counter] -= bt["amount"]
    legs[recipe.fees] += bt["fee"]
    nonzero = tuple((code, value) for code, value in sorted(legs.items()) if value)
    if len(nonzero) < 2:
        return None
    return Entry(
        kind=recipe.kind,
        date=fund_date(bt["created"]),
        legs=nonzero,
        idempotency_key=balance_transaction_key(bt["id"]),
        memo=recipe.memo,
        source_ref=f"stripe:{bt['id']}",
        currency=bt["currency"].lower(),
        # It happened at Stripe whatever the books say (ledger.books.entries).
        outside_fact=True,
    )


def post_balance_transaction(balance_transaction: dict) -> bool:
    """Post one balance transaction (idempotent). Returns True if it moved money."""
    entry = entry_for(balance_transaction)
    if entry is None:
        return False
    entry_post(entry)
    _open_if_unclassified(balance_transaction)
    return True


def post_balance_transactions(balance_transactions: list[dict], *, run=None) -> int:
    """Post many (reconciliation) in one batch; returns how many were new to the books.
    If the books refuse one (another currency, say), each is posted on its own: a refused
    one is skipped and opened as a discrepancy, and the rest goes on."""
    entries = {bt["id"]: e for bt in balance_transactions if (e := entry_for(bt)) is not None}
    for bt in balance_transactions:
        _open_if_unclassified(bt, run=run)
    try:
        return post_entries(list(entries.values()))
    except InvalidEntry:
        pass
    new = 0
    for bt_id, entry in entries.items():
        try:
            new += post_entries([entry])
        except InvalidEntry as error:
            discrepancy_open(
                run=run,
                kind="balance_transaction_refused",
                stripe_object=bt_id,
                expected=dict(entry.legs).get(STRIPE),
                found=None,
                description=f"The books refused this balance transaction: {error}",
            )
    return new


def post_entries(entries: list[Entry]) -> int:
    """Post many at once; returns how many were new to the books."""
    if not entries:
        return 0
    return sum(posted.created for posted in transactions_post_batch(entries=entries))


def _open_if_unclassified(bt: dict, *, run=None) -> None:
    if recipe_for(bt) is UNCLASSIFIED and bt["net"]:
        discrepancy_open(
            run=run,
            kind="unclassified_balance_transaction",
            stripe_object=bt["id"],
            expected=bt["net"],
            found=None,
            description=(
                f"A Stripe balance transaction of type {str(bt['type'])[:60]!r} waits in "
                "'Stripe movements to classify': post a correcting entry to the right account."
            ),
        )


def payout_key(payout_id: str, step: str) -> str:
    return f"stripe:{payout_id}:{step}"


def payout_settlement_entries(payout: dict) -> list[Entry]:
    """A payout leaves Stripe's balance for ``assets:payouts_in_transit`` when Stripe
    creates it (its balance transaction), and reaches the bank only when Stripe marks it
    paid, on its arrival date. One that fails after it was marked paid comes back out of
    the bank; Stripe then returns it to the balance (``payout_failure``)
    (https://docs.stripe.com/payouts#payout-statuses)."""
    status, amount = payout.get("status"), payout["amount"]
    if status not in ("paid", "failed") or amount <= 0:
        return []
    arrived_key = payout_key(payout["id"], "arrived")
    arrival_date = payout.get("arrival_date") or payout["created"]
    day = fund_date(arrival_date)
    common = {
        "kind": TransactionKind.PAYOUT,
        "currency": payout["currency"].lower(),
        "date": day,
        "outside_fact": True,
    }
    arrived = Entry(
        legs=((BANK, amount), (PAYOUTS_IN_TRANSIT, -amount)),
        idempotency_key=arrived_key,
        memo="Stripe payout arrived in the bank",
        source_ref=f"stripe:{payout['id']}",
        **common,
    )
    if status == "paid":
        return [arrived]
    if not JournalTransaction.objects.filter(idempotency_key=arrived_key).exists():
        return []  # failed before it arrived: its payout_failure returns it to Stripe
    returned = Entry(
        legs=((BANK, -amount), (PAYOUTS_IN_TRANSIT, amount)),
        idempotency_key=payout_key(payout["id"], "returned"),
        memo="Stripe payout failed after arriving; back from the bank",
        source_ref=f"stripe:{payout['id']}",
        **common,
    )
    return [returned]
