"""Stripe's records against the books (sub-ledger checks of ``verify_ledger``, listed in
``DonationsConfig.subledger_checks``; how the checks work: ``ledger.books.subledgers``).

* **Charges.** A charge row that notes its balance transaction says the charge is booked:
  the entry ``stripe:<balance transaction id>`` must exist, as a donation, with the
  charge's amount (when it was paid in the currency of the books) and fee. A balance
  transaction the books refused (another currency) is already an open discrepancy, and is
  not repeated here. Each problem names the charge and its donation's public id.
* **Refunds and disputes.** The rows here keep no link from a refund or a dispute to its
  entries, but the processed events do: each refund's balance transaction (and a failed
  refund's, which gives the money back) must be booked as a refund of its amount, and each
  of a dispute's balance transactions as the recipe of ``donations.events.posting`` gives
  it. Events are trimmed after ``STRIPE_EVENT_RETENTION_DAYS``; older refunds and disputes
  are checked by reconciliation against Stripe itself.

Entries posted from Stripe's balance transactions need no row here (reconciliation posts
those whose events never came), so an entry without a charge row is not a problem.
"""

from __future__ import annotations

import uuid

from django.db.models import Max, Min, Q

from donations.events.posting import balance_transaction_key, entry_for
from donations.models import Discrepancy, EventStatus, StripeCharge, StripeEvent
from ledger.books.chart import (
    DISPUTE_LOSSES,
    DONATIONS,
    DONATIONS_REFUNDED,
    PROCESSING_FEES,
    STRIPE,
)
from ledger.books.entries import Entry
from ledger.books.subledgers import FETCH, Findings, by_record, fetch, leg_mismatches
from ledger.models import TransactionKind

K = TransactionKind
#: Charges are read in windows of ids: each window is one statement.
WINDOW = 10_000
REFUSED = "balance_transaction_refused"

_CHARGES = """
SELECT c.id, c.charge_id, c.amount, c.fee, c.currency, c.balance_transaction_id,
       dn.public_id, t.sequence, t.kind, t.currency, a.code, SUM(p.amount)
  FROM donations_stripecharge c
  LEFT JOIN donations_donation dn ON dn.id = c.donation_id
  LEFT JOIN ledger_journaltransaction t
         ON t.idempotency_key = 'stripe:' || c.balance_transaction_id
  LEFT JOIN ledger_posting p ON p.transaction_id = t.id
  LEFT JOIN ledger_account a ON a.id = p.account_id
 WHERE c.id BETWEEN %s AND %s AND c.balance_transaction_id <> ''
 GROUP BY c.id, c.charge_id, c.amount, c.fee, c.currency, c.balance_transaction_id,
          dn.public_id, t.sequence, t.kind, t.currency, a.code
 ORDER BY c.id
"""

_ENTRIES = """
SELECT t.idempotency_key, t.sequence, t.kind, t.currency, a.code, SUM(p.amount)
  FROM ledger_journaltransaction t
  JOIN ledger_posting p ON p.transaction_id = t.id
  JOIN ledger_account a ON a.id = p.account_id
 WHERE t.idempotency_key IN ({keys})
 GROUP BY t.idempotency_key, t.sequence, t.kind, t.currency, a.code
"""


def _id(value) -> str:
    """An expandable field's id, whether the event carried the id or the object."""
    found = value.get("id") if isinstance(value, dict) else value
    return found if isinstance(found, str) else ""


def _refused(balance_transactions: set[str]) -> set[str]:
    """Those of ``balance_transactions`` the books refused, each a discrepancy already."""
    wanted, refused = sorted(balance_transactions), set()
    for start in range(0, len(wanted), 500):
        refused.update(
            Discrepancy.objects.filter(
                kind=REFUSED, stripe_object__in=wanted[start : start + 500]
            ).values_list("stripe_object", flat=True)
        )
    return refused


