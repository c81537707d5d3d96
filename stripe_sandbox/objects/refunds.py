"""Refunds and disputes as Stripe renders them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cards import DEFAULT_CARD
from ..cards import lookup as lookup_card
from ..store import Record
from .base import list_object, metadata, stripe_object

if TYPE_CHECKING:
    from . import RenderContext


def render_refund(r: Record, ctx: RenderContext) -> dict[str, Any]:
    charge = ctx.store.get(r["charge"]) or {}
    reference = r.get("destination_reference")
    failed = {}
    if r["status"] == "failed":
        failed = {
            "failure_balance_transaction": r.get("failure_balance_transaction"),
            "failure_reason": r.get("failure_reason"),
        }
    return stripe_object(
        "refund",
        r,
        amount=r["amount"],
        balance_transaction=r.get("balance_transaction"),
        charge=r["charge"],
        created=r["created"],
        currency=r["currency"],
        customer=charge.get("customer"),
        description=r.get("description"),
        destination_details={
            "card": {
                "reference": reference,
                "reference_status": "available" if reference else "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        metadata=metadata(r),
        payment_intent=r.get("payment_intent"),
        payment_method=charge.get("payment_method"),
        reason=r.get("reason"),
        status=r["status"],
        **failed,
    )


def render_charge_refunds(r: Record, ctx: RenderContext) -> dict[str, Any]:
    refunds = [ctx.render_id(refund_id) for refund_id in reversed(r["refunds"])]
    return list_object([x for x in refunds if x is not None], f"/v1/charges/{r['id']}/refunds")


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


def render_dispute(r: Record, ctx: RenderContext) -> dict[str, Any]:
    charge = ctx.store.get(r["charge"]) or {}
    brand = lookup_card(charge.get("card", DEFAULT_CARD)).brand
    transactions = [ctx.render_id(txn) for txn in r["balance_transactions"]]
    return stripe_object(
        "dispute",
        r,
        amount=r["amount"],
        balance_transactions=[txn for txn in transactions if txn is not None],
        charge=r["charge"],
        created=r["created"],
        currency=r["currency"],
        enhanced_eligibility_types=[],
        evidence={**dict.fromkeys(_EVIDENCE_FIELDS), "enhanced_evidence": {}},
        evidence_details={
            "due_by": r["due_by"],
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": ctx.as_of > r["due_by"] and r["status"] == "needs_response",
            "submission_count": 0,
        },
        is_charge_refundable=False,
        livemode=False,
        metadata=metadata(r),
        network_reason_code="10.4",
        payment_intent=r.get("payment_intent"),
        payment_method_details={
            "card": {
                "brand": brand,
                "case_type": "chargeback",
                "network": brand,
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        reason=r["reason"],
        status=r["status"],
    )


def render_early_fraud_warning(r: Record, ctx: RenderContext) -> dict[str, Any]:
    """https://docs.stripe.com/api/radar/early_fraud_warnings/object"""
    return stripe_object(
        "radar.early_fraud_warning",
        r,
        actionable=r["actionable"],
        charge=r["charge"],
        created=r["created"],
        fraud_type=r["fraud_type"],
        livemode=False,
        payment_intent=r.get("payment_intent"),
    )
