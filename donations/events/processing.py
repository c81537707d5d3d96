"""Processing one stored Stripe event into donations, charges and the books.

Stripe delivers events at least once, in any order, for days. So processing never trusts
an event's snapshot where order matters: a handler re-reads the object from Stripe, then
records what is true now. Two kinds of event are the exception, and together they are the
bulk of a surge: a charge that succeeded stays succeeded, so its snapshot is recorded as it
came (refunds and disputes, which do change a charge, have their own events that read it
again), and its money is read in pages (``donations.events.balance_feed``) within
Stripe's rate limits; a Checkout Session's events all come from its final states.

Money reaches the books only from balance transactions (``donations.events.posting``),
under keys derived from their ids, so a duplicate, a retry or a reconciliation run can
never post the same money twice.

Reads from Stripe happen outside database transactions; each write is atomic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from donations import stripe_gateway
from donations.events.charges import (
    charge_settled,
    charges_link,
    donation_for,
    donation_of_invoice,
    record_charges,
    record_invoice,
)
from donations.events.posting import payout_settlement_entries, post_balance_transaction
from donations.events.risk import handle_early_fraud_warning, handle_review
from donations.exceptions import (
    StripeObjectMissing,
)
from donations.intake.services import schedule_drain
from donations.models import (
    Donation,
    DonationStatus,
    EventStatus,
    Frequency,
    StripeCharge,
    StripeEvent,
)
from donations.retention.privacy import error_text
from ledger.books.posting import audit_record, entry_post
from ledger.staff.roles import Capability, require

logger = logging.getLogger(__name__)


def stripe_event_process(*, event_pk: int) -> str:
    """Process one stored event; returns its final status. Raises on a retryable failure
    after recording it on the event."""
    # Counting the attempt first means a worker that dies mid-way still leaves a trace.
    # Two workers may process the same event at once (a duplicate task): every write
    # below is idempotent, so that costs time, never money.
    started = (
        StripeEvent.objects.filter(pk=event_pk)
        .exclude(status__in=(EventStatus.PROCESSED, EventStatus.IGNORED))
        .update(attempts=F("attempts") + 1)
    )
    event = StripeEvent.objects.only("event_id", "type", "payload", "status").get(pk=event_pk)
    if not started:
        return event.status
    handler = HANDLERS.get(event.type)
    if handler is None:
        StripeEvent.objects.filter(pk=event_pk).update(
            status=EventStatus.IGNORED, processed_at=timezone.now(), last_error=""
        )
        return EventStatus.IGNORED
    try:
        handler(event.payload.get("data", {}).get("object", {}))
    except Exception as error:
        StripeEvent.objects.filter(pk=event_pk).update(
            status=EventStatus.FAILED, last_error=error_text(error)
        )
        logger.warning(
            "stripe event %s (%s) failed: %s", event.event_id, event.type, type(error).__name__
        )
        raise
    StripeEvent.objects.filter(pk=event_pk).update(
        status=EventStatus.PROCESSED, processed_at=timezone.now(), last_error=""
    )
    return EventStatus.PROCESSED


def stripe_event_retry(*, event: StripeEvent, actor) -> None:
    """Staff asks for a failed event to be processed again: it rejoins the queue."""
    require(actor, Capability.RECONCILE)
    with transaction.atomic():
        StripeEvent.objects.filter(pk=event.pk).update(status=EventStatus.RECEIVED)
        audit_record(
            actor=actor,
            action="stripe_event.retry",
            object_type="stripe_event",
            object_id=event.event_id,
            details={"type": event.type},
        )
        transaction.on_commit(schedule_drain)


def _handle_charge(obj: dict) -> None:
    record_charges([obj], snapshot=True)


def _handle_checkout_session(obj: dict, *, payment_failed: bool = False) -> None:
    """A session as its event carries it: every session event comes from a final state
    (complete or expired, https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-status),
    so no snapshot of one can be outdated by another, and nothing is read from Stripe but
    the receipt address of an anonymous gift.

    The charge of a paid session is recorded by its own event, which names the donation in
    its metadata; monthly charges by their invoice's event. Rows already here for the
    session's payment (or first invoice) are linked now."""
    session = obj
    donation = donation_for(session.get("metadata"))
    if donation is None:
        return  # a session we did not create (a payment link): its charge is still posted
    stripped = session.get("status") == "complete" and not session.get("customer_details")
    if stripped and not donation.email:
        # The stored copy of an anonymous gift's event has no personal details
        # (``donations.retention.privacy``): the receipt's address is read once.
        session = stripe_gateway.retrieve_checkout_session(session["id"])
    details = session.get("customer_details") or {}
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
        fields = {
            "checkout_session_id": session["id"],
            "customer_id": stripe_gateway.object_id(session.get("customer")),
            "subscription_id": stripe_gateway.object_id(session.get("subscription")),
        }
        if details.get("email") and not donation.email:
            fields["email"] = details["email"]
        if details.get("name") and not donation.anonymous:
            fields["donor_name"] = details["name"][:120]
        open_states = (DonationStatus.CREATED, DonationStatus.PENDING)
        if session.get("status") == "expired" and donation.status in open_states:
            fields["status"] = DonationStatus.EXPIRED
        elif payment_failed and donation.status in open_states:
            fields["status"] = DonationStatus.FAILED
        for name, value in fields.items():
            setattr(donation, name, value)
        donation.save(update_fields=[*fields, "updated_at"])
        if session.get("payment_status") == "paid":
            charges_link(
                donation,
                payment_intent_id=stripe_gateway.object_id(session.get("payment_intent")),
                invoice_id=stripe_gateway.object_id(session.get("invoice")),
            )


