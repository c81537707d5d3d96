"""The balance transactions of the charges a drain records, read a page at a time.

A charge event carries the charge, but only the id of its balance transaction (the fee and
the net the books need). Reading each by id would cost one request per donation on one
endpoint, and Stripe allows 25 a second per endpoint and 100 per account in live mode
(https://docs.stripe.com/rate-limits): intake would stop near 25 donations a second.
Instead the drain walks Stripe's list of balance transactions, 100 per request, from the
two ends of what it has read so far: forward from the newest (the cursor, ``ending_before``,
https://docs.stripe.com/api/pagination), where a drain's charges almost always are, and,
for events that come late (Stripe retries for days; a surge queues thousands), back from
the oldest (the floor, ``starting_after``). Whatever a page holds is posted to the books
and its fee noted on its charge's row (created if its event has not come yet), so the
events that follow find their charge's money recorded and ask Stripe for nothing. What a
walk does not find within its page budget is read by id.

Posting is idempotent, so two drains walking the same page at once cost a request, never
money; the cursor only moves forward and the floor only back, so each page of Stripe's
history is read about once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from donations import stripe_gateway
from donations.events.posting import post_balance_transactions
from donations.models import ReconciliationState, StripeCharge

PAGE = 100
#: Pages one walk may read before what it still lacks is read by id.
MAX_PAGES = 50
#: Balance transaction types whose source is a charge (``ch_``, or ``py_`` for some
#: payment methods): https://docs.stripe.com/api/balance_transactions/object#balance_transaction_object-type
CHARGE_TYPES = frozenset({"charge", "payment"})


def balance_transactions_for(wanted: set[str]) -> dict[str, dict]:
    """The balance transactions ``wanted`` (ids), read from Stripe's list in pages; each
    page read is posted and noted on its charges. Those the walk does not reach are read
    one by one. Returns ``{id: balance transaction}`` for every one Stripe has."""
    found: dict[str, dict] = {}
    if wanted:
        _walk(wanted, found)
    for bt_id in sorted(wanted - found.keys()):
        bt = stripe_gateway.retrieve_balance_transaction(bt_id)
        _record_page([bt])
        found[bt_id] = bt
    return found


def _walk(wanted: set[str], found: dict[str, dict]) -> None:
    """Newer than the cursor first (where a drain's charges almost always are), then, for
    what is still missing, older than the floor; both ends only move outward, so every
    page of Stripe's history is read about once, however late its events come."""
    state, _ = ReconciliationState.objects.get_or_create(id=1)
    budget = MAX_PAGES
    if state.feed_cursor:
        budget = _forward(state.feed_cursor, wanted, found, budget)
    if budget and not wanted <= found.keys():
        _backward(state.feed_floor, wanted, found, budget, top=not state.feed_cursor)


def _forward(cursor: str, wanted: set[str], found: dict[str, dict], budget: int) -> int:
    while budget:
        budget -= 1
        # The page just newer than the cursor (https://docs.stripe.com/api/pagination).
        page = stripe_gateway.list_balance_transactions({"limit": PAGE, "ending_before": cursor})
        data = page.get("data") or []
        if not data:
            break
        _record_page(data)
        found.update((bt["id"], bt) for bt in data if bt["id"] in wanted)
        _move_end("feed_cursor", data[0], newer=True)
        if wanted <= found.keys() or not page.get("has_more"):
            break
        cursor = data[0]["id"]
    return budget


def _backward(floor: str, wanted: set[str], found: dict[str, dict], budget: int, *, top: bool):
    """Down from the floor (or, before any walk, from the newest, which sets the cursor)."""
    if floor and top:
        top = False
    for _ in range(budget):
        params: dict = {"limit": PAGE}
        if floor:
            params["starting_after"] = floor  # the page just older than the floor
        page = stripe_gateway.list_balance_transactions(params)
        data = page.get("data") or []
        if not data:
            return
        _record_page(data)
        found.update((bt["id"], bt) for bt in data if bt["id"] in wanted)
        if top:
            _move_end("feed_cursor", data[0], newer=True)
            top = False
        _move_end("feed_floor", data[-1], newer=False)
        if wanted <= found.keys() or not page.get("has_more"):
            return
        floor = data[-1]["id"]


def _move_end(field: str, bt: dict, *, newer: bool) -> None:
    """Move the cursor (newer) or the floor (older) to ``bt`` unless a walk has gone
    further already."""
    when = f"{field}_created"
    further = Q(**{f"{when}__lte" if newer else f"{when}__gte": bt["created"]})
    ReconciliationState.objects.filter(id=1).filter(
        Q(**{f"{when}__isnull": True}) | further
    ).update(**{field: bt["id"], when: bt["created"]})


def _record_page(bts: list[dict]) -> None:
    """Post a page, and note each charge's balance transaction and fee on its row."""
    charges = {
        bt["source"]: bt
        for bt in bts
        if bt.get("type") in CHARGE_TYPES and isinstance(bt.get("source"), str)
    }
    with transaction.atomic():
        post_balance_transactions(bts)
        if not charges:
            return
        StripeCharge.objects.bulk_create(
            [
                StripeCharge(
                    charge_id=charge_id,
                    amount=bt["amount"],
                    currency=bt["currency"],
                    charged_at=dt.datetime.fromtimestamp(bt["created"], tz=dt.UTC),
                    balance_transaction_id=bt["id"],
                    fee=bt["fee"],
                )
                for charge_id, bt in charges.items()
            ],
            ignore_conflicts=True,
        )
        unnoted = list(
            StripeCharge.objects.filter(
                charge_id__in=list(charges), balance_transaction_id=""
            ).only("pk", "charge_id")
        )
        for record in unnoted:
            bt = charges[record.charge_id]
            record.balance_transaction_id, record.fee = bt["id"], bt["fee"]
        StripeCharge.objects.bulk_update(unnoted, ["balance_transaction_id", "fee"])
