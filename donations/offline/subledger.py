"""Offline gifts against the books (a sub-ledger check of ``verify_ledger``, listed in
``DonationsConfig.subledger_checks``; how the checks work: ``ledger.books.subledgers``).

Each recorded gift has its entry (``offline_gift:<form token>``), of the gift's amount to
the bank (a check) or the cash box, and a bounced check's reversal gives back exactly
that; an entry booked for a gift that was never recorded is named too.
"""

from __future__ import annotations

from donations.models import OfflineGiftMethod
from ledger.books.chart import BANK, CASH, DONATIONS
from ledger.books.subledgers import (
    Findings,
    by_record,
    fail_unknown,
    fetch,
    leg_mismatches,
    named_in_journal,
)
from ledger.models import TransactionKind

# The gift's own entry, then the reversal of it (a bounced check), each with its legs.
_GIFT_LEGS = """
SELECT g.id, g.method, g.amount, g.currency, g.token, g.transaction_id,
       '{part}', t.sequence, t.kind, t.currency, t.source_ref, a.code, SUM(p.amount)
  FROM donations_offlinegift g
  {join} ledger_journaltransaction t ON t.{link} = g.transaction_id
  {join} ledger_posting p ON p.transaction_id = t.id
  {join} ledger_account a ON a.id = p.account_id
 GROUP BY g.id, g.method, g.amount, g.currency, g.token, g.transaction_id,
          t.sequence, t.kind, t.currency, t.source_ref, a.code
"""
_GIFTS = (
    _GIFT_LEGS.format(part="recorded", join="LEFT JOIN", link="id")
    + " UNION ALL "
    + _GIFT_LEGS.format(part="bounced", join="JOIN", link="reverses_id")
    + " ORDER BY 1"
)


def check_offline_gifts(findings: Findings) -> None:
    named = named_in_journal("offline_gift:")
    for record, rows in by_record(fetch(_GIFTS), 6):
        findings.records += 1
        named.pop(f"offline_gift:{record[4]}", None)
        findings.mismatch(f"offline gift {record[0]}", _clauses(record, rows))
    fail_unknown(findings, named, "offline gift")


def _clauses(record: tuple, rows: list[tuple]) -> list[tuple[str, int | None]]:
    _, method, amount, currency, token, transaction_id = record
    account = BANK if method == OfflineGiftMethod.CHECK else CASH
    entries: dict[str, tuple[int, str, str, str, dict[str, int]]] = {}
    for part, sequence, kind, txn_currency, source_ref, code, total in rows:
        if sequence is not None:
            entry = entries.setdefault(part, (sequence, kind, txn_currency, source_ref, {}))
            if code is not None:
                entry[4][code] = total
    if "recorded" not in entries:
        return [(f"its journal transaction (id {transaction_id}) is not in the journal", None)]
    sequence, kind, txn_currency, source_ref, legs = entries["recorded"]
    clauses: list[tuple[str, int | None]] = []
    if kind != TransactionKind.OFFLINE_GIFT:
        clauses.append((f"#{sequence} is booked as {kind}, not as an offline gift", sequence))
    if source_ref != f"offline_gift:{token}":
        clauses.append((f"#{sequence} is booked for another source", sequence))
    if txn_currency != currency:
        clauses.append((f"it is in {currency}, #{sequence} in {txn_currency}", sequence))
    recorded = {account: amount, DONATIONS: -amount}
    clauses += leg_mismatches(recorded, legs, {account: ("amount", 1)}, sequence)
    if "bounced" in entries:
        sequence, _, _, _, legs = entries["bounced"]
        given_back = {code: -value for code, value in recorded.items()}
        clauses += leg_mismatches(given_back, legs, {account: ("bounced", -1)}, sequence)
    return clauses
