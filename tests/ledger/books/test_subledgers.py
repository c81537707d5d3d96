"""verify_ledger checks the records that point at the journal against it: a history rewritten
behind the triggers, with every hash, balance and monthly total recomputed, still shows in
the disbursement or gift whose entry was changed, and rows naming a sequence the journal
no longer holds are named."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.utils import timezone

from donations.models import OfflineGift
from donations.offline.services import offline_gift_bounced, offline_gift_record
from ledger.books.chart import (
    BAIL_FORFEITED,
    BAIL_OUTSTANDING,
    BANK,
    CASH,
    COURT_FEES,
    DIRECT_SUPPORT,
    DONATIONS,
    OPENING_BALANCE,
)
from ledger.books.verification import verify_ledger
from ledger.casework.disbursements import (
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
)
from ledger.models import (
    Account,
    AuditEvent,
    ChainHead,
    Checkpoint,
    Disbursement,
    JournalTransaction,
    Posting,
)
from tests.ledger.books.tampering import delete_transaction, rewrite, set_leg
from tests.ledger.casework.conftest import CLUES, PERSON
from tests.ledger.conftest import deposit, request_disbursement
from tests.ledger.fund_life import Team, bail_forfeited, bail_returned, case, pay, team

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2026, 3, 2)
BACK_ON = dt.date(2026, 4, 1)


@dataclass
class Fund:
    bail: Disbursement  # 50,000 paid; 30,000 back less 2,000 court fees; 5,000 forfeited
    support: Disbursement  # 12,000 paid by check
    cash: Disbursement  # 3,000 paid from the cash box
    gift: OfflineGift  # a check of 5,000
    bounced: OfflineGift  # a check of 7,000 that bounced

    def sequence(self, d: Disbursement, kind: str = "") -> int:
        """The sequence of a disbursement's payment, or of its return or forfeiture."""
        if kind:
            return d.outcomes.get(kind=kind).transaction.sequence
        return d.payment_transaction.sequence


def _gift(by: Team, amount: int) -> OfflineGift:
    return offline_gift_record(
        actor=by.approver,
        method="check",
        amount=amount,
        received_on=PAID_ON,
        token=uuid.uuid4().hex,
    )


@pytest.fixture
def fund(field_keys) -> Fund:
    by = team()
    deposit(500_000)
    deposit(20_000, account=CASH)
    name, docket = PERSON.name, PERSON.docket_number
    bail = pay(case("Hennepin", by=by, name=name, docket=docket), 50_000, PAID_ON, by=by)
    bail_returned(bail, 30_000, 2_000, BACK_ON, by=by)
    bail_forfeited(bail, 5_000, BACK_ON, by=by)
    support = pay(case("Ramsey", by=by), 12_000, PAID_ON, by=by, purpose="support")
    choices = {"purpose": "support", "method": "cash"}
    cash = request_disbursement(by.requester, case("Dakota", by=by), 3_000, **choices)
    cash = disbursement_approve(actor=by.approver, disbursement=cash)
    cash = disbursement_pay(actor=by.approver, disbursement=cash, paid_on=PAID_ON)
    waiting = request_disbursement(by.requester, case("Anoka", by=by), 4_000)
    disbursement_approve(actor=by.approver, disbursement=waiting)
    dropped = request_disbursement(by.requester, case("Anoka", by=by), 1_000)
    disbursement_cancel(actor=by.requester, disbursement=dropped)
    gift, bounced = _gift(by, 5_000), _gift(by, 7_000)
    offline_gift_bounced(actor=by.approver, gift=bounced)
    return Fund(Disbursement.objects.get(pk=bail.pk), support, cash, gift, bounced)


def test_books_built_by_the_services_agree_with_every_record(fund, capsys):
    report = verify_ledger()
    assert report.ok, report.problems
    # 5 disbursements (3 paid, 1 approved, 1 cancelled), 2 outcomes and 2 gifts; and the
    # audit events naming a sequence: 3 payments, 2 outcomes, 2 gifts recorded, 1 bounced
    # and the reversal it made.
    assert report.subledger_records_checked == 5 + 2 + 2 + (3 + 2 + 2 + 1 + 1)
    call_command("verify_ledger")
    assert "18 sub-ledger records agree with the journal" in capsys.readouterr().out


def _support_paid_more(fund):
    seq = fund.sequence(fund.support)
    statements = [set_leg(seq, DIRECT_SUPPORT, 62_000), set_leg(seq, BANK, -62_000)]
    problem = f"disbursement {fund.support.pk}: paid is 12000, its journal legs give 62000"
    return statements, seq, [f"{problem} (#{seq})"]


def _bail_paid_more(fund):
    seq = fund.sequence(fund.bail)
    statements = [set_leg(seq, BAIL_OUTSTANDING, 90_000), set_leg(seq, BANK, -90_000)]
    problem = f"disbursement {fund.bail.pk}: paid is 50000, its journal legs give 90000"
    return statements, seq, [f"{problem} (#{seq})"]


def _returned_moved_to_court_fees(fund):
    seq = fund.sequence(fund.bail, "return")
    outcome = fund.bail.outcomes.get(kind="return")
    statements = [set_leg(seq, BANK, 25_000), set_leg(seq, COURT_FEES, 7_000)]
    return (
        statements,
        seq,
        [
            f"disbursement {fund.bail.pk}: returned is 30000, its journal legs give 25000 "
            f"(#{seq}); court fees is 2000, its journal legs give 7000 (#{seq})",
            f"return {outcome.pk} of disbursement {fund.bail.pk}: returned is 30000, its journal "
            f"legs give 25000 (#{seq}); court fees is 2000, its journal legs give 7000 (#{seq})",
        ],
    )