def _handle_async_payment_failed(obj: dict) -> None:
    """The bank debit a completed session started did not go through: the gift failed
    (https://docs.stripe.com/checkout/fulfillment#delayed-notification)."""
    _handle_checkout_session(obj, payment_failed=True)


def _handle_invoice(obj: dict) -> None:
    record_invoice(obj["id"], None)


def _handle_subscription(obj: dict) -> None:
    try:
        subscription = stripe_gateway.retrieve_subscription(obj["id"])
    except StripeObjectMissing:
        subscription = obj
    donation = Donation.objects.filter(subscription_id=subscription["id"]).first() or (
        donation_for(subscription.get("metadata"))
    )
    if donation is None:
        return
    status = subscription.get("status")
    running = Donation.objects.filter(pk=donation.pk).exclude(status=DonationStatus.CANCELLED)
    if status in ("canceled", "incomplete_expired"):
        running.update(status=DonationStatus.CANCELLED, subscription_id=subscription["id"])
    elif status in ("past_due", "unpaid"):
        running.update(status=DonationStatus.PAST_DUE, subscription_id=subscription["id"])
    elif status == "active" and donation.status == DonationStatus.PAST_DUE:
        # The card was fixed and the renewal paid (the subscription, read just now, says so).
        running.update(status=DonationStatus.SUCCEEDED, subscription_id=subscription["id"])
    elif not donation.subscription_id:
        Donation.objects.filter(pk=donation.pk).update(subscription_id=subscription["id"])


def _handle_refund(obj: dict) -> None:
    refund = stripe_gateway.retrieve_refund(obj["id"])
    for field in ("balance_transaction", "failure_balance_transaction"):
        _post(refund.get(field))
    if refund.get("charge"):
        charge = stripe_gateway.retrieve_charge(stripe_gateway.object_id(refund["charge"]))
        _charge_changed(charge["id"], amount_refunded=charge.get("amount_refunded", 0))


def _post(balance_transaction: dict | str | None) -> None:
    bt = stripe_gateway.balance_transaction(balance_transaction)
    if bt:
        post_balance_transaction(bt)


def _charge_changed(charge_id: str, **fields) -> None:
    """Record what Stripe now says of a charge we hold, then what follows from it."""
    record = StripeCharge.objects.filter(charge_id=charge_id).first()
    if record is None:
        return
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=list(fields))
    charge_settled(record)


def _handle_dispute(obj: dict) -> None:
    dispute = stripe_gateway.retrieve_dispute(obj["id"])
    for bt in dispute.get("balance_transactions") or []:
        _post(bt)
    _charge_changed(stripe_gateway.object_id(dispute.get("charge")), disputed=True)


