"""Bank statements in ISO 20022 CAMT.053 (bank-to-customer statement), read with the
standard library's XML parser by the schema's element names, whatever the version's
namespace (``camt.053.001.02`` to ``.13`` name these elements alike):

``Document/BkToCstmrStmt/Stmt``: one statement, with ``Id``, ``Acct`` (``Id/IBAN`` or
``Id/Othr/Id``, ``Ccy``), ``FrToDt`` (``FrDtTm``, ``ToDtTm``), balances ``Bal`` (type
``Tp/CdOrPrtry/Cd``: ``OPBD`` opening and ``CLBD`` closing booked; ``Amt`` with ``Ccy``;
``CdtDbtInd``; ``Dt/Dt``) and entries ``Ntry`` (``Amt``, ``CdtDbtInd``, ``Sts``,
``BookgDt``, ``ValDt``, ``AcctSvcrRef``, ``AddtlNtryInf`` and ``NtryDtls/TxDtls`` with
``Refs/EndToEndId``, ``Refs/ChqNb`` and ``RmtInf/Ustrd``).

Only booked entries (``Sts`` ``BOOK``) are lines: pending ones are not in the closing
booked balance. The opening balance plus the booked entries must give the closing one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.utils.translation import gettext

from donations.bank.parsing import (
    ParsedLine,
    ParsedStatement,
    clean,
    iso_date,
    last_four,
    plain_decimal,
    refuse,
    reject_xml_declarations,
    to_minor,
)
from donations.exceptions import InvalidBankStatement


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _find(element, path: str):
    for name in path.split("/"):
        if element is None:
            return None
        found = _kids(element, name)
        element = found[0] if found else None
    return element


def _under(element, path: str, name: str) -> list:
    """The ``name`` children of the element at ``path`` (none when it is absent)."""
    found = _find(element, path)
    return _kids(found, name) if found is not None else []


def _text(element, path: str) -> str:
    found = _find(element, path)
    return (found.text or "").strip() if found is not None else ""


def _date(element, path: str, where: str, what: str):
    """``…/Dt`` or ``…/DtTm`` (the date part, as written)."""
    holder = _find(element, path)
    if holder is None:
        return None
    text = _text(holder, "Dt") or _text(holder, "DtTm")
    return iso_date(text, where, what) if text else None


def _signed(element, where: str, currency: str) -> tuple[int, str]:
    """An ``Amt`` with its ``CdtDbtInd``: (signed minor units, the amount's currency)."""
    amount = _find(element, "Amt")
    if amount is None:
        raise refuse(where, gettext("it has no amount (Amt)."))
    ccy = (amount.get("Ccy") or "").strip().lower()
    indicator = _text(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        message = gettext("its credit or debit indicator is %(indicator)s, not CRDT or DBIT.")
        raise refuse(where, message % {"indicator": repr(indicator[:10])})
    value = plain_decimal(amount.text or "", where)
    if value < 0:
        raise refuse(where, gettext("its amount is negative; CAMT gives the sign in CdtDbtInd."))
    minor = to_minor(value, ccy or currency, where)
    return (-minor if indicator == "DBIT" else minor), ccy


def _root(data: bytes):
    reject_xml_declarations(data)
    try:
        root = ET.fromstring(data)  # noqa: S314 (declarations are refused above)
    except ET.ParseError as error:
        line, column = error.position
        message = gettext(
            "Line %(line)d, column %(column)d: this is not XML that can be read (%(error)s)."
        )
        raise InvalidBankStatement(message % {"line": line, "column": column, "error": error})
    statement_group = _find(root, "BkToCstmrStmt") if _local(root.tag) == "Document" else None
    if statement_group is None:
        raise InvalidBankStatement(
            gettext("This is not a CAMT.053 statement: it has no Document/BkToCstmrStmt.")
        )
    statements = _kids(statement_group, "Stmt")
    if len(statements) != 1:
        message = gettext(
            "A CAMT.053 file to import holds one statement (Stmt); this one holds %(count)d."
        )
        raise InvalidBankStatement(message % {"count": len(statements)})
    return statements[0]


def _balances(stmt, currency: str) -> dict[str, tuple[int, object]]:
    found: dict[str, tuple[int, object]] = {}
    for number, balance in enumerate(_kids(stmt, "Bal"), 1):
        code = _text(balance, "Tp/CdOrPrtry/Cd")
        if code not in ("OPBD", "PRCD", "CLBD"):
            continue
        where = gettext("balance %(number)d (%(code)s)") % {"number": number, "code": code}
        amount, ccy = _signed(balance, where, currency)
        if currency and ccy and ccy != currency:
            message = gettext("it is in %(found)s, the account in %(currency)s.")
            raise refuse(where, message % {"found": ccy.upper(), "currency": currency.upper()})
        day = _date(balance, "Dt", where, gettext("the date"))
        if code == "PRCD":
            code = "OPBD" if "OPBD" not in found else "PRCD"
        found.setdefault(code, (amount, day))
    return found


def _entry_at(number: int, reference: str = "") -> str:
    """Where a refusal is: 'entry 3 (the bank's reference)'."""
    if reference:
        message = gettext("entry %(number)d (%(reference)s)")
        return message % {"number": number, "reference": reference}
    return gettext("entry %(number)d") % {"number": number}


def _entry(entry, number: int, currency: str) -> ParsedLine | None:
    ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    where = _entry_at(number, ref[:40])
    status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
    if status and status != "BOOK":
        return None
    amount, ccy = _signed(entry, where, currency)
    if ccy and currency and ccy != currency:
        message = gettext("it is in %(found)s, the statement in %(currency)s.")
        raise refuse(where, message % {"found": ccy.upper(), "currency": currency.upper()})
    if amount == 0:
        return None
    booked = _date(entry, "BookgDt", where, gettext("the booking date"))
    value = _date(entry, "ValDt", where, gettext("the value date"))
    if booked is None and value is None:
        raise refuse(where, gettext("it has no booking date (BookgDt)."))
    details = _under(entry, "NtryDtls", "TxDtls")
    references, remittance, checks, tx_info = [], [], [], []
    for tx in details:
        end_to_end = _text(tx, "Refs/EndToEndId")
        if end_to_end and end_to_end.upper() != "NOTPROVIDED":
            references.append(end_to_end)
        checks.append(_text(tx, "Refs/ChqNb"))
        ref = ref or _text(tx, "Refs/AcctSvcrRef")
        remittance += [(u.text or "").strip() for u in _under(tx, "RmtInf", "Ustrd")]
        tx_info.append(_text(tx, "AddtlTxInf"))
    description = _text(entry, "AddtlNtryInf") or " ".join(filter(None, tx_info + remittance))
    return ParsedLine(
        position=number,
        posted_on=booked or value,
        value_on=value,
        amount=amount,
        description=clean(description, 300),
        bank_reference=clean(ref, 100),
        reference=clean(" ".join(filter(None, references + remittance)), 300),
        check_number=clean(next(filter(None, checks), ""), 30),
    )


def parse_camt053(data: bytes) -> ParsedStatement:
    stmt = _root(data)
    currency = _text(stmt, "Acct/Ccy").lower()
    balances = _balances(stmt, currency)
    if "CLBD" not in balances:
        raise InvalidBankStatement(
            gettext("The statement has no closing booked balance (Bal CLBD).")
        )
    closing, closing_day = balances["CLBD"]
    opening, opening_day = balances.get("OPBD", (None, None))
    if not currency:
        amounts = [_find(b, "Amt") for b in _kids(stmt, "Bal")]
        currency = next(((a.get("Ccy") or "").lower() for a in amounts if a is not None), "")
    lines, where_of = [], {}
    for number, entry in enumerate(_kids(stmt, "Ntry"), 1):
        line = _entry(entry, number, currency)
        if line is not None:
            lines.append(line)
            where_of[number] = _entry_at(number)
    total = sum(line.amount for line in lines)
    if opening is not None and opening + total != closing:
        raise InvalidBankStatement(
            gettext(
                "The booked entries do not add up: the opening balance plus the entries is not "
                "the closing balance. The file may be incomplete."
            )
        )
    dates = [line.posted_on for line in lines]
    start_text, end_text = _text(stmt, "FrToDt/FrDtTm"), _text(stmt, "FrToDt/ToDtTm")
    whole = gettext("the statement")
    start = iso_date(start_text, whole, gettext("the start")) if start_text else None
    end = iso_date(end_text, whole, gettext("the end")) if end_text else None
    start = start or opening_day or (min(dates) if dates else None)
    end = end or closing_day or (max(dates) if dates else None)
    if start is None or end is None:
        raise refuse(whole, gettext("it gives no period and has no entries."))
    if start > end:
        raise refuse(whole, gettext("its period ends before it starts."))
    account = _text(stmt, "Acct/Id/IBAN") or _text(stmt, "Acct/Id/Othr/Id")
    return ParsedStatement(
        lines=sorted(lines, key=lambda line: (line.posted_on, line.position)),
        closing_balance=closing,
        opening_balance=opening if opening is not None else closing - total,
        currency=currency,
        period_start=start,
        period_end=end,
        bank_statement_id=clean(_text(stmt, "Id"), 64),
        bank_account=last_four(account),
        where=where_of,
    )
