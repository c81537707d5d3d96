"""Recording succeeded charges: one path for a single charge (a checkout session, an
invoice) and for a drained batch of charge events.

A charge row is brought up to what Stripe says now, linked to its donation, its balance
transaction posted to the books, and its receipt queued after commit. Idempotent.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from donations import stripe_gateway
from donations.events.balance_feed import balance_transactions_for
from donations.events.posting import entry_for, post_entries
from donations.models import (
    Donation,
    DonationStatus,
    Frequency,
    StripeCharge,
)


def donation_for(metadata: dict | None) -> Donation | None:
    """The donation an object's metadata names (only our opaque id is there), if any."""
    donation_id = (metadata or {}).get("donation_id")
    if not donation_id:
        return None
    try:
        return Donation.objects.filter(public_id=uuid.UUID(str(donation_id))).first()
    except ValueError:
        return None


def _charge_defaults(charge: dict) -> dict:
    return {
        "amount": charge["amount"],
        "currency": charge["currency"],
        "charged_at": dt.datetime.fromtimestamp(charge["created"], tz=dt.UTC),
        "payment_intent_id": stripe_gateway.object_id(charge.get("payment_intent")),
    }


def _apply_charge(
    record: StripeCharge,
    charge: dict,
    bt: dict | None,
    donation: Donation | None,
    invoice_id: str,
    *,
    snapshot: bool,
) -> None:
    """Bring a locked charge row up to what Stripe says of the charge; queue the receipt
    after commit. The caller holds the row lock and posts the balance transaction. From an
    event's snapshot, refunds and disputes are left to their own events, which read the
    charge as it is now: an old snapshot must not undo them."""
    changed = []
    if donation is not None and record.donation_id is None:
        record.donation = donation
        changed.append("donation")
    if invoice_id and not record.invoice_id:
        record.invoice_id = invoice_id
        changed.append("invoice_id")
    # A row first noted from its balance transaction holds the settled amount; the charge
    # says what the donor paid, in their currency.
    for name, value in _charge_defaults(charge).items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    if bt and record.balance_transaction_id != bt["id"]:
        record.balance_transaction_id, record.fee = bt["id"], bt["fee"]
        changed += ["balance_transaction_id", "fee"]
    if not snapshot and record.amount_refunded != charge.get("amount_refunded", 0):
        record.amount_refunded = charge.get("amount_refunded", 0)
        changed.append("amount_refunded")
    if not snapshot and charge.get("disputed") and not record.disputed:
        record.disputed = True
        changed.append("disputed")
    if changed:
        record.save(update_fields=changed)
    _receipt_after_commit(record)
    charge_settled(record)


def charges_link(donation: Donation, *, payment_intent_id: str, invoice_id: str) -> None:
    """Link to ``donation`` the charge rows already recorded for its payment (or its first
    invoice) that no metadata linked; queue their receipts after commit."""
    if not (payment_intent_id or invoice_id):
        return
    rows = StripeCharge.objects.select_for_update().filter(donation__isnull=True)
    rows = (
        rows.filter(payment_intent_id=payment_intent_id)
        if payment_intent_id
        else rows.filter(invoice_id=invoice_id)
    )
    for record in rows:
        record.donation = donation
        record.save(update_fields=["donation"])
        _receipt_after_commit(record)
        charge_settled(record)


def _receipt_after_commit(record: StripeCharge) -> None:
    if record.donation_id and record.receipt_sent_at is None:
        from donations.tasks import send_receipt

        transaction.on_commit(lambda pk=record.pk: send_receipt.delay(pk))


def charge_settled(record: StripeCharge) -> None:
    """After Stripe's view of a charge was recorded: the donation says what became of the
    gift, and a donor whose receipt went out hears of any refund since."""
    if record.donation_id and (record.amount_refunded or record.disputed):
        donation_status_sync(record.donation_id)
    elif record.donation_id:
        # A charge neither refunded nor disputed (a refund that failed, too): its gift
        # succeeded. The common case, once per charge in a surge: one statement, no reads.
        # A monthly gift past due is running again only once Stripe says its subscription
        # is active (``customer.subscription.updated``), not when any old charge is seen.
        Donation.objects.filter(pk=record.donation_id).exclude(
            status__in=(DonationStatus.CANCELLED, DonationStatus.SUCCEEDED, DonationStatus.PAST_DUE)
        ).update(status=DonationStatus.SUCCEEDED)
    if record.receipt_sent_at and record.amount_refunded > record.refund_notified:
        from donations.tasks import send_refund_notice

        transaction.on_commit(lambda pk=record.pk: send_refund_notice.delay(pk))


