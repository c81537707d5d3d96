"""Subscriptions and their invoices: renewal, failed renewal, update and cancellation.

Each billing period gets an invoice with one line, finalized at once, and a payment intent
linked to it by an ``invoice_payment``; the card attempt is ``payments.py``'s. Checkout
creates a subscription with its first invoice (``checkout.py``); the clock's ``TimeMixin``
renews or ends subscriptions whose period is over.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from . import banks
from . import cards as cardlib
from .core import RequestInfo, StateCore
from .errors import invalid
from .money import DAY
from .store import Record
from .validation import boolean, merge_metadata, reject_unknown

_UPDATABLE = {"cancel_at_period_end", "metadata", "description", "cancellation_details"}
_ACCEPTED_IGNORED = {"expand", "proration_behavior"}


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """Calendar-aware period arithmetic, like Stripe's billing (Jan 31 + 1 month = Feb 28)."""
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def _rendered_previous(before: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """``previous_attributes`` of a subscription: the rendered fields its changes touched."""
    public: dict[str, Any] = {}
    for key in previous:
        if key == "item":
            public["items"] = before["items"]
        elif key.startswith("cancellation_"):
            public["cancellation_details"] = before["cancellation_details"]
        elif key in before:
            public[key] = before[key]
    return public


class SubscriptionsMixin(StateCore):
    """Part of ``SandboxState``; uses ``_payment_intent`` and ``_attempt`` (payments)."""

    def _open_invoice(
        self,
        subscription: Record,
        customer: Record,
        *,
        billing_reason: str,
        period: tuple[int, int],
        line_period: tuple[int, int],
        session: str | None,
        description: str,
    ) -> tuple[Record, Record]:
        item = subscription["item"]
        price = self.store.require(item["price"], "price")
        product = self.store.get(price["product"]) or {"name": "Subscription"}
        amount = price["unit_amount"] * item["quantity"]
        invoice = self._add(
            "invoice",
            "in",
            customer=subscription["customer"],
            customer_email=customer.get("email"),
            customer_name=customer.get("name"),
            subscription=subscription["id"],
            subscription_metadata=dict(subscription.get("metadata") or {}),
            amount_due=amount,
            amount_paid=0,
            amount_remaining=amount,
            billing_reason=billing_reason,
            status="draft",
            currency=price["currency"],
            period_start=period[0],
            period_end=period[1],
            line={
                "id": self.ids.new("il"),
                "price": price["id"],
                "quantity": item["quantity"],
                "amount": amount,
                "period_start": line_period[0],
                "period_end": line_period[1],
                "description": f"{item['quantity']} × {product['name']}",
                "subscription_item": item["id"],
            },
            payments=[],
            attempt_count=0,
            attempted=False,
            metadata={},
        )
        self._emit("invoice.created", invoice)
        sequence = self.store.count("invoice")
        number = f"{customer.get('invoice_prefix', 'SBX')}-{sequence:04d}"
        self._update(invoice, status="open", finalized_at=self.now(), number=number)
        self._emit("invoice.finalized", invoice)
        intent = self._payment_intent(
            amount,
            price["currency"],
            customer=subscription["customer"],
            description=description,
            session=session,
            invoice=invoice["id"],
            # A subscription's charges carry its product's descriptor, when it has one.
            statement_descriptor=product.get("statement_descriptor"),
        )
        payment = self._add(
            "invoice_payment",
            "inpay",
            invoice=invoice["id"],
            amount_paid=None,
            amount_requested=amount,
            currency=price["currency"],
            payment_intent=intent["id"],
            status="open",
        )
        self._update(invoice, payments=[*invoice["payments"], payment["id"]])
        return invoice, intent

    def _invoice_payment_for(self, invoice: Record, intent: Record) -> Record | None:
        for payment_id in invoice["payments"]:
            payment = self.store.get(payment_id)
            if payment and payment["payment_intent"] == intent["id"]:
                return payment
        return None

    def _pay_invoice(self, invoice: Record, intent: Record) -> None:
        now = self.now()
        payment = self._invoice_payment_for(invoice, intent)
        if payment is not None:
            self._update(payment, status="paid", amount_paid=intent["amount"], paid_at=now)
            self._emit("invoice_payment.paid", payment)
        self._update(
            invoice,
            status="paid",
            amount_paid=invoice["amount_due"],
            amount_remaining=0,
            attempt_count=invoice["attempt_count"] + 1,
            attempted=True,
            paid_at=now,
            next_payment_attempt=None,
        )
        self._emit("invoice.paid", invoice)
        self._emit("invoice.payment_succeeded", invoice)

    def _fail_invoice(self, invoice: Record) -> None:
        self._update(
            invoice,
            attempt_count=invoice["attempt_count"] + 1,
            attempted=True,
            next_payment_attempt=self.now() + 3 * DAY,
        )
        self._emit("invoice.payment_failed", invoice)

    def _require_invoice_action(self, invoice: Record) -> None:
        """The payment waits for the customer to authenticate: the invoice stays open and
        ``invoice.payment_action_required`` ("an invoice payment attempt requires further
        user action to complete", https://docs.stripe.com/api/events/types) is sent."""
        self._update(
            invoice,
            attempt_count=invoice["attempt_count"] + 1,
            attempted=True,
            next_payment_attempt=None,
        )
        self._emit("invoice.payment_action_required", invoice)

    def _open_invoice_intent(self, invoice: Record) -> Record | None:
        """The payment intent of an open invoice's open payment."""
        for payment_id in invoice["payments"]:
            payment = self.store.get(payment_id)
            if payment and payment["status"] == "open":
                return self.store.get(payment["payment_intent"])
        return None

    def _retry_invoices(self, subscription: Record, card: cardlib.TestCard) -> list[str]:
        """Pay a past-due subscription's open invoices again with ``card``, on-session (the
        customer is on the portal), as a successful renewal pays; returns the paid ids."""
        customer = self.store.get(subscription["customer"]) or {}
        billing = {"email": customer.get("email"), "name": customer.get("name")}
        paid: list[str] = []
        for invoice in self.store.all("invoice"):
            if invoice.get("subscription") != subscription["id"] or invoice["status"] != "open":
                continue
            intent = self._open_invoice_intent(invoice)
            if intent is None or intent["status"] in {"processing", "succeeded"}:
                continue
            result = self._attempt(intent, card, billing)
            if result.outcome != "succeeded":
                if result.outcome == "declined":
                    self._fail_invoice(invoice)
                return paid
            self._pay_invoice(invoice, intent)
            paid.append(invoice["id"])
        if paid and subscription["status"] == "past_due":
            previous = self._change_subscription(subscription, {"status": "active"})
            self._emit("customer.subscription.updated", subscription, previous)
        return paid

    def _change_subscription(self, subscription: Record, changes: dict[str, Any]) -> dict:
        """Apply ``changes``; returns the previous values of the rendered fields touched."""
        before = self.context().render(subscription)
        return _rendered_previous(before, self._update(subscription, **changes))

    def renew_subscription(self, subscription_id: str, fail: bool | None = None) -> dict:
        """Bill the next period now (``fail`` forces a decline; default: the card decides)."""
        with self.operation():
            subscription = self.store.require(subscription_id, "subscription")
            invoice = self._renew(subscription, fail)
            return self.context().render(invoice)

    def _renew(self, subscription: Record, fail: bool | None) -> Record:
        if subscription["status"] not in {"active", "past_due"}:
            raise invalid(
                f"Subscription {subscription['id']} is {subscription['status']}; "
                "only active or past_due subscriptions renew.",
                param="subscription",
            )
        item = subscription["item"]
        price = self.store.require(item["price"], "price")
        start = item["current_period_end"]
        recurring = price["recurring"]
        end = add_interval(start, recurring["interval"], recurring["interval_count"])
        customer = self.store.get(subscription["customer"]) or {}
        invoice, intent = self._open_invoice(
            subscription,
            customer,
            billing_reason="subscription_cycle",
            period=(item["current_period_start"], start),
            line_period=(start, end),
            session=None,
            description="Subscription update",
        )
        card: cardlib.TestCard | banks.TestBankAccount
        card = cardlib.lookup(subscription.get("_card") or cardlib.DEFAULT_CARD)
        account = banks.lookup(subscription.get("_bank_account") or "")
        if account is not None and fail is None:
            card = account  # a bank debit: the invoice stays open until it settles
        elif fail:
            card = cardlib.TEST_CARDS[cardlib.DECLINE_CARD]
        elif fail is False and card.behaviour != cardlib.SUCCEED:
            card = cardlib.TEST_CARDS[cardlib.DEFAULT_CARD]
        billing = {"email": customer.get("email"), "name": customer.get("name")}
        result = self._attempt(intent, card, billing, renewal=True)
        changes: dict[str, Any] = {
            "item": {**item, "current_period_start": start, "current_period_end": end},
            "latest_invoice": invoice["id"],
        }
        if result.outcome == "succeeded":
            self._pay_invoice(invoice, intent)
            changes["status"] = "active"
        elif result.outcome == "declined":
            self._fail_invoice(invoice)
            changes["status"] = "past_due"
        elif result.outcome == "requires_action":
            self._require_invoice_action(invoice)
            changes["status"] = "past_due"
        previous = self._change_subscription(subscription, changes)
        self._emit("customer.subscription.updated", subscription, previous)
        return invoice

    def cancel_subscription(
        self,
        subscription_id: str,
        request: RequestInfo | None = None,
        *,
        comment: str | None = None,
        feedback: str | None = None,
    ) -> dict[str, Any]:
        with self.operation(request):
            subscription = self.store.require(subscription_id, "subscription")
            if subscription["status"] in {"canceled", "incomplete_expired"}:
                raise invalid(
                    f"A canceled subscription can only update its cancellation_details and "
                    f"metadata. ({subscription_id})",
                    param="subscription",
                )
            self._cancel(subscription, "cancellation_requested", comment, feedback)
            return self.context().render(subscription)

    def _cancel(self, subscription, reason, comment=None, feedback=None, at=None) -> None:
        now = self.now() if at is None else at
        self._update(
            subscription,
            status="canceled",
            canceled_at=now,
            ended_at=now,
            cancellation_reason=reason,
            cancellation_comment=comment,
            cancellation_feedback=feedback,
        )
        self._emit("customer.subscription.deleted", subscription)

    def update_subscription(
        self, subscription_id: str, params: dict[str, Any], request: RequestInfo | None = None
    ) -> dict[str, Any]:
        reject_unknown(params, _UPDATABLE | _ACCEPTED_IGNORED)
        with self.operation(request):
            subscription = self.store.require(subscription_id, "subscription")
            canceled = subscription["status"] in {"canceled", "incomplete_expired"}
            changes: dict[str, Any] = {}
            if "cancel_at_period_end" in params:
                if canceled:
                    raise invalid(
                        "A canceled subscription can only update its cancellation_details "
                        "and metadata.",
                        param="cancel_at_period_end",
                    )
                flag = boolean(params["cancel_at_period_end"], "cancel_at_period_end")
                changes["cancel_at_period_end"] = flag
                changes["cancel_at"] = subscription["item"]["current_period_end"] if flag else None
            if "metadata" in params:
                changes["metadata"] = merge_metadata(subscription.get("metadata"), params)
            if "description" in params:
                changes["description"] = params["description"] or None
            details = params.get("cancellation_details")
            if isinstance(details, dict):
                changes["cancellation_comment"] = details.get("comment") or None
                changes["cancellation_feedback"] = details.get("feedback") or None
            previous = self._change_subscription(subscription, changes)
            if previous:
                self._emit("customer.subscription.updated", subscription, previous)
            return self.context().render(subscription)
