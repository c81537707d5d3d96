"""Gifts that arrive outside Stripe (checks, cash), recorded by a bookkeeper.

A check is posted to ``assets:bank``, cash to ``assets:cash``, both against
``income:donations`` (docs/ledger.md, "Posting recipes"), under the key
``offline_gift:<form token>``: the form carries one token per submission, so a double
submit records and posts the gift once. A check that bounces is corrected by reversing its
transaction (``offline_gift_bounced``), never by editing it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from donations.exceptions import InvalidOfflineGift
from donations.models import OfflineGift, OfflineGiftMethod
from ledger.books.chart import BANK, CASH, DONATIONS
from ledger.books.entries import MAX_ABS_AMOUNT
from ledger.books.fund_time import fund_today
from ledger.books.periods import closed_through
from ledger.books.posting import audit_record, transaction_post, transaction_reverse
from ledger.models import JournalTransaction, TransactionKind
from ledger.staff.roles import Capability, require


def offline_gift_record(
    *,
    actor,
    method: str,
    amount: int,
    received_on: dt.date,
    token: str,
    reference: str = "",
    donor_name: str = "",
    email: str = "",
    language: str = "",
) -> OfflineGift:
    """Record a check or cash gift and post it. The donor's name, email and language are
    optional (their year-end statement needs an email); they never reach the books, the
    memo or the audit log."""
    require(actor, Capability.RECORD_OFFLINE_GIFT)
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise InvalidOfflineGift(gettext("The form expired; open it again and resubmit."))
    if method not in OfflineGiftMethod.values:
        raise InvalidOfflineGift(gettext("Choose check or cash."))
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_ABS_AMOUNT:
        raise InvalidOfflineGift(gettext("The amount must be more than zero."))
    if not isinstance(received_on, dt.date) or received_on > fund_today():
        raise InvalidOfflineGift(gettext("The date received cannot be in the future."))
    closed = closed_through()
    if closed is not None and received_on <= closed:
        message = gettext(
            "The books are closed through %(day)s: record the gift on a day in the open "
            "period, the day it is deposited."
        )
        raise InvalidOfflineGift(message % {"day": f"{closed:%Y-%m-%d}"})
    reference = reference.strip()
    if len(reference) > 60:
        raise InvalidOfflineGift(gettext("The reference is at most 60 characters."))
    donor_name, email = (donor_name or "").strip(), (email or "").strip()
    language = language or settings.LANGUAGE_CODE
    if len(donor_name) > 120 or len(email) > 254:
        raise InvalidOfflineGift(gettext("The donor's name or email is too long."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidOfflineGift(gettext("Enter a valid email address, or none.")) from None
    if language not in dict(settings.LANGUAGES):
        raise InvalidOfflineGift(gettext("Choose one of the site's languages."))
    with transaction.atomic():
        earlier = OfflineGift.objects.filter(token=token).first()
        if earlier is not None:
            if (earlier.method, earlier.amount, earlier.received_on) != (
                method,
                amount,
                received_on,
            ):
                raise InvalidOfflineGift(gettext("This form was already used for another gift."))
            return earlier
        account = BANK if method == OfflineGiftMethod.CHECK else CASH
        txn = transaction_post(
            kind=TransactionKind.OFFLINE_GIFT,
            date=received_on,
            legs=[(account, amount), (DONATIONS, -amount)],
            idempotency_key=f"offline_gift:{token}",
            # The memo is data, in English: the method's value, not its translated label.
            memo=f"Offline gift by {method}",
            source_ref=f"offline_gift:{token}",
            actor=actor,
        )
        gift = OfflineGift.objects.create(
            method=method,
            amount=amount,
            currency=settings.FUND_CURRENCY.lower(),
            received_on=received_on,
            reference=reference,
            donor_name=donor_name,
            email=email,
            language=language,
            token=token,
            recorded_by=actor,
            recorded_at=timezone.now(),
            transaction=txn,
        )
        audit_record(
            actor=actor,
            action="offline_gift.recorded",
            object_type="offline_gift",
            object_id=str(gift.pk),
            details={"method": method, "amount": amount, "sequence": txn.sequence},
        )
    return gift


def offline_gift_bounced(*, actor, gift: OfflineGift) -> OfflineGift:
    """A check bounced: reverse its posting (once; asking again changes nothing)."""
    require(actor, Capability.RECORD_OFFLINE_GIFT)
    if gift.method != OfflineGiftMethod.CHECK:
        raise InvalidOfflineGift(gettext("Only a check can bounce."))
    with transaction.atomic():
        if JournalTransaction.objects.filter(reverses_id=gift.transaction_id).exists():
            return gift
        reversal = transaction_reverse(
            transaction_to_reverse=gift.transaction,
            actor=actor,
            memo="Offline gift check bounced",
            idempotency_key=f"offline_gift:{gift.token}:bounced",
        )
        audit_record(
            actor=actor,
            action="offline_gift.bounced",
            object_type="offline_gift",
            object_id=str(gift.pk),
            details={"reversal_sequence": reversal.sequence},
        )
    return gift
