"""Stripe's warnings about a payment: early fraud warnings and Radar reviews.

An early fraud warning says a card network expects the charge to be disputed as fraud.
Refunding it first avoids the dispute and its fee
(https://docs.stripe.com/disputes/prevention/early-fraud-warnings), which is what
``EARLY_FRAUD_WARNING_ACTION=refund`` (the default) does; ``review`` lists it for staff
instead. A Radar review (https://docs.stripe.com/radar/reviews) is listed for staff while
it is open.
"""

from __future__ import annotations

import logging

from django.conf import settings

from donations import stripe_gateway
from donations.reconciliation.discrepancies import discrepancies_agreed, discrepancy_open

logger = logging.getLogger(__name__)


def handle_early_fraud_warning(obj: dict) -> None:
    warning = stripe_gateway.retrieve_early_fraud_warning(obj["id"])
    charge_id = stripe_gateway.object_id(warning.get("charge"))
    if not warning.get("actionable") or not charge_id:
        return  # already refunded or disputed: nothing left to do
    if settings.EARLY_FRAUD_WARNING_ACTION == "refund":
        # Its refund events post the books and correct the donor's receipt.
        stripe_gateway.create_refund(
            charge_id=charge_id, reason="fraudulent", idempotency_key=f"efw:{warning['id']}"
        )
        logger.info("refunded a charge after an early fraud warning")
        return
    discrepancy_open(
        kind="early_fraud_warning",
        stripe_object=charge_id,
        expected=None,
        found=None,
        description=(
            f"A card network warned that this charge may be fraud ({warning.get('fraud_type')}):"
            " refund it in Stripe's dashboard to avoid a dispute and its fee."
        ),
    )


def handle_review(obj: dict) -> None:
    charge_id = stripe_gateway.object_id(obj.get("charge"))
    if not charge_id:
        return
    if obj.get("open"):
        discrepancy_open(
            kind="radar_review",
            stripe_object=charge_id,
            expected=None,
            found=None,
            description=f"Stripe Radar holds this charge for review ({obj.get('reason')}).",
        )
    else:
        discrepancies_agreed(
            run=None,
            kind="radar_review",
            stripe_object=charge_id,
            note=f"Stripe closed the review ({obj.get('closed_reason') or obj.get('reason')}).",
        )