def _less_forfeited(fund):
    seq = fund.sequence(fund.bail, "forfeiture")
    outcome = fund.bail.outcomes.get(kind="forfeiture")
    statements = [set_leg(seq, BAIL_FORFEITED, 1_000), set_leg(seq, BAIL_OUTSTANDING, -1_000)]
    return (
        statements,
        seq,
        [
            f"disbursement {fund.bail.pk}: forfeited is 5000, its journal legs give 1000 (#{seq})",
            f"forfeiture {outcome.pk} of disbursement {fund.bail.pk}: forfeited is 5000, its "
            f"journal legs give 1000 (#{seq})",
        ],
    )


def _paid_from_the_bank_not_the_cash_box(fund):
    seq = fund.sequence(fund.cash)
    leg = Posting.objects.get(transaction__sequence=seq, account__code=CASH)
    bank = Account.objects.get(code=BANK)
    statements = [("UPDATE ledger_posting SET account_id = %s WHERE id = %s", [bank.pk, leg.pk])]
    return (
        statements,
        seq,
        [
            f"disbursement {fund.cash.pk}: paid out of assets:cash is 3000, its journal legs "
            f"give 0 (#{seq}); the journal has a disbursement leg of -3000 on assets:bank (#{seq})"
        ],
    )


def _gift_larger(fund):
    seq = fund.gift.transaction.sequence
    statements = [set_leg(seq, BANK, 9_000), set_leg(seq, DONATIONS, -9_000)]
    problem = f"offline gift {fund.gift.pk}: amount is 5000, its journal legs give 9000"
    return statements, seq, [f"{problem} (#{seq})"]


def _bounce_smaller(fund):
    seq = JournalTransaction.objects.get(reverses=fund.bounced.transaction).sequence
    statements = [set_leg(seq, BANK, -4_000), set_leg(seq, DONATIONS, 4_000)]
    problem = f"offline gift {fund.bounced.pk}: bounced is 7000, its journal legs give 4000"
    return statements, seq, [f"{problem} (#{seq})"]


@pytest.mark.parametrize(
    "tamper",
    [
        _support_paid_more,
        _bail_paid_more,
        _returned_moved_to_court_fees,
        _less_forfeited,
        _paid_from_the_bank_not_the_cash_box,
        _gift_larger,
        _bounce_smaller,
    ],
    ids=lambda tamper: tamper.__name__.strip("_"),
)
def test_an_entry_rewritten_with_fresh_hashes_is_named_by_the_record_it_books(fund, tamper):
    statements, sequence, expected = tamper(fund)
    rewrite(*statements)

    report = verify_ledger()
    assert report.problems == expected
    assert report.first_bad_sequence == sequence
    assert not any(clue in problem for clue in CLUES for problem in report.problems)


def test_a_record_rewritten_is_named_against_its_entry(fund):
    Disbursement.objects.filter(pk=fund.support.pk).update(amount=2_000)
    seq = fund.sequence(fund.support)

    report = verify_ledger()
    assert report.problems == [
        f"disbursement {fund.support.pk}: paid is 2000, its journal legs give 12000 (#{seq})"
    ]


def test_a_disbursement_pointing_at_another_ones_payment_is_named(fund):
    other = fund.support.payment_transaction
    Disbursement.objects.filter(pk=fund.cash.pk).update(payment_transaction=other)

    report = verify_ledger()
    assert report.problems == [
        f"disbursement {fund.cash.pk}: its payment #{other.sequence} is booked for "
        f"'disbursement:{fund.support.pk}'"
    ]


def test_entries_booked_for_records_that_do_not_exist_are_named(post):
    legs = [(DIRECT_SUPPORT, 1_000), (BANK, -1_000)]
    support = post(legs, kind="disbursement", source_ref="disbursement:999")
    legs = [(BANK, 500), (DONATIONS, -500)]
    gift = post(legs, kind="offline_gift", source_ref="offline_gift:never-recorded")

    report = verify_ledger()
    assert report.problems == [
        f"#{support.sequence} is booked for 'disbursement:999', and there is no such disbursement",
        f"#{gift.sequence} is booked for 'offline_gift:never-recorded', and there is no such "
        "offline gift",
    ]


@pytest.mark.parametrize("deleted", ["the head", "a row before it"])
def test_rows_naming_a_sequence_no_longer_in_the_journal_are_named(field_keys, post, deleted):
    by = team()
    gift = _gift(by, 5_000)  # 1
    offline_gift_bounced(actor=by.approver, gift=gift)  # 2, the reversal
    head = ChainHead.objects.get(id=1)  # at 2, published
    checkpoint = Checkpoint.objects.create(
        sequence=head.sequence, hash=head.hash, created_at=timezone.now()
    )
    if deleted == "a row before it":
        post([(BANK, 100), (OPENING_BALANCE, -100)], kind="opening")  # 3
    rewrite(*delete_transaction(2))

    report = verify_ledger()
    gone = "#2, past the head #1" if deleted == "the head" else "#2, which is not in the journal"
    bounced = AuditEvent.objects.get(action="offline_gift.bounced")
    reversed_ = AuditEvent.objects.get(action="ledger.transaction_reversed")
    mine = [
        f"audit event {reversed_.pk} (ledger.transaction_reversed of journal_transaction 1) "
        f"names {gone}",
        f"audit event {bounced.pk} (offline_gift.bounced of offline_gift {gift.pk}) names {gone}",
        f"checkpoint of {checkpoint.created_at:%Y-%m-%d %H:%M} names {gone}",
    ]
    assert [problem for problem in report.problems if problem in mine] == mine
    assert not any("hash does not match" in problem for problem in report.problems)
