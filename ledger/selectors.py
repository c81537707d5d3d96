"""Reads of the books that cross tables. All come from maintained balances and monthly
totals, never from a scan of the journal, so their cost does not grow with its size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from ledger.hashing import GENESIS_HASH
from ledger.models import Account, ChainHead, MonthlyTotal


def account_balances() -> dict[str, int]:
    return dict(Account.objects.values_list("code", "balance"))


def account_flows() -> dict[str, tuple[int, int]]:
    """All-time (debits, credits) per account code, credits as positive numbers."""
    rows = (
        MonthlyTotal.objects.values("account__code")
        .annotate(debits=Sum("debits"), credits=Sum("credits"))
        .values_list("account__code", "debits", "credits")
    )
    return {code: (debits or 0, credits or 0) for code, debits, credits in rows}


def ledger_head() -> tuple[int, str]:
    head = ChainHead.objects.filter(id=1).values_list("sequence", "hash").first()
    return head if head else (0, GENESIS_HASH)


@dataclass(frozen=True)
class FundSummary:
    currency: str
    raised_gross: int
    refunded: int
    processing_fees: int
    bail_paid: int
    bail_returned: int
    bail_outstanding: int
    available: int
    sequence: int
    head_hash: str


def fund_summary(currency: str) -> FundSummary:
    balances = account_balances()
    flows = account_flows()
    sequence, head_hash = ledger_head()
    return FundSummary(
        currency=currency,
        raised_gross=flows.get("income:donations", (0, 0))[1]
        - flows.get("income:donations", (0, 0))[0],
        refunded=balances.get("income:donations_refunded", 0),
        processing_fees=balances.get("expenses:processing_fees", 0),
        bail_paid=flows.get("assets:bail_outstanding", (0, 0))[0],
        bail_returned=flows.get("assets:bail_outstanding", (0, 0))[1],
        bail_outstanding=balances.get("assets:bail_outstanding", 0),
        available=balances.get("assets:bank", 0) + balances.get("assets:cash", 0),
        sequence=sequence,
        head_hash=head_hash,
    )


def approved_unpaid_total() -> int:
    """Money promised by approval and not yet paid out."""
    from ledger.models import Disbursement, DisbursementStatus

    total = Disbursement.objects.filter(status=DisbursementStatus.APPROVED).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def funds_available() -> int:
    """Available now: bank + cash − approved but unpaid disbursements (DESIGN.md)."""
    balances = Account.objects.filter(code__in=("assets:bank", "assets:cash")).aggregate(
        total=Sum("balance")
    )["total"]
    return (balances or 0) - approved_unpaid_total()