def donation_status_sync(donation_id: int) -> None:
    """A one-time gift is disputed if its payment is, refunded once given back in full,
    and succeeded otherwise; a monthly gift keeps its own state (running, past due or
    stopped)."""
    donation = Donation.objects.get(pk=donation_id)
    charges = list(donation.charges.all())
    if not charges or donation.status in (DonationStatus.CANCELLED, DonationStatus.PAST_DUE):
        return
    status = DonationStatus.SUCCEEDED
    if donation.frequency == Frequency.ONCE:
        if any(c.disputed for c in charges):
            status = DonationStatus.DISPUTED
        elif all(c.amount_refunded >= c.amount for c in charges):
            status = DonationStatus.REFUNDED
    if donation.status != status:
        Donation.objects.filter(pk=donation_id).update(status=status)


def _donations_by_metadata(charges: list[dict]) -> dict[str, Donation]:
    """{charge id: the donation its metadata names}, in one query."""
    wanted: dict[str, uuid.UUID] = {}
    for charge in charges:
        try:
            wanted[charge["id"]] = uuid.UUID(str((charge.get("metadata") or {})["donation_id"]))
        except (KeyError, TypeError, ValueError):
            continue
    found = {d.public_id: d for d in Donation.objects.filter(public_id__in=wanted.values())}
    return {charge_id: found[pid] for charge_id, pid in wanted.items() if pid in found}


def record_charges(
    charges: list[dict],
    *,
    donation: Donation | None = None,
    invoice_id: str = "",
    snapshot: bool = False,
) -> None:
    """Record succeeded charges in one database transaction: each row linked to
    ``donation`` or else to the donation its metadata names, its balance transaction
    posted, its receipt sent after commit. Charges that have not succeeded are left out.
    ``snapshot``: the charges are as events carried them, not as read just now. Idempotent.

    A balance transaction Stripe sent expanded is posted here; one sent as an id is read
    with others from Stripe's list (``donations.events.balance_feed``), which posts it."""
    charges = [c for c in {c["id"]: c for c in charges}.values() if c.get("status") == "succeeded"]
    if not charges:
        return
    noted = set(
        StripeCharge.objects.filter(charge_id__in=[c["id"] for c in charges])
        .exclude(balance_transaction_id="")
        .values_list("charge_id", flat=True)
    )
    expanded = {
        c["id"]: c["balance_transaction"]
        for c in charges
        if isinstance(c.get("balance_transaction"), dict)
    }
    wanted = {
        c["balance_transaction"]: c["id"]
        for c in charges
        if isinstance(c.get("balance_transaction"), str) and c["id"] not in noted
    }
    fed = balance_transactions_for(set(wanted))
    bts = {**{wanted[bt_id]: bt for bt_id, bt in fed.items()}, **expanded}
    by_metadata = {} if donation is not None else _donations_by_metadata(charges)
    with transaction.atomic():
        StripeCharge.objects.bulk_create(
            [StripeCharge(charge_id=c["id"], **_charge_defaults(c)) for c in charges],
            ignore_conflicts=True,
        )
        records = {
            r.charge_id: r
            for r in StripeCharge.objects.select_for_update()
            .filter(charge_id__in=[c["id"] for c in charges])
            .order_by("charge_id")
        }
        for charge in charges:
            linked = donation or by_metadata.get(charge["id"])
            bt = bts.get(charge["id"])
            _apply_charge(records[charge["id"]], charge, bt, linked, invoice_id, snapshot=snapshot)
        # Last, so the books' chain lock is held only from here to the commit.
        post_entries([e for e in (entry_for(bt) for bt in expanded.values()) if e is not None])


def donation_of_invoice(invoice: dict) -> Donation | None:
    """The monthly gift an invoice bills: by its subscription, or else by the donation id
    the subscription's metadata names (an invoice whose event came before its checkout's)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = stripe_gateway.object_id(details.get("subscription"))
    found = Donation.objects.filter(subscription_id=subscription).first() if subscription else None
    return found or donation_for(details.get("metadata"))


def charge_of_payment_intent(payment_intent_id: str) -> dict | None:
    intent = stripe_gateway.retrieve_payment_intent(payment_intent_id)
    charge = intent.get("latest_charge")
    if charge and not isinstance(charge, dict):
        charge = stripe_gateway.retrieve_charge(charge)
    return charge or None


def record_invoice(invoice_id: str, donation: Donation | None) -> None:
    """Record the charges of a paid invoice (a month of a monthly gift)."""
    invoice = stripe_gateway.retrieve_invoice(invoice_id)
    donation = donation or donation_of_invoice(invoice)
    if invoice.get("status") != "paid":
        return
    charges = []
    for payment in (invoice.get("payments") or {}).get("data", []):
        inner = payment.get("payment") or {}
        if inner.get("charge"):
            charges.append(
                stripe_gateway.retrieve_charge(stripe_gateway.object_id(inner["charge"]))
            )
        elif inner.get("payment_intent"):
            charges.append(
                charge_of_payment_intent(stripe_gateway.object_id(inner["payment_intent"]))
            )
    record_charges([c for c in charges if c], donation=donation, invoice_id=invoice["id"])
