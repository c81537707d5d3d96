"""Balance transactions, the balance, and payouts.

Every movement of funds is a balance transaction: charges (``charge`` for card payments,
``payment`` for delayed settlement) credit the account less the processing fee and become
available ``settlement_days`` after creation; refunds, dispute withdrawals and payouts debit
it at once. A payout created without an amount is an *automatic* payout: it sweeps every
available balance transaction not yet paid out, so its amount equals the sum of their nets
and ``GET /v1/balance_transactions?payout=po_...`` lists them plus the payout's own
transaction, which together sum to zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import StateCore
from .errors import invalid
from .money import DAY, ach_fee, card_fee, settle
from .store import Record
from .validation import currency_code, positive_amount


class BalanceMixin(StateCore):
    """Part of ``SandboxState``: the balance transactions every money movement writes."""

    def _balance_transaction(
        self,
        *,
        amount: int,
        currency: str,
        txn_type: str,
        category: str,
        source: str,
        description: str | None,
        fee: int | Callable[[int], int] = 0,
        fee_description: str = "Stripe processing fees",
        available_on: int | None = None,
        payout: str | None = None,
    ) -> Record:
        """``amount`` in ``currency``; in a currency of ``money.EXCHANGE_RATES`` it is
        converted to the account's currency and ``exchange_rate`` set ("if money was
        converted from currency A to currency B, then the amount in currency A, times
        exchange_rate, would be the amount in currency B",
        https://docs.stripe.com/api/balance_transactions/object). A callable ``fee`` is
        worked out on the converted amount; a number is already in the account's currency."""
        amount, currency, rate = settle(amount, currency)
        if callable(fee):
            fee = fee(amount)
        details = [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        ]
        return self._add(
            "balance_transaction",
            "txn",
            amount=amount,
            available_on=self.now() if available_on is None else available_on,
            currency=currency,
            description=description,
            exchange_rate=None if rate is None else float(rate),
            fee=fee,
            fee_details=details if fee else [],
            net=amount - fee,
            reporting_category=category,
            source=source,
            type=txn_type,
            _payout=payout,
        )

    def _debit(
        self, record: Record, txn_type: str, category: str, description: str, **extra: Any
    ) -> Record:
        """A balance transaction that takes ``record``'s amount out of the balance."""
        return self._balance_transaction(
            amount=-record["amount"],
            currency=record["currency"],
            txn_type=txn_type,
            category=category,
            source=record["id"],
            description=description,
            **extra,
        )

    def _credit_back(
        self, record: Record, txn_type: str, category: str, description: str
    ) -> Record:
        """A fee-free balance transaction that returns ``record``'s amount to the balance."""
        return self._balance_transaction(
            amount=record["amount"],
            currency=record["currency"],
            txn_type=txn_type,
            category=category,
            source=record["id"],
            description=description,
        )

    def _charge_transaction(self, charge: Record, txn_type: str = "charge") -> Record:
        """A charge's credit: card or ACH fee; pending for ``settlement_days``, except for
        the card whose funds go straight to the available balance."""
        amount = charge["amount"]
        now = self.now()
        return self._balance_transaction(
            amount=amount,
            currency=charge["currency"],
            txn_type=txn_type,
            category="charge",
            source=charge["id"],
            description=charge.get("description"),
            fee=ach_fee if charge.get("bank_account") else card_fee,
            available_on=now
            if charge.get("_available_now")
            else now + self.switches.settlement_days * DAY,
        )

    def balance(self) -> dict[str, Any]:
        with self.lock:
            now = self.now()
            available: dict[str, int] = {}
            pending: dict[str, int] = {}
            for txn in self.store.all("balance_transaction"):
                bucket = available if txn["available_on"] <= now else pending
                bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]
            currencies = sorted(set(available) | set(pending)) or ["usd"]

            def entries(bucket: dict[str, int]) -> list[dict[str, Any]]:
                return [
                    {
                        "amount": bucket.get(cur, 0),
                        "currency": cur,
                        "source_types": {"card": bucket.get(cur, 0)},
                    }
                    for cur in currencies
                ]

            return {
                "object": "balance",
                "available": entries(available),
                "connect_reserved": [{"amount": 0, "currency": cur} for cur in currencies],
                "livemode": False,
                "pending": entries(pending),
            }


