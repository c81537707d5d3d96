"""Opening balances: a fund moving from a spreadsheet brings its balances in once, from a
trial balance, as one ``opening`` entry.

The trial balance is CSV with a header: ``account`` (a code of the chart) and either
``debit`` and ``credit`` or a signed ``amount`` (debits positive), in the fund's currency
as typed on the staff pages (``1,250.00``). Only balance-sheet accounts (assets,
liabilities, net assets) are accepted: income and expenses are closed into net assets
before books start. When the lines do not sum to zero and ``net_assets:opening_balance``
is not among them, it takes the difference; otherwise they must balance. The entry is
posted under one idempotency key, so the books take opening balances once and refuse
them after; its date must be in the open period like any posting.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django import forms
from django.db import transaction
from django.utils.translation import gettext, ngettext

from ledger import exceptions
from ledger.books.chart import OPENING_BALANCE
from ledger.books.posting import audit_record, transaction_post
from ledger.models import Account, AccountType, JournalTransaction, TransactionKind
from ledger.staff.fields import MoneyField

KEY = "opening-balances"
BALANCE_SHEET = ("asset", "liability", "net_assets")


class OpeningBalancesError(exceptions.LedgerError):
    """The trial balance was refused; nothing was posted."""


def opening_entry() -> JournalTransaction | None:
    return JournalTransaction.objects.filter(idempotency_key=KEY).first()


def _amount(text: str, line: int) -> int:
    try:
        # A file reads the same whatever the page's language: 1,250.00 or 1250.00.
        return MoneyField(allow_zero=True, required=False, language="en").clean(text) or 0
    except forms.ValidationError as error:
        message = gettext("Line %(line)d: %(problem)s")
        raise OpeningBalancesError(
            message % {"line": line, "problem": " ".join(error.messages)}
        ) from None


def _not_balance_sheet(line: int, code: str, account_type: str) -> str:
    # One sentence per type (income and expense are the only others), so each reads whole.
    if account_type == AccountType.EXPENSE:
        message = gettext(
            "Line %(line)d: %(code)s is an expense account; a trial balance to open the "
            "books holds assets, liabilities and net assets only."
        )
    else:
        message = gettext(
            "Line %(line)d: %(code)s is an income account; a trial balance to open the "
            "books holds assets, liabilities and net assets only."
        )
    return message % {"line": line, "code": code}


def parse_trial_balance(text: str) -> list[tuple[str, int]]:
    """(account code, amount in minor units, debit positive) per line, in file order."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {name.strip().lower() for name in reader.fieldnames or []}
    if "account" not in fields or not ({"debit", "credit"} <= fields or "amount" in fields):
        raise OpeningBalancesError(
            gettext(
                "The first line must name the columns: account, and debit and credit (or amount)."
            )
        )
    types = dict(Account.objects.values_list("code", "type"))
    legs: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            message = gettext(
                "Line %(line)d: more values than columns; an amount with a comma, such as "
                "%(example)s, goes in quotes."
            )
            raise OpeningBalancesError(message % {"line": line, "example": '"1,250.00"'})
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        code = row.get("account", "")
        if not code:
            raise OpeningBalancesError(gettext("Line %(line)d: no account.") % {"line": line})
        if code not in types:
            message = gettext("Line %(line)d: there is no account %(code)s.")
            raise OpeningBalancesError(message % {"line": line, "code": repr(code)})
        if types[code] not in BALANCE_SHEET:
            raise OpeningBalancesError(_not_balance_sheet(line, code, types[code]))
        if code in legs:
            message = gettext("Line %(line)d: %(code)s is listed twice.")
            raise OpeningBalancesError(message % {"line": line, "code": code})
        if "amount" in row and row["amount"]:
            negative = row["amount"].startswith("-")
            value = _amount(row["amount"].lstrip("-"), line)
            amount = -value if negative else value
        else:
            amount = _amount(row.get("debit", ""), line) - _amount(row.get("credit", ""), line)
        if amount:
            legs[code] = amount
    if not legs:
        raise OpeningBalancesError(gettext("The trial balance has no balances."))
    return list(legs.items())


def opening_balances_post(
    *, legs: list[tuple[str, int]], date: dt.date, actor=None
) -> JournalTransaction:
    """Post the opening entry, balancing to ``net_assets:opening_balance`` when it is not
    listed; refused if the books already have opening balances."""
    earlier = opening_entry()
    if earlier is not None:
        message = gettext(
            "The books already have opening balances (#%(sequence)s); correct them with an "
            "entry in the open period."
        )
        raise OpeningBalancesError(message % {"sequence": earlier.sequence})
    total = sum(amount for _, amount in legs)
    codes = {code for code, _ in legs}
    if total and OPENING_BALANCE in codes:
        message = ngettext(
            "The trial balance does not balance: debits exceed credits by %(total)d minor unit.",
            "The trial balance does not balance: debits exceed credits by %(total)d minor units.",
            total,
        )
        raise OpeningBalancesError(message % {"total": total})
    if total:
        legs = [*legs, (OPENING_BALANCE, -total)]
    with transaction.atomic():
        txn = transaction_post(
            kind=TransactionKind.OPENING,
            date=date,
            legs=legs,
            idempotency_key=KEY,
            memo="Opening balances from the trial balance",
            source_ref="opening",
            actor=actor,
        )
        audit_record(
            actor,
            "journal_transaction",
            txn.sequence,
            "ledger.opening_balances",
            {"legs": len(legs)},
        )
    return txn
