"""Reads of the books that cross tables. All come from maintained balances and monthly
totals, never from a scan of the journal, so their cost does not grow with its size."""

from __future__ import annotations

from django.db.models import Sum

from ledger.books.chart import BANK, CASH
from ledger.books.hashing import GENESIS_HASH
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


def approved_unpaid_total() -> int:
    """Money promised by approval and not yet paid out."""
    from ledger.models import Disbursement, DisbursementStatus

    total = Disbursement.objects.filter(status=DisbursementStatus.APPROVED).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def funds_available() -> int:
    """Available now: bank + cash − approved but unpaid disbursements."""
    balances = Account.objects.filter(code__in=(BANK, CASH)).aggregate(total=Sum("balance"))[
        "total"
    ]
    return (balances or 0) - approved_unpaid_total()
