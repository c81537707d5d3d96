"""Customers, payment intents and charges: the card attempt at the heart of every payment.

``_attempt`` charges a test card for a payment intent and decides, from the card's behaviour
(``cards.py``), whether the charge succeeds (crediting the balance through ``payouts.py``'s
balance transactions), is declined, or waits for authentication (``requires_action``). A
test bank account (``banks.py``) is debited instead: ACH Direct Debit stays ``processing``
until :meth:`settle_payment`, and a settled debit can still be returned
(:meth:`reverse_payment`).
Checkout, renewals and outside charges (``create_charge``) all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import banks
from . import cards as cardlib
from .core import StateCore, frozen_copy
from .descriptors import calculated
from .errors import SandboxError, invalid
from .ids import random_token
from .store import Record
from .validation import currency_code, positive_amount


@dataclass
class PaymentResult:
    """Outcome of paying a Checkout Session or an outside charge."""

    outcome: str  # "succeeded" | "declined" | "processing" | "requires_action"
    payment_intent: str | None = None
    charge: str | None = None
    message: str | None = None
    decline_code: str | None = None
    error_code: str | None = None
    redirect_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def charge_error(result: PaymentResult) -> SandboxError:
    """The 402 a declined payment answers with."""
    return SandboxError(
        402,
        result.message or "Your card was declined.",
        type="card_error",
        code=result.error_code,
        extra={
            "decline_code": result.decline_code,
            "charge": result.charge,
            "payment_intent": result.payment_intent,
        },
    )


def _payment_error(
    charge: Record, code: str | None, message: str | None, **card: Any
) -> dict[str, Any]:
    """A payment intent's ``last_payment_error`` after ``charge`` failed."""
    return {
        "charge": charge["id"],
        "code": code,
        "decline_code": card.get("decline_code"),
        "doc_url": card.get("doc_url"),
        "message": message,
        "param": None,
        "payment_method": card.get("payment_method"),
        "type": "card_error",
    }


