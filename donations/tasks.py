"""Celery tasks: thin doors that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from donations.exceptions import StripeUnavailable, UnprocessableEvent

RETRYABLE = (StripeUnavailable, UnprocessableEvent, OperationalError)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=RETRYABLE,
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def process_stripe_event(self, event_pk: int) -> str:
    """Process a stored Stripe event. Failures are recorded on the event and retried with
    exponential backoff; reconciliation replays whatever still failed after that."""
    from donations.events.processing import stripe_event_process

    return stripe_event_process(event_pk=event_pk)


@shared_task(acks_late=True)
def drain_stripe_events() -> int:
    """Process the stored events waiting in the database (scheduled by
    ``donations.intake.services.schedule_drain``)."""
    from donations.events.drain import stripe_events_drain

    return stripe_events_drain()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=5)
def send_receipt(charge_pk: int) -> bool:
    from donations.checkout.receipts import receipt_send

    return receipt_send(charge_pk=charge_pk)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=5)
def send_renewal_notice(donation_pk: int, invoice: dict, action_required: bool) -> bool:
    from donations.checkout.receipts import renewal_notice_send

    return renewal_notice_send(
        donation_pk=donation_pk, invoice=invoice, action_required=action_required
    )


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=5)
def send_refund_notice(charge_pk: int) -> bool:
    from donations.checkout.receipts import refund_notice_send

    return refund_notice_send(charge_pk=charge_pk)


@shared_task(acks_late=True)
def reconcile_stripe(kind: str = "all", full: bool = False) -> str:
    """Beat: run reconciliation steps (single-flight; a run already working makes this one
    record itself as skipped). A failed run is recorded and resumed by the next."""
    from donations.reconciliation.runs import reconcile_stripe as run_reconciliation

    return run_reconciliation(kind=kind, full=full, trigger="beat").status


@shared_task
def trim_stripe_events() -> int:
    """Beat: erase stored copies of events processed past the retention period."""
    from donations.retention.erasure import stripe_events_trim

    return stripe_events_trim()


@shared_task
def erase_donor_data() -> int:
    """Beat: erase donors' email addresses and names, and their messages, past their
    retention periods. Returns how many of each were erased, together."""
    from donations.retention.erasure import donor_data_erase, donor_messages_erase

    return donor_data_erase() + donor_messages_erase()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=5)
def send_donor_statements(year: int) -> int:
    """Start or resume the donors' year-end statements of ``year``; a worker that dies
    leaves the task to be delivered again, and it resumes where the run stopped, never
    emailing a donor twice. Returns how many were sent in all."""
    from donations.statements.sending import run_send

    return run_send(year).sent
