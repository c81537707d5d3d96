"""A fund's March 2026 at its bank, in the books and on its statements.

The books (``march_books``): $10,000.00 brought in on 1 January; in March a check to a
court for bail (no. 1042, paid on the 3rd), a donor's check deposited on the 5th, a Stripe
payout arriving on the 10th, the court's refund of $1,200.00 of that bail on the 20th
(with $300.00 of fees withheld), and two items the bank has not seen by the 31st: another
check to a court (no. 1043, the 28th) and a donor's check recorded on the 31st.

The statements (``statements/``, the same month as a US bank's CSV export, an OFX 2.2 file
and a CAMT.053 file): the first four of those, the bank's $12.00 fee on the 31st, and a
closing balance of $12,388.10.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from donations.events.posting import payout_settlement_entries
from donations.models import BankCsvMapping, OfflineGift
from donations.offline.services import offline_gift_record
from ledger.books.posting import entry_post
from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import Disbursement, JournalTransaction
from tests.ledger.conftest import (
    deposit,
    field_keys,
    open_case,
    record_return,
    request_disbursement,
)

__all__ = ["field_keys"]

STATEMENTS = Path(__file__).resolve().parent / "statements"
MARCH = dt.date(2026, 3, 1)


def statement_file(name: str) -> bytes:
    return (STATEMENTS / name).read_bytes()


def day(number: int) -> dt.date:
    return MARCH.replace(day=number)


@pytest.fixture
def chase_mapping(db):
    """How a large US bank exports checking activity: newest first, one signed amount,
    a running balance, a check number column."""
    return BankCsvMapping.objects.create(
        name="Chase checking",
        bank_name="JPMorgan Chase",
        date_column="Posting Date",
        date_format="%m/%d/%Y",
        description_column="Description",
        check_number_column="Check or Slip #",
        amount_column="Amount",
        balance_column="Balance",
    )


@dataclass
class MarchBooks:
    bail: Disbursement  # check 1042, $1,500.00, paid 3 March
    gift: OfflineGift  # check 5531, $250.00, 5 March
    payout: JournalTransaction  # $2,450.10 arrived 10 March
    refund: JournalTransaction  # $1,200.00 back from the court, 20 March
    later_bail: Disbursement  # check 1043, $800.00, paid 28 March: outstanding
    later_gift: OfflineGift  # $75.00, 31 March: in transit


def _gift(actor, amount: int, on: dt.date, reference: str) -> OfflineGift:
    return offline_gift_record(
        actor=actor,
        method="check",
        amount=amount,
        received_on=on,
        token=uuid.uuid4().hex,
        reference=reference,
    )


def _paid_bail(manager, approver, amount: int, on: dt.date, check: str) -> Disbursement:
    identity = Identity(name="Example Person", docket_number=f"CR-2026-{uuid.uuid4().hex[:6]}")
    case = open_case(manager, identity, court="Fourth District", opened_on=day(1))
    d = request_disbursement(manager, case, amount)
    disbursement_approve(actor=approver, disbursement=d)
    return disbursement_pay(actor=approver, disbursement=d, paid_on=on, instrument_reference=check)


@pytest.fixture
def march_books(staff_user, field_keys) -> MarchBooks:
    manager = staff_user("case_manager")
    approver = staff_user("approver")
    bookkeeper = staff_user("bookkeeper")
    deposit(1_000_000)
    bail = _paid_bail(manager, approver, 150_000, day(3), "1042")
    gift = _gift(bookkeeper, 25_000, day(5), "5531")
    arrived = dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC).timestamp()
    payout = {
        "id": "po_1PzX7Y8Z9",
        "status": "paid",
        "amount": 245_010,
        "currency": "usd",
        "arrival_date": int(arrived),
        "created": int(arrived) - 2 * 86_400,
    }
    (payout_entry,) = payout_settlement_entries(payout)
    payout_txn = entry_post(payout_entry)
    bail = record_return(bookkeeper, bail, 120_000, fees=30_000, on=day(20))
    refund = bail.outcomes.get().transaction
    later_bail = _paid_bail(manager, approver, 80_000, day(28), "1043")
    later_gift = _gift(bookkeeper, 7_500, day(31), "")
    return MarchBooks(bail, gift, payout_txn, refund, later_bail, later_gift)
