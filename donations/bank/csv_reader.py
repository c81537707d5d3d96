"""Bank statements exported as CSV, read with the bank's saved mapping
(:class:`~donations.bank.models.BankCsvMapping`).

Each bank writes its own columns: one signed amount, or a debit and a credit column; a
running balance or none; newest line first or last; dates and decimals its own way. The
mapping names the columns (by header, or by number in a file without a header row) and
the styles. A line whose date or amount does not read refuses the whole file, naming the
line. With a balance column, the balances must follow the amounts (in one direction or
the other: that tells which end of the file is the newest), which also catches a mapping
that reads debits as credits; without one, the closing balance is given on import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

from django.utils.translation import gettext, pgettext, pgettext_lazy

from donations.bank.parsing import (
    ParsedLine,
    ParsedStatement,
    clean,
    line_at,
    refuse,
    to_minor,
)
from donations.exceptions import InvalidBankStatement

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_FORMAT_WORDS = (
    ("%Y", "YYYY"),
    ("%y", "YY"),
    ("%m", "MM"),
    ("%d", "DD"),
    ("%b", "Mon"),
    ("%B", "Month"),
    ("%j", "DDD"),
)
_POINT = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_COMMA = re.compile(r"^(\d{1,3}([. \u00a0]\d{3})+|\d+)(,\d+)?$")
_EXAMPLE = {"point": "1,234.56", "comma": "1.234,56"}


def human_date_format(fmt: str) -> str:
    for code, word in _FORMAT_WORDS:
        fmt = fmt.replace(code, word)
    return fmt


def date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot read a statement's dates, or None: it must name a year, a
    month and a day, and read back a date it wrote."""
    # The codes are placeholders' values so that the messages hold no bare % sign.
    names = {"year": "%Y", "month": "%m", "day": "%d", "example": "%m/%d/%Y"}
    if not all(any(code in fmt for code in codes) for codes in (("%Y", "%y"), ("%m", "%b", "%B"))):
        return (
            gettext(
                "A date format names the year (%(year)s) and the month (%(month)s); for "
                "example %(example)s."
            )
            % names
        )
    if "%d" not in fmt:
        return gettext("A date format names the day (%(day)s); for example %(example)s.") % names
    sample = dt.date(2026, 11, 23)
    try:
        if dt.datetime.strptime(sample.strftime(fmt), fmt).date() != sample:
            raise ValueError
    except ValueError:
        message = gettext("The date format %(format)s cannot read back the dates it writes.")
        return message % {"format": repr(fmt)}
    return None


def _column_ref(value: str) -> int | None:
    """A column given by number (1 for the first), as an index; None for a header name."""
    value = value.strip().lstrip("#")
    return int(value) - 1 if value.isdigit() and int(value) > 0 else None


def mapping_problems(mapping) -> list[str]:
    """What makes a mapping unusable, in words for the person who wrote it."""
    problems = []
    amount, debit, credit = (
        mapping.amount_column.strip(),
        mapping.debit_column.strip(),
        mapping.credit_column.strip(),
    )
    if bool(amount) == bool(debit or credit) or (not amount and not (debit and credit)):
        problems.append(
            gettext("Name either the amount column, or both the debit and credit columns.")
        )
    if mapping.delimiter not in DELIMITERS:
        problems.append(gettext("The separator is a comma, a semicolon, a tab or a vertical bar."))
    if mapping.decimal_style not in _EXAMPLE:
        problems.append(gettext("Choose how the bank writes decimals."))
    if problem := date_format_problem(mapping.date_format):
        problems.append(problem)
    if not mapping.has_header:
        named = [c for c in _columns(mapping).values() if c and _column_ref(c) is None]
        if named:
            problems.append(
                gettext("Without a header row, name each column by its number (1 for the first).")
            )
    return problems


# What each column of a mapping holds, as the refusals name it.
_ROLE_WORDS = {
    "date": pgettext_lazy("bank CSV column", "date"),
    "description": pgettext_lazy("bank CSV column", "description"),
    "reference": pgettext_lazy("bank CSV column", "reference"),
    "check number": pgettext_lazy("bank CSV column", "check number"),
    "amount": pgettext_lazy("bank CSV column", "amount"),
    "debit": pgettext_lazy("bank CSV column", "debit"),
    "credit": pgettext_lazy("bank CSV column", "credit"),
    "balance": pgettext_lazy("bank CSV column", "balance"),
}


