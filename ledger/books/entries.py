"""One fact to post to the books, and the checks it passes before anything is written."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import ngettext

from ledger import exceptions
from ledger.books.fund_time import fund_today
from ledger.models import JournalTransaction, TransactionKind

MAX_ABS_AMOUNT = 10**15  # a quadrillion minor units: far above any fund, far below bigint
MEMO_MAX_LENGTH = 200
_EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_KINDS = frozenset(TransactionKind.values)


@dataclass(frozen=True)
class Entry:
    """One fact to post: what happened, when, and the legs that record it."""

    kind: str
    date: dt.date
    legs: Sequence[tuple[str, int]]
    idempotency_key: str
    memo: str = ""
    source_ref: str = ""
    currency: str = ""
    reverses: JournalTransaction | None = None
    # A fact another system keeps (Stripe's): it happened whatever the books say, so its
    # date never stops it. Dated in a closed period (ledger.books.periods) it is posted on
    # the first open day, its source still giving the day it happened; and it is not held
    # to LEDGER_MAX_DAYS_AHEAD. Entries staff make are refused instead.
    outside_fact: bool = False

    def content(self) -> tuple:
        """What an idempotency key stands for: everything but who posted it and when."""
        return (
            self.kind,
            self.date,
            self.currency,
            self.memo,
            self.source_ref,
            self.reverses.pk if self.reverses else None,
            sorted((code, amount) for code, amount in self.legs),
        )


def validate(entry: Entry) -> Entry:
    """Check an entry without touching the database; returns it with its currency set."""
    if entry.kind not in _KINDS:
        raise exceptions.InvalidEntry(f"Unknown transaction kind {entry.kind!r}.")
    if entry.kind == TransactionKind.REVERSAL and entry.reverses is None:
        raise exceptions.InvalidEntry("Reversals are posted with transaction_reverse.")
    if not isinstance(entry.date, dt.date) or isinstance(entry.date, dt.datetime):
        raise exceptions.InvalidEntry("The economic date must be a date.")
    latest = fund_today() + dt.timedelta(days=settings.LEDGER_MAX_DAYS_AHEAD)
    if entry.date > latest and not entry.outside_fact:
        days = settings.LEDGER_MAX_DAYS_AHEAD
        message = ngettext(
            "%(date)s is more than %(days)d day ahead: post it on the day it happens.",
            "%(date)s is more than %(days)d days ahead: post it on the day it happens.",
            days,
        )
        raise exceptions.DateTooFarAhead(message % {"date": f"{entry.date:%Y-%m-%d}", "days": days})
    key = entry.idempotency_key
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise exceptions.InvalidEntry("An idempotency key of 1 to 200 characters is required.")
    # Memos are written by the code that posts, never typed on a staff page: the memo
    # refusals below only a programming error can trigger, and stay English.
    if not isinstance(entry.memo, str) or len(entry.memo) > MEMO_MAX_LENGTH:
        raise exceptions.InvalidEntry(f"The memo is text of at most {MEMO_MAX_LENGTH} characters.")
    if _EMAIL_RE.search(entry.memo):
        raise exceptions.PersonalDataInMemo("The memo looks like it holds an email address.")
    if not isinstance(entry.source_ref, str) or len(entry.source_ref) > 120:
        raise exceptions.InvalidEntry("The source reference is text of at most 120 characters.")
    if any("\x00" in text for text in (key, entry.memo, entry.source_ref)):
        # PostgreSQL's text cannot hold it; refused here on every database alike.
        raise exceptions.InvalidEntry("Text in an entry cannot hold a NUL character.")
    legs = list(entry.legs)
    if len(legs) < 2:
        raise exceptions.TooFewPostings("A transaction needs at least two legs.")
    total = 0
    for leg in legs:
        if not (isinstance(leg, tuple | list) and len(leg) == 2 and isinstance(leg[0], str)):
            raise exceptions.InvalidEntry("Each leg is an (account code, amount) pair.")
        amount = leg[1]
        if type(amount) is not int:
            raise exceptions.InvalidAmount(
                f"Amounts are integers in minor units, not {type(amount).__name__}."
            )
        if amount == 0:
            raise exceptions.InvalidAmount("A leg of zero records nothing.")
        if abs(amount) > MAX_ABS_AMOUNT:
            raise exceptions.InvalidAmount("The amount is out of range.")
        total += amount
    if total != 0:
        raise exceptions.UnbalancedTransaction(f"The legs sum to {total}, not zero.")
    currency = (entry.currency or settings.FUND_CURRENCY).lower()
    if currency != settings.FUND_CURRENCY:
        raise exceptions.CurrencyMismatch(
            f"The books are kept in {settings.FUND_CURRENCY.upper()}, not {currency.upper()}."
        )
    return Entry(
        kind=entry.kind,
        date=entry.date,
        legs=tuple((code, amount) for code, amount in legs),
        idempotency_key=key,
        memo=entry.memo,
        source_ref=entry.source_ref,
        currency=currency,
        reverses=entry.reverses,
        outside_fact=entry.outside_fact,
    )


def hashed_fields(entry: Entry, recorded_at: dt.datetime, actor_id: int | None) -> dict:
    """Everything the hash covers except the sequence (see ledger.books.hashing)."""
    return {
        "kind": entry.kind,
        "date": entry.date,
        "recorded_at": recorded_at,
        "currency": entry.currency,
        "memo": entry.memo,
        "source_ref": entry.source_ref,
        "idempotency_key": entry.idempotency_key,
        "reverses": entry.reverses.sequence if entry.reverses else None,
        "actor": actor_id,
        "postings": entry.legs,
    }