# Charges --------------------------------------------------------------------------------


def check_stripe_charges(findings: Findings) -> None:
    bounds = StripeCharge.objects.aggregate(low=Min("id"), high=Max("id"))
    unbooked: list[tuple[str, str]] = []
    if bounds["low"] is not None:
        for start in range(bounds["low"], bounds["high"] + 1, WINDOW):
            rows = fetch(_CHARGES, [start, start + WINDOW - 1])
            for record, legs in by_record(rows, 10):
                findings.records += 1
                charge_id, public_id, sequence = record[1], record[6], record[7]
                name = f"Stripe charge {charge_id}"
                if public_id is not None:
                    name += f" (donation {uuid.UUID(str(public_id))})"
                if sequence is None:
                    unbooked.append((name, record[5]))
                else:
                    findings.mismatch(name, _charge_clauses(record, legs))
    # Read after the charges: a refusal is recorded with the row that notes it.
    refused = _refused({bt for _, bt in unbooked})
    for name, bt in unbooked:
        if bt not in refused:
            findings.fail(f"{name}: its balance transaction {bt} is not in the journal", None)


def _charge_clauses(record: tuple, rows: list[tuple]) -> list[tuple[str, int | None]]:
    amount, fee, currency = record[2:5]
    sequence, kind, txn_currency = record[7:10]
    legs = {code: total for code, total in rows if code is not None}
    clauses: list[tuple[str, int | None]] = []
    if kind != K.DONATION:
        clauses.append((f"#{sequence} is booked as {kind}, not as a donation", sequence))
    same_currency = (currency or "").lower() == txn_currency
    if not same_currency:  # paid in another currency: only the fee is in the books' one
        legs = {code: total for code, total in legs.items() if code not in (DONATIONS, STRIPE)}
    if fee is None:  # no fee noted: the amount is all that can be compared
        legs = {
            code: total for code, total in legs.items() if code not in (PROCESSING_FEES, STRIPE)
        }
    expected: dict[str, int] = {}
    labels: dict[str, tuple[str, int]] = {}
    if same_currency:
        expected[DONATIONS], labels[DONATIONS] = -amount, ("amount", -1)
    if fee is not None:
        expected[PROCESSING_FEES], labels[PROCESSING_FEES] = fee, ("fee", 1)
    if same_currency and fee is not None:
        expected[STRIPE] = amount - fee
    return clauses + leg_mismatches(expected, legs, labels, sequence)


# Refunds and disputes -------------------------------------------------------------------


def _from_events() -> tuple[dict[str, dict], dict[str, dict]]:
    """Refunds and disputes as their processed events describe them, by Stripe id."""
    refunds: dict[str, dict] = {}
    disputes: dict[str, dict] = {}
    events = (
        StripeEvent.objects.filter(status=EventStatus.PROCESSED)
        .filter(Q(type__startswith="refund.") | Q(type__startswith="charge.dispute."))
        .order_by("pk")
        .values_list("type", "payload__data__object")
    )
    for type_, obj in events.iterator(chunk_size=FETCH):
        if not isinstance(obj, dict) or not _id(obj):
            continue  # trimmed
        charge = _id(obj.get("charge"))
        if type_.startswith("refund."):
            refund = refunds.setdefault(
                _id(obj),
                {
                    "charge": charge,
                    "amount": obj.get("amount"),
                    "currency": str(obj.get("currency") or "").lower(),
                    "bts": {},
                },
            )
            for field, sign in (("balance_transaction", 1), ("failure_balance_transaction", -1)):
                if bt := _id(obj.get(field)):
                    refund["bts"][bt] = sign
        else:
            dispute = disputes.setdefault(_id(obj), {"charge": charge, "bts": {}})
            for bt in obj.get("balance_transactions") or []:
                if not _id(bt):
                    continue
                recipe = _recipe(bt)
                if recipe is not False and (recipe is not None or _id(bt) not in dispute["bts"]):
                    dispute["bts"][_id(bt)] = recipe
    return refunds, disputes