# Money Stripe holds back from the balance and later releases, by balance transaction type,
# with its reporting category (https://docs.stripe.com/reports/balance-transaction-types).
# A hold is negative (it leaves the balance), a release positive.
HOLDS = {
    "reserve_hold": ("risk_reserved_funds", -1),
    "reserve_release": ("risk_reserved_funds", 1),
    "payout_minimum_balance_hold": ("payout_minimum_balance_hold", -1),
    "payout_minimum_balance_release": ("payout_minimum_balance_release", 1),
    # Not holds, but moved the same way: money the fund adds from its bank, and its return.
    "topup": ("topup", 1),
    "topup_reversal": ("topup_reversal", -1),
}


class HoldsMixin(StateCore):
    """Part of ``SandboxState``: a risk reserve or a payout minimum balance, which Stripe
    takes out of the balance and gives back later, and a top-up from the fund's bank. No
    event announces any of them here; a fund sees them in its balance transactions."""

    def adjust_balance(self, amount: int, txn_type: str = "reserve_hold", currency: str = "usd"):
        if txn_type not in HOLDS:
            raise invalid(f"type must be one of {', '.join(HOLDS)}", param="type")
        category, sign = HOLDS[txn_type]
        amount = positive_amount(amount)
        with self.operation():
            txn = self._balance_transaction(
                amount=sign * amount,
                currency=currency_code(currency),
                txn_type=txn_type,
                category=category,
                source=None,
                description=txn_type.replace("_", " ").capitalize(),
            )
            return self.context().render(txn)


class PayoutsMixin(StateCore):
    """Part of ``SandboxState``; uses ``_balance_transaction`` (``BalanceMixin``)."""

    def create_payout(
        self,
        amount: int | None = None,
        currency: str = "usd",
        outcome: str = "paid",
        *,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Pay out the available balance (automatic) or ``amount`` (manual).

        ``outcome`` is ``paid``, ``failed`` or ``pending`` (settle later with
        :meth:`pay_payout` / :meth:`fail_payout`).
        """
        if outcome not in {"paid", "failed", "pending"}:
            raise invalid("outcome must be 'paid', 'failed' or 'pending'", param="outcome")
        currency = currency_code(currency)
        with self.operation():
            now = self.now()
            sweep = [
                txn
                for txn in self.store.all("balance_transaction")
                if txn["currency"] == currency
                and txn.get("_payout") is None
                and txn["available_on"] <= now
            ]
            available = sum(txn["net"] for txn in sweep)
            automatic = amount is None
            payout_amount = available if automatic else positive_amount(amount)
            if payout_amount <= 0 or payout_amount > available:
                raise invalid(
                    f"You have insufficient funds in your Stripe account for this transfer. "
                    f"Your available balance is {available} {currency}.",
                    code="balance_insufficient",
                    param="amount",
                )
            payout = self._add(
                "payout",
                "po",
                amount=payout_amount,
                currency=currency,
                arrival_date=now,
                automatic=automatic,
                status="pending",
                destination="ba_sandboxbank0001",
                description="STRIPE PAYOUT",
                metadata=dict(metadata or {}),
                failure_code=None,
                failure_message=None,
                failure_balance_transaction=None,
            )
            if automatic:
                for txn in sweep:
                    txn["_payout"] = payout["id"]
            txn = self._debit(
                payout,
                "payout",
                "payout",
                "STRIPE PAYOUT",
                payout=payout["id"] if automatic else None,
            )
            self._update(payout, balance_transaction=txn["id"])
            self._emit("payout.created", payout)
            if outcome == "paid":
                self._pay_payout(payout)
            elif outcome == "failed":
                self._fail_payout(payout)
            return self.context().render(payout)

    def pay_payout(self, payout_id: str) -> dict[str, Any]:
        with self.operation():
            payout = self._pending_payout(payout_id)
            self._pay_payout(payout)
            return self.context().render(payout)

    def fail_payout(self, payout_id: str) -> dict[str, Any]:
        with self.operation():
            payout = self._pending_payout(payout_id)
            self._fail_payout(payout)
            return self.context().render(payout)

    def _pending_payout(self, payout_id: str) -> Record:
        payout = self.store.require(payout_id, "payout")
        if payout["status"] not in {"pending", "in_transit"}:
            raise invalid(f"Payout {payout_id} is already {payout['status']}.", param="payout")
        return payout

    def _pay_payout(self, payout: Record) -> None:
        self._update(payout, status="paid", arrival_date=self.now())
        self._emit("payout.paid", payout)
        if payout["automatic"]:
            self._emit("payout.reconciliation_completed", payout)

    def _fail_payout(self, payout: Record) -> None:
        txn = self._credit_back(
            payout, "payout_failure", "payout_reversal", "STRIPE PAYOUT FAILURE"
        )
        self._update(
            payout,
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed.",
            failure_balance_transaction=txn["id"],
        )
        self._emit("payout.failed", payout)
