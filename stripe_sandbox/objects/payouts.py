"""Balance transactions and payouts as Stripe renders them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..store import Record
from .base import metadata, stripe_object

if TYPE_CHECKING:
    from . import RenderContext


def render_balance_transaction(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "balance_transaction",
        r,
        amount=r["amount"],
        available_on=r["available_on"],
        balance_type="payments",
        created=r["created"],
        currency=r["currency"],
        description=r.get("description"),
        exchange_rate=r.get("exchange_rate"),
        fee=r["fee"],
        fee_details=[dict(detail) for detail in r["fee_details"]],
        net=r["net"],
        reporting_category=r["reporting_category"],
        source=r.get("source"),
        status="available" if ctx.as_of >= r["available_on"] else "pending",
        type=r["type"],
    )


def render_payout(r: Record, ctx: RenderContext) -> dict[str, Any]:
    return stripe_object(
        "payout",
        r,
        amount=r["amount"],
        arrival_date=r["arrival_date"],
        automatic=r["automatic"],
        balance_transaction=r.get("balance_transaction"),
        created=r["created"],
        currency=r["currency"],
        description=r.get("description"),
        destination=r["destination"],
        failure_balance_transaction=r.get("failure_balance_transaction"),
        failure_code=r.get("failure_code"),
        failure_message=r.get("failure_message"),
        livemode=False,
        metadata=metadata(r),
        method="standard",
        reconciliation_status="completed" if r["automatic"] else "not_applicable",
        source_type="card",
        status=r["status"],
        trace_id={"status": "supported" if r["status"] == "paid" else "pending", "value": None},
        type="bank_account",
    )
