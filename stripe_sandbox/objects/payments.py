"""Customers, charges and payment intents as Stripe renders them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cards import lookup as lookup_card
from ..store import Record
from .base import address, metadata, stripe_object

if TYPE_CHECKING:
    from . import RenderContext


def render_customer(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "customer",
        r,
        balance=0,
        created=r["created"],
        currency=r.get("currency"),
        delinquent=r.get("delinquent", False),
        email=r.get("email"),
        invoice_prefix=r["invoice_prefix"],
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": r.get("default_payment_method"),
            "footer": None,
            "rendering_options": None,
        },
        livemode=False,
        metadata=metadata(r),
        name=r.get("name"),
        next_invoice_sequence=r.get("next_invoice_sequence", 1),
        preferred_locales=[],
        tax_exempt="none",
    )


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
    failed = r["status"] == "failed"
    return {
        "advice_code": "try_again_later" if failed else None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network" if failed else "approved_by_network",
        "reason": (r.get("decline_code") or r.get("failure_code")) if failed else None,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": (
            "The bank did not return any further details with this decline."
            if failed
            else "Payment complete."
        ),
        "type": "issuer_declined" if failed else "authorized",
    }


def render_charge(r: Record, ctx: RenderContext) -> dict[str, Any]:
    status = r["status"]
    billing = r.get("billing") or {}
    return stripe_object(
        "charge",
        r,
        amount=r["amount"],
        amount_captured=r["amount"] if status == "succeeded" else 0,
        amount_refunded=r["amount_refunded"],
        balance_transaction=r.get("balance_transaction"),
        billing_details={
            "address": address(),
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": None,
            "tax_id": None,
        },
        calculated_statement_descriptor="BAIL FUND SANDBOX",
        captured=status != "failed",
        created=r["created"],
        currency=r["currency"],
        customer=r.get("customer"),
        description=r.get("description"),
        disputed=r["disputed"],
        failure_code=r.get("failure_code"),
        failure_message=r.get("failure_message"),
        fraud_details={},
        livemode=False,
        metadata=metadata(r),
        outcome=_outcome(r),
        paid=status == "succeeded",
        payment_intent=r.get("payment_intent"),
        payment_method=r.get("payment_method"),
        payment_method_details={"card": _card_details(r), "type": "card"},
        receipt_email=r.get("receipt_email"),
        receipt_url=f"{ctx.public_url}/receipts/{r['id']}",
        refunded=r["refunded"],
        status=status,
    )


def render_payment_intent(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "payment_intent",
        r,
        amount=r["amount"],
        amount_capturable=0,
        amount_details={"tip": {}},
        amount_received=r.get("amount_received", 0),
        canceled_at=r.get("canceled_at"),
        cancellation_reason=r.get("cancellation_reason"),
        capture_method="automatic_async",
        client_secret=f"{r['id']}_secret_{r['secret']}",
        confirmation_method="automatic",
        created=r["created"],
        currency=r["currency"],
        customer=r.get("customer"),
        description=r.get("description"),
        last_payment_error=r.get("last_payment_error"),
        latest_charge=r.get("latest_charge"),
        livemode=False,
        managed_payments={"enabled": False},
        metadata=metadata(r),
        payment_method=r.get("payment_method"),
        payment_method_options={
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        payment_method_types=["card"],
        processing={"type": "card"} if r["status"] == "processing" else None,
        receipt_email=r.get("receipt_email"),
        setup_future_usage=r.get("setup_future_usage"),
        status=r["status"],
    )
