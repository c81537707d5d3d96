"""Emails to donors: one receipt per successful charge, sent once, after the charge is
recorded; a corrected receipt after a refund; a notice when a monthly renewal fails.

A monthly gift's emails carry a signed link to manage the gift without an account: update
its card at Stripe's customer portal, or stop it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from donations.checkout.proof import gift_entry, proof_url
from donations.models import Donation, DonationStatus, Frequency, StripeCharge
from ledger.books.fund_time import fund_date
from ledger.books.money import format_money

logger = logging.getLogger(__name__)

CANCEL_SALT = "donations.stop-monthly"


# Subjects, translated into the donor's language when sent.
RECEIPT_SUBJECT = gettext_noop("Your gift to %(fund)s: receipt")
REFUND_NOTICE_SUBJECT = gettext_noop("Your gift to %(fund)s: corrected receipt")
STOP_LINK_SUBJECT = gettext_noop("Your gift to %(fund)s: a new link to stop it")
RENEWAL_FAILED_SUBJECT = gettext_noop("Your monthly gift to %(fund)s did not go through")


def stop_monthly_token(donation) -> str:
    return signing.dumps(str(donation.public_id), salt=CANCEL_SALT)


def stop_url(donation) -> str:
    """The link that stops a monthly gift, signed now."""
    return settings.SITE_URL + reverse(
        "donations:stop_monthly", args=[stop_monthly_token(donation)]
    )


def donation_id_from_token(token: str) -> tuple[str | None, bool]:
    """(the donation a stop link names, whether the link has expired); (None, False) for
    a link we did not sign. A link older than STOP_LINK_MAX_AGE_DAYS stops nothing: a
    forwarded or leaked receipt should not end someone's gift years later."""
    try:
        return signing.loads(
            token, salt=CANCEL_SALT, max_age=dt.timedelta(days=settings.STOP_LINK_MAX_AGE_DAYS)
        ), False
    except signing.SignatureExpired:
        return signing.loads(token, salt=CANCEL_SALT), True
    except signing.BadSignature:
        return None, False


def stop_link_send(*, donation) -> bool:
    """Email a fresh stop link to the address the gift was given with (never shown on the
    page). Returns True if sent."""
    if donation.frequency != Frequency.MONTHLY or not donation.email:
        return False
    if not cache.add(f"stop-link-sent:{donation.pk}", 1, timeout=3600):
        return True  # one an hour: an old link must not become a way to flood an inbox
    _send(donation, STOP_LINK_SUBJECT, "donations/stop_link.txt", {"stop_url": stop_url(donation)})
    return True


def _locked_charge(charge_pk: int) -> StripeCharge | None:
    # The row lock makes two workers handling duplicate tasks send one email.
    return (
        StripeCharge.objects.select_for_update(of=("self",))
        .select_related("donation")
        .filter(pk=charge_pk)
        .first()
    )


def _send(donation, subject: str, template: str, context: dict) -> None:
    """One email to the donor, in the language of the page they gave on."""
    with translation.override(donation.language or settings.LANGUAGE_CODE):
        body = render_to_string(template, {"fund_name": settings.FUND_NAME, **context})
        send_mail(
            subject=gettext(subject) % {"fund": settings.FUND_NAME},
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[donation.email],
        )


def fee_taken(charge: StripeCharge | None) -> dict:
    """The fee Stripe really took from a charge (its balance transaction's) and what the
    fund received, for the donor; nothing while it is not known, or where the charge was
    in another currency than the one Stripe paid the fund in."""
    if charge is None or charge.fee is None or charge.currency != settings.FUND_CURRENCY:
        return {}
    return {
        "fee": format_money(charge.fee, charge.currency),
        "received": format_money(charge.amount - charge.fee, charge.currency),
    }


def gift_position(charge: StripeCharge) -> dict:
    """Where the gift stands in the books (once booked), and the link to its proof."""
    entry = gift_entry(charge)
    return {"proof_url": proof_url(charge), "position": entry.sequence if entry else None}


