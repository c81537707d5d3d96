"""Subscriptions, their items and plans, and invoices with their lines and payments.

In this API version an invoice reaches its subscription through
``parent.subscription_details`` and its payments through the includable ``payments``, and a
subscription's period lives on its item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..store import Record
from .base import list_object, metadata, stripe_object
from .checkout import render_price

if TYPE_CHECKING:
    from . import RenderContext


def render_plan(price: Record) -> dict[str, Any]:
    recurring = price.get("recurring") or {"interval": "month", "interval_count": 1}
    return stripe_object(
        "plan",
        price,
        active=True,
        amount=price["unit_amount"],
        amount_decimal=str(price["unit_amount"]),
        billing_scheme="per_unit",
        created=price["created"],
        currency=price["currency"],
        interval=recurring["interval"],
        interval_count=recurring["interval_count"],
        livemode=False,
        metadata=metadata(price),
        product=price["product"],
        usage_type="licensed",
    )


def render_subscription_item(sub: Record, ctx: RenderContext) -> dict[str, Any]:
    item = sub["item"]
    price = ctx.store.get(item["price"]) or {}
    return stripe_object(
        "subscription_item",
        item,
        billing_thresholds=None,
        created=item["created"],
        current_period_end=item["current_period_end"],
        current_period_start=item["current_period_start"],
        discounts=[],
        metadata=metadata(item),
        plan=render_plan(price) if price else None,
        price=render_price(price, ctx) if price else None,
        quantity=item["quantity"],
        subscription=sub["id"],
        tax_rates=[],
    )


def render_subscription(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "subscription",
        r,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=r["billing_cycle_anchor"],
        billing_mode={"flexible": None, "type": "classic"},
        billing_schedules=[],
        cancel_at=r.get("cancel_at"),
        cancel_at_period_end=r["cancel_at_period_end"],
        canceled_at=r.get("canceled_at"),
        cancellation_details={
            "comment": r.get("cancellation_comment"),
            "feedback": r.get("cancellation_feedback"),
            "reason": r.get("cancellation_reason"),
        },
        collection_method="charge_automatically",
        created=r["created"],
        currency=r["currency"],
        customer=r["customer"],
        default_payment_method=r.get("default_payment_method"),
        default_tax_rates=[],
        description=r.get("description"),
        discounts=[],
        ended_at=r.get("ended_at"),
        invoice_settings={
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        items=list_object(
            [render_subscription_item(r, ctx)],
            f"/v1/subscription_items?subscription={r['id']}",
        ),
        latest_invoice=r.get("latest_invoice"),
        livemode=False,
        managed_payments={"enabled": False},
        metadata=metadata(r),
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        start_date=r["start_date"],
        status=r["status"],
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
    )


def _invoice_lines(r: Record, ctx: RenderContext) -> dict[str, Any]:
    line = r["line"]
    price = ctx.store.get(line["price"]) or {}
    rendered = stripe_object(
        "line_item",
        line,
        amount=line["amount"],
        currency=r["currency"],
        description=line["description"],
        discount_amounts=[],
        discountable=True,
        discounts=[],
        invoice=r["id"],
        livemode=False,
        metadata={},
        parent={
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
        period={"end": line["period_end"], "start": line["period_start"]},
        pretax_credit_amounts=[],
        pricing={
            "price_details": {"price": line["price"], "product": price.get("product")},
            "type": "price_details",
            "unit_amount_decimal": str(price.get("unit_amount", line["amount"])),
        },
        quantity=line["quantity"],
        quantity_decimal=str(line["quantity"]),
        subscription=r.get("subscription"),
        subtotal=line["amount"],
        taxes=[],
    )
    return list_object([rendered], f"/v1/invoices/{r['id']}/lines")


def _invoice_parent(r: Record) -> dict[str, Any] | None:
    if not r.get("subscription"):
        return None
    return {
        "quote_details": None,
        "subscription_details": {
            "metadata": dict(r.get("subscription_metadata") or {}),
            "subscription": r["subscription"],
        },
        "type": "subscription_details",
    }


def render_invoice(r: Record, ctx: RenderContext) -> dict[str, Any]:
    amount_due = r["amount_due"]
    return stripe_object(
        "invoice",
        r,
        account_country="US",
        account_name="Bail Fund Sandbox",
        amount_due=amount_due,
        amount_overpaid=0,
        amount_paid=r["amount_paid"],
        amount_remaining=r["amount_remaining"],
        amount_shipping=0,
        attempt_count=r["attempt_count"],
        attempted=r["attempted"],
        auto_advance=r["status"] == "open",
        automatic_tax={
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        billing_reason=r["billing_reason"],
        collection_method="charge_automatically",
        created=r["created"],
        currency=r["currency"],
        customer=r["customer"],
        customer_email=r.get("customer_email"),
        customer_name=r.get("customer_name"),
        customer_tax_exempt="none",
        customer_tax_ids=[],
        default_tax_rates=[],
        discounts=[],
        effective_at=r.get("finalized_at"),
        ending_balance=0 if r.get("finalized_at") else None,
        # Where the customer can see and pay it (https://docs.stripe.com/invoicing/hosted-invoice-page);
        # null until the invoice is finalized.
        hosted_invoice_url=f"{ctx.public_url}/i/{r['id']}" if r.get("finalized_at") else None,
        issuer={"type": "self"},
        lines=_invoice_lines(r, ctx),
        livemode=False,
        metadata=metadata(r),
        next_payment_attempt=r.get("next_payment_attempt"),
        number=r.get("number"),
        parent=_invoice_parent(r),
        payment_settings={
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        period_end=r["period_end"],
        period_start=r["period_start"],
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        starting_balance=0,
        status=r["status"],
        status_transitions={
            "finalized_at": r.get("finalized_at"),
            "marked_uncollectible_at": None,
            "paid_at": r.get("paid_at"),
            "voided_at": None,
        },
        subtotal=amount_due,
        subtotal_excluding_tax=amount_due,
        total=amount_due,
        total_discount_amounts=[],
        total_excluding_tax=amount_due,
        total_pretax_credit_amounts=[],
        total_taxes=[],
        webhooks_delivered_at=r.get("finalized_at"),
    )


def render_invoice_payment(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "invoice_payment",
        r,
        amount_paid=r.get("amount_paid"),
        amount_requested=r["amount_requested"],
        created=r["created"],
        currency=r["currency"],
        invoice=r["invoice"],
        is_default=True,
        livemode=False,
        payment={"payment_intent": r["payment_intent"], "type": "payment_intent"},
        status=r["status"],
        status_transitions={"canceled_at": r.get("canceled_at"), "paid_at": r.get("paid_at")},
    )


def render_invoice_payments(r: Record, ctx: RenderContext) -> dict[str, Any]:
    payments = [ctx.render_id(payment_id) for payment_id in reversed(r["payments"])]
    return list_object(
        [p for p in payments if p is not None], f"/v1/invoice_payments?invoice={r['id']}"
    )
