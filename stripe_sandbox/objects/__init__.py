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

One module per resource renders its objects (``checkout``, ``payments``, ``refunds``,
``subscriptions``, ``payouts``), all through ``base.stripe_object``; this module holds the
registry of renderers, events, and ``expand``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import invalid
from ..store import ObjectStore, Record
from .base import list_object
from .checkout import render_checkout_session, render_line_items, render_price, render_product
from .payments import render_charge, render_customer, render_payment_intent
from .payouts import render_balance_transaction, render_payout
from .portal import render_portal_session
from .refunds import (
    render_charge_refunds,
    render_dispute,
    render_early_fraud_warning,
    render_refund,
)
from .subscriptions import (
    render_invoice,
    render_invoice_payment,
    render_invoice_payments,
    render_subscription,
)

__all__ = ["API_VERSION", "RenderContext", "expand", "list_object"]

API_VERSION = "2026-10-28.endive"

Renderer = Callable[[Record, "RenderContext"], dict[str, Any]]


class RenderContext:
    """What a renderer needs besides the record: other records, time and public URL."""

    def __init__(self, store: ObjectStore, as_of: int, public_url: str) -> None:
        self.store = store
        self.as_of = as_of
        self.public_url = public_url

    def at(self, as_of: int) -> RenderContext:
        """The same context at another moment."""
        return RenderContext(self.store, as_of, self.public_url)

    def render(self, record: Record) -> dict[str, Any]:
        return RENDERERS[record["object"]](record, self)

    def render_id(self, object_id: str | None) -> dict[str, Any] | None:
        if object_id is None:
            return None
        record = self.store.get(object_id)
        return None if record is None else self.render(record)


def render_event(r: Record, ctx: RenderContext) -> dict[str, Any]:
    data: dict[str, Any] = {"object": ctx.at(r["created"]).render(r["snapshot"])}
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


RENDERERS: dict[str, Renderer] = {
    "balance_transaction": render_balance_transaction,
    "billing_portal.session": render_portal_session,
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
    "radar.early_fraud_warning": render_early_fraud_warning,
    "refund": render_refund,
    "subscription": render_subscription,
}

#: Fields that Stripe leaves out unless they are named in ``expand``.
INCLUDABLE: dict[str, dict[str, Renderer]] = {
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
