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

from django.utils.translation import gettext

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


# The refusals are shown on the import page in the staff member's language (a command
# runs with none active: English). ``where`` and ``what`` are translated by the caller.


def line_at(number: int) -> str:
    """Where a refusal is, in a CSV file: 'line 7'."""
    return gettext("line %(number)d") % {"number": number}


def refuse(where: str, message: str) -> InvalidBankStatement:
    return InvalidBankStatement(f"{where[:1].upper()}{where[1:]}: {message}" if where else message)


def to_minor(value: Decimal, currency: str, where: str) -> int:
    """A decimal amount in ``currency`` as integer minor units; refused when it has more
    decimals than the currency has, or is beyond what the books hold."""
    exponent = minor_unit_exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        message = gettext("the amount %(value)s has more than %(exponent)d decimals.")
        raise refuse(where, message % {"value": value, "exponent": exponent})
    minor = int(scaled)
    if abs(minor) > MAX_ABS_AMOUNT:
        message = gettext("the amount %(value)s is larger than the books hold.")
        raise refuse(where, message % {"value": value})
    return minor


_PLAIN_DECIMAL = re.compile(r"^[-+]?\d{1,15}(\.\d{1,6})?$")


def plain_decimal(text: str, where: str, what: str | None = None) -> Decimal:
    """A number written as XML and OFX write them: digits, a point, an optional sign.
    ``what`` names it with its article, translated: 'the amount' by default."""
    text = (text or "").strip()
    try:
        if not _PLAIN_DECIMAL.match(text):
            raise InvalidOperation
        return Decimal(text)
    except InvalidOperation:
        # Translators: %(what)s names the number with its article ('the amount').
        message = gettext("%(what)s %(value)s is not a number like 1234.56.")
        values = {"what": what or gettext("the amount"), "value": repr(text[:30])}
        raise refuse(where, message % values) from None


def iso_date(text: str, where: str, what: str | None = None) -> dt.date:
    """YYYY-MM-DD, or the date part of an ISO date and time, as the bank wrote it (not
    moved to another time zone). ``what``: 'the date' by default, as in :func:`plain_decimal`."""
    text = (text or "").strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        # Translators: %(what)s names the date with its article ('the booking date').
        message = gettext("%(what)s %(value)s is not a date like 2026-03-31.")
        values = {"what": what or gettext("the date"), "value": repr(text[:30])}
        raise refuse(where, message % values) from None


def compact_date(text: str, where: str, what: str | None = None) -> dt.date:
    """OFX's YYYYMMDD[HHMMSS[.XXX][[gmt offset:tz name]]]: the day as the bank wrote it."""
    text = (text or "").strip()
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        # Translators: %(what)s names the date with its article ('the posting date').
        message = gettext("%(what)s %(value)s is not a date like 20260331.")
        values = {"what": what or gettext("the date"), "value": repr(text[:30])}
        raise refuse(where, message % values) from None


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
            gettext(
                "The file declares a document type or entities, which a bank statement never "
                "does; it was not read."
            )
        )


def check_size(data: bytes) -> None:
    if not data:
        raise InvalidBankStatement(gettext("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise InvalidBankStatement(
            gettext("The file is larger than %(size)d MB; export a shorter period.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
