"""Customers, charges and payment intents as Stripe renders them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..banks import BANK_NAME, ROUTING_NUMBER
from ..cards import lookup as lookup_card
from ..descriptors import ACCOUNT_DESCRIPTOR
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
        "three_d_secure": _three_d_secure(r),
        "transaction_link_id": None,
        "wallet": None,
    }


def _payment_method_details(r: Record) -> dict[str, Any]:
    account = r.get("bank_account")
    if not account:
        return {"card": _card_details(r), "type": "card"}
    return {
        "type": "us_bank_account",
        "us_bank_account": {
            "account_holder_type": "individual",
            "account_type": "checking",
            "bank_name": BANK_NAME,
            "expected_debit_date": None,
            "fingerprint": "sbxba" + account[-8:],
            "last4": account[-4:],
            "mandate": None,
            "payment_reference": None,
            "routing_number": ROUTING_NUMBER,
        },
    }


def _three_d_secure(r: Record) -> dict[str, Any] | None:
    """A card that asked for 3-D Secure, authenticated by the donor on the checkout page."""
    if not r.get("_three_d_secure"):
        return None
    return {
        "authentication_flow": "challenge",
        "electronic_commerce_indicator": "05",
        "exemption_indicator": None,
        "result": "authenticated",
        "result_reason": None,
        "transaction_id": "sbx3ds" + r["id"][-12:],
        "version": "2.2.0",
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
        calculated_statement_descriptor=r.get("_descriptor") or ACCOUNT_DESCRIPTOR,
        captured=status != "failed",
        created=r["created"],
        currency=r["currency"],
        customer=r.get("customer"),
        description=r.get("description"),
        disputed=r["disputed"],
        failure_balance_transaction=r.get("failure_balance_transaction"),
        failure_code=r.get("failure_code"),
        failure_message=r.get("failure_message"),
        fraud_details={},
        livemode=False,
        metadata=metadata(r),
        outcome=_outcome(r),
        paid=status == "succeeded",
        payment_intent=r.get("payment_intent"),
        payment_method=r.get("payment_method"),
        payment_method_details=_payment_method_details(r),
        receipt_email=r.get("receipt_email"),
        receipt_url=f"{ctx.public_url}/receipts/{r['id']}",
        refunded=r["refunded"],
        statement_descriptor=r.get("statement_descriptor"),
        statement_descriptor_suffix=r.get("statement_descriptor_suffix"),
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
        next_action=r.get("next_action"),
        payment_method=r.get("payment_method"),
        payment_method_options={
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        payment_method_types=list(r.get("payment_method_types") or ["card"]),
        processing=(
            {"type": "card"}
            if r["status"] == "processing"
            and not str(r.get("payment_method")).startswith("pm_usbank")
            else None
        ),
        receipt_email=r.get("receipt_email"),
        setup_future_usage=r.get("setup_future_usage"),
        statement_descriptor=r.get("statement_descriptor"),
        statement_descriptor_suffix=r.get("statement_descriptor_suffix"),
        status=r["status"],
    )
