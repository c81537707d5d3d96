"""What the books say about the bank account: its legs in a period, with what each one is
(a Stripe payout arriving, a check to a court, a court's refund, a deposited check), the
references the bank may print beside it (a check number), and the balance on a day.

Only reads: the books are written by ``ledger.books.posting`` alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from donations.models import OfflineGift
from ledger.models import Account, Disbursement, MonthlyTotal, Posting, TransactionKind

K = TransactionKind

# What a leg is, by its transaction's kind and the sign of the amount on the bank account:
# in the active language on the report page; the report's CSV is written in English.
_WHAT = {
    (K.PAYOUT, True): _("Stripe payout arrived"),
    (K.PAYOUT, False): _("Stripe payout returned"),
    (K.DISBURSEMENT, False): _("Check or payment to a court"),
    (K.BAIL_RETURN, True): _("Court refund"),
    (K.OFFLINE_GIFT, True): _("Check deposit"),
    (K.REVERSAL, False): _("Reversal (a bounced check)"),
    (K.OPENING, True): _("Opening balance"),
}


def normalise_reference(text: str) -> str:
    """A check number or reference as a bank may print it: letters and digits only, upper
    case, leading zeros dropped from a number (``chk #001042`` and ``1042`` agree)."""
    compact = re.sub(r"[^0-9A-Z]", "", (text or "").upper())
    if compact.isdigit():
        return compact.lstrip("0") or "0"
    return compact


@dataclass(frozen=True)
class BankLeg:
    """One leg of an entry on the bank account."""

    posting_id: int
    transaction_id: int
    sequence: int
    kind: str
    date: dt.date
    amount: int
    memo: str
    source_ref: str
    references: tuple[str, ...] = ()  # normalised, as the bank might print them

    @property
    def what(self) -> str:
        default = K(self.kind).label if self.kind in K.values else self.kind
        return str(_WHAT.get((self.kind, self.amount > 0), default))


def account_id(code: str) -> int | None:
    return Account.objects.filter(code=code).values_list("pk", flat=True).first()


def legs_between(code: str, start: dt.date, end: dt.date) -> list[BankLeg]:
    """Every leg on the account with its entry dated from ``start`` to ``end``."""
    pk = account_id(code)
    if pk is None:
        return []
    rows = (
        Posting.objects.filter(
            account_id=pk, transaction__date__gte=start, transaction__date__lte=end
        )
        .order_by("transaction__date", "transaction__sequence")
        .values_list(
            "pk",
            "transaction_id",
            "transaction__sequence",
            "transaction__kind",
            "transaction__date",
            "amount",
            "transaction__memo",
            "transaction__source_ref",
        )
    )
    return with_references([BankLeg(*row) for row in rows])


def legs_by_posting(posting_ids: list[int]) -> list[BankLeg]:
    rows = []
    for start in range(0, len(posting_ids), 500):
        rows += Posting.objects.filter(pk__in=posting_ids[start : start + 500]).values_list(
            "pk",
            "transaction_id",
            "transaction__sequence",
            "transaction__kind",
            "transaction__date",
            "amount",
            "transaction__memo",
            "transaction__source_ref",
        )
    return with_references([BankLeg(*row) for row in rows])


def _ids(legs: list[BankLeg], prefix: str) -> dict[str, list[BankLeg]]:
    found: dict[str, list[BankLeg]] = {}
    for leg in legs:
        if leg.source_ref.startswith(prefix):
            found.setdefault(leg.source_ref.removeprefix(prefix), []).append(leg)
    return found


def _lookup(model, field: str, keys: list, value: str) -> dict:
    found = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, value))
    return found


def with_references(legs: list[BankLeg]) -> list[BankLeg]:
    """The legs, each with what the bank may print beside it: a disbursement's instrument
    reference (its check number), a deposited check's number, a Stripe payout's id."""
    references: dict[int, tuple[str, ...]] = {}
    disbursements = _ids(legs, "disbursement:")
    numbers = [int(key) for key in disbursements if key.isdigit()]
    for pk, reference in _lookup(Disbursement, "pk", numbers, "instrument_reference").items():
        for leg in disbursements.get(str(pk), []):
            references[leg.posting_id] = (normalise_reference(reference),)
    gifts = _ids(legs, "offline_gift:")
    for token, reference in _lookup(OfflineGift, "token", list(gifts), "reference").items():
        for leg in gifts[token]:
            references[leg.posting_id] = (normalise_reference(reference),)
    for payout_id, payout_legs in _ids(legs, "stripe:").items():
        for leg in payout_legs:
            references[leg.posting_id] = (normalise_reference(payout_id),)
    return [
        replace(leg, references=tuple(r for r in references.get(leg.posting_id, ()) if r))
        for leg in legs
    ]


def balance_as_of(code: str, day: dt.date) -> int:
    """The account's balance at the end of ``day``: the monthly totals of the months
    before, and the legs of that month up to the day."""
    pk = account_id(code)
    if pk is None:
        return 0
    month = day.replace(day=1)
    before = MonthlyTotal.objects.filter(account_id=pk, month__lt=month).aggregate(
        debits=Sum("debits"), credits=Sum("credits")
    )
    within = Posting.objects.filter(
        account_id=pk, transaction__date__gte=month, transaction__date__lte=day
    ).aggregate(total=Sum("amount"))["total"]
    return (before["debits"] or 0) - (before["credits"] or 0) + (within or 0)
