"""A tax year's gifts, grouped into one statement per donor.

A donor is an email address, compared in lower case, across card gifts (each charge of a
``Donation`` with an address) and offline gifts that carry one. The year is the fund's
(``ledger.books.fund_time``): a charge made at 21:00 on 31 December in the fund's time
zone belongs to that year. Each gift counts for what the fund kept, the same figure the
corrected receipt after a refund states: the amount less what was refunded (a check that
bounced was given back whole). Gifts whose donor's data was erased under
DONOR_DATA_RETENTION_DAYS have no address, so no statement: they are counted, not listed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from donations.models import OfflineGift, StripeCharge
from ledger.books.fund_time import fund_date, fund_zone
from ledger.models import JournalTransaction

# IRS Publication 1771: a single gift of $250 or more needs the charity's written
# acknowledgment; the statement is that acknowledgment for each such gift.
ACKNOWLEDGMENT_THRESHOLD = 25_000


@dataclass(frozen=True)
class Gift:
    kind: str  # "card", "check" or "cash"
    date: dt.date
    amount: int
    refunded: int
    currency: str
    reference: str
    anchor: str  # "d:<donation public id>" or "o:<offline gift public id>"
    order: tuple  # when it was given, to find the latest gift
    donor_name: str
    language: str

    @property
    def kept(self) -> int:
        return max(self.amount - self.refunded, 0)

    @property
    def fully_refunded(self) -> bool:
        return self.kept == 0

    @property
    def acknowledgment(self) -> bool:
        return self.kept >= ACKNOWLEDGMENT_THRESHOLD


@dataclass
class Statement:
    year: int
    email: str
    gifts: list[Gift] = field(default_factory=list)

    @property
    def latest(self) -> Gift:
        return max(self.gifts, key=lambda gift: gift.order)

    @property
    def language(self) -> str:
        return self.latest.language or settings.LANGUAGE_CODE

    @property
    def donor_name(self) -> str:
        named = [gift for gift in self.gifts if gift.donor_name]
        return max(named, key=lambda gift: gift.order).donor_name if named else ""

    @property
    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for gift in self.gifts:
            totals[gift.currency] = totals.get(gift.currency, 0) + gift.kept
        return totals


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The fund's year as a half-open range of aware datetimes."""
    zone = fund_zone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def _charges(year: int):
    start, end = year_bounds(year)
    return StripeCharge.objects.filter(
        charged_at__gte=start, charged_at__lt=end, donation__isnull=False
    )


def _offline(year: int):
    return OfflineGift.objects.filter(received_on__year=year)


def _addressed_charges(year: int):
    return (
        _charges(year)
        .filter(donation__donor_data_erased_at__isnull=True)
        .exclude(donation__email="")
        .annotate(key=Lower("donation__email"))
    )


def _addressed_offline(year: int):
    return (
        _offline(year)
        .filter(donor_data_erased_at__isnull=True)
        .exclude(email="")
        .annotate(key=Lower("email"))
    )


def next_donors(year: int, *, after: str, count: int) -> list[str]:
    """The next ``count`` donors' addresses (lower case) after ``after``, in order."""
    keys: set[str] = set()
    for gifts in (_addressed_charges(year), _addressed_offline(year)):
        found = gifts.filter(key__gt=after).order_by("key").values_list("key", flat=True)
        keys.update(found.distinct()[:count])
    return sorted(keys)[:count]


def statements(year: int, **key_filter) -> dict[str, Statement]:
    """The statements of the donors whose address (lower case, ``key``) matches
    ``key_filter`` (``key="a@b.org"``, or a range: ``key__gt=…, key__lte=…``)."""
    found: dict[str, Statement] = defaultdict(lambda: Statement(year=year, email=""))
    charges = _addressed_charges(year).filter(**key_filter)
    for row in charges.values_list(
        "key",
        "charge_id",
        "amount",
        "amount_refunded",
        "currency",
        "charged_at",
        "donation__public_id",
        "donation__donor_name",
        "donation__anonymous",
        "donation__language",
    ).order_by():
        key, charge_id, amount, refunded, currency, at, public_id, name, anonymous, lang = row
        found[key].gifts.append(
            Gift(
                kind="card",
                date=fund_date(at),
                amount=amount,
                refunded=min(refunded, amount),
                currency=currency.lower(),
                reference=charge_id,
                anchor=f"d:{public_id}",
                order=(fund_date(at), at.timestamp()),
                donor_name="" if anonymous else name,
                language=lang,
            )
        )
    bounced = JournalTransaction.objects.filter(reverses_id=OuterRef("transaction_id"))
    offline = _addressed_offline(year).filter(**key_filter).annotate(bounced=Exists(bounced))
    for row in offline.values_list(
        "key",
        "method",
        "amount",
        "currency",
        "received_on",
        "recorded_at",
        "reference",
        "public_id",
        "donor_name",
        "language",
        "bounced",
    ).order_by():
        (
            key,
            method,
            amount,
            currency,
            on,
            recorded_at,
            reference,
            public_id,
            name,
            lang,
            bounced,
        ) = row
        found[key].gifts.append(
            Gift(
                kind=method,
                date=on,
                amount=amount,
                refunded=amount if bounced else 0,
                currency=currency.lower(),
                reference=reference,
                anchor=f"o:{public_id}",
                order=(on, recorded_at.timestamp()),
                donor_name=name,
                language=lang,
            )
        )
    for key, statement in found.items():
        statement.email = key
        statement.gifts.sort(key=lambda gift: gift.order)
    return dict(sorted(found.items()))


def email_of_anchor(year: int, anchor: str) -> str | None:
    """The address (lower case) of the gift a statement link names, if it is one of the
    year's gifts and its donor's data is still kept."""
    kind, _, public_id = anchor.partition(":")
    try:
        if kind == "d":
            gifts = _addressed_charges(year).filter(donation__public_id=public_id)
        elif kind == "o":
            gifts = _addressed_offline(year).filter(public_id=public_id)
        else:
            return None
        return gifts.values_list("key", flat=True).first()
    except ValidationError:  # not a UUID
        return None


def erased_gifts(year: int) -> int:
    """The year's gift records (card donations, offline gifts) whose donor's data was
    erased: one each, as nothing is left to tell whether two were the same person."""
    donations = (
        _charges(year)
        .filter(donation__donor_data_erased_at__isnull=False)
        .values("donation_id")
        .distinct()
        .count()
    )
    return donations + _offline(year).filter(donor_data_erased_at__isnull=False).count()
