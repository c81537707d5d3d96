"""Bank statements and proposed matches made directly, for tests that need one to exist
(the permission matrix) rather than to be imported."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from donations.models import BankMatch, BankStatement, BankStatementLine
from ledger.books.posting import transaction_post

_numbers = itertools.count(1)
DAY = dt.date(2026, 3, 2)


def a_statement(amount: int = 1_000) -> BankStatement:
    """A one-line statement of assets:bank: ``amount`` in on 2 March 2026."""
    number = next(_numbers)
    statement = BankStatement.objects.create(
        account_code="assets:bank",
        format="ofx",
        fingerprint=f"test-statement-{number}",
        currency="usd",
        period_start=DAY,
        period_end=DAY,
        opening_balance=0,
        closing_balance=amount,
        lines_in_file=1,
        imported_at=timezone.now(),
    )
    BankStatementLine.objects.create(
        statement=statement,
        account_code="assets:bank",
        position=1,
        posted_on=DAY,
        amount=amount,
        description="DEPOSIT",
        fingerprint=f"test-line-{number}",
    )
    return statement


def a_proposed_match(amount: int = 1_000) -> BankMatch:
    """A statement line and the entry that put ``amount`` in the bank, proposed as a pair."""
    number = next(_numbers)
    txn = transaction_post(
        kind="opening",
        date=DAY,
        legs=[("assets:bank", amount), ("net_assets:opening_balance", -amount)],
        idempotency_key=f"test-bank-match:{number}",
    )
    line = a_statement(amount).lines.get()
    return BankMatch.objects.create(
        line=line,
        transaction=txn,
        posting=txn.postings.get(account__code="assets:bank"),
        proposed_at=timezone.now(),
    )
