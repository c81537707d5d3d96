"""Bank statements in OFX (1.x SGML or 2.x XML), read with ``ofxtools``.

``ofxtools`` parses the file and checks it against the OFX specification (required
elements, types). Dates are taken as the bank wrote them (the day of ``DTPOSTED``), never
moved to another time zone. One file holds one bank statement (``STMTRS``), whose
``LEDGERBAL`` is its closing balance; each ``STMTTRN`` is a line, its ``FITID`` the bank's
own reference.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext
from ofxtools.models.base import Aggregate
from ofxtools.Parser import OFXTree

from donations.bank.parsing import (
    ParsedLine,
    ParsedStatement,
    clean,
    compact_date,
    last_four,
    refuse,
    reject_xml_declarations,
    to_minor,
)
from donations.exceptions import InvalidBankStatement

# What ofxtools raises for a file it cannot read or that breaks the specification.
_OFX_ERRORS = (
    SyntaxError,
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    ArithmeticError,
)


def _detail(error: Exception) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


def _where(number: int, fitid: str) -> str:
    """Where a refusal is: 'transaction 3 (FITID 2026033101)'."""
    if fitid:
        message = gettext("transaction %(number)d (FITID %(fitid)s)")
        return message % {"number": number, "fitid": fitid}
    return gettext("transaction %(number)d") % {"number": number}


def _tree(data: bytes):
    reject_xml_declarations(data)
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
    except _OFX_ERRORS as error:
        message = gettext("This is not an OFX file that can be read: %(detail)s")
        raise InvalidBankStatement(message % {"detail": _detail(error)})
    try:
        return tree, tree.convert()
    except _OFX_ERRORS as error:
        _refuse_transaction(tree)
        message = gettext("This is not an OFX statement that can be read: %(detail)s")
        raise InvalidBankStatement(message % {"detail": _detail(error)})


def _refuse_transaction(tree) -> None:
    """Name the transaction that breaks the specification, when one does."""
    for number, raw in enumerate(tree.getroot().iter("STMTTRN"), 1):
        try:
            Aggregate.from_etree(raw)
        except _OFX_ERRORS as error:
            message = gettext("it breaks the OFX specification: %(detail)s")
            where = _where(number, _raw(raw, "FITID")[:40])
            raise refuse(where, message % {"detail": _detail(error)})


def _raw(element, tag: str) -> str:
    found = element.find(tag) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def parse_ofx(data: bytes) -> ParsedStatement:
    tree, ofx = _tree(data)
    statements = [s for s in (getattr(ofx, "statements", None) or []) if s is not None]
    raw_statements = tree.getroot().findall(".//STMTRS")
    if len(statements) != 1 or len(raw_statements) != 1:
        message = gettext(
            "An OFX file to import holds one bank account statement; this one holds %(count)d."
        )
        raise InvalidBankStatement(message % {"count": len(raw_statements)})
    statement, raw = statements[0], raw_statements[0]
    currency = str(statement.curdef or "").lower()
    if statement.ledgerbal is None:
        raise InvalidBankStatement(gettext("The OFX statement has no closing balance (LEDGERBAL)."))
    where = gettext("the closing balance")
    closing = to_minor(Decimal(statement.ledgerbal.balamt), currency, where)
    raw_list = raw.find("BANKTRANLIST")
    transactions = list(statement.banktranlist or []) if statement.banktranlist else []
    raw_transactions = raw_list.findall("STMTTRN") if raw_list is not None else []
    if len(transactions) != len(raw_transactions):
        raise InvalidBankStatement(
            gettext("The OFX statement's transaction list could not be read.")
        )
    lines, where_of = [], {}
    for number, (txn, raw_txn) in enumerate(zip(transactions, raw_transactions, strict=True), 1):
        fitid = clean(txn.fitid, 100)
        where = _where(number, fitid[:40])
        amount = to_minor(Decimal(txn.trnamt), currency, where)
        if amount == 0:
            continue
        value_text = _raw(raw_txn, "DTAVAIL")
        lines.append(
            ParsedLine(
                position=number,
                posted_on=compact_date(
                    _raw(raw_txn, "DTPOSTED"), where, gettext("the posting date")
                ),
                value_on=(
                    compact_date(value_text, where, gettext("the value date"))
                    if value_text
                    else None
                ),
                amount=amount,
                description=clean(" ".join(filter(None, (txn.name, txn.memo))), 300),
                bank_reference=fitid,
                reference=clean(" ".join(filter(None, (txn.refnum, txn.srvrtid))), 300),
                check_number=clean(txn.checknum, 30),
            )
        )
        where_of[number] = where
    start_text, end_text = _raw(raw_list, "DTSTART"), _raw(raw_list, "DTEND")
    dates = [line.posted_on for line in lines]
    whole = gettext("the statement")
    start = compact_date(start_text, whole, gettext("the start date")) if start_text else None
    end = compact_date(end_text, whole, gettext("the end date")) if end_text else None
    # Some banks end a period at midnight starting the next day.
    if end is not None and end_text[8:14] in ("", "000000") and dates and end > max(dates):
        end = max(end.fromordinal(end.toordinal() - 1), max(dates))
    start = start or (min(dates) if dates else None)
    end = end or (max(dates) if dates else None)
    if start is None or end is None:
        raise refuse(whole, gettext("it gives no period and has no transactions."))
    if start > end:
        raise refuse(whole, gettext("its period ends before it starts."))
    return ParsedStatement(
        lines=sorted(lines, key=lambda line: (line.posted_on, line.position)),
        closing_balance=closing,
        opening_balance=closing - sum(line.amount for line in lines),
        currency=currency,
        period_start=start,
        period_end=end,
        bank_account=last_four(getattr(statement.account, "acctid", "")),
        where=where_of,
    )
