"""Erasing what the fund no longer needs to keep, run by beat (``donations.tasks``):
donors' email addresses and names once their gift is over (card gifts and check or cash
gifts recorded with the donor's details), their free-text messages
after DONOR_MESSAGE_RETENTION_DAYS unless shown on the public wall, and the stored copies
of processed Stripe events. The audit log records counts, never who.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from donations.models import (
    Donation,
    DonationStatus,
    EventStatus,
    Frequency,
    OfflineGift,
    StripeEvent,
)
from donations.wall import ON_THE_WALL
from ledger.books.fund_time import fund_date
from ledger.books.posting import audit_record


def donor_data_erase(*, now: dt.datetime | None = None) -> int:
    """Erase the email address and name of donors whose gift is over: no charge for
    DONOR_DATA_RETENTION_DAYS (a one-time gift, a monthly gift stopped, a checkout never
    paid), long enough for the receipt and the year-end statement of the gift's year.
    A monthly gift still running keeps them: each month's receipt needs them. What
    remains is the gift itself (amount, dates, Stripe ids), which the books and
    reconciliation need, and what the donor chose to show on the public wall. Returns how
    many donations were erased; the audit log records the count, never who."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DONOR_DATA_RETENTION_DAYS)
    running = Q(frequency=Frequency.MONTHLY, status=DonationStatus.SUCCEEDED)
    candidates = (
        Donation.objects.filter(donor_data_erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(running)
        .exclude(charges__charged_at__gte=cutoff)
    )
    erased = erase_in_batches(
        candidates,
        {"email": "", "donor_name": "", "donor_data_erased_at": now},
        action="donations.donor_data_erased",
        details={"no_charge_since": cutoff.date().isoformat()},
    )
    return erased + offline_donor_data_erase(now=now)


def offline_donor_data_erase(*, now: dt.datetime | None = None) -> int:
    """The same rule for a check or cash gift recorded with the donor's details: their
    name and email are erased DONOR_DATA_RETENTION_DAYS after the day the gift was
    received (each offline gift is a gift of its own). Returns how many gifts."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DONOR_DATA_RETENTION_DAYS)
    received_before = fund_date(cutoff)
    candidates = OfflineGift.objects.filter(
        donor_data_erased_at__isnull=True, received_on__lt=received_before
    ).exclude(email="", donor_name="")
    return erase_in_batches(
        candidates,
        {"email": "", "donor_name": "", "donor_data_erased_at": now},
        action="donations.offline_donor_data_erased",
        details={"received_before": received_before.isoformat()},
        object_type="offline_gift",
    )


def stripe_events_trim(*, now: dt.datetime | None = None) -> int:
    """Erase the stored copy of events processed (or ignored) more than
    STRIPE_EVENT_RETENTION_DAYS ago: a Stripe event carries the donor's name, email and
    billing address, and once processed only its id, type and outcome matter (Stripe
    keeps the objects; reconciliation reads them from Stripe). Returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.STRIPE_EVENT_RETENTION_DAYS)
    done = (EventStatus.PROCESSED, EventStatus.IGNORED)
    trimmed = 0
    while True:
        pks = list(
            StripeEvent.objects.filter(status__in=done, processed_at__lt=cutoff)
            .exclude(payload={"trimmed": True})
            .values_list("pk", flat=True)[:1000]
        )
        if not pks:
            return trimmed
        trimmed += StripeEvent.objects.filter(pk__in=pks).update(payload={"trimmed": True})


def donor_messages_erase(*, now: dt.datetime | None = None) -> int:
    """Erase the free-text message of gifts made more than DONOR_MESSAGE_RETENTION_DAYS
    ago (a message may name the person the gift was for), unless the message is on the
    public donor wall: an approved entry keeps its message while it is shown, and loses it
    at the first run after it is taken down (or its gift stops being shown). A message
    still waiting for approval when the period ends is erased too. Returns how many
    messages were erased; the audit log records the count, never whose."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DONOR_MESSAGE_RETENTION_DAYS)
    candidates = (
        Donation.objects.filter(created_at__lt=cutoff).exclude(message="").exclude(ON_THE_WALL)
    )
    return erase_in_batches(
        candidates,
        {"message": ""},
        action="donations.donor_messages_erased",
        details={"given_before": cutoff.date().isoformat()},
    )


def erase_in_batches(
    candidates, values: dict, *, action: str, details: dict, object_type: str = "donation"
) -> int:
    """Set ``values`` on the rows ``candidates`` selects (donations, or offline gifts), a
    thousand per transaction with one audit row each (the count and ``details``, never
    whose); returns how many."""
    erased = 0
    while True:
        with transaction.atomic():
            pks = list(candidates.values_list("pk", flat=True)[:1000])
            if not pks:
                return erased
            count = candidates.model.objects.filter(pk__in=pks).update(**values)
            audit_record(
                actor=None,
                action=action,
                object_type=object_type,
                object_id="",
                details={"count": count, **details},
            )
            erased += count
