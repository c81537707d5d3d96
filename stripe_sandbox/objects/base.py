"""What every rendered object shares: Stripe's envelope, the fields left null, lists, metadata."""

from __future__ import annotations

from typing import Any

from ..store import Record

#: Fields of charges and payment intents for Connect, Radar, shipping and statements.
_PAYMENT_EXTRAS = [
    "application",
    "application_fee_amount",
    "on_behalf_of",
    "review",
    "shipping",
    "source",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_data",
    "transfer_group",
]

#: Per object, the fields the sandbox does not model: always present, always null, as
#: Stripe gives them for a plain card payment in a US account.
UNMODELLED: dict[str, list[str]] = {
    "charge": [
        *_PAYMENT_EXTRAS,
        "application_fee",
        "failure_balance_transaction",
        "receipt_number",
        "source_transfer",
    ],
    "checkout.session": [
        "after_expiration",
        "allow_promotion_codes",
        "client_secret",
        "consent",
        "consent_collection",
        "currency_conversion",
        "customer_account",
        "integration_identifier",
        "origin_context",
        "payment_link",
        "payment_method_configuration_details",
        "permissions",
        "recovered_from",
        "saved_payment_method_options",
        "setup_intent",
        "shipping_address_collection",
        "shipping_cost",
        "wallet_options",
    ],
    "customer": [
        "address",
        "default_source",
        "description",
        "discount",
        "phone",
        "shipping",
        "test_clock",
    ],
    "invoice": [
        "account_tax_ids",
        "application",
        "automatically_finalizes_at",
        "confirmation_secret",
        "custom_fields",
        "customer_account",
        "customer_address",
        "customer_phone",
        "customer_shipping",
        "default_payment_method",
        "default_source",
        "description",
        "due_date",
        "footer",
        "from_invoice",
        "invoice_pdf",
        "last_finalization_error",
        "latest_revision",
        "on_behalf_of",
        "receipt_number",
        "rendering",
        "shipping_cost",
        "shipping_details",
        "statement_descriptor",
        "test_clock",
    ],
    "payment_intent": [
        *_PAYMENT_EXTRAS,
        "automatic_payment_methods",
        "customer_account",
        "excluded_payment_method_types",
        "next_action",
        "payment_method_configuration_details",
    ],
    "payout": [
        "application_fee",
        "application_fee_amount",
        "original_payout",
        "payout_method",
        "reversed_by",
        "statement_descriptor",
    ],
    "plan": [
        "meter",
        "nickname",
        "tiers_mode",
        "transform_usage",
        "trial_period_days",
    ],
    "price": [
        "custom_unit_amount",
        "lookup_key",
        "nickname",
        "tiers_mode",
        "transform_quantity",
    ],
    "product": [
        "package_dimensions",
        "shippable",
        "statement_descriptor",
        "tax_code",
        "unit_label",
        "url",
    ],
    "refund": [
        "customer_account",
        "receipt_number",
        "source_transfer_reversal",
        "transfer_reversal",
    ],
    "subscription": [
        "application",
        "application_fee_percent",
        "billing_cycle_anchor_config",
        "billing_thresholds",
        "customer_account",
        "days_until_due",
        "default_source",
        "next_pending_invoice_item_invoice",
        "on_behalf_of",
        "pause_collection",
        "pending_invoice_item_interval",
        "pending_setup_intent",
        "pending_update",
        "schedule",
        "test_clock",
        "transfer_data",
        "trial_end",
        "trial_start",
    ],
}


def stripe_object(kind: str, r: Record, **fields: Any) -> dict[str, Any]:
    """An object as Stripe sends it: ``id`` and ``object`` first, then the fields in
    alphabetical order, with the kind's :data:`UNMODELLED` fields null."""
    for name in UNMODELLED.get(kind, ()):
        fields.setdefault(name, None)
    return {"id": r["id"], "object": kind, **{name: fields[name] for name in sorted(fields)}}


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def metadata(r: Record) -> dict[str, str]:
    return dict(r.get("metadata") or {})


def address() -> dict[str, None]:
    """An address with every field unknown."""
    return dict.fromkeys(["city", "country", "line1", "line2", "postal_code", "state"])
