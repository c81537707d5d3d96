"""Checkout Sessions: creation, expiry, and the hosted page's payment.

A session is created from validated parameters (``checkout_params.py``), with a product and
price made on the fly for ``price_data`` line items. Paying it (the hosted page or the control
API) attempts the card through ``payments.py``: in payment mode on the session's payment
intent, in subscription mode by creating the subscription and its first invoice
(``subscriptions.py``). A declined card leaves the session open for another try.
"""

from __future__ import annotations

from typing import Any

from . import banks
from . import cards as cardlib
from .checkout_params import parse_session_params
from .core import RequestInfo, StateCore
from .descriptors import statement_descriptor
from .errors import invalid
from .payments import PaymentResult
from .store import Record
from .subscriptions import add_interval
from .validation import boolean, reject_unknown, validate_metadata

_PRODUCT_PARAMS = {"name", "statement_descriptor", "metadata", "active", "description"}
_PRODUCT_IGNORED = {"expand", "images", "marketing_features", "shippable", "tax_code", "url"}
_PRODUCT_IGNORED |= {"unit_label", "package_dimensions", "default_price_data", "id"}


def _declines(method: cardlib.TestCard | banks.TestBankAccount) -> cardlib.TestCard | None:
    """The card, if it is one that declines at once (a bank debit never does)."""
    if isinstance(method, cardlib.TestCard) and method.behaviour == cardlib.DECLINE:
        return method
    return None


class CheckoutMixin(StateCore):
    """Part of ``SandboxState``; uses ``_customer``, ``_payment_intent`` and ``_attempt``
    (payments) and ``_open_invoice``/``_pay_invoice`` (subscriptions)."""

    def create_checkout_session(
        self, params: dict[str, Any], request: RequestInfo | None = None
    ) -> dict[str, Any]:
        parsed = parse_session_params(params, self)
        with self.operation(request):
            line_items = [self._line_item(item) for item in parsed["line_items"]]
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
                    "payment_method_types": parsed["payment_method_types"],
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

    def create_product(
        self, params: dict[str, Any], request: RequestInfo | None = None
    ) -> dict[str, Any]:
        """``POST /v1/products`` (https://docs.stripe.com/api/products/create): a product to
        name in ``line_items[][price_data][product]``; its ``statement_descriptor`` is what
        a subscription's charges show."""
        reject_unknown(params, _PRODUCT_PARAMS | _PRODUCT_IGNORED)
        name = params.get("name")
        if not name:
            raise invalid("Missing required param: name.", param="name", code="parameter_missing")
        descriptor = statement_descriptor(
            params.get("statement_descriptor"), "statement_descriptor"
        )
        active = boolean(params["active"], "active") if "active" in params else True
        with self.operation(request):
            product = self._add(
                "product",
                "prod",
                name=str(name),
                description=params.get("description") or None,
                metadata=validate_metadata(params.get("metadata")),
                statement_descriptor=descriptor,
                active=active,
            )
            return self.context().render(product)

    def _line_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """A session's line item, making the product and price of ``price_data``."""
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
        return {
            "id": self.ids.new("li"),
            "price": price_id,
            "quantity": item["quantity"],
            "description": product["name"],
        }

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
        return self.retrieve("checkout.session", session_id, ["line_items"])

    def pay_checkout_session(
        self,
        session_id: str,
        card: str | None,
        *,
        name: str | None = None,
        email: str | None = None,
        account_number: str | None = None,
    ) -> PaymentResult:
        """Submit the hosted checkout form: pay with ``card``, or by ACH Direct Debit from
        the test bank account ``account_number`` (``banks.py``) if the session offers
        ``us_bank_account``."""
        method: cardlib.TestCard | banks.TestBankAccount
        if account_number:
            account = banks.lookup(account_number)
            if account is None:
                raise invalid(
                    "Your bank account number is incorrect.",
                    param="account_number",
                    code="account_number_invalid",
                )
            method = account
        else:
            method = cardlib.lookup(card or "")
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
            if account_number and "us_bank_account" not in session["payment_method_types"]:
                raise invalid(
                    "This Checkout Session does not accept us_bank_account payments.",
                    param="payment_method_types",
                )
            email = email or session.get("customer_email")
            if not email:
                raise invalid("An email address is required.", param="email")
            billing = {"email": email, "name": name}
            if session["mode"] == "subscription":
                result = self._pay_subscription_session(session, method, billing)
            else:
                result = self._pay_payment_session(session, method, billing)
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
                payment_method_types=session["payment_method_types"],
                statement_descriptor=pi_data.get("statement_descriptor"),
                statement_descriptor_suffix=pi_data.get("statement_descriptor_suffix"),
            )
            self._update(session, payment_intent=intent["id"])
        if _declines(card) is None and not intent.get("customer"):
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
        if _declines(card) is not None:
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
            _card=card.number if isinstance(card, cardlib.TestCard) else None,
            _bank_account=card.number if isinstance(card, banks.TestBankAccount) else None,
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
