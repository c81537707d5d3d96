"""The general journal for accountants and auditors: CSV and Beancount, streamed.

The CSV has one row per posting and every field the hash covers, so an outside auditor can
recompute the chain from it alone (docs/verify_export.py does exactly that). The Beancount
text passes ``bean-check``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TextIO

from django.conf import settings
from django.db.models import Min

from ledger.books.journal import iter_journal
from ledger.books.money import format_units
from ledger.models import Account, AccountType, JournalTransaction

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


_NEEDS_QUOTES = re.compile(r'[,"\r\n]').search


def _csv_field(text: str) -> str:
    """Quote a text field the way csv.writer's minimal quoting does."""
    if text and _NEEDS_QUOTES(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(out: TextIO) -> int:
    """Write the journal as CSV; returns the number of transactions written.

    Rows are formatted by hand (RFC 4180 minimal quoting, as csv.writer does) because the
    export of a million transactions is dominated by per-row formatting; the tests read the
    output back with the csv module.
    """
    accounts = {pk: _csv_field(code) for pk, code in Account.objects.values_list("pk", "code")}
    out.write(",".join(CSV_COLUMNS) + "\n")
    count = 0
    pending: list[str] = []
    for row in iter_journal():
        prefix = ",".join(
            (
                str(row.sequence),
                row.date,
                row.recorded_at,
                row.kind,
                row.currency,
                _csv_field(row.memo),
                _csv_field(row.source_ref),
                _csv_field(row.idempotency_key),
                "" if row.reverses is None else str(row.reverses),
                "" if row.actor is None else str(row.actor),
                row.prev_hash,
                row.hash,
            )
        )
        for account_id, amount in row.postings:
            pending.append(
                f"{prefix},{accounts[account_id]},{amount},{format_units(amount, row.currency)}\n"
            )
        count += 1
        if len(pending) >= 10_000:
            out.write("".join(pending))
            pending.clear()
    out.write("".join(pending))
    return count


_BEANCOUNT_ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.NET_ASSETS: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}


def beancount_account(code: str, account_type: str) -> str:
    """BAIL_OUTSTANDING -> 'Assets:BailOutstanding'."""
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
            f"{row.date} * {_quote(row.kind)} {_quote(row.memo)}\n"
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