def _columns(mapping) -> dict[str, str]:
    return {
        "date": mapping.date_column.strip(),
        "description": mapping.description_column.strip(),
        "reference": mapping.reference_column.strip(),
        "check number": mapping.check_number_column.strip(),
        "amount": mapping.amount_column.strip(),
        "debit": mapping.debit_column.strip(),
        "credit": mapping.credit_column.strip(),
        "balance": mapping.balance_column.strip(),
    }


def decode(data: bytes) -> str:
    """Banks export UTF-8 (with or without a byte order mark) or Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidBankStatement(gettext("The file is not text (neither UTF-8 nor Windows-1252)."))


def parse_amount(text: str, style: str, currency: str, where: str) -> int | None:
    """``1,234.56``, ``-$1,234.56``, ``(1,234.56)`` or ``1,234.56-`` (or the comma style)
    as signed minor units; None for an empty cell."""
    raw = text.strip().replace("$", "").replace("€", "").replace("£", "").strip()
    if not raw:
        return None
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1].strip()
    if raw.endswith("-"):
        negative, raw = not negative, raw[:-1].strip()
    elif raw[:1] in "+-":
        negative, raw = (not negative if raw[0] == "-" else negative), raw[1:].strip()
    pattern, example = (_POINT, "point") if style == "point" else (_COMMA, "comma")
    if not pattern.match(raw):
        message = gettext("the amount %(value)s is not written like %(example)s.")
        raise refuse(
            where, message % {"value": repr(text.strip()[:30]), "example": _EXAMPLE[example]}
        )
    if style == "point":
        number = raw.replace(",", "")
    else:
        number = raw.replace(".", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    minor = to_minor(Decimal(number), currency, where)
    return -minor if negative else minor


class _Row:
    """One CSV row, read by the mapping's columns."""

    def __init__(self, cells: list[str], indexes: dict[str, int | None], where: str):
        self.cells, self.indexes, self.where = cells, indexes, where

    def get(self, name: str) -> str:
        index = self.indexes.get(name)
        if index is None:
            return ""
        if index >= len(self.cells):
            message = gettext(
                "it has %(count)d columns; the mapping reads the %(role)s from column %(column)d."
            )
            values = {
                "count": len(self.cells),
                "role": str(_ROLE_WORDS[name]),
                "column": index + 1,
            }
            raise refuse(self.where, message % values)
        return self.cells[index]


def _indexes(mapping, header: list[str] | None) -> dict[str, int | None]:
    names = [cell.strip().lower() for cell in header] if header is not None else None
    indexes: dict[str, int | None] = {}
    for role, ref in _columns(mapping).items():
        if not ref:
            indexes[role] = None
        elif (number := _column_ref(ref)) is not None:
            indexes[role] = number
        elif names is not None and ref.lower() in names:
            indexes[role] = names.index(ref.lower())
        else:
            found = ", ".join(cell.strip() for cell in (header or []) if cell.strip())[:300]
            message = gettext(
                "The file has no %(role)s column %(column)s (its columns: %(found)s). "
                "Check the mapping, or choose another one."
            )
            values = {
                "role": str(_ROLE_WORDS[role]),
                "column": repr(ref),
                "found": found or pgettext("bank CSV columns", "none"),
            }
            raise InvalidBankStatement(message % values)
    return indexes


