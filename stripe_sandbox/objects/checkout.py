"""Checkout Sessions, their line items, and the products and prices they are made of."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..store import Record
from .base import address, list_object, metadata, stripe_object

if TYPE_CHECKING:
    from . import RenderContext


def render_product(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "product",
        r,
        active=r.get("active", True),
        created=r["created"],
        default_price=r.get("default_price"),
        description=r.get("description"),
        images=[],
        livemode=False,
        marketing_features=[],
        metadata=metadata(r),
        name=r["name"],
        statement_descriptor=r.get("statement_descriptor"),
        type="service",
        updated=r["created"],
    )


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
    return stripe_object(
        "price",
        r,
        active=True,
        billing_scheme="per_unit",
        created=r["created"],
        currency=r["currency"],
        livemode=False,
        metadata=metadata(r),
        product=r["product"],
        recurring=_recurring(r),
        tax_behavior="unspecified",
        type="recurring" if r.get("recurring") else "one_time",
        unit_amount=r["unit_amount"],
        unit_amount_decimal=str(r["unit_amount"]),
    )


def render_line_items(r: Record, ctx: RenderContext) -> dict[str, Any]:
    items = []
    for item in r["line_items"]:
        price = ctx.store.get(item["price"]) or {}
        amount = price.get("unit_amount", 0) * item["quantity"]
        items.append(
            stripe_object(
                "item",
                item,
                adjustable_quantity=None,
                amount_discount=0,
                amount_subtotal=amount,
                amount_tax=0,
                amount_total=amount,
                currency=price.get("currency", r["currency"]),
                description=item["description"],
                metadata={},
                price=render_price(price, ctx) if price else None,
                quantity=item["quantity"],
            )
        )
    return list_object(items, f"/v1/checkout/sessions/{r['id']}/line_items")


def _customer_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details:
        return None
    return {
        "address": address(),
        "business_name": None,
        "email": details.get("email"),
        "individual_name": None,
        "name": details.get("name"),
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def _invoice_creation(payment_mode: bool) -> dict[str, Any] | None:
    if not payment_mode:
        return None
    return {
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


def render_checkout_session(r: Record, ctx: RenderContext) -> dict[str, Any]:
    payment_mode = r["mode"] == "payment"
    complete = r["status"] == "complete"
    return stripe_object(
        "checkout.session",
        r,
        adaptive_pricing={"enabled": False},
        amount_subtotal=r["amount_subtotal"],
        amount_total=r["amount_total"],
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        billing_address_collection=r.get("billing_address_collection"),
        cancel_url=r.get("cancel_url"),
        client_reference_id=r.get("client_reference_id"),
        collected_information=(
            {"business_name": None, "individual_name": None, "shipping_details": None}
            if complete
            else None
        ),
        created=r["created"],
        currency=r["currency"],
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer=r.get("customer"),
        customer_creation=r.get("customer_creation"),
        customer_details=_customer_details(r.get("customer_details")),
        customer_email=r.get("customer_email"),
        discounts=[],
        expires_at=r["expires_at"],
        invoice=r.get("invoice"),
        invoice_creation=_invoice_creation(payment_mode),
        livemode=False,
        locale=r.get("locale"),
        managed_payments={"enabled": False},
        metadata=metadata(r),
        mode=r["mode"],
        payment_intent=r.get("payment_intent"),
        payment_method_collection=None if payment_mode else "always",
        payment_method_options={"card": {"request_three_d_secure": "automatic"}},
        payment_method_types=r.get("payment_method_types") or ["card"],
        payment_status=r["payment_status"],
        phone_number_collection={"enabled": False},
        shipping_options=[],
        status=r["status"],
        submit_type=r.get("submit_type"),
        subscription=r.get("subscription"),
        success_url=r.get("success_url"),
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode="hosted_page",
        url=f"{ctx.public_url}/checkout/{r['id']}" if r["status"] == "open" else None,
    )
