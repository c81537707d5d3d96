"""Disagreements between the books and Stripe: opened by whoever finds one (a
reconciliation run, or the posting of a balance transaction the books have no recipe
for), closed by the next run that finds them agreeing, or by staff with a note."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from donations.exceptions import DonationError
from donations.models import Discrepancy, DiscrepancyStatus, ReconciliationRun
from ledger.books.posting import audit_record
from ledger.staff.roles import Capability, require


def discrepancy_open(
    *,
    kind: str,
    stripe_object: str,
    expected: int | None,
    found: int | None,
    description: str,
    run: ReconciliationRun | None = None,
) -> Discrepancy:
    """Record a disagreement; an open one of the same kind and object is updated instead.
    A run counts it as a mismatch."""
    now = timezone.now()
    values = {
        "expected": expected,
        "found": found,
        "description": description[:300],
        "last_seen_at": now,
    }
    with transaction.atomic():
        found_open = (
            Discrepancy.objects.select_for_update()
            .filter(kind=kind, stripe_object=stripe_object, status=DiscrepancyStatus.OPEN)
            .first()
        )
        if found_open is not None:
            Discrepancy.objects.filter(pk=found_open.pk).update(**values)
            discrepancy = found_open
        else:
            discrepancy = Discrepancy.objects.create(
                kind=kind, stripe_object=stripe_object, first_seen_run=run, **values
            )
    if run is not None:
        run.mismatched += 1
        ReconciliationRun.objects.filter(pk=run.pk).update(mismatched=run.mismatched)
    return discrepancy


def discrepancies_agreed(
    *, run: ReconciliationRun | None, kind: str, stripe_object: str, note: str = ""
) -> int:
    """The books and Stripe agree now on what an open discrepancy was about (or Stripe
    settled it): it closes, recorded with the run that saw it, or ``note``, and in the
    audit log. Returns how many closed."""
    with transaction.atomic():
        closing = list(
            Discrepancy.objects.select_for_update().filter(
                kind=kind, stripe_object=stripe_object, status=DiscrepancyStatus.OPEN
            )
        )
        for discrepancy in closing:
            discrepancy.status = DiscrepancyStatus.RESOLVED
            discrepancy.resolved_at = timezone.now()
            discrepancy.resolution_note = note or (
                f"Closed by reconciliation run {run.pk}: the books and Stripe agree."
            )
            discrepancy.save(update_fields=["status", "resolved_at", "resolution_note"])
            audit_record(
                actor=None,
                action="discrepancy.closed_by_run",
                object_type="discrepancy",
                object_id=str(discrepancy.pk),
                details={"kind": kind, "stripe_object": stripe_object, "run": run and run.pk},
            )
    return len(closing)


def discrepancy_resolve(*, discrepancy: Discrepancy, actor, note: str) -> Discrepancy:
    """Staff closes a discrepancy with a note saying what was done (audited)."""
    require(actor, Capability.RECONCILE)
    note = note.strip()
    if not note:
        raise DonationError(gettext("A note saying how it was resolved is required."))
    with transaction.atomic():
        locked = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        if locked.status == DiscrepancyStatus.RESOLVED:
            return locked
        locked.status = DiscrepancyStatus.RESOLVED
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution_note = note[:2000]
        locked.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
        audit_record(
            actor=actor,
            action="discrepancy.resolved",
            object_type="discrepancy",
            object_id=str(locked.pk),
            details={"kind": locked.kind, "stripe_object": locked.stripe_object},
        )
    return locked
