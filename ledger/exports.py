"""The general journal for accountants and auditors: CSV and Beancount, streamed.

The CSV has one row per posting and every field the hash covers, so an outside auditor can
recompute the chain from it alone (docs/verify_export.py does exactly that). The Beancount
text passes ``bean-check``.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import TextIO

from django.conf import settings
from django.db.models import Min

from ledger.hashing import format_recorded_at
from ledger.journal import iter_journal
from ledger.models import Account, AccountType, JournalTransaction
from ledger.money import format_units

CSV_COLUMNS = (
    "sequence",
    "date",
    "recorded_at",
    "kind",
    "currency",
    "memo",
    "source_ref",
    "idempotency_key",
    "reverses",
    "actor",
    "prev_hash",
    "hash",
    "account",
    "amount",
    "amount_decimal",
)


def write_csv(out: TextIO) -> int:
    """Write the journal as CSV; returns the number of transactions written."""
    accounts = dict(Account.objects.values_list("pk", "code"))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in iter_journal():
        common = (
            row.sequence,
            row.date.isoformat(),
            format_recorded_at(row.recorded_at),
            row.kind,
            row.currency,
            row.memo,
            row.source_ref,
            row.idempotency_key,
            "" if row.reverses is None else row.reverses,
            "" if row.actor is None else row.actor,
            row.prev_hash,
            row.hash,
        )
        writer.writerows(
            (*common, accounts[account_id], amount, format_units(amount, row.currency))
            for account_id, amount in row.postings
        )
        count += 1
    return count


_BEANCOUNT_ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.NET_ASSETS: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}


def beancount_account(code: str, account_type: str) -> str:
    """'assets:bail_outstanding' -> 'Assets:BailOutstanding'."""
    parts = code.split(":")[1:] or [code]
    components = [
        "".join(word[:1].upper() + word[1:] for word in part.replace("-", "_").split("_") if word)
        for part in parts
    ]
    components = [c if c[:1].isalnum() else f"X{c}" for c in components]
    return ":".join([_BEANCOUNT_ROOTS[AccountType(account_type)], *components])


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def write_beancount(out: TextIO) -> int:
    """Write the journal as Beancount text; returns the number of transactions written."""
    currency = settings.FUND_CURRENCY.upper()
    accounts = {
        pk: beancount_account(code, type_)
        for pk, code, type_ in Account.objects.values_list("pk", "code", "type")
    }
    first = JournalTransaction.objects.aggregate(first=Min("date"))["first"] or dt.date.today()
    out.write(f'option "title" {_quote(settings.FUND_LEGAL_NAME)}\n')
    out.write(f'option "operating_currency" "{currency}"\n\n')
    for name in sorted(accounts.values()):
        out.write(f"{first.isoformat()} open {name} {currency}\n")
    out.write("\n")
    count = 0
    for row in iter_journal():
        out.write(
            f"{row.date.isoformat()} * {_quote(row.kind)} {_quote(row.memo)}\n"
            f"  sequence: {row.sequence}\n"
            f"  hash: {_quote(row.hash)}\n"
            f"  key: {_quote(row.idempotency_key)}\n"
        )
        for account_id, amount in row.postings:
            out.write(
                f"  {accounts[account_id]}  {format_units(amount, row.currency)} {currency}\n"
            )
        out.write("\n")
        count += 1
    return count
