"""Importing a bank statement: read it whole, then store it once, then propose matches.

A file is read by its format's reader (CSV with a saved mapping, OFX, CAMT.053) before
anything is written, so a file refused for any line changes nothing. Then, in one
database transaction:

* a statement whose fingerprint (its account, currency, period, balances and lines) is
  stored already is that statement imported again: nothing changes;
* a line whose fingerprint is stored for the account already (the bank's own reference
  for it, else its date, amount, description, check number and how many such lines came
  before it in the file) came with an earlier, overlapping statement and is not stored
  again;
* the rest is stored, audited (numbers only) and matched against the books
  (``donations.bank.matching``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from donations.bank.camt053 import parse_camt053
from donations.bank.csv_reader import parse_csv
from donations.bank.matching import propose_matches
from donations.bank.ofx_reader import parse_ofx
from donations.bank.parsing import ParsedStatement, check_size, line_at, refuse
from donations.exceptions import InvalidBankStatement
from donations.models import BankCsvMapping, BankStatement, BankStatementLine, StatementFormat
from ledger.books.chart import BANK
from ledger.books.posting import audit_record
from ledger.models import Account, AccountType
from ledger.staff.roles import Capability, require


@dataclass(frozen=True)
class Imported:
    statement: BankStatement
    created: bool  # False: this statement had been imported already; nothing changed
    new_lines: int = 0
    known_lines: int = 0
    proposals: int = 0
    unmatched: int = 0

    def summary(self) -> str:
        """What the import did, in the active language (a command has none: English)."""
        values = {
            "statement": self.statement.pk,
            "new": self.new_lines,
            "known": self.known_lines,
            "proposals": self.proposals,
            "unmatched": self.unmatched,
        }
        if not self.created:
            message = gettext("Statement %(statement)s was imported already; nothing changed.")
        elif self.known_lines:
            message = gettext(
                "Statement %(statement)s imported: %(new)s new lines (%(known)s already "
                "imported), %(proposals)s matches proposed, %(unmatched)s lines without a match."
            )
        else:
            message = gettext(
                "Statement %(statement)s imported: %(new)s new lines, %(proposals)s matches "
                "proposed, %(unmatched)s lines without a match."
            )
        return message % values


def csv_mapping(name: str | None) -> BankCsvMapping:
    """The mapping named, or the only one saved."""
    if name:
        mapping = BankCsvMapping.objects.filter(name=name).first()
        if mapping is None:
            saved = ", ".join(BankCsvMapping.objects.values_list("name", flat=True)[:20])
            message = gettext("No CSV mapping is named %(name)s (saved: %(saved)s).")
            values = {"name": repr(name), "saved": saved or pgettext("bank CSV mappings", "none")}
            raise InvalidBankStatement(message % values)
        return mapping
    mappings = list(BankCsvMapping.objects.all()[:2])
    if not mappings:
        raise InvalidBankStatement(
            gettext("No CSV mapping is saved yet: add the bank's at /staff/bank/mappings/new/.")
        )
    if len(mappings) > 1:
        raise InvalidBankStatement(
            gettext("Several CSV mappings are saved: name the one to read with.")
        )
    return mappings[0]


def books_account(code: str) -> Account:
    account = Account.objects.filter(code=code).first()
    if account is None or account.type != AccountType.ASSET:
        message = gettext("%(code)s is not an asset account of the books.")
        raise InvalidBankStatement(message % {"code": repr(code)})
    return account


def read(
    data: bytes, fmt: str, *, currency: str, mapping=None, closing_balance: int | None = None
) -> ParsedStatement:
    check_size(data)
    if fmt == StatementFormat.CSV:
        return parse_csv(data, mapping, currency=currency, closing_balance=closing_balance)
    if fmt == StatementFormat.OFX:
        parsed = parse_ofx(data)
    elif fmt == StatementFormat.CAMT053:
        parsed = parse_camt053(data)
    else:
        raise InvalidBankStatement(gettext("The format is csv, ofx or camt053."))
    if closing_balance is not None and closing_balance != parsed.closing_balance:
        raise InvalidBankStatement(
            gettext("The closing balance given is not the one the statement states.")
        )
    return parsed


def _digest(*parts) -> str:
    text = json.dumps(parts, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def line_fingerprints(account_code: str, parsed: ParsedStatement) -> list[str]:
    seen_references: dict[str, int] = {}
    occurrences: Counter = Counter()
    fingerprints = []
    for line in parsed.lines:
        if line.bank_reference:
            earlier = seen_references.setdefault(line.bank_reference, line.position)
            if earlier != line.position:
                where = parsed.where.get(line.position) or line_at(line.position)
                first = parsed.where.get(earlier, str(earlier))
                message = gettext("it repeats the bank reference of %(first)s.")
                raise refuse(where, message % {"first": first})
            key = ("reference", line.bank_reference)
        else:
            content = (
                line.posted_on.isoformat(),
                line.amount,
                line.description.casefold(),
                line.check_number,
            )
            occurrences[content] += 1
            key = ("content", *content, occurrences[content])
        fingerprints.append(_digest(account_code, *key))
    return fingerprints


def _known(account_code: str, fingerprints: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(fingerprints), 500):
        known.update(
            BankStatementLine.objects.filter(
                account_code=account_code, fingerprint__in=fingerprints[start : start + 500]
            ).values_list("fingerprint", flat=True)
        )
    return known


def statement_import(
    *,
    actor,
    data: bytes,
    fmt: str,
    account_code: str = BANK,
    mapping: BankCsvMapping | None = None,
    closing_balance: int | None = None,
    period_end: dt.date | None = None,
    file_name: str = "",
) -> Imported:
    """Import one statement (``actor`` None: a command). Refuses, changing nothing, a file
    that cannot be read whole; returns the earlier statement when it is the same one."""
    if actor is not None:
        require(actor, Capability.RECONCILE)
    account = books_account(account_code)
    currency = account.currency.lower()
    if fmt == StatementFormat.CSV and mapping is None:
        mapping = csv_mapping(None)
    parsed = read(data, fmt, currency=currency, mapping=mapping, closing_balance=closing_balance)
    if parsed.currency and parsed.currency != currency:
        message = gettext("The statement is in %(found)s; %(account)s is kept in %(currency)s.")
        values = {
            "found": parsed.currency.upper(),
            "account": account_code,
            "currency": currency.upper(),
        }
        raise InvalidBankStatement(message % values)
    dates = [line.posted_on for line in parsed.lines]
    start = min([parsed.period_start, *dates])
    end = max([parsed.period_end, *dates])
    if period_end is not None:
        if period_end < end:
            message = gettext("The statement's end date cannot be before its last line (%(day)s).")
            raise InvalidBankStatement(message % {"day": end.isoformat()})
        end = period_end
    fingerprints = line_fingerprints(account_code, parsed)
    fingerprint = _digest(
        "statement", account_code, currency, start, end, parsed.closing_balance, fingerprints
    )
    try:
        return _store(
            actor,
            parsed,
            fmt=fmt,
            account_code=account_code,
            mapping=mapping if fmt == StatementFormat.CSV else None,
            currency=currency,
            period=(start, end),
            fingerprint=fingerprint,
            fingerprints=fingerprints,
            file_name=file_name,
        )
    except IntegrityError:
        # An import of the same statement, or of lines it shares, committed meanwhile.
        earlier = BankStatement.objects.filter(fingerprint=fingerprint).first()
        if earlier is not None:
            return Imported(earlier, created=False)
        raise InvalidBankStatement(
            gettext("Another import of some of the same lines ran at the same time; import again.")
        )


def _store(
    actor,
    parsed: ParsedStatement,
    *,
    fmt,
    account_code,
    mapping,
    currency,
    period,
    fingerprint,
    fingerprints,
    file_name,
) -> Imported:
    start, end = period
    with transaction.atomic():
        earlier = BankStatement.objects.filter(fingerprint=fingerprint).first()
        if earlier is not None:
            return Imported(earlier, created=False)
        known = _known(account_code, fingerprints)
        statement = BankStatement.objects.create(
            account_code=account_code,
            format=fmt,
            mapping=mapping,
            fingerprint=fingerprint,
            bank_statement_id=parsed.bank_statement_id,
            bank_account=parsed.bank_account,
            currency=currency,
            period_start=start,
            period_end=end,
            opening_balance=parsed.opening_balance,
            closing_balance=parsed.closing_balance,
            file_name=file_name[:200],
            lines_in_file=len(parsed.lines),
            lines_already_imported=len(known),
            imported_by=actor,
            imported_at=timezone.now(),
        )
        new = [
            BankStatementLine(
                statement=statement,
                account_code=account_code,
                position=line.position,
                posted_on=line.posted_on,
                value_on=line.value_on,
                amount=line.amount,
                description=line.description,
                bank_reference=line.bank_reference,
                reference=line.reference,
                check_number=line.check_number,
                balance=line.balance,
                fingerprint=fp,
            )
            for line, fp in zip(parsed.lines, fingerprints, strict=True)
            if fp not in known
        ]
        BankStatementLine.objects.bulk_create(new, batch_size=1000)
        audit_record(
            actor,
            "bank_statement",
            statement.pk,
            "bank_statement.imported",
            {
                "format": fmt,
                "account": account_code,
                "period_end": end.isoformat(),
                "closing_balance": parsed.closing_balance,
                "lines": len(new),
                "already_imported": len(known),
            },
        )
        proposed = propose_matches(statement)
    return Imported(
        statement,
        created=True,
        new_lines=len(new),
        known_lines=len(known),
        proposals=proposed.proposals,
        unmatched=proposed.unmatched,
    )


def mapping_save(*, actor, form) -> BankCsvMapping:
    """Save a bank's CSV mapping from its valid form (audited, by name only)."""
    require(actor, Capability.RECONCILE)
    with transaction.atomic():
        mapping = form.save(commit=False)
        mapping.created_by = actor
        mapping.save()
        audit_record(actor, "bank_csv_mapping", mapping.pk, "bank_csv_mapping.created", {})
    return mapping