def receipt_send(*, charge_pk: int) -> bool:
    """Send the receipt for one charge unless it was sent; returns True if sent now."""
    with transaction.atomic():
        charge = _locked_charge(charge_pk)
        if charge is None or charge.receipt_sent_at or not charge.donation:
            return False
        donation = charge.donation
        if not donation.email:
            return False
        context = {
            "fund_legal_name": settings.FUND_LEGAL_NAME,
            "tax_statement": settings.FUND_TAX_STATEMENT,
            "amount": format_money(charge.amount, charge.currency),
            "date": fund_date(charge.charged_at),
            "donor_name": "" if donation.anonymous else donation.donor_name,
            "monthly": donation.frequency == Frequency.MONTHLY,
            "reference": charge.charge_id,
            "stop_url": stop_url(donation) if donation.frequency == Frequency.MONTHLY else "",
            **fee_taken(charge),
            **gift_position(charge),
        }
        _send(donation, RECEIPT_SUBJECT, "donations/receipt.txt", context)
        charge.receipt_sent_at = timezone.now()
        charge.save(update_fields=["receipt_sent_at"])
    logger.info("receipt sent for charge %s", charge.pk)
    return True


def refund_notice_send(*, charge_pk: int) -> bool:
    """Tell a donor whose receipt went out that (part of) the gift was refunded: the
    receipt's amount is corrected. Once per change; returns True if sent now."""
    with transaction.atomic():
        charge = _locked_charge(charge_pk)
        if charge is None or not charge.receipt_sent_at or not charge.donation:
            return False
        if charge.amount_refunded <= charge.refund_notified or not charge.donation.email:
            return False
        donation = charge.donation
        context = {
            "fund_legal_name": settings.FUND_LEGAL_NAME,
            "amount": format_money(charge.amount, charge.currency),
            "refunded": format_money(charge.amount_refunded, charge.currency),
            "kept": format_money(charge.amount - charge.amount_refunded, charge.currency),
            "date": fund_date(charge.charged_at),
            "reference": charge.charge_id,
        }
        _send(donation, REFUND_NOTICE_SUBJECT, "donations/refund_notice.txt", context)
        charge.refund_notified = charge.amount_refunded
        charge.save(update_fields=["refund_notified"])
    logger.info("refund notice sent for charge %s", charge.pk)
    return True


def renewal_notice_send(*, donation_pk: int, invoice: dict, action_required: bool) -> bool:
    """Tell the donor of a monthly gift that this month's payment did not go through, with
    the link to update the card (Stripe then tries the payment again) and, where their bank
    asks them to confirm it, Stripe's page for that. ``invoice`` holds what the event's
    handler read from Stripe (id, amount_due, hosted_invoice_url, next_payment_attempt).
    Once per failed invoice, and only while the gift is past due; returns True if sent."""
    with transaction.atomic():
        donation = Donation.objects.select_for_update().filter(pk=donation_pk).first()
        if donation is None or not donation.email or donation.status != DonationStatus.PAST_DUE:
            return False  # no address, or running again since
        if donation.renewal_notice_invoice_id == invoice["id"]:
            return False
        retry_at = invoice.get("next_payment_attempt")
        context = {
            "amount": format_money(invoice.get("amount_due") or donation.amount, donation.currency),
            "action_required": action_required,
            "confirm_url": (invoice.get("hosted_invoice_url") or "") if action_required else "",
            "retry_date": fund_date(dt.datetime.fromtimestamp(retry_at, tz=dt.UTC))
            if retry_at
            else None,
            "manage_url": stop_url(donation),
        }
        _send(donation, RENEWAL_FAILED_SUBJECT, "donations/renewal_failed.txt", context)
        donation.renewal_notice_invoice_id = invoice["id"]
        donation.save(update_fields=["renewal_notice_invoice_id"])
    logger.info("renewal notice sent for donation %s", donation_pk)
    return True
