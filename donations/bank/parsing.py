"""What every statement reader gives back, and the conversions they share.

A reader turns a file into a :class:`ParsedStatement` or refuses it with
:class:`~donations.exceptions.InvalidBankStatement`, naming the line (a CSV line number, an
OFX transaction, a CAMT entry). Readers write nothing; ``donations.bank.importing`` stores
a statement only once its reader accepted all of it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from donations.exceptions import InvalidBankStatement
from ledger.books.entries import MAX_ABS_AMOUNT
from ledger.books.money import minor_unit_exponent

# A statement file is at most this large: a year of a busy account's lines is far less.
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ParsedLine:
    position: int  # the CSV line, or the OFX transaction or CAMT entry number
    posted_on: dt.date
    amount: int  # minor units, money in > 0
    description: str = ""
    bank_reference: str = ""  # the bank's own id of the line (FITID, AcctSvcrRef)
    reference: str = ""  # references the payer or payee gave (memo, end-to-end id)
    check_number: str = ""
    value_on: dt.date | None = None
    balance: int | None = None


@dataclass
class ParsedStatement:
    lines: list[ParsedLine]
    closing_balance: int | None
    opening_balance: int | None = None
    currency: str = ""  # empty: the file does not say (CSV)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    bank_statement_id: str = ""
    bank_account: str = ""  # the last four characters of the account number
    where: dict[int, str] = field(default_factory=dict)  # position -> "line 7"


def refuse(where: str, message: str) -> InvalidBankStatement:
    return InvalidBankStatement(f"{where[:1].upper()}{where[1:]}: {message}" if where else message)


def to_minor(value: Decimal, currency: str, where: str) -> int:
    """A decimal amount in ``currency`` as integer minor units; refused when it has more
    decimals than the currency has, or is beyond what the books hold."""
    exponent = minor_unit_exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise refuse(where, f"the amount {value} has more than {exponent} decimals.")
    minor = int(scaled)
    if abs(minor) > MAX_ABS_AMOUNT:
        raise refuse(where, f"the amount {value} is larger than the books hold.")
    return minor


_PLAIN_DECIMAL = re.compile(r"^[-+]?\d{1,15}(\.\d{1,6})?$")


def plain_decimal(text: str, where: str, what: str = "amount") -> Decimal:
    """A number written as XML and OFX write them: digits, a point, an optional sign."""
    text = (text or "").strip()
    if not _PLAIN_DECIMAL.match(text):
        raise refuse(where, f"the {what} {text[:30]!r} is not a number like 1234.56.")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise refuse(where, f"the {what} {text[:30]!r} is not a number like 1234.56.")


def iso_date(text: str, where: str, what: str = "date") -> dt.date:
    """YYYY-MM-DD, or the date part of an ISO date and time, as the bank wrote it (not
    moved to another time zone)."""
    text = (text or "").strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise refuse(where, f"the {what} {text[:30]!r} is not a date like 2026-03-31.")


def compact_date(text: str, where: str, what: str = "date") -> dt.date:
    """OFX's YYYYMMDD[HHMMSS[.XXX][[gmt offset:tz name]]]: the day as the bank wrote it."""
    text = (text or "").strip()
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        raise refuse(where, f"the {what} {text[:30]!r} is not a date like 20260331.")


def clean(text: str | None, limit: int) -> str:
    """Text from a statement on one line, at most ``limit`` characters."""
    return " ".join((text or "").split())[:limit]


def last_four(account_number: str | None) -> str:
    digits = "".join(ch for ch in (account_number or "") if ch.isalnum())
    return digits[-4:]


def reject_xml_declarations(data: bytes) -> None:
    """No document type declarations or entities: a statement never needs them, and they
    are how an XML file makes its reader expand it without end or read other files."""
    upper = data.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise InvalidBankStatement(
            "The file declares a document type or entities, which a bank statement never "
            "does; it was not read."
        )


def check_size(data: bytes) -> None:
    if not data:
        raise InvalidBankStatement("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidBankStatement(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
            "export a shorter period."
        )
