"""The sandbox's Stripe account: objects, money movements and events.

``SandboxState`` owns every object and is the only place that changes them. Each public
method is one atomic operation under a single re-entrant lock; the events an operation emits
are handed to the webhook dispatcher only after the lock is released, all at once, so delivery
never blocks the API and a burst of related events can be reordered as a group.

Money follows Stripe's balance model. Every movement of funds is a balance transaction:
charges (``charge`` for card payments, ``payment`` for delayed settlement) credit the account
less the processing fee and become available ``settlement_days`` after creation; refunds,
dispute withdrawals and payouts debit it at once. A payout created without an amount is an
*automatic* payout: it sweeps every available balance transaction not yet paid out, so its
amount equals the sum of their nets and ``GET /v1/balance_transactions?payout=po_...`` lists
them plus the payout's own transaction, which together sum to zero.

Events keep a *snapshot* of their object: an event first points at the live record and is
frozen to a copy the moment the record next changes (``_update``). That keeps creation cheap
while each event still shows the object as it was when the event happened. All changes
to a record therefore go through ``_update``.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import cards as cardlib
from .checkout_params import parse_session_params
from .clock import SandboxClock
from .errors import SandboxError, invalid
from .ids import IdFactory, random_token
from .money import DAY, DISPUTE_FEE, card_fee
from .objects import RenderContext, expand
from .store import ObjectStore, Record
from .switches import Switches
from .validation import (
    boolean,
    currency_code,
    merge_metadata,
    positive_amount,
    reject_unknown,
)

EventSink = Callable[[list[tuple[str, str]]], None]

DEFAULT_CARD = "4242424242424242"
SUPPORTED_INTERVALS = {"day", "week", "month", "year"}


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused an event (``event.request``)."""

    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class PaymentResult:
    """Outcome of paying a Checkout Session or an outside charge."""

    outcome: str  # "succeeded" | "declined" | "processing"
    payment_intent: str | None = None
    charge: str | None = None
    message: str | None = None
    decline_code: str | None = None
    error_code: str | None = None
    redirect_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _snapshot(record: Record) -> Record:
    return {
        key: (value.copy() if isinstance(value, dict | list) else value)
        for key, value in record.items()
        if key != "_pins"
    }


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


