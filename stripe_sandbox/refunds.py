"""Refunds and disputes: money that goes back after a charge succeeded.

A refund debits its amount at once (the charge's processing fee is not returned) and can fail
later, which credits the amount back. A dispute withdraws the disputed amount plus a flat
fee; winning it reinstates the amount but not the fee. The balance transactions are
``payouts.py``'s.
"""

from __future__ import annotations

from typing import Any

from .core import RequestInfo, StateCore
from .errors import invalid
from .ids import random_token
from .money import DAY, DISPUTE_FEE
from .store import Record
from .validation import positive_amount

REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


def _of_charge(charge: Record) -> dict[str, Any]:
    """The fields a refund or dispute takes from its charge."""
    return {
        "currency": charge["currency"],
        "charge": charge["id"],
        "payment_intent": charge.get("payment_intent"),
    }


class RefundsMixin(StateCore):
    """Part of ``SandboxState``; uses ``_debit`` and ``_credit_back`` (payouts)."""

    def create_refund(
        self,
        *,
        charge: str | None = None,
        payment_intent: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
        fail: bool = False,
        request: RequestInfo | None = None,
    ) -> dict[str, Any]:
        """Refund a succeeded charge, fully or partly (``fail`` makes the refund fail)."""
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid(f"Invalid reason: {reason}", param="reason")
        with self.operation(request):
            charge_record = self._refundable_charge(charge, payment_intent)
            remaining = charge_record["amount"] - charge_record.get("amount_refunded", 0)
            if remaining <= 0:
                raise invalid(
                    f"Charge {charge_record['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            refund_amount = remaining if amount is None else positive_amount(amount)
            if refund_amount > remaining:
                raise invalid(
                    f"Refund amount ({refund_amount}) is greater than unrefunded amount on "
                    f"charge ({remaining})",
                    param="amount",
                )
            refund = self._add(
                "refund",
                "re",
                amount=refund_amount,
                **_of_charge(charge_record),
                status="pending" if fail else "succeeded",
                reason=reason,
                metadata=dict(metadata or {}),
                destination_reference=None,
            )
            described = charge_record.get("description")
            txn = self._debit(
                refund,
                "refund",
                "refund",
                "REFUND FOR CHARGE" + (f" ({described})" if described else ""),
            )
            self._update(refund, balance_transaction=txn["id"])
            refunded = charge_record.get("amount_refunded", 0) + refund_amount
            previous = self._update(
                charge_record,
                amount_refunded=refunded,
                refunded=refunded == charge_record["amount"],
                refunds=[*charge_record.get("refunds", []), refund["id"]],
            )
            self._emit("refund.created", refund)
            self._emit(
                "charge.refunded", charge_record, self._public_previous(charge_record, previous)
            )
            if fail:
                self._fail_refund(refund, "expired_or_canceled_card")
            else:
                self._update(refund, destination_reference=random_token(23).upper())
                self._emit(
                    "refund.updated",
                    refund,
                    {
                        "destination_details": {
                            "card": {"reference": None, "reference_status": "pending"}
                        }
                    },
                )
            return self.context().render(refund)

    def _refundable_charge(self, charge_id: str | None, intent_id: str | None) -> Record:
        if bool(charge_id) == bool(intent_id):
            raise invalid("You must pass either charge or payment_intent.", param="charge")
        if intent_id:
            intent = self.store.require(intent_id, "payment_intent", "payment_intent")
            if intent["status"] != "succeeded" or not intent.get("latest_charge"):
                raise invalid(
                    f"This PaymentIntent ({intent_id}) does not have a successful charge to "
                    "refund.",
                    param="payment_intent",
                )
            charge_id = intent["latest_charge"]
        record = self.store.require(charge_id or "", "charge", "charge")
        if record["status"] != "succeeded":
            raise invalid(
                f"Charge {record['id']} has not succeeded and cannot be refunded.",
                param="charge",
            )
        if record.get("disputed"):
            raise invalid(
                f"Charge {record['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        return record

    def fail_refund(self, refund_id: str, reason: str = "expired_or_canceled_card") -> dict:
        with self.operation():
            refund = self.store.require(refund_id, "refund")
            if refund["status"] not in {"pending", "succeeded"}:
                raise invalid(f"Refund {refund_id} is {refund['status']}.", param="refund")
            self._fail_refund(refund, reason)
            return self.context().render(refund)

    def _fail_refund(self, refund: Record, reason: str) -> None:
        txn = self._credit_back(refund, "refund_failure", "refund_failure", "REFUND FAILURE")
        old_status = refund["status"]
        self._update(
            refund, status="failed", failure_reason=reason, failure_balance_transaction=txn["id"]
        )
        self._emit("refund.failed", refund)
        self._emit("refund.updated", refund, {"status": old_status})
        charge = self.store.require(refund["charge"], "charge")
        refunded = charge["amount_refunded"] - refund["amount"]
        previous = self._update(charge, amount_refunded=refunded, refunded=False)
        self._emit("charge.updated", charge, self._public_previous(charge, previous))


class DisputesMixin(StateCore):
    """Part of ``SandboxState``; uses ``_debit`` and ``_credit_back`` (payouts)."""

    def create_early_fraud_warning(
        self, charge_id: str, fraud_type: str = "made_with_stolen_card"
    ) -> dict:
        """A card network's early warning that a charge was fraudulent, before any dispute
        (https://docs.stripe.com/disputes/prevention/early-fraud-warnings)."""
        with self.operation():
            charge = self.store.require(charge_id, "charge", "charge")
            warning = self._add(
                "radar.early_fraud_warning",
                "issfr",
                actionable=not charge.get("disputed")
                and charge.get("amount_refunded", 0) < charge["amount"],
                charge=charge["id"],
                payment_intent=charge.get("payment_intent"),
                fraud_type=fraud_type,
            )
            self._emit("radar.early_fraud_warning.created", warning)
            return self.context().render(warning)

    def create_dispute(
        self, charge_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict:
        with self.operation():
            charge = self.store.require(charge_id, "charge", "charge")
            if charge["status"] != "succeeded":
                raise invalid(f"Charge {charge_id} has not succeeded.", param="charge")
            if charge.get("disputed"):
                raise invalid(f"Charge {charge_id} is already disputed.", param="charge")
            disputable = charge["amount"] - charge.get("amount_refunded", 0)
            dispute_amount = disputable if amount is None else positive_amount(amount)
            if not 0 < dispute_amount <= disputable:
                raise invalid(f"Dispute amount must be between 1 and {disputable}.", param="amount")
            dispute = self._open_dispute(charge, dispute_amount, reason)
            return self.context().render(dispute)

    def _open_dispute(self, charge: Record, amount: int, reason: str) -> Record:
        dispute = self._add(
            "dispute",
            "dp",
            amount=amount,
            **_of_charge(charge),
            reason=reason,
            status="needs_response",
            balance_transactions=[],
            metadata={},
            due_by=self.now() + 21 * DAY,
        )
        self._update(charge, disputed=True)
        txn = self._debit(
            dispute,
            "adjustment",
            "dispute",
            f"Chargeback withdrawal for {charge['id']}",
            fee=DISPUTE_FEE,
            fee_description="Dispute fee",
        )
        self._update(dispute, balance_transactions=[txn["id"]])
        self._emit("charge.dispute.created", dispute)
        self._emit("charge.dispute.funds_withdrawn", dispute)
        return dispute

    def close_dispute(self, dispute_id: str, outcome: str) -> dict[str, Any]:
        if outcome not in {"won", "lost"}:
            raise invalid("outcome must be 'won' or 'lost'", param="outcome")
        with self.operation():
            dispute = self.store.require(dispute_id, "dispute")
            if dispute["status"] in {"won", "lost"}:
                raise invalid(f"Dispute {dispute_id} is already closed.", param="dispute")
            if outcome == "won":
                txn = self._credit_back(
                    dispute,
                    "adjustment",
                    "dispute_reversal",
                    f"Chargeback reversal for {dispute['charge']}",
                )
                self._update(
                    dispute,
                    status="won",
                    balance_transactions=[*dispute["balance_transactions"], txn["id"]],
                )
                self._emit("charge.dispute.funds_reinstated", dispute)
            else:
                self._update(dispute, status="lost")
            self._emit("charge.dispute.closed", dispute)
            return self.context().render(dispute)
