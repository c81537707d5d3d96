"""The public donor wall: opt-in names and messages, shown only after a person approved them.

A donor appears on the wall only if they ticked "show me on the donor wall", did not give
anonymously, their gift went through, and someone at the fund approved the entry (a
name or message can be abusive, or someone else's). Their amount appears only if they
chose to show it. No email, no date, no Stripe reference is ever shown: entries are
listed newest approval first, with nothing that ties a name to a day's books.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from donations.models import Donation, DonationStatus
from ledger.services import audit_record

WALL_LIMIT = 200
_SHOWN_STATUSES = (DonationStatus.SUCCEEDED, DonationStatus.CANCELLED)


def wall_entries(limit: int = WALL_LIMIT) -> list[dict]:
    """What the page shows: display name, message, and the amount only if chosen."""
    rows = (
        Donation.objects.filter(
            show_on_wall=True,
            anonymous=False,
            wall_approved_at__isnull=False,
            status__in=_SHOWN_STATUSES,
        )
        .order_by("-wall_approved_at", "-id")
        .values_list(
            "display_name", "message", "show_amount", "gift_amount", "currency", "frequency"
        )
    )[:limit]
    return [
        {
            "name": name,
            "message": message,
            "amount": amount if show_amount else None,
            "currency": currency,
            "monthly": frequency == "monthly",
        }
        for name, message, show_amount, amount, currency, frequency in rows
        if name or message
    ]


def _changed() -> None:
    from ledger.transparency import invalidate

    invalidate()


def wall_entries_approve(*, donations: QuerySet[Donation], actor) -> int:
    """Approve the entries of donors who asked to be on the wall; returns how many."""
    with transaction.atomic():
        chosen = list(
            donations.filter(show_on_wall=True, wall_approved_at__isnull=True).values_list(
                "pk", "public_id"
            )
        )
        Donation.objects.filter(pk__in=[pk for pk, _ in chosen]).update(
            wall_approved_at=timezone.now()
        )
        for _, public_id in chosen:
            audit_record(
                actor=actor,
                action="donation.wall_approved",
                object_type="donation",
                object_id=str(public_id),
                details={},
            )
        _changed()
    return len(chosen)


def wall_entries_remove(*, donations: QuerySet[Donation], actor) -> int:
    """Take entries off the wall (the donor asked, or it should not have been approved)."""
    with transaction.atomic():
        chosen = list(
            donations.filter(wall_approved_at__isnull=False).values_list("pk", "public_id")
        )
        Donation.objects.filter(pk__in=[pk for pk, _ in chosen]).update(
            show_on_wall=False, wall_approved_at=None
        )
        for _, public_id in chosen:
            audit_record(
                actor=actor,
                action="donation.wall_removed",
                object_type="donation",
                object_id=str(public_id),
                details={},
            )
        _changed()
    return len(chosen)
