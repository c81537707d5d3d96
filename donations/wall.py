"""The public donor wall: opt-in names and messages, shown only after a person approved them.

A donor appears on the wall only if they ticked "show me on the donor wall", did not give
anonymously, their gift went through, and someone at the fund approved the entry (a
name or message can be abusive, or someone else's). Their amount appears only if they
chose to show it. No email, no date, no Stripe reference is ever shown: entries are
listed newest approval first, with nothing that ties a name to a day's books.

What donors type for the wall is plain text (``wall_text``): the form cleans it before it
is stored, and the wall cleans it again before showing it.

Approving and removing entries needs ``moderate_wall`` (``ledger.staff.roles``), checked
here and by the staff page (``donations.wall_views``) and the Django admin's actions.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from donations.models import Donation, DonationStatus
from ledger.books.posting import audit_record
from ledger.public.transparency import forget
from ledger.staff.roles import Capability, require

WALL_LIMIT = 200
_SHOWN_STATUSES = (DonationStatus.SUCCEEDED, DonationStatus.CANCELLED)
# Asked for, not anonymous, and paid: the wall shows these once approved (ON_THE_WALL);
# until then they wait for a person to read them (WAITING).
_ASKED_AND_PAID = {"show_on_wall": True, "anonymous": False, "status__in": _SHOWN_STATUSES}
ON_THE_WALL = Q(**_ASKED_AND_PAID, wall_approved_at__isnull=False)
WAITING = Q(**_ASKED_AND_PAID, wall_approved_at__isnull=True)

_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KEPT_CONTROLS = frozenset("\t\n\r")


def wall_text(text: str) -> str:
    """A display name or message as plain text: without control characters (tabs and line
    breaks stay) and without invisible formatting characters (Unicode category Cf: zero
    width spaces and joiners, bidirectional embeddings, overrides and isolates, the byte
    order mark), which can hide words from the person approving an entry or make the wall
    show text in another order than it was read. Surrounding spaces are trimmed. HTML is
    not touched here: it is escaped wherever the text is shown."""
    text = _ASCII_CONTROLS.sub("", text)
    if not text.isascii():
        text = "".join(
            ch
            for ch in text
            if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cf")
        )
    return text.strip()


def wall_entries(limit: int = WALL_LIMIT) -> list[dict]:
    """What the page shows: display name, message, and the amount only if chosen."""
    rows = (
        Donation.objects.filter(ON_THE_WALL)
        .order_by("-wall_approved_at", "-id")
        .values_list(
            "display_name", "message", "show_amount", "gift_amount", "currency", "frequency"
        )
    )[:limit]
    entries = []
    for name, message, show_amount, amount, currency, frequency in rows:
        # Again here: rows stored before the form cleaned them may still hold such text.
        name, message = wall_text(name), wall_text(message)
        if name or message:
            entries.append(
                {
                    "name": name,
                    "message": message,
                    "amount": amount if show_amount else None,
                    "currency": currency,
                    "monthly": frequency == "monthly",
                }
            )
    return entries


def wall_moderation_rows(donations: QuerySet[Donation], limit: int = WALL_LIMIT) -> list[dict]:
    """The entries of ``donations`` for the people who moderate the wall: name and message
    as the wall would show them, the gift and whether its amount would show, the day."""
    rows = donations.values(
        "public_id",
        "display_name",
        "message",
        "show_amount",
        "gift_amount",
        "currency",
        "frequency",
        "created_at",
    )[:limit]
    return [
        {
            "public_id": row["public_id"],
            "name": wall_text(row["display_name"]),
            "message": wall_text(row["message"]),
            "amount": row["gift_amount"],
            "currency": row["currency"],
            "amount_shown": row["show_amount"],
            "monthly": row["frequency"] == "monthly",
            "given_at": row["created_at"],
        }
        for row in rows
    ]


def _wall_change(donations: QuerySet[Donation], *, actor, action: str, **update) -> int:
    """Update the chosen donations, audit each by its public id, and serve the wall anew."""
    require(actor, Capability.MODERATE_WALL)
    with transaction.atomic():
        chosen = list(donations.values_list("pk", "public_id"))
        Donation.objects.filter(pk__in=[pk for pk, _ in chosen]).update(**update)
        for _, public_id in chosen:
            audit_record(
                actor=actor,
                action=action,
                object_type="donation",
                object_id=str(public_id),
                details={},
            )
        forget()
    return len(chosen)


def wall_entries_approve(*, donations: QuerySet[Donation], actor) -> int:
    """Approve the entries of donors who asked to be on the wall; returns how many."""
    return _wall_change(
        donations.filter(show_on_wall=True, wall_approved_at__isnull=True),
        actor=actor,
        action="donation.wall_approved",
        wall_approved_at=timezone.now(),
    )


def wall_entries_remove(*, donations: QuerySet[Donation], actor) -> int:
    """Take entries off the wall (the donor asked, or it should not have been approved), or
    decline entries still waiting; returns how many."""
    return _wall_change(
        donations.filter(Q(wall_approved_at__isnull=False) | Q(show_on_wall=True)),
        actor=actor,
        action="donation.wall_removed",
        show_on_wall=False,
        wall_approved_at=None,
    )
