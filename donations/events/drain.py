"""Draining the stored events: claim a batch, process it, until none is left.

Charge events, the bulk of a surge, are recorded together (``donations.events.charges``);
the rest one by one (``donations.events.processing``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from donations.events.charges import record_charges
from donations.events.processing import CHARGE_EVENTS, stripe_event_process
from donations.intake.services import drain_flag_clear
from donations.models import (
    EventStatus,
    StripeEvent,
)

logger = logging.getLogger(__name__)

DRAIN_BATCH = 100


def stripe_events_claim(*, limit: int = DRAIN_BATCH) -> list[int]:
    """Claim received events, oldest first; concurrent drains claim disjoint batches. A
    claim older than STRIPE_EVENT_CLAIM_TIMEOUT seconds is taken again: its worker died
    (processing is idempotent, so a slow worker still at it costs time, never money)."""
    stale = timezone.now() - dt.timedelta(seconds=settings.STRIPE_EVENT_CLAIM_TIMEOUT)
    with transaction.atomic():
        pks = list(
            StripeEvent.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=EventStatus.RECEIVED)
                | Q(status=EventStatus.PROCESSING, claimed_at__lt=stale)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if pks:
            StripeEvent.objects.filter(pk__in=pks).update(
                status=EventStatus.PROCESSING, claimed_at=timezone.now()
            )
    return pks


def stripe_events_drain() -> int:
    """Process every received event; returns how many were taken. A retryable failure is
    handed to its own task with exponential backoff."""
    drain_flag_clear()
    taken = 0
    while True:
        pks = stripe_events_claim()
        if not pks:
            return taken
        taken += len(pks)
        _process_claimed(pks)


def _process_claimed(pks: list[int]) -> None:
    """Charge events are recorded together (``record_charges``); the rest, and any charge
    event of a batch that fails, one by one."""
    from donations.tasks import RETRYABLE, process_stripe_event

    events = list(
        StripeEvent.objects.filter(pk__in=pks).only("pk", "type", "payload").order_by("pk")
    )
    batched = [e for e in events if e.type in CHARGE_EVENTS]
    one_by_one = [e.pk for e in events if e.type not in CHARGE_EVENTS]
    if batched:
        try:
            _process_charge_events(batched)
        except Exception:  # noqa: BLE001 - each event then succeeds or fails on its own
            logger.warning("a batch of %s charge events fell back to one by one", len(batched))
            one_by_one = sorted(one_by_one + [e.pk for e in batched])
    for pk in one_by_one:
        try:
            stripe_event_process(event_pk=pk)
        except RETRYABLE:
            process_stripe_event.apply_async((pk,), countdown=2)
        except Exception:  # noqa: S110 - recorded on the event, listed for staff
            pass


def _process_charge_events(events: list[StripeEvent]) -> None:
    """The charges as their events carry them, recorded in one transaction; their balance
    transactions read in pages (``record_charges``)."""
    pks = [e.pk for e in events]
    StripeEvent.objects.filter(pk__in=pks).update(attempts=F("attempts") + 1)
    charges = [e.payload.get("data", {}).get("object", {}) for e in events]
    record_charges(charges, snapshot=True)
    StripeEvent.objects.filter(pk__in=pks).update(
        status=EventStatus.PROCESSED, processed_at=timezone.now(), last_error=""
    )
