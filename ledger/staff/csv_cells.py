"""How a cell of a staff CSV is written: the one convention every staff list's export
follows (``ledger.staff.lists.CsvExport``), and the bank reconciliation report with it.

* Money: a decimal amount in the currency's major unit, the currency named in the heading
  only: "Amount (USD)" over "500.00", "-500.00"; no symbol, no thousands separator.
* A date: ISO 8601, "2026-03-04"; a month (where a role sees only the month):
  "2026-03".
* A moment: ISO 8601 in the fund's time zone, to the second, with its offset:
  "2026-03-04T09:15:00-06:00".
* Structured details: compact JSON with sorted keys, '{"from":"requested","to":"approved"}'.
* Nothing to show: a blank cell, never a dash.
* Text that a spreadsheet would run as a formula gets a leading apostrophe
  (:func:`spreadsheet_safe`); a plain number ("-500.00") stays a number.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.utils import timezone

from ledger.books.money import format_units

# A cell a spreadsheet would run as a formula: it starts with = + - @, a tab or a carriage
# return (https://owasp.org/www-community/attacks/CSV_Injection). A plain number or amount
# ("-500", "-500.00") is data, not a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(\.\d+)?")

# What a page shows for "nothing here"; a file leaves the cell blank instead.
EMPTY = ("—", "-", "–")


def spreadsheet_safe(value):
    """``value`` as a spreadsheet shows it and never runs it: a text that would start a
    formula gets a leading apostrophe, which spreadsheets read as "this is text"."""
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if formula and not _NUMBER.fullmatch(value) else value


def money_heading(label: str, currency: str) -> str:
    """'Amount' in USD -> 'Amount (USD)'."""
    return f"{label} ({currency.upper()})"


def money(amount: int | None, currency: str) -> str:
    """Integer minor units as the major-unit decimal: 50000 usd -> '500.00'."""
    return "" if amount is None else format_units(amount, currency.lower())


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()


def moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()


def details(value) -> str:
    if value is None or value == {}:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def cell(value):
    """Any cell of a staff CSV, written by the rules above; then made safe."""
    if value is None or (isinstance(value, str) and value.strip() in EMPTY):
        return ""
    if isinstance(value, dt.datetime):
        value = moment(value)
    elif isinstance(value, dt.date):
        value = day(value)
    elif isinstance(value, dict | list | tuple):
        value = details(value)
    return spreadsheet_safe(value)