def _entries(balance_transactions: list[str]) -> dict[str, tuple[int, str, str, dict]]:
    """{balance transaction id: (sequence, kind, currency, {code: amount})} of those booked."""
    found: dict[str, tuple[int, str, str, dict]] = {}
    for start in range(0, len(balance_transactions), 500):
        chunk = {
            balance_transaction_key(bt): bt for bt in balance_transactions[start : start + 500]
        }
        sql = _ENTRIES.format(keys=", ".join(["%s"] * len(chunk)))
        for key, sequence, kind, currency, code, total in fetch(sql, list(chunk)):
            found.setdefault(chunk[key], (sequence, kind, currency, {}))[3][code] = total
    return found


def check_stripe_refunds_and_disputes(findings: Findings) -> None:
    refunds, disputes = _from_events()
    wanted = {bt for found in (refunds, disputes) for item in found.values() for bt in item["bts"]}
    booked = _entries(sorted(wanted))
    refused = _refused(wanted - booked.keys())
    for refund_id, refund in sorted(refunds.items()):
        findings.records += 1
        clauses: list[tuple[str, int | None]] = []
        for bt, sign in refund["bts"].items():
            if bt in booked:
                clauses += _refund_clauses(refund, booked[bt], sign)
            elif bt not in refused:
                clauses.append((f"its balance transaction {bt} is not in the journal", None))
        findings.mismatch(f"Stripe refund {refund_id} of charge {refund['charge']}", clauses)
    for dispute_id, dispute in sorted(disputes.items()):
        findings.records += 1
        clauses = []
        for bt, recipe in dispute["bts"].items():
            if bt in booked:
                clauses += _dispute_clauses(recipe, booked[bt])
            elif bt not in refused:
                clauses.append((f"its balance transaction {bt} is not in the journal", None))
        findings.mismatch(f"Stripe dispute {dispute_id} of charge {dispute['charge']}", clauses)


def _refund_clauses(refund: dict, entry: tuple, sign: int) -> list[tuple[str, int | None]]:
    sequence, kind, currency, legs = entry
    clauses: list[tuple[str, int | None]] = []
    if kind != K.REFUND:
        clauses.append((f"#{sequence} is booked as {kind}, not as a refund", sequence))
    amount = refund["amount"]
    if currency != refund["currency"] or not isinstance(amount, int):
        return clauses  # refunded in the donor's currency, booked in the fund's
    what = "refunded" if sign > 0 else "given back by the failed refund"
    compared = {
        code: total for code, total in legs.items() if code not in (STRIPE, PROCESSING_FEES)
    }
    expected = {DONATIONS_REFUNDED: sign * amount}
    labels = {DONATIONS_REFUNDED: (what, sign)}
    return clauses + leg_mismatches(expected, compared, labels, sequence)


def _recipe(bt) -> Entry | None | bool:
    """The entry a balance transaction the event carried whole posts; None when the event
    gave only its id (or too little of it to tell); False when it moves no money, so
    nothing was posted."""
    if not isinstance(bt, dict):
        return None
    try:
        return entry_for(bt) or False
    except (KeyError, TypeError, ValueError):
        return None


def _dispute_clauses(recipe: Entry | None, entry: tuple) -> list[tuple[str, int | None]]:
    sequence, kind, _, legs = entry
    want_kind = recipe.kind if recipe else K.DISPUTE
    clauses: list[tuple[str, int | None]] = []
    if kind != want_kind:
        clauses.append((f"#{sequence} is booked as {kind}, not as {want_kind}", sequence))
    if recipe is None:
        return clauses  # only the id was given: that it is booked is what can be told
    labels = {DISPUTE_LOSSES: ("lost with fees", 1)}
    return clauses + leg_mismatches(dict(recipe.legs), legs, labels, sequence)
