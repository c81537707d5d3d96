"""Reads of the books that cross tables. All come from maintained balances and monthly
totals, or from entries picked by key, never from a scan of the journal, so their cost
does not grow with its size."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from ledger.books.chart import BANK, CASH
from ledger.books.hashing import GENESIS_HASH
from ledger.models import Account, ChainHead, MonthlyTotal, Posting


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


def account_balance_at_head(code: str) -> tuple[int, int]:
    """(the chain's last sequence, the account's balance) read together: the chain head is
    locked for the read, so no posting lands between the two."""
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(id=1).first()
        balance = Account.objects.filter(code=code).values_list("balance", flat=True).first()
    return (head.sequence if head else 0), balance or 0


def postings_total(code: str, *, idempotency_keys: list[str], up_to_sequence: int) -> int:
    """What the entries with these keys, up to a sequence, posted to one account. The
    journal is append-only, so the answer never changes once read."""
    total = 0
    for start in range(0, len(idempotency_keys), 500):
        total += (
            Posting.objects.filter(
                account__code=code,
                transaction__idempotency_key__in=idempotency_keys[start : start + 500],
                transaction__sequence__lte=up_to_sequence,
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
    return total