class PaymentsMixin(StateCore):
    """Part of ``SandboxState``; uses ``_charge_transaction`` and ``_balance_transaction``
    (payouts), ``_open_dispute`` (refunds) and, for delayed settlement,
    ``_pay_invoice``/``_fail_invoice``/``_change_subscription`` (subscriptions)."""

    def _customer(self, email: str | None, name: str | None, metadata: dict | None = None):
        customer = self._add(
            "customer",
            "cus",
            email=email,
            name=name,
            metadata=dict(metadata or {}),
            invoice_prefix=random_token(8).upper(),
            next_invoice_sequence=1,
            currency=None,
        )
        self._emit("customer.created", customer)
        return customer

    def _payment_intent(
        self,
        amount: int,
        currency: str,
        *,
        customer: str | None = None,
        metadata: dict | None = None,
        description: str | None = None,
        receipt_email: str | None = None,
        session: str | None = None,
        invoice: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        payment_method_types: list[str] | None = None,
    ) -> Record:
        intent = self._add(
            "payment_intent",
            "pi",
            amount=amount,
            currency=currency,
            status="requires_payment_method",
            customer=customer,
            metadata=dict(metadata or {}),
            description=description,
            receipt_email=receipt_email,
            secret=random_token(24),
            statement_descriptor=statement_descriptor,
            statement_descriptor_suffix=statement_descriptor_suffix,
            payment_method_types=list(payment_method_types or ["card"]),
            _session=session,
            _invoice=invoice,
        )
        self._emit("payment_intent.created", intent)
        return intent

    def _charge_fields(
        self, intent: Record, billing: dict[str, Any], payment_method: str
    ) -> dict[str, Any]:
        """What every charge of ``intent`` starts with."""
        descriptor = intent.get("statement_descriptor")
        suffix = intent.get("statement_descriptor_suffix")
        return {
            "amount": intent["amount"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "customer": intent.get("customer"),
            "metadata": dict(intent.get("metadata") or {}),
            "description": intent.get("description"),
            "receipt_email": intent.get("receipt_email"),
            "billing": dict(billing),
            "card": None,
            "bank_account": None,
            "payment_method": payment_method,
            "amount_refunded": 0,
            "refunded": False,
            "disputed": False,
            "refunds": [],
            "balance_transaction": None,
            "statement_descriptor": descriptor,
            "statement_descriptor_suffix": suffix,
            "_descriptor": calculated(descriptor, suffix),
        }

    def _attempt(
        self,
        intent: Record,
        card: cardlib.TestCard | banks.TestBankAccount,
        billing: dict[str, Any],
        *,
        renewal: bool = False,
    ) -> PaymentResult:
        """Charge ``card`` (or debit a bank account) for ``intent``; the heart of every
        payment flow. ``renewal`` means off-session: nobody is there to complete 3-D Secure."""
        if isinstance(card, banks.TestBankAccount):
            return self._debit_bank(intent, card, billing)
        behaviour = card.behaviour
        if renewal and behaviour == cardlib.FAIL_RENEWALS:
            card = cardlib.TEST_CARDS[cardlib.DECLINE_CARD]
            behaviour = cardlib.DECLINE
        payment_method = f"pm_{card.brand}{card.last4}sbx"
        if behaviour == cardlib.AUTHENTICATE and renewal:
            return self._require_action(intent, payment_method)
        common = self._charge_fields(intent, billing, payment_method)
        common.update(
            card=card.number,
            _three_d_secure=behaviour == cardlib.AUTHENTICATE,
            _available_now=behaviour == cardlib.AVAILABLE,
        )
        if behaviour == cardlib.DECLINE:
            failure = {
                "failure_code": card.error_code,
                "failure_message": card.message,
                "decline_code": card.decline_code,
            }
            charge = self._add("charge", "ch", status="failed", **failure, **common)
            error = _payment_error(
                charge,
                card.error_code,
                card.message,
                decline_code=card.decline_code,
                doc_url=f"https://docs.stripe.com/error-codes/{card.error_code}",
                payment_method={"id": payment_method, "object": "payment_method"},
            )
            self._update(
                intent,
                status="requires_payment_method",
                last_payment_error=error,
                latest_charge=charge["id"],
            )
            self._emit("charge.failed", charge)
            self._emit("payment_intent.payment_failed", intent)
            return PaymentResult(
                "declined",
                intent["id"],
                charge["id"],
                message=card.message,
                decline_code=card.decline_code,
                error_code=card.error_code,
            )
        charge = self._add("charge", "ch", status="succeeded", **common)
        self._succeed_charge(charge, intent)
        if behaviour == cardlib.DISPUTE:
            self._open_dispute(charge, charge["amount"], "fraudulent")
        return PaymentResult("succeeded", intent["id"], charge["id"])

    def _debit_bank(
        self, intent: Record, account: banks.TestBankAccount, billing: dict[str, Any]
    ) -> PaymentResult:
        """An ACH Direct Debit: ``processing`` until :meth:`settle_payment` finishes it."""
        payment_method = f"pm_usbank{account.last4}sbx"
        common = self._charge_fields(intent, billing, payment_method)
        common["bank_account"] = account.number
        charge = self._add("charge", "ch", status="pending", _txn_type="payment", **common)
        self._update(
            intent,
            status="processing",
            latest_charge=charge["id"],
            payment_method=payment_method,
            last_payment_error=None,
        )
        self._emit("charge.pending", charge)
        self._emit("payment_intent.processing", intent)
        return PaymentResult("processing", intent["id"], charge["id"])

    def _require_action(self, intent: Record, payment_method: str) -> PaymentResult:
        """An off-session payment the card wants authenticated: it waits for the customer.

        The payment intent moves to ``requires_action`` with a ``next_action`` and no charge
        is made (https://docs.stripe.com/payments/paymentintents/lifecycle)."""
        self._update(
            intent,
            status="requires_action",
            payment_method=payment_method,
            last_payment_error=None,
            next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure"}},
        )
        self._emit("payment_intent.requires_action", intent)
        return PaymentResult(
            "requires_action",
            intent["id"],
            message="This payment requires the customer to authenticate (3-D Secure).",
            error_code="authentication_required",
        )

    def _succeed_charge(self, charge: Record, intent: Record) -> None:
        txn = self._charge_transaction(charge, charge.get("_txn_type", "charge"))
        if self.switches.late_balance_transaction:
            early = frozen_copy(charge)
            early.update(status="succeeded", balance_transaction=None)
            self._update(charge, status="succeeded", balance_transaction=txn["id"])
            self._emit("charge.succeeded", charge, snapshot=early)
            self._emit("charge.updated", charge, {"balance_transaction": None})
        else:
            self._update(charge, status="succeeded", balance_transaction=txn["id"])
            self._emit("charge.succeeded", charge)
        self._update(
            intent,
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=charge["id"],
            payment_method=charge["payment_method"],
            last_payment_error=None,
            next_action=None,
        )
        self._emit("payment_intent.succeeded", intent)

    def create_charge(
        self,
        amount: int,
        currency: str = "usd",
        *,
        card: str = cardlib.DEFAULT_CARD,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        email: str | None = None,
        name: str | None = None,
        emit_events: bool = True,
    ) -> PaymentResult:
        """A payment that did not come through Checkout (e.g. made in the Dashboard)."""
        amount = positive_amount(amount)
        currency = currency_code(currency)
        test_card = cardlib.lookup(card)
        with self.operation(emit_events=emit_events):
            intent = self._payment_intent(
                amount,
                currency,
                metadata=metadata,
                description=description,
                receipt_email=email,
            )
            return self._attempt(intent, test_card, {"email": email, "name": name})

    def settle_payment(self, payment_intent_id: str, outcome: str | None = None) -> dict:
        """Finish a ``processing`` bank debit as ``succeeded`` or ``failed``; without an
        outcome the test account number decides (``banks.py``)."""
        if outcome not in {None, "succeeded", "failed"}:
            raise invalid("outcome must be 'succeeded' or 'failed'", param="outcome")
        with self.operation():
            intent = self.store.require(payment_intent_id, "payment_intent")
            if intent["status"] != "processing":
                raise invalid(
                    f"PaymentIntent {payment_intent_id} is {intent['status']}, not processing.",
                    param="payment_intent",
                )
            charge = self.store.require(intent["latest_charge"], "charge")
            account = banks.lookup(charge.get("bank_account") or "") or banks.DEFAULT_FAILURE
            if outcome is None:
                outcome = "succeeded" if account.succeeds else "failed"
            session = self.store.get(intent.get("_session") or "")
            invoice = self.store.get(intent.get("_invoice") or "")
            if outcome == "succeeded":
                self._succeed_charge(charge, intent)
                if invoice is not None:
                    self._pay_invoice(invoice, intent)
                    subscription = self.store.get(invoice.get("subscription") or "")
                    if subscription is not None and subscription["status"] == "incomplete":
                        previous = self._update(subscription, status="active")
                        self._emit("customer.subscription.updated", subscription, previous)
                if session is not None:
                    self._update(session, payment_status="paid")
                    self._emit("checkout.session.async_payment_succeeded", session)
            else:
                failure = account if not account.succeeds else banks.DEFAULT_FAILURE
                self._fail_bank_charge(charge, intent, failure)
                if invoice is not None:
                    self._fail_invoice(invoice)
                    subscription = self.store.get(invoice.get("subscription") or "")
                    if subscription is not None and subscription["status"] == "active":
                        previous = self._change_subscription(subscription, {"status": "past_due"})
                        self._emit("customer.subscription.updated", subscription, previous)
                if session is not None:
                    self._emit("checkout.session.async_payment_failed", session)
            return self.context().render(intent)

    def _fail_bank_charge(
        self, charge: Record, intent: Record, account: banks.TestBankAccount, **extra: Any
    ) -> None:
        code, message = account.failure_code, account.message
        self._update(charge, status="failed", failure_code=code, failure_message=message, **extra)
        self._update(
            intent,
            status="requires_payment_method",
            last_payment_error=_payment_error(charge, code, message),
        )
        self._emit("charge.failed", charge)
        self._emit("payment_intent.payment_failed", intent)

    def reverse_payment(self, payment_intent_id: str, failure_code: str | None = None) -> dict:
        """A bank debit that succeeded fails afterwards (the bank returns it).

        The charge becomes ``failed`` with ``failure_balance_transaction``, "the balance
        transaction that describes the reversal of the balance on your account due to
        payment failure" (https://docs.stripe.com/api/charges/object), of type
        ``payment_failure_refund`` (https://docs.stripe.com/reports/balance-transaction-types):
        the amount goes back out, the fee is not returned. Events: ``charge.failed`` and
        ``payment_intent.payment_failed``."""
        accounts = {a.failure_code: a for a in banks.TEST_BANK_ACCOUNTS.values()}
        if failure_code is not None and failure_code not in accounts:
            raise invalid(
                "failure_code must be one of " + ", ".join(sorted(c for c in accounts if c)),
                param="failure_code",
            )
        with self.operation():
            intent = self.store.require(payment_intent_id, "payment_intent")
            charge = self.store.get(intent.get("latest_charge") or "", "charge")
            if charge is None or not charge.get("bank_account") or charge["status"] != "succeeded":
                raise invalid(
                    f"PaymentIntent {payment_intent_id} has no succeeded bank debit to reverse.",
                    param="payment_intent",
                )
            txn = self._balance_transaction(
                amount=-charge["amount"],
                currency=charge["currency"],
                txn_type="payment_failure_refund",
                category="charge_failure",
                source=charge["id"],
                description="Payment failure refund",
            )
            account = accounts.get(failure_code) or banks.DEFAULT_FAILURE
            self._fail_bank_charge(charge, intent, account, failure_balance_transaction=txn["id"])
            return self.context().render(charge)
