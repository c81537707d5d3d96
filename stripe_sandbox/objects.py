"""Rendering stored records into Stripe's object shapes.

The shapes follow Stripe's API version ``2026-10-28.endive``: the field names and nesting of
the official SDK's typed resource classes and of Stripe's published example objects. Fields the
sandbox does not model are present with the value Stripe gives them for a plain card payment
in a US account (mostly ``null``), so code that reads them behaves as it would in test mode.

A few details of the current API version that matter to the project, and that the sandbox
keeps faithfully:

* an invoice's subscription is at ``invoice.parent.subscription_details.subscription``;
* an invoice's payments are in ``invoice.payments`` (``invoice_payment`` objects whose
  ``payment`` names a ``payment_intent``). Like Stripe, ``payments`` is an *includable* field:
  it is only present when requested with ``expand[]=payments``, never in webhook payloads;
* subscription periods live on the subscription item (``items.data[0].current_period_end``);
* a charge's ``refunds`` and a session's ``line_items`` are also includable-only.

Renderers take ``as_of`` so a balance transaction inside an event shows the status it had when
the event happened, not the one it has when the event is re-read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cards import DEFAULT_CARD
from .cards import lookup as lookup_card
from .errors import invalid
from .store import ObjectStore, Record

API_VERSION = "2026-10-28.endive"

_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}


class RenderContext:
    """What a renderer needs besides the record: other records, time and public URL."""

    def __init__(self, store: ObjectStore, as_of: int, public_url: str) -> None:
        self.store = store
        self.as_of = as_of
        self.public_url = public_url

    def render(self, record: Record) -> dict[str, Any]:
        return RENDERERS[record["object"]](record, self)

    def render_id(self, object_id: str | None) -> dict[str, Any] | None:
        if object_id is None:
            return None
        record = self.store.get(object_id)
        return None if record is None else self.render(record)


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


# --- Customers, products, prices ----------------------------------------------------------


def render_customer(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": r["created"],
        "currency": r.get("currency"),
        "default_source": None,
        "delinquent": r.get("delinquent", False),
        "description": None,
        "discount": None,
        "email": r.get("email"),
        "invoice_prefix": r["invoice_prefix"],
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": r.get("default_payment_method"),
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(r.get("metadata") or {}),
        "name": r.get("name"),
        "next_invoice_sequence": r.get("next_invoice_sequence", 1),
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def render_product(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "product",
        "active": True,
        "created": r["created"],
        "default_price": r.get("default_price"),
        "description": r.get("description"),
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": dict(r.get("metadata") or {}),
        "name": r["name"],
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": r["created"],
        "url": None,
    }


def _recurring(r: Record) -> dict[str, Any] | None:
    recurring = r.get("recurring")
    if not recurring:
        return None
    return {
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def render_price(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": r["created"],
        "currency": r["currency"],
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": dict(r.get("metadata") or {}),
        "nickname": None,
        "product": r["product"],
        "recurring": _recurring(r),
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if r.get("recurring") else "one_time",
        "unit_amount": r["unit_amount"],
        "unit_amount_decimal": str(r["unit_amount"]),
    }


def render_plan(price: Record) -> dict[str, Any]:
    recurring = price.get("recurring") or {"interval": "month", "interval_count": 1}
    return {
        "id": price["id"],
        "object": "plan",
        "active": True,
        "amount": price["unit_amount"],
        "amount_decimal": str(price["unit_amount"]),
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": dict(price.get("metadata") or {}),
        "meter": None,
        "nickname": None,
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


# --- Payments -----------------------------------------------------------------------------


def _card_details(r: Record) -> dict[str, Any]:
    card = lookup_card(r["card"])
    succeeded = r["status"] != "failed"
    return {
        "amount_authorized": r["amount"] if succeeded else None,
        "authorization_code": "123456" if succeeded else None,
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": "US",
        "exp_month": 12,
        "exp_year": 2034,
        "extended_authorization": {"status": "disabled"},
        "fingerprint": "sbx" + card.number[-8:],
        "funding": card.funding,
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "last4": card.last4,
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": card.brand,
        "network_token": {"used": False},
        "network_transaction_id": "sbx" + r["id"][-12:] if succeeded else None,
        "overcapture": {"maximum_amount_capturable": r["amount"], "status": "unavailable"},
        "regulated_status": "unregulated",
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }


def _outcome(r: Record) -> dict[str, Any]:
    if r["status"] == "failed":
        return {
            "advice_code": "try_again_later",
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network",
            "reason": r.get("decline_code") or r.get("failure_code"),
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def render_charge(r: Record, ctx: RenderContext) -> dict[str, Any]:
    status = r["status"]
    billing = r.get("billing") or {}
    return {
        "id": r["id"],
        "object": "charge",
        "amount": r["amount"],
        "amount_captured": r["amount"] if status == "succeeded" else 0,
        "amount_refunded": r["amount_refunded"],
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": r.get("balance_transaction"),
        "billing_details": {
            "address": dict(_ADDRESS),
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "BAIL FUND SANDBOX",
        "captured": status != "failed",
        "created": r["created"],
        "currency": r["currency"],
        "customer": r.get("customer"),
        "description": r.get("description"),
        "disputed": r["disputed"],
        "failure_balance_transaction": None,
        "failure_code": r.get("failure_code"),
        "failure_message": r.get("failure_message"),
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(r.get("metadata") or {}),
        "on_behalf_of": None,
        "outcome": _outcome(r),
        "paid": status == "succeeded",
        "payment_intent": r.get("payment_intent"),
        "payment_method": r.get("payment_method"),
        "payment_method_details": {"card": _card_details(r), "type": "card"},
        "receipt_email": r.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": f"{ctx.public_url}/receipts/{r['id']}",
        "refunded": r["refunded"],
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def render_payment_intent(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "payment_intent",
        "amount": r["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": r.get("amount_received", 0),
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": r.get("canceled_at"),
        "cancellation_reason": r.get("cancellation_reason"),
        "capture_method": "automatic_async",
        "client_secret": f"{r['id']}_secret_{r['secret']}",
        "confirmation_method": "automatic",
        "created": r["created"],
        "currency": r["currency"],
        "customer": r.get("customer"),
        "customer_account": None,
        "description": r.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": r.get("last_payment_error"),
        "latest_charge": r.get("latest_charge"),
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": dict(r.get("metadata") or {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": r.get("payment_method"),
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": {"type": "card"} if r["status"] == "processing" else None,
        "receipt_email": r.get("receipt_email"),
        "review": None,
        "setup_future_usage": r.get("setup_future_usage"),
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": r["status"],
        "transfer_data": None,
        "transfer_group": None,
    }


def render_balance_transaction(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "balance_transaction",
        "amount": r["amount"],
        "available_on": r["available_on"],
        "balance_type": "payments",
        "created": r["created"],
        "currency": r["currency"],
        "description": r.get("description"),
        "exchange_rate": None,
        "fee": r["fee"],
        "fee_details": [dict(detail) for detail in r["fee_details"]],
        "net": r["net"],
        "reporting_category": r["reporting_category"],
        "source": r.get("source"),
        "status": "available" if ctx.as_of >= r["available_on"] else "pending",
        "type": r["type"],
    }


def render_refund(r: Record, ctx: RenderContext) -> dict[str, Any]:
    charge = ctx.store.get(r["charge"]) or {}
    reference = r.get("destination_reference")
    rendered = {
        "id": r["id"],
        "object": "refund",
        "amount": r["amount"],
        "balance_transaction": r.get("balance_transaction"),
        "charge": r["charge"],
        "created": r["created"],
        "currency": r["currency"],
        "customer": charge.get("customer"),
        "customer_account": None,
        "description": r.get("description"),
        "destination_details": {
            "card": {
                "reference": reference,
                "reference_status": "available" if reference else "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": dict(r.get("metadata") or {}),
        "payment_intent": r.get("payment_intent"),
        "payment_method": charge.get("payment_method"),
        "reason": r.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": r["status"],
        "transfer_reversal": None,
    }
    if r["status"] == "failed":
        rendered["failure_balance_transaction"] = r.get("failure_balance_transaction")
        rendered["failure_reason"] = r.get("failure_reason")
    return rendered


def render_dispute(r: Record, ctx: RenderContext) -> dict[str, Any]:
    charge = ctx.store.get(r["charge"]) or {}
    brand = lookup_card(charge.get("card", DEFAULT_CARD)).brand
    transactions = [ctx.render_id(txn) for txn in r["balance_transactions"]]
    return {
        "id": r["id"],
        "object": "dispute",
        "amount": r["amount"],
        "balance_transactions": [txn for txn in transactions if txn is not None],
        "charge": r["charge"],
        "created": r["created"],
        "currency": r["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {
            **dict.fromkeys(_EVIDENCE_FIELDS),
            "enhanced_evidence": {},
        },
        "evidence_details": {
            "due_by": r["due_by"],
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": ctx.as_of > r["due_by"] and r["status"] == "needs_response",
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": dict(r.get("metadata") or {}),
        "network_reason_code": "10.4",
        "payment_intent": r.get("payment_intent"),
        "payment_method_details": {
            "card": {
                "brand": brand,
                "case_type": "chargeback",
                "network": brand,
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": r["reason"],
        "status": r["status"],
    }


_EVIDENCE_FIELDS = [
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
]


def render_payout(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "payout",
        "amount": r["amount"],
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": r["arrival_date"],
        "automatic": r["automatic"],
        "balance_transaction": r.get("balance_transaction"),
        "created": r["created"],
        "currency": r["currency"],
        "description": r.get("description"),
        "destination": r["destination"],
        "failure_balance_transaction": r.get("failure_balance_transaction"),
        "failure_code": r.get("failure_code"),
        "failure_message": r.get("failure_message"),
        "livemode": False,
        "metadata": dict(r.get("metadata") or {}),
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "completed" if r["automatic"] else "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": r["status"],
        "trace_id": {
            "status": "supported" if r["status"] == "paid" else "pending",
            "value": None,
        },
        "type": "bank_account",
    }


# --- Checkout -----------------------------------------------------------------------------


def render_line_items(r: Record, ctx: RenderContext) -> dict[str, Any]:
    items = []
    for item in r["line_items"]:
        price = ctx.store.get(item["price"]) or {}
        amount = price.get("unit_amount", 0) * item["quantity"]
        items.append(
            {
                "id": item["id"],
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price.get("currency", r["currency"]),
                "description": item["description"],
                "metadata": {},
                "price": render_price(price, ctx) if price else None,
                "quantity": item["quantity"],
            }
        )
    return list_object(items, f"/v1/checkout/sessions/{r['id']}/line_items")


def render_checkout_session(r: Record, ctx: RenderContext) -> dict[str, Any]:
    details = r.get("customer_details")
    payment_mode = r["mode"] == "payment"
    return {
        "id": r["id"],
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": r["amount_subtotal"],
        "amount_total": r["amount_total"],
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": r.get("billing_address_collection"),
        "cancel_url": r.get("cancel_url"),
        "client_reference_id": r.get("client_reference_id"),
        "client_secret": None,
        "collected_information": (
            {"business_name": None, "individual_name": None, "shipping_details": None}
            if r["status"] == "complete"
            else None
        ),
        "consent": None,
        "consent_collection": None,
        "created": r["created"],
        "currency": r["currency"],
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": r.get("customer"),
        "customer_account": None,
        "customer_creation": r.get("customer_creation"),
        "customer_details": (
            {
                "address": dict(_ADDRESS),
                "business_name": None,
                "email": details.get("email"),
                "individual_name": None,
                "name": details.get("name"),
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            }
            if details
            else None
        ),
        "customer_email": r.get("customer_email"),
        "discounts": [],
        "expires_at": r["expires_at"],
        "integration_identifier": None,
        "invoice": r.get("invoice"),
        "invoice_creation": (
            {
                "enabled": False,
                "invoice_data": {
                    "account_tax_ids": None,
                    "custom_fields": None,
                    "description": None,
                    "footer": None,
                    "issuer": None,
                    "metadata": {},
                    "rendering_options": None,
                },
            }
            if payment_mode
            else None
        ),
        "livemode": False,
        "locale": r.get("locale"),
        "managed_payments": {"enabled": False},
        "metadata": dict(r.get("metadata") or {}),
        "mode": r["mode"],
        "origin_context": None,
        "payment_intent": r.get("payment_intent"),
        "payment_link": None,
        "payment_method_collection": None if payment_mode else "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": r["payment_status"],
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": r["status"],
        "submit_type": r.get("submit_type"),
        "subscription": r.get("subscription"),
        "success_url": r.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": f"{ctx.public_url}/checkout/{r['id']}" if r["status"] == "open" else None,
        "wallet_options": None,
    }


# --- Billing ------------------------------------------------------------------------------


def render_subscription_item(sub: Record, ctx: RenderContext) -> dict[str, Any]:
    item = sub["item"]
    price = ctx.store.get(item["price"]) or {}
    return {
        "id": item["id"],
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": item["created"],
        "current_period_end": item["current_period_end"],
        "current_period_start": item["current_period_start"],
        "discounts": [],
        "metadata": dict(item.get("metadata") or {}),
        "plan": render_plan(price) if price else None,
        "price": render_price(price, ctx) if price else None,
        "quantity": item["quantity"],
        "subscription": sub["id"],
        "tax_rates": [],
    }


def render_subscription(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": r["billing_cycle_anchor"],
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": r.get("cancel_at"),
        "cancel_at_period_end": r["cancel_at_period_end"],
        "canceled_at": r.get("canceled_at"),
        "cancellation_details": {
            "comment": r.get("cancellation_comment"),
            "feedback": r.get("cancellation_feedback"),
            "reason": r.get("cancellation_reason"),
        },
        "collection_method": "charge_automatically",
        "created": r["created"],
        "currency": r["currency"],
        "customer": r["customer"],
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": r.get("default_payment_method"),
        "default_source": None,
        "default_tax_rates": [],
        "description": r.get("description"),
        "discounts": [],
        "ended_at": r.get("ended_at"),
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": list_object(
            [render_subscription_item(r, ctx)],
            f"/v1/subscription_items?subscription={r['id']}",
        ),
        "latest_invoice": r.get("latest_invoice"),
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": dict(r.get("metadata") or {}),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": r["start_date"],
        "status": r["status"],
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def _invoice_lines(r: Record, ctx: RenderContext) -> dict[str, Any]:
    line = r["line"]
    price = ctx.store.get(line["price"]) or {}
    return list_object(
        [
            {
                "id": line["id"],
                "object": "line_item",
                "amount": line["amount"],
                "currency": r["currency"],
                "description": line["description"],
                "discount_amounts": [],
                "discountable": True,
                "discounts": [],
                "invoice": r["id"],
                "livemode": False,
                "metadata": {},
                "parent": {
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": r.get("subscription"),
                        "subscription_item": line.get("subscription_item"),
                    },
                    "type": "subscription_item_details",
                },
                "period": {"end": line["period_end"], "start": line["period_start"]},
                "pretax_credit_amounts": [],
                "pricing": {
                    "price_details": {"price": line["price"], "product": price.get("product")},
                    "type": "price_details",
                    "unit_amount_decimal": str(price.get("unit_amount", line["amount"])),
                },
                "quantity": line["quantity"],
                "quantity_decimal": str(line["quantity"]),
                "subscription": r.get("subscription"),
                "subtotal": line["amount"],
                "taxes": [],
            }
        ],
        f"/v1/invoices/{r['id']}/lines",
    )


def render_invoice(r: Record, ctx: RenderContext) -> dict[str, Any]:
    subscription = r.get("subscription")
    return {
        "id": r["id"],
        "object": "invoice",
        "account_country": "US",
        "account_name": "Bail Fund Sandbox",
        "account_tax_ids": None,
        "amount_due": r["amount_due"],
        "amount_overpaid": 0,
        "amount_paid": r["amount_paid"],
        "amount_remaining": r["amount_remaining"],
        "amount_shipping": 0,
        "application": None,
        "attempt_count": r["attempt_count"],
        "attempted": r["attempted"],
        "auto_advance": r["status"] == "open",
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": r["billing_reason"],
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": r["created"],
        "currency": r["currency"],
        "custom_fields": None,
        "customer": r["customer"],
        "customer_account": None,
        "customer_address": None,
        "customer_email": r.get("customer_email"),
        "customer_name": r.get("customer_name"),
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": r.get("finalized_at"),
        "ending_balance": 0 if r.get("finalized_at") else None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": _invoice_lines(r, ctx),
        "livemode": False,
        "metadata": dict(r.get("metadata") or {}),
        "next_payment_attempt": r.get("next_payment_attempt"),
        "number": r.get("number"),
        "on_behalf_of": None,
        "parent": (
            {
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(r.get("subscription_metadata") or {}),
                    "subscription": subscription,
                },
                "type": "subscription_details",
            }
            if subscription
            else None
        ),
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": r["period_end"],
        "period_start": r["period_start"],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": r["status"],
        "status_transitions": {
            "finalized_at": r.get("finalized_at"),
            "marked_uncollectible_at": None,
            "paid_at": r.get("paid_at"),
            "voided_at": None,
        },
        "subtotal": r["amount_due"],
        "subtotal_excluding_tax": r["amount_due"],
        "test_clock": None,
        "total": r["amount_due"],
        "total_discount_amounts": [],
        "total_excluding_tax": r["amount_due"],
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": r.get("finalized_at"),
    }


def render_invoice_payment(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return {
        "id": r["id"],
        "object": "invoice_payment",
        "amount_paid": r.get("amount_paid"),
        "amount_requested": r["amount_requested"],
        "created": r["created"],
        "currency": r["currency"],
        "invoice": r["invoice"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": r["payment_intent"], "type": "payment_intent"},
        "status": r["status"],
        "status_transitions": {"canceled_at": r.get("canceled_at"), "paid_at": r.get("paid_at")},
    }


def render_invoice_payments(r: Record, ctx: RenderContext) -> dict[str, Any]:
    payments = [ctx.render_id(payment_id) for payment_id in reversed(r["payments"])]
    return list_object(
        [p for p in payments if p is not None], f"/v1/invoice_payments?invoice={r['id']}"
    )


def render_charge_refunds(r: Record, ctx: RenderContext) -> dict[str, Any]:
    refunds = [ctx.render_id(refund_id) for refund_id in reversed(r["refunds"])]
    return list_object([x for x in refunds if x is not None], f"/v1/charges/{r['id']}/refunds")


# --- Events -------------------------------------------------------------------------------


def render_event(r: Record, ctx: RenderContext) -> dict[str, Any]:
    snapshot_ctx = RenderContext(ctx.store, r["created"], ctx.public_url)
    data: dict[str, Any] = {"object": snapshot_ctx.render(r["snapshot"])}
    if r.get("previous_attributes") is not None:
        data["previous_attributes"] = r["previous_attributes"]
    return {
        "id": r["id"],
        "object": "event",
        "api_version": API_VERSION,
        "created": r["created"],
        "data": data,
        "livemode": False,
        "pending_webhooks": 0 if r.get("_delivered") else r["pending_webhooks"],
        "request": {"id": r.get("request_id"), "idempotency_key": r.get("idempotency_key")},
        "type": r["type"],
    }


RENDERERS: dict[str, Callable[[Record, RenderContext], dict[str, Any]]] = {
    "balance_transaction": render_balance_transaction,
    "charge": render_charge,
    "checkout.session": render_checkout_session,
    "customer": render_customer,
    "dispute": render_dispute,
    "event": render_event,
    "invoice": render_invoice,
    "invoice_payment": render_invoice_payment,
    "payment_intent": render_payment_intent,
    "payout": render_payout,
    "price": render_price,
    "product": render_product,
    "refund": render_refund,
    "subscription": render_subscription,
}

#: Fields that Stripe leaves out unless they are named in ``expand``.
INCLUDABLE: dict[str, dict[str, Callable[[Record, RenderContext], dict[str, Any]]]] = {
    "invoice": {"payments": render_invoice_payments},
    "checkout.session": {"line_items": render_line_items},
    "charge": {"refunds": render_charge_refunds},
}


def expand(
    rendered: dict[str, Any], record: Record | None, paths: list[str], ctx: RenderContext
) -> dict[str, Any]:
    """Apply Stripe ``expand`` paths to a rendered object (in place) and return it."""
    for path in paths:
        parts = [part for part in path.split(".") if part]
        if not parts or len(parts) > 4 + parts.count("data"):
            raise invalid(f"Invalid expand path: {path}", param="expand")
        _walk(rendered, record, parts, path, ctx)
    return rendered


def _walk(node: Any, record: Record | None, parts: list[str], path: str, ctx: RenderContext):
    if not parts or node is None:
        return
    if isinstance(node, list):
        for element in node:
            _walk(element, None, parts, path, ctx)
        return
    if not isinstance(node, dict):
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    head, rest = parts[0], parts[1:]
    if node.get("object") == "list" and head == "data":
        for element in node["data"]:
            _walk(element, None, rest, path, ctx)
        return
    if head not in node:
        includable = INCLUDABLE.get(node.get("object", ""), {}).get(head)
        source = record if record is not None else ctx.store.get(node.get("id", ""))
        if includable is None or source is None:
            raise invalid(f"This property cannot be expanded ({head}).", param="expand")
        node[head] = includable(source, ctx)
    value = node[head]
    child_record = None
    if isinstance(value, str):
        child_record = ctx.store.get(value)
        if child_record is None or child_record["object"] == "event":
            raise invalid(f"This property cannot be expanded ({head}).", param="expand")
        value = node[head] = ctx.render(child_record)
    _walk(value, child_record, rest, path, ctx)