def _handle_payout(obj: dict) -> None:
    """A payout leaves Stripe's balance when it is created (its balance transaction) for
    payouts in transit, reaches the bank when it is paid, and comes back if it fails or
    is cancelled (``donations.events.posting.payout_settlement_entries``)."""
    payout = stripe_gateway.retrieve_payout(obj["id"])
    fields = ["balance_transaction"]
    if payout.get("status") in ("failed", "canceled"):
        fields.append("failure_balance_transaction")
    for field in fields:
        _post(payout.get(field))
    for entry in payout_settlement_entries(payout):
        entry_post(entry)


def _renewal_not_taken(obj: dict, *, action_required: bool) -> None:
    """A monthly gift's renewal did not go through: declined, or waiting for the donor's
    bank to confirm it (https://docs.stripe.com/billing/subscriptions/overview#failed-payments).
    Nothing moved. The gift shows as past due and its donor is told once per invoice how
    to fix the card; the invoice is read first, as a later event may have paid it."""
    invoice = stripe_gateway.retrieve_invoice(obj["id"])
    if invoice.get("status") != "open" or invoice.get("billing_reason") != "subscription_cycle":
        return  # paid or voided since; or a first payment, which the donor saw at Checkout
    donation = donation_of_invoice(invoice)
    if donation is None or donation.frequency != Frequency.MONTHLY:
        return
    with transaction.atomic():
        marked = (
            Donation.objects.filter(pk=donation.pk)
            .exclude(status=DonationStatus.CANCELLED)
            .update(status=DonationStatus.PAST_DUE)
        )
        if marked:
            from donations.tasks import send_renewal_notice

            # What the notice needs, from the invoice just read: the task asks Stripe nothing.
            fields = ("id", "amount_due", "hosted_invoice_url", "next_payment_attempt")
            told = {name: invoice.get(name) for name in fields}
            transaction.on_commit(
                lambda: send_renewal_notice.delay(donation.pk, told, action_required)
            )


def _handle_renewal_failed(obj: dict) -> None:
    _renewal_not_taken(obj, action_required=False)


def _handle_renewal_action_required(obj: dict) -> None:
    _renewal_not_taken(obj, action_required=True)


# The bulk of a surge: the drain records these together (``donations.events.drain``).
CHARGE_EVENTS = frozenset({"charge.succeeded", "charge.updated", "charge.captured"})

HANDLERS: dict[str, Callable[[dict], None]] = {
    "checkout.session.completed": _handle_checkout_session,
    "checkout.session.async_payment_succeeded": _handle_checkout_session,
    "checkout.session.async_payment_failed": _handle_async_payment_failed,
    "checkout.session.expired": _handle_checkout_session,
    **dict.fromkeys(CHARGE_EVENTS, _handle_charge),
    "invoice.paid": _handle_invoice,
    "invoice.payment_succeeded": _handle_invoice,
    "invoice.payment_failed": _handle_renewal_failed,
    "invoice.payment_action_required": _handle_renewal_action_required,
    "customer.subscription.created": _handle_subscription,
    "customer.subscription.updated": _handle_subscription,
    "customer.subscription.deleted": _handle_subscription,
    "refund.created": _handle_refund,
    "refund.updated": _handle_refund,
    "refund.failed": _handle_refund,
    "charge.dispute.created": _handle_dispute,
    "charge.dispute.funds_withdrawn": _handle_dispute,
    "charge.dispute.funds_reinstated": _handle_dispute,
    "charge.dispute.closed": _handle_dispute,
    "charge.dispute.updated": _handle_dispute,
    "radar.early_fraud_warning.created": handle_early_fraud_warning,
    "radar.early_fraud_warning.updated": handle_early_fraud_warning,
    "review.opened": handle_review,
    "review.closed": handle_review,
    "payout.created": _handle_payout,
    "payout.updated": _handle_payout,
    "payout.paid": _handle_payout,
    "payout.failed": _handle_payout,
    "payout.canceled": _handle_payout,
}