class SandboxState:
    def __init__(
        self,
        *,
        clock: SandboxClock | None = None,
        switches: Switches | None = None,
        public_url: str = "http://127.0.0.1:12111",
        sink: EventSink | None = None,
        webhooks_configured: Callable[[], bool] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.switches = switches or Switches()
        self.public_url = public_url
        self._sink = sink
        self._webhooks_configured = webhooks_configured or (lambda: True)
        self._depth = 0
        self._outbox: list[tuple[str, str]] = []
        self._request: RequestInfo | None = None
        self._emit_events = True
        self.reset()

    # --- Plumbing ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object and event (switches and the clock are kept)."""
        with self.lock:
            self.store = ObjectStore()
            self.ids = IdFactory()
            self._invoice_numbers = 0

    def now(self) -> int:
        return self.clock.now()

    @contextlib.contextmanager
    def operation(self, request: RequestInfo | None = None) -> Iterator[None]:
        """One atomic change; emitted events are dispatched after the lock is released."""
        self.lock.acquire()
        outer = self._depth == 0
        if outer:
            self._outbox, self._request, self._emit_events = [], request, True
        self._depth += 1
        events: list[tuple[str, str]] = []
        try:
            yield
        finally:
            self._depth -= 1
            if outer:
                events, self._outbox, self._request = self._outbox, [], None
                self._emit_events = True
            self.lock.release()
            if events and self._sink is not None:
                self._sink(events)

    def _add(self, kind: str, prefix: str, **fields: Any) -> Record:
        record = {"id": self.ids.new(prefix), "object": kind, "created": self.now(), **fields}
        return self.store.add(record)

    def _update(self, record: Record, **changes: Any) -> dict[str, Any]:
        """Change a record, freezing events that still point at it; returns old values."""
        pins = record.pop("_pins", None)
        if pins:
            frozen = _snapshot(record)
            for event in pins:
                event["snapshot"] = frozen
        previous = {}
        for key, value in changes.items():
            old = record.get(key)
            if old != value:
                previous[key] = old
            record[key] = value
        return previous

    def _emit(
        self,
        event_type: str,
        record: Record,
        previous: dict[str, Any] | None = None,
        snapshot: Record | None = None,
    ) -> Record | None:
        if not self._emit_events:
            return None
        request = self._request
        event = {
            "id": self.ids.new("evt"),
            "object": "event",
            "created": self.now(),
            "type": event_type,
            "snapshot": snapshot if snapshot is not None else record,
            "previous_attributes": previous,
            "request_id": request.request_id if request else None,
            "idempotency_key": request.idempotency_key if request else None,
            "pending_webhooks": 1 if self._webhooks_configured() else 0,
        }
        if snapshot is None:
            record.setdefault("_pins", []).append(event)
        self.store.add(event)
        self._outbox.append((event["id"], event_type))
        return event

    def _public_previous(self, record: Record, previous: dict[str, Any]) -> dict[str, Any]:
        """Old values of fields that exist in the rendered object (for previous_attributes)."""
        rendered = self.context().render(record)
        return {key: value for key, value in previous.items() if key in rendered}

    def context(self, as_of: int | None = None) -> RenderContext:
        return RenderContext(self.store, self.now() if as_of is None else as_of, self.public_url)

    # --- Reading ----------------------------------------------------------------------------

    def retrieve(self, kind: str, object_id: str, expand_paths: list[str] | None = None) -> dict:
        with self.lock:
            record = self.store.require(object_id, kind)
            ctx = self.context()
            return expand(ctx.render(record), record, expand_paths or [], ctx)

    def render(self, record: Record, expand_paths: list[str] | None = None) -> dict[str, Any]:
        with self.lock:
            ctx = self.context()
            return expand(ctx.render(record), record, expand_paths or [], ctx)

    def list_objects(
        self,
        kind: str,
        url: str,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: dict[str, int] | None = None,
        predicate: Callable[[Record], bool] | None = None,
        expand_paths: list[str] | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            records, has_more = self.store.query(
                kind,
                limit=limit,
                starting_after=starting_after,
                ending_before=ending_before,
                created=created,
                predicate=predicate,
            )
            ctx = self.context()
            data = [ctx.render(record) for record in records]
            page = {"object": "list", "data": data, "has_more": has_more, "url": url}
            return expand(page, None, expand_paths or [], ctx)

    def event_payload(self, event_id: str) -> dict[str, Any] | None:
        with self.lock:
            record = self.store.get(event_id, "event")
            return None if record is None else self.context().render(record)

    def mark_delivered(self, event_id: str) -> None:
        with self.lock:
            record = self.store.get(event_id, "event")
            if record is not None:
                record["_delivered"] = True

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

    # --- Money primitives -------------------------------------------------------------------

    def _balance_transaction(
        self,
        *,
        amount: int,
        currency: str,
        txn_type: str,
        category: str,
        source: str,
        description: str | None,
        fee: int = 0,
        fee_description: str = "Stripe processing fees",
        available_on: int | None = None,
        payout: str | None = None,
    ) -> Record:
        now = self.now()
        details = (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": fee_description,
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        )
        return self._add(
            "balance_transaction",
            "txn",
            amount=amount,
            available_on=now if available_on is None else available_on,
            currency=currency,
            description=description,
            fee=fee,
            fee_details=details,
            net=amount - fee,
            reporting_category=category,
            source=source,
            type=txn_type,
            _payout=payout,
        )

    def _charge_transaction(self, charge: Record, txn_type: str = "charge") -> Record:
        amount = charge["amount"]
        return self._balance_transaction(
            amount=amount,
            currency=charge["currency"],
            txn_type=txn_type,
            category="charge",
            source=charge["id"],
            description=charge.get("description"),
            fee=card_fee(amount),
            available_on=self.now() + self.switches.settlement_days * DAY,
        )

    # --- Customers and payments -------------------------------------------------------------

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
        emit_created: bool = True,
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
            _session=session,
            _invoice=invoice,
        )
        if emit_created:
            self._emit("payment_intent.created", intent)
        return intent

    def _attempt(
        self,
        intent: Record,
        card: cardlib.TestCard,
        billing: dict[str, Any],
        *,
        renewal: bool = False,
    ) -> PaymentResult:
        """Charge ``card`` for ``intent``; the heart of every payment flow."""
        behaviour = card.behaviour
        if renewal and behaviour == cardlib.FAIL_RENEWALS:
            card = cardlib.TEST_CARDS["4000000000000002"]
            behaviour = cardlib.DECLINE
        payment_method = f"pm_{card.brand}{card.last4}sbx"
        common = {
            "amount": intent["amount"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "customer": intent.get("customer"),
            "metadata": dict(intent.get("metadata") or {}),
            "description": intent.get("description"),
            "receipt_email": intent.get("receipt_email"),
            "billing": dict(billing),
            "card": card.number,
            "payment_method": payment_method,
            "amount_refunded": 0,
            "refunded": False,
            "disputed": False,
            "refunds": [],
            "balance_transaction": None,
        }
        if behaviour == cardlib.DECLINE:
            charge = self._add(
                "charge",
                "ch",
                status="failed",
                failure_code=card.error_code,
                failure_message=card.message,
                decline_code=card.decline_code,
                **common,
            )
            error = {
                "charge": charge["id"],
                "code": card.error_code,
                "decline_code": card.decline_code,
                "doc_url": f"https://docs.stripe.com/error-codes/{card.error_code}",
                "message": card.message,
                "param": None,
                "payment_method": {"id": payment_method, "object": "payment_method"},
                "type": "card_error",
            }
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
        if behaviour == cardlib.ASYNC:
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
        charge = self._add("charge", "ch", status="succeeded", **common)
        self._succeed_charge(charge, intent)
        if behaviour == cardlib.DISPUTE:
            self._open_dispute(charge, charge["amount"], "fraudulent")
        return PaymentResult("succeeded", intent["id"], charge["id"])

    def _succeed_charge(self, charge: Record, intent: Record) -> None:
        txn = self._charge_transaction(charge, charge.get("_txn_type", "charge"))
        if self.switches.late_balance_transaction:
            early = _snapshot(charge)
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
        )
        self._emit("payment_intent.succeeded", intent)

    # --- Outside charges --------------------------------------------------------------------

    def create_charge(
        self,
        amount: int,
        currency: str = "usd",
        *,
        card: str = DEFAULT_CARD,
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
        with self.operation():
            self._emit_events = emit_events
            intent = self._payment_intent(
                amount,
                currency,
                metadata=metadata,
                description=description,
                receipt_email=email,
            )
            return self._attempt(intent, test_card, {"email": email, "name": name})

    # --- Checkout ---------------------------------------------------------------------------

    def create_checkout_session(
        self, params: dict[str, Any], request: RequestInfo | None = None
    ) -> dict[str, Any]:
        parsed = parse_session_params(params, self)
        with self.operation(request):
            line_items = []
            for item in parsed["line_items"]:
                price_id = item.get("price")
                if price_id is None:
                    data = item["price_data"]
                    product_id = data.get("product")
                    if product_id is None:
                        product = self._add(
                            "product",
                            "prod",
                            name=data["product_name"],
                            description=data.get("product_description"),
                            metadata=data.get("product_metadata") or {},
                        )
                        product_id = product["id"]
                    price = self._add(
                        "price",
                        "price",
                        currency=data["currency"],
                        unit_amount=data["unit_amount"],
                        product=product_id,
                        recurring=data.get("recurring"),
                        metadata={},
                    )
                    price_id = price["id"]
                price = self.store.require(price_id, "price", "line_items")
                product = self.store.get(price["product"]) or {"name": "Item"}
                line_items.append(
                    {
                        "id": self.ids.new("li"),
                        "price": price_id,
                        "quantity": item["quantity"],
                        "description": product["name"],
                    }
                )
            prices = [self.store.get(item["price"]) or {} for item in line_items]
            currency = prices[0]["currency"]
            total = sum(
                p["unit_amount"] * item["quantity"]
                for p, item in zip(prices, line_items, strict=True)
            )
            session = self.store.add(
                {
                    "id": self.ids.checkout_session(),
                    "object": "checkout.session",
                    "created": self.now(),
                    "expires_at": parsed["expires_at"],
                    "mode": parsed["mode"],
                    "status": "open",
                    "payment_status": "unpaid",
                    "success_url": parsed.get("success_url"),
                    "cancel_url": parsed.get("cancel_url"),
                    "metadata": parsed["metadata"],
                    "client_reference_id": parsed.get("client_reference_id"),
                    "customer_email": parsed.get("customer_email"),
                    "customer": parsed.get("customer"),
                    "customer_creation": parsed.get("customer_creation"),
                    "customer_details": None,
                    "submit_type": parsed.get("submit_type"),
                    "locale": parsed.get("locale"),
                    "billing_address_collection": parsed.get("billing_address_collection"),
                    "line_items": line_items,
                    "amount_subtotal": total,
                    "amount_total": total,
                    "currency": currency,
                    "payment_intent": None,
                    "subscription": None,
                    "invoice": None,
                    "pi_data": parsed["payment_intent_data"],
                    "sub_data": parsed["subscription_data"],
                }
            )
            return self.context().render(session)

    def expire_checkout_session(self, session_id: str, request: RequestInfo | None = None):
        with self.operation(request):
            session = self.store.require(session_id, "checkout.session")
            if session["status"] != "open":
                raise invalid(
                    f'Only Checkout Sessions with a status in ["open"] can be expired. '
                    f'This Checkout Session has a status of "{session["status"]}".',
                    param="session",
                )
            self._expire(session)
            return self.context().render(session)

    def _expire(self, session: Record) -> None:
        self._update(session, status="expired")
        intent = self.store.get(session.get("payment_intent") or "")
        if intent is not None and intent["status"] == "requires_payment_method":
            self._update(intent, status="canceled", canceled_at=self.now())
            self._emit("payment_intent.canceled", intent)
        self._emit("checkout.session.expired", session)

    def session_view(self, session_id: str) -> dict[str, Any]:
        """What the hosted checkout page needs to render a session."""
        with self.lock:
            session = self.store.require(session_id, "checkout.session")
            ctx = self.context()
            return expand(ctx.render(session), session, ["line_items"], ctx)

    def pay_checkout_session(
        self,
        session_id: str,
        card: str,
        *,
        name: str | None = None,
        email: str | None = None,
    ) -> PaymentResult:
        """Submit the hosted checkout form."""
        test_card = cardlib.lookup(card)
        with self.operation():
            session = self.store.require(session_id, "checkout.session")
            if session["status"] != "open":
                raise invalid(
                    f"This Checkout Session is no longer active (status: {session['status']}).",
                    code="checkout_session_inactive",
                )
            if self.now() >= session["expires_at"]:
                self._expire(session)
                raise invalid("This Checkout Session has expired.", code="checkout_expired")
            email = email or session.get("customer_email")
            if not email:
                raise invalid("An email address is required.", param="email")
            billing = {"email": email, "name": name}
            if session["mode"] == "subscription":
                result = self._pay_subscription_session(session, test_card, billing)
            else:
                result = self._pay_payment_session(session, test_card, billing)
            if result.outcome != "declined" and session.get("success_url"):
                result.redirect_url = session["success_url"].replace(
                    "{CHECKOUT_SESSION_ID}", session["id"]
                )
            return result

    def _session_customer(self, session: Record, billing: dict[str, Any]) -> str | None:
        if session.get("customer"):
            return session["customer"]
        if session["mode"] == "subscription" or session.get("customer_creation") == "always":
            return self._customer(billing.get("email"), billing.get("name"))["id"]
        return None

    def _complete_session(self, session: Record, billing: dict[str, Any], paid: bool, **extra):
        self._update(
            session,
            status="complete",
            payment_status="paid" if paid else "unpaid",
            customer_details={"email": billing.get("email"), "name": billing.get("name")},
            **extra,
        )
        self._emit("checkout.session.completed", session)

    def _pay_payment_session(self, session, card, billing) -> PaymentResult:
        intent = self.store.get(session.get("payment_intent") or "")
        if intent is None:
            pi_data = session["pi_data"]
            intent = self._payment_intent(
                session["amount_total"],
                session["currency"],
                customer=session.get("customer"),
                metadata=pi_data.get("metadata"),
                description=pi_data.get("description"),
                receipt_email=pi_data.get("receipt_email") or billing.get("email"),
                session=session["id"],
            )
            self._update(session, payment_intent=intent["id"])
        if card.behaviour != cardlib.DECLINE and not intent.get("customer"):
            customer = self._session_customer(session, billing)
            if customer:
                self._update(intent, customer=customer)
        result = self._attempt(intent, card, billing)
        if result.outcome == "declined":
            return result
        self._complete_session(
            session,
            billing,
            paid=result.outcome == "succeeded",
            customer=intent.get("customer"),
        )
        return result

    def _pay_subscription_session(self, session, card, billing) -> PaymentResult:
        if card.behaviour == cardlib.DECLINE:
            # Checkout shows the decline and creates nothing until a card works.
            return PaymentResult(
                "declined",
                message=card.message,
                decline_code=card.decline_code,
                error_code=card.error_code,
            )
        customer_id = self._session_customer(session, billing)
        item = session["line_items"][0]
        price = self.store.require(item["price"], "price")
        now = self.now()
        recurring = price["recurring"]
        period_end = add_interval(now, recurring["interval"], recurring["interval_count"])
        sub_data = session["sub_data"]
        subscription = self._add(
            "subscription",
            "sub",
            customer=customer_id,
            status="incomplete",
            metadata=dict(sub_data.get("metadata") or {}),
            description=sub_data.get("description"),
            cancel_at_period_end=False,
            start_date=now,
            billing_cycle_anchor=now,
            currency=price["currency"],
            default_payment_method=None,
            latest_invoice=None,
            item={
                "id": self.ids.new("si"),
                "price": price["id"],
                "quantity": item["quantity"],
                "created": now,
                "current_period_start": now,
                "current_period_end": period_end,
                "metadata": {},
            },
            _card=card.number,
        )
        customer = self.store.get(customer_id) or {}
        invoice, intent = self._open_invoice(
            subscription,
            customer,
            billing_reason="subscription_create",
            period=(now, now),
            line_period=(now, period_end),
            session=session["id"],
            description="Subscription creation",
        )
        result = self._attempt(intent, card, billing)
        payment_method = intent.get("payment_method")
        if result.outcome == "succeeded":
            self._update(
                subscription,
                status="active",
                default_payment_method=payment_method,
                latest_invoice=invoice["id"],
            )
            self._emit("customer.subscription.created", subscription)
            self._pay_invoice(invoice, intent)
        else:  # processing: the first invoice stays open until the payment settles
            self._update(
                subscription, default_payment_method=payment_method, latest_invoice=invoice["id"]
            )
            self._emit("customer.subscription.created", subscription)
        self._complete_session(
            session,
            billing,
            paid=result.outcome == "succeeded",
            customer=customer_id,
            subscription=subscription["id"],
            invoice=invoice["id"],
        )
        return result

    # --- Invoices and subscriptions ---------------------------------------------------------

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
        self._invoice_numbers += 1
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
        number = f"{customer.get('invoice_prefix', 'SBX')}-{self._invoice_numbers:04d}"
        self._update(invoice, status="open", finalized_at=self.now(), number=number)
        self._emit("invoice.finalized", invoice)
        intent = self._payment_intent(
            amount,
            price["currency"],
            customer=subscription["customer"],
            description=description,
            session=session,
            invoice=invoice["id"],
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
        card = cardlib.lookup(subscription.get("_card") or DEFAULT_CARD)
        if fail:
            card = cardlib.TEST_CARDS["4000000000000002"]
        elif fail is False and card.behaviour != cardlib.SUCCEED:
            card = cardlib.TEST_CARDS[DEFAULT_CARD]
        billing = {"email": customer.get("email"), "name": customer.get("name")}
        result = self._attempt(intent, card, billing, renewal=True)
        before = self.context().render(subscription)
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
        previous = self._update(subscription, **changes)
        public = {key: before[key] for key in previous if key in before}
        if "item" in previous:
            public["items"] = before["items"]
        self._emit("customer.subscription.updated", subscription, public)
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
        allowed = {"cancel_at_period_end", "metadata", "description", "cancellation_details"}
        allowed |= {"expand", "proration_behavior"}
        reject_unknown(params, allowed)
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
            before = self.context().render(subscription)
            previous = self._update(subscription, **changes)
            public: dict[str, Any] = {}
            for key in previous:
                if key.startswith("cancellation_"):
                    public["cancellation_details"] = before["cancellation_details"]
                elif key in before:
                    public[key] = before[key]
            if public:
                self._emit("customer.subscription.updated", subscription, public)
            return self.context().render(subscription)

    # --- Delayed settlement -----------------------------------------------------------------

    def settle_payment(self, payment_intent_id: str, outcome: str = "succeeded") -> dict:
        """Finish a ``processing`` payment (the async test card) as succeeded or failed."""
        if outcome not in {"succeeded", "failed"}:
            raise invalid("outcome must be 'succeeded' or 'failed'", param="outcome")
        with self.operation():
            intent = self.store.require(payment_intent_id, "payment_intent")
            if intent["status"] != "processing":
                raise invalid(
                    f"PaymentIntent {payment_intent_id} is {intent['status']}, not processing.",
                    param="payment_intent",
                )
            charge = self.store.require(intent["latest_charge"], "charge")
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
                message = "The customer's bank could not complete the payment."
                self._update(
                    charge,
                    status="failed",
                    failure_code="payment_method_provider_decline",
                    failure_message=message,
                )
                self._update(
                    intent,
                    status="requires_payment_method",
                    last_payment_error={
                        "charge": charge["id"],
                        "code": "payment_method_provider_decline",
                        "decline_code": None,
                        "doc_url": None,
                        "message": message,
                        "param": None,
                        "payment_method": None,
                        "type": "card_error",
                    },
                )
                self._emit("charge.failed", charge)
                self._emit("payment_intent.payment_failed", intent)
                if invoice is not None:
                    self._fail_invoice(invoice)
                if session is not None:
                    self._emit("checkout.session.async_payment_failed", session)
            return self.context().render(intent)

    # --- Refunds ----------------------------------------------------------------------------

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
        if reason is not None and reason not in {
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        }:
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
                currency=charge_record["currency"],
                charge=charge_record["id"],
                payment_intent=charge_record.get("payment_intent"),
                status="pending" if fail else "succeeded",
                reason=reason,
                metadata=dict(metadata or {}),
                destination_reference=None,
            )
            txn = self._balance_transaction(
                amount=-refund_amount,
                currency=charge_record["currency"],
                txn_type="refund",
                category="refund",
                source=refund["id"],
                description="REFUND FOR CHARGE"
                + (
                    f" ({charge_record['description']})" if charge_record.get("description") else ""
                ),
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
        txn = self._balance_transaction(
            amount=refund["amount"],
            currency=refund["currency"],
            txn_type="refund_failure",
            category="refund_failure",
            source=refund["id"],
            description="REFUND FAILURE",
        )
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

    # --- Disputes ---------------------------------------------------------------------------

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
            currency=charge["currency"],
            charge=charge["id"],
            payment_intent=charge.get("payment_intent"),
            reason=reason,
            status="needs_response",
            balance_transactions=[],
            metadata={},
            due_by=self.now() + 21 * DAY,
        )
        self._update(charge, disputed=True)
        txn = self._balance_transaction(
            amount=-amount,
            currency=charge["currency"],
            txn_type="adjustment",
            category="dispute",
            source=dispute["id"],
            description=f"Chargeback withdrawal for {charge['id']}",
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
                charge = self.store.require(dispute["charge"], "charge")
                txn = self._balance_transaction(
                    amount=dispute["amount"],
                    currency=dispute["currency"],
                    txn_type="adjustment",
                    category="dispute_reversal",
                    source=dispute["id"],
                    description=f"Chargeback reversal for {charge['id']}",
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

    # --- Payouts ----------------------------------------------------------------------------

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
            txn = self._balance_transaction(
                amount=-payout_amount,
                currency=currency,
                txn_type="payout",
                category="payout",
                source=payout["id"],
                description="STRIPE PAYOUT",
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
        txn = self._balance_transaction(
            amount=payout["amount"],
            currency=payout["currency"],
            txn_type="payout_failure",
            category="payout_reversal",
            source=payout["id"],
            description="STRIPE PAYOUT FAILURE",
        )
        self._update(
            payout,
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed.",
            failure_balance_transaction=txn["id"],
        )
        self._emit("payout.failed", payout)

    # --- Time -------------------------------------------------------------------------------

    def advance_clock(self, seconds: int) -> int:
        """Move the sandbox clock forward and run what became due (expiry, renewals)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise invalid("seconds must be a non-negative integer", param="seconds")
        with self.operation():
            now = self.clock.advance(seconds)
            for session in list(self.store.all("checkout.session")):
                if session["status"] == "open" and session["expires_at"] <= now:
                    self._expire(session)
            if self.switches.auto_renew:
                for subscription in list(self.store.all("subscription")):
                    self._catch_up(subscription, now)
            return now

    def _catch_up(self, subscription: Record, now: int) -> None:
        for _ in range(600):  # bounded: at most 50 years of monthly renewals per advance
            if subscription["status"] not in {"active", "past_due"}:
                return
            period_end = subscription["item"]["current_period_end"]
            if period_end > now:
                return
            if subscription["cancel_at_period_end"]:
                self._cancel(subscription, "cancellation_requested", at=period_end)
                return
            self._renew(subscription, None)

    # --- Summary ----------------------------------------------------------------------------

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
