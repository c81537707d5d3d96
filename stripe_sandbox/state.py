"""The sandbox's Stripe account: every object, money movement and event.

``SandboxState`` owns every object and is the only place that changes them. Each public
method is one atomic operation under a single re-entrant lock (see ``core.py``). The class is
composed of one part per resource, each in its own module:

* ``core.StateCore``: the store, ids, operations, changes, events and reading;
* ``checkout.CheckoutMixin``: Checkout Sessions and the hosted page's payment;
* ``payments.PaymentsMixin``: customers, payment intents, charges, the card attempt;
* ``refunds.RefundsMixin`` and ``refunds.DisputesMixin``;
* ``subscriptions.SubscriptionsMixin``: subscriptions and their invoices;
* ``payouts.BalanceMixin``, ``payouts.PayoutsMixin`` and ``payouts.HoldsMixin``: balance
  transactions, the balance, payouts, reserves and minimum-balance holds;
* ``portal.PortalMixin``: customer portal sessions and what a donor does on the portal;
* ``clock.TimeMixin``: advancing the clock and running what became due.

:meth:`SandboxState.summary` adds everything up, for tests to compare the books against.
"""

from __future__ import annotations

from typing import Any

from .checkout import CheckoutMixin
from .clock import TimeMixin
from .payments import PaymentsMixin
from .payouts import BalanceMixin, HoldsMixin, PayoutsMixin
from .portal import PortalMixin
from .refunds import DisputesMixin, RefundsMixin
from .subscriptions import SubscriptionsMixin

_SUMMARY_KEYS = [
    "gross_charged",
    "charge_count",
    "fees",
    "processing_fees",
    "dispute_fees",
    "refunded",
    "disputed",
    "dispute_reinstated",
    "dispute_lost",
    "payouts_paid",
    "payouts_pending",
    "payouts_failed",
    "net",
    "balance_available",
    "balance_pending",
]


class SandboxState(
    TimeMixin,
    PortalMixin,
    CheckoutMixin,
    SubscriptionsMixin,
    RefundsMixin,
    DisputesMixin,
    PayoutsMixin,
    HoldsMixin,
    BalanceMixin,
    PaymentsMixin,
):
    def summary(self) -> dict[str, Any]:
        """Totals per currency, for tests to compare the project's books against."""
        with self.lock:
            now = self.now()
            totals: dict[str, dict[str, int]] = {}

            def bucket(currency: str) -> dict[str, int]:
                return totals.setdefault(currency, dict.fromkeys(_SUMMARY_KEYS, 0))

            for charge in self.store.all("charge"):
                if charge["status"] == "succeeded":
                    entry = bucket(charge["currency"])
                    entry["gross_charged"] += charge["amount"]
                    entry["charge_count"] += 1
            for refund in self.store.all("refund"):
                if refund["status"] != "failed":
                    bucket(refund["currency"])["refunded"] += refund["amount"]
            for dispute in self.store.all("dispute"):
                entry = bucket(dispute["currency"])
                entry["disputed"] += dispute["amount"]
                if dispute["status"] == "won":
                    entry["dispute_reinstated"] += dispute["amount"]
                if dispute["status"] == "lost":
                    entry["dispute_lost"] += dispute["amount"]
            for payout in self.store.all("payout"):
                key = {"paid": "payouts_paid", "failed": "payouts_failed"}.get(
                    payout["status"], "payouts_pending"
                )
                bucket(payout["currency"])[key] += payout["amount"]
            for txn in self.store.all("balance_transaction"):
                entry = bucket(txn["currency"])
                entry["fees"] += txn["fee"]
                if txn["type"] in {"charge", "payment"}:
                    entry["processing_fees"] += txn["fee"]
                elif txn["reporting_category"] == "dispute":
                    entry["dispute_fees"] += txn["fee"]
                entry["net"] += txn["net"]
                key = "balance_available" if txn["available_on"] <= now else "balance_pending"
                entry[key] += txn["net"]
            counts = {kind: len(records) for kind, records in self.store.by_kind.items()}
            return {"now": now, "currencies": totals, "counts": counts}