def parse_csv(
    data: bytes, mapping, *, currency: str, closing_balance: int | None = None
) -> ParsedStatement:
    if problems := mapping_problems(mapping):
        message = gettext("The mapping %(name)s cannot be used: %(problem)s")
        raise InvalidBankStatement(message % {"name": repr(mapping.name), "problem": problems[0]})
    text = decode(data)
    skipped = mapping.skip_lines
    body = "".join(text.splitlines(keepends=True)[skipped:])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=mapping.delimiter, strict=True)
    indexes: dict[str, int | None] | None = None if mapping.has_header else _indexes(mapping, None)
    lines: list[ParsedLine] = []
    where_of: dict[int, str] = {}
    number = skipped
    try:
        for cells in reader:
            number = skipped + reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if indexes is None:
                indexes = _indexes(mapping, cells)
                continue
            where = line_at(number)
            line = _line(_Row(cells, indexes, where), mapping, currency, number)
            if line is not None:
                lines.append(line)
                where_of[number] = where
    except csv.Error as error:
        message = gettext("it is not CSV that can be read (%(error)s).")
        raise refuse(line_at(number + 1), message % {"error": error})
    if not lines:
        raise InvalidBankStatement(gettext("The file has no transactions to import."))
    return _statement(lines, where_of, closing_balance, has_balances=indexes["balance"] is not None)


def _line(row: _Row, mapping, currency: str, number: int) -> ParsedLine | None:
    where = row.where
    raw_date = row.get("date").strip()
    try:
        posted_on = dt.datetime.strptime(raw_date, mapping.date_format).date()
    except ValueError:
        message = gettext("%(value)s is not a date written %(format)s.")
        values = {"value": repr(raw_date[:30]), "format": human_date_format(mapping.date_format)}
        raise refuse(where, message % values) from None
    style = mapping.decimal_style
    if row.indexes["amount"] is not None:
        amount = parse_amount(row.get("amount"), style, currency, where)
        if amount is None:
            raise refuse(where, gettext("the amount is empty."))
    else:
        debit = parse_amount(row.get("debit"), style, currency, where)
        credit = parse_amount(row.get("credit"), style, currency, where)
        if debit and credit:
            raise refuse(where, gettext("it has both a debit and a credit."))
        if debit is None and credit is None:
            raise refuse(where, gettext("the debit and the credit are both empty."))
        amount = -abs(debit) if debit else abs(credit or 0)
    if amount == 0:
        return None  # a line that moves no money (a notice) is not a transaction
    balance = None
    if row.indexes["balance"] is not None:
        balance = parse_amount(row.get("balance"), style, currency, where)
    return ParsedLine(
        position=number,
        posted_on=posted_on,
        amount=amount,
        description=clean(row.get("description"), 300),
        bank_reference=clean(row.get("reference"), 100),
        check_number=clean(row.get("check number"), 30),
        balance=balance,
    )


def _balance_break(lines: list[ParsedLine]) -> ParsedLine | None:
    """The first line, taking ``lines`` as oldest first, whose balance is not the one
    before plus its amount; None when every balance follows."""
    running = None
    for line in lines:
        if running is not None:
            running += line.amount
        if line.balance is not None:
            if running is not None and running != line.balance:
                return line
            running = line.balance
    return None


def _statement(
    lines: list[ParsedLine], where_of: dict, closing: int | None, *, has_balances: bool
) -> ParsedStatement:
    newest_first = lines[0].posted_on > lines[-1].posted_on
    oldest_first = list(reversed(lines)) if newest_first else lines
    total = sum(line.amount for line in lines)
    if has_balances and any(line.balance is not None for line in lines):
        broken = _balance_break(oldest_first)
        if broken is not None and _balance_break(list(reversed(oldest_first))) is None:
            oldest_first = list(reversed(oldest_first))
        elif broken is not None:
            raise refuse(
                where_of[broken.position],
                gettext(
                    "its balance is not the balance before it plus its amount. Check the "
                    "mapping's amount (or debit and credit) and balance columns."
                ),
            )
        last = max(i for i, line in enumerate(oldest_first) if line.balance is not None)
        in_file = oldest_first[last].balance + sum(x.amount for x in oldest_first[last + 1 :])
        if closing is not None and closing != in_file:
            raise InvalidBankStatement(
                gettext("The closing balance given is not the one the file's balances end with.")
            )
        closing = in_file
    elif closing is None:
        raise InvalidBankStatement(
            gettext("The file gives no balances: give the statement's closing balance.")
        )
    return ParsedStatement(
        lines=oldest_first,
        closing_balance=closing,
        opening_balance=closing - total,
        period_start=min(line.posted_on for line in lines),
        period_end=max(line.posted_on for line in lines),
        where=where_of,
    )
