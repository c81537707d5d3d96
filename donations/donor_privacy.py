"""What is kept of donors beyond the receipt data (whose erasure is
``donations.services.donor_data_erase``), and for how long.

* A donor's free-text message is erased DONOR_MESSAGE_RETENTION_DAYS after the gift,
  unless it is on the public donor wall (``donor_messages_erase``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from donations.models import Donation
from donations.wall import ON_THE_WALL
from ledger.services import audit_record


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
    erased = 0
    while True:
        with transaction.atomic():
            pks = list(candidates.values_list("pk", flat=True)[:1000])
            if not pks:
                break
            count = Donation.objects.filter(pk__in=pks).update(message="")
            audit_record(
                actor=None,
                action="donations.donor_messages_erased",
                object_type="donation",
                object_id="",
                details={"count": count, "given_before": cutoff.date().isoformat()},
            )
            erased += count
    return erased
