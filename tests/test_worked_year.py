"""A small fund's 2025, played through the project's own services from the first balance to
the donors' year-end statements, every figure checked with its arithmetic.

The year: the books open on 1 January with $10,000.00 in the bank and $200.00 in the cash
box; January is closed and a check dated in it is refused. In March: a card gift of
$300.00 through Stripe (the imitation, over real HTTP) paid out to the bank; a donor's
checks of $500.00 and $75.00; four bail payments by cashier's check, one returned by the
court less fees, one recorded for the wrong amount and corrected, one never cashed and
voided. The March bank statement is reconciled with one outstanding check and one deposit
in transit; February and March are closed. The statements of 2025 tie to the journal and
to ``bean-query`` run on the Beancount export, ``verify_ledger`` is clean, and each donor
gets one year-end statement.

Amounts are in cents, as the books keep them.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command

from donations.bank.importing import statement_import
from donations.bank.matching import match_confirm
from donations.bank.report import reconcile
from donations.exceptions import InvalidOfflineGift
from donations.models import (
    BankMatch,
    BankStatementLine,
    Discrepancy,
    DiscrepancyStatus,
    OfflineGift,
    StripeCharge,
)
from donations.offline.services import offline_gift_record
from donations.statements.gifts import statements
from ledger import exceptions
from ledger.books.exports import beancount_account, write_beancount
from ledger.books.opening import OpeningBalancesError, opening_balances_post, parse_trial_balance
from ledger.books.periods import closed_through, period_close
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.casework.cases import Identity, case_create
from ledger.casework.corrections import correction_apply, correction_propose
from ledger.casework.disbursements import (
    disbursement_approve,
    disbursement_pay,
    disbursement_record_return,
    disbursement_request,
)
from ledger.models import Account, JournalTransaction
from ledger.reports.catalogue import all_statements
from ledger.reports.dates import Period
from stripe_sandbox import SandboxServer
from tests.donations.conftest import WEBHOOK_SECRET, donor  # noqa: F401  (a fixture)
from tests.ledger.reports.conftest import raw_balances, raw_movements

pytestmark = pytest.mark.django_db(transaction=True)

D = dt.date
YEAR = Period(D(2025, 1, 1), D(2025, 12, 31))

TRIAL_BALANCE_CSV = 'account,debit,credit\nassets:bank,"10,000.00",\nassets:cash,200.00,\n'

# The bank's statement of March 2025 (OFX 2.2): what the bank booked. Not on it: check
# 1002 ($800.00, paid on the 28th, not yet cashed), the $75.00 check deposited on the 31st,
# and check 1004 ($600.00), never cashed and voided.
MARCH_OFX = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <SIGNONMSGSRSV1><SONRS>
    <STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
    <DTSERVER>20250401083015.000[0:UTC]</DTSERVER><LANGUAGE>ENG</LANGUAGE>
  </SONRS></SIGNONMSGSRSV1>
  <BANKMSGSRSV1><STMTTRNRS>
    <TRNUID>1</TRNUID>
    <STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
    <STMTRS>
      <CURDEF>USD</CURDEF>
      <BANKACCTFROM>
        <BANKID>091000019</BANKID><ACCTID>000123456789</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE>
      </BANKACCTFROM>
      <BANKTRANLIST>
        <DTSTART>20250301</DTSTART><DTEND>20250331235959</DTEND>
        <STMTTRN><TRNTYPE>CHECK</TRNTYPE><DTPOSTED>20250304</DTPOSTED>
          <TRNAMT>-1000.00</TRNAMT><FITID>20250304-0001</FITID><CHECKNUM>1001</CHECKNUM>
          <NAME>CHECK 1001</NAME></STMTTRN>
        <STMTTRN><TRNTYPE>DEP</TRNTYPE><DTPOSTED>20250306</DTPOSTED>
          <TRNAMT>500.00</TRNAMT><FITID>20250306-0001</FITID>
          <NAME>REMOTE ONLINE DEPOSIT</NAME></STMTTRN>
        <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20250311</DTPOSTED>
          <TRNAMT>291.00</TRNAMT><FITID>20250311-0001</FITID>
          <NAME>STRIPE TRANSFER</NAME></STMTTRN>
        <STMTTRN><TRNTYPE>CHECK</TRNTYPE><DTPOSTED>20250312</DTPOSTED>
          <TRNAMT>-400.00</TRNAMT><FITID>20250312-0001</FITID><CHECKNUM>1003</CHECKNUM>
          <NAME>CHECK 1003</NAME></STMTTRN>
        <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20250321</DTPOSTED>
          <TRNAMT>950.00</TRNAMT><FITID>20250321-0001</FITID>
          <NAME>HENNEPIN COUNTY DISTRICT COURT</NAME><MEMO>BAIL REFUND</MEMO></STMTTRN>
      </BANKTRANLIST>
      <LEDGERBAL><BALAMT>10341.00</BALAMT><DTASOF>20250331</DTASOF></LEDGERBAL>
    </STMTRS>
  </STMTTRNRS></BANKMSGSRSV1>
</OFX>
"""


def _unix(*args) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


def _token() -> str:
    return uuid.uuid4().hex


def _settle(sandbox) -> None:
    assert sandbox.flush_webhooks(timeout=30)
    assert sandbox.flush_webhooks(timeout=30)  # what the first events set off


def _journal() -> int:
    return JournalTransaction.objects.count()


def _rows(report) -> dict:
    """A statement's rows by their first text cell: its number, or its numbers."""
    found = {}
    for row in report.rows:
        numbers = tuple(c for c, col in zip(row.cells, report.columns, strict=True) if col.numeric)
        label = next(c for c in row.cells if isinstance(c, str) and c)
        found[label] = numbers if len(numbers) > 1 else numbers[0]
    return found


@pytest.fixture
def stripe_in_march(settings, live_server):
    """The Stripe imitation, its clock standing at 7 March 2025, 15:00 UTC (a clock that
    has started never goes back, so the year is set when it starts), delivering its
    webhooks to the site served by live_server."""
    server = SandboxServer(
        port=0,
        webhook_url=f"{live_server.url}/stripe/webhook/",
        webhook_secret=WEBHOOK_SECRET,
        clock_start=_unix(2025, 3, 7, 15, 0),
    ).start()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = live_server.url
    yield server
    server.stop()


@pytest.fixture
def team(staff_user, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return {
        "manager": staff_user("case_manager"),
        "approver": staff_user("approver"),
        "second_approver": staff_user("approver"),
        "bookkeeper": staff_user("bookkeeper"),
        "admin": staff_user("admin"),
    }


def _check_gift(bookkeeper, amount: int, on: dt.date, reference: str) -> OfflineGift:
    return offline_gift_record(
        actor=bookkeeper,
        method="check",
        amount=amount,
        received_on=on,
        token=_token(),
        reference=reference,
        donor_name="Ben Okafor",
        email="ben@example.org",
    )


def _bail(team, amount: int, paid_on: dt.date, check: str):
    """A case opened on 1 March and its bail requested, approved by someone else, paid."""
    case = case_create(
        actor=team["manager"],
        county="Hennepin",
        bail_type="criminal_bail",
        opened_on=D(2025, 3, 1),
        identity=Identity(name="A person the fund helps"),
        court="Fourth District",
    )
    d = disbursement_request(
        actor=team["manager"],
        case=case,
        purpose="bail",
        amount=amount,
        payee_kind="court",
        payee_name="Hennepin County District Court",
        method="cashiers_check",
        token=_token(),
    )
    disbursement_approve(actor=team["approver"], disbursement=d)
    return disbursement_pay(
        actor=team["approver"], disbursement=d, paid_on=paid_on, instrument_reference=check
    )


def _open_the_books(team) -> None:
    legs = parse_trial_balance(TRIAL_BALANCE_CSV)
    assert legs == [("assets:bank", 1_000_000), ("assets:cash", 20_000)]
    opening_balances_post(legs=legs, date=D(2025, 1, 1), actor=team["bookkeeper"])
    # net_assets:opening_balance takes the difference: −(1,000,000 + 20,000).
    assert account_balances()["net_assets:opening_balance"] == -1_020_000

    with pytest.raises(OpeningBalancesError):
        opening_balances_post(legs=legs, date=D(2025, 1, 2), actor=team["bookkeeper"])
    assert _journal() == 1
    assert account_balances()["assets:bank"] == 1_000_000


def _close_january_and_refuse_a_late_check(team) -> None:
    period_close(through=D(2025, 1, 31), actor=team["bookkeeper"])
    assert closed_through() == D(2025, 1, 31)
    before = _journal()

    with pytest.raises(InvalidOfflineGift, match="closed through 2025-01-31"):
        _check_gift(team["bookkeeper"], 12_500, D(2025, 1, 20), "2219")

    assert _journal() == before and not OfflineGift.objects.exists()


def _card_gift_and_payout(sandbox, donor) -> None:  # noqa: F811
    """Ana gives $300.00 by card on 7 March; Stripe pays the balance out on the 10th."""
    state = sandbox.state
    assert sandbox.control.now() == _unix(2025, 3, 7, 15, 0)
    donor.give(amount_choice="custom", custom_amount="300.00", email="ana@example.org")
    _settle(sandbox)
    charge = StripeCharge.objects.get()
    # Stripe's card fee: 2.9% of 30,000 + 30 = 870 + 30 = 900.
    assert (charge.amount, charge.fee) == (30_000, 900)
    assert charge.donation.email == "ana@example.org"
    (entry,) = JournalTransaction.objects.filter(
        source_ref=f"stripe:{charge.balance_transaction_id}"
    )
    assert entry.date == D(2025, 3, 7)  # Stripe's day, in the fund's time zone (UTC)

    state.advance_clock(3 * 86_400)  # 10 March: the charge's money is available
    payout = state.create_payout()  # automatic: the whole available balance, paid at once
    _settle(sandbox)
    assert payout["amount"] == 30_000 - 900 == 29_100  # $291.00, the bank's line on the 11th
    arrived = JournalTransaction.objects.get(idempotency_key__endswith=":arrived")
    assert arrived.date == D(2025, 3, 10)
    books = account_balances()
    assert books["assets:stripe"] == 30_000 - 900 - 29_100 == 0
    assert books["assets:payouts_in_transit"] == 0


def _bail_the_month(team) -> dict:
    """Four bail payments in March: a return less fees, a corrected amount, a void."""
    first = _bail(team, 100_000, D(2025, 3, 3), "1001")
    third = _bail(team, 45_000, D(2025, 3, 10), "1003")  # really $400.00: corrected below
    fourth = _bail(team, 60_000, D(2025, 3, 12), "1004")  # never cashed: voided below
    first = disbursement_record_return(
        actor=team["bookkeeper"],
        disbursement=first,
        token=_token(),
        occurred_on=D(2025, 3, 20),
        returned_amount=95_000,
        court_fees=5_000,
    )
    # 95,000 returned + 5,000 withheld = the 100,000 paid: nothing outstanding.
    assert (first.status, first.outstanding) == ("returned", 0)

    recorded = third.payment_transaction
    payment = correction_propose(
        actor=team["approver"],
        disbursement=third,
        kind="payment",
        reason="The cashier's check was issued for $400.00; $450.00 was typed.",
        token=_token(),
        new_amount=40_000,
        new_date=D(2025, 3, 10),
        new_method="cashiers_check",
    )
    with pytest.raises(exceptions.SelfApproval):  # money out is corrected by two people
        correction_apply(actor=team["approver"], correction=payment)
    payment = correction_apply(actor=team["second_approver"], correction=payment)
    third.refresh_from_db()
    assert (payment.status, third.amount, third.outstanding) == ("applied", 40_000, 40_000)
    # The $450.00 entry reversed (+450 back to the bank), and $400.00 posted in its place.
    assert payment.reversal.reverses_id == recorded.pk
    assert payment.replacement.date == D(2025, 3, 10)

    void = correction_propose(
        actor=team["approver"],
        disbursement=fourth,
        kind="void",
        reason="The court sent the check back uncashed.",
        token=_token(),
        new_date=D(2025, 3, 25),
    )
    void = correction_apply(actor=team["second_approver"], correction=void)
    fourth.refresh_from_db()
    assert (void.status, fourth.status, fourth.outstanding) == ("applied", "voided", 0)
    assert void.reversal.date == D(2025, 3, 25)

    second = _bail(team, 80_000, D(2025, 3, 28), "1002")  # not cashed by the 31st
    books = account_balances()
    # Outstanding: 100,000 − 100,000 (case 1) + 40,000 (case 3) + 0 (case 4) + 80,000.
    assert books["assets:bail_outstanding"] == 40_000 + 80_000 == 120_000
    return {"first": first, "second": second, "third": third, "fourth": fourth}


def _reconcile_march(team, bail: dict, gifts: dict) -> None:
    bookkeeper = team["bookkeeper"]
    imported = statement_import(actor=bookkeeper, data=MARCH_OFX, fmt="ofx")
    statement = imported.statement
    assert (imported.created, imported.new_lines) == (True, 5)
    # Check 1001, the $500.00 deposit, the payout, check 1003 at $400.00, the court's refund.
    assert (imported.proposals, imported.unmatched) == (5, 0)
    proposed = {m.line.amount: m.transaction_id for m in BankMatch.objects.select_related("line")}
    refund = bail["first"].outcomes.get().transaction_id
    corrected = JournalTransaction.objects.get(idempotency_key__endswith=":replacement")
    assert proposed == {
        -100_000: bail["first"].payment_transaction_id,
        50_000: gifts["march"].transaction_id,
        29_100: JournalTransaction.objects.get(idempotency_key__endswith=":arrived").pk,
        -40_000: corrected.pk,
        95_000: refund,
    }
    for match in BankMatch.objects.all():
        match_confirm(actor=bookkeeper, match=match)

    report = reconcile(statement)

    # The bank: 10,000.00 − 1,000 + 500 + 291 − 400 + 950 = 10,341.00.
    assert report.bank_closing == 1_034_100
    assert [(leg.transaction_id, leg.amount) for leg in report.outstanding_checks] == [
        (bail["second"].payment_transaction_id, -80_000)
    ]
    assert [(leg.transaction_id, leg.amount) for leg in report.deposits_in_transit] == [
        (gifts["in_transit"].transaction_id, 7_500)
    ]
    # The books on the 31st: the bank's 10,341 − 800 (check 1002) + 75 (the late deposit);
    # check 1003's first $450.00 and its reversal, and check 1004 and its void, cancel.
    assert report.book_balance == 1_034_100 - 80_000 + 7_500 == 961_600
    assert report.adjusted_bank == 1_034_100 + 7_500 - 80_000 == report.adjusted_books
    assert report.unmatched_lines == [] and report.difference == 0 and report.reconciled
    assert not Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).exists()

    lines, matches = BankStatementLine.objects.count(), BankMatch.objects.count()
    again = statement_import(actor=bookkeeper, data=MARCH_OFX, fmt="ofx")
    assert (again.created, again.statement.pk) == (False, statement.pk)
    assert (BankStatementLine.objects.count(), BankMatch.objects.count()) == (lines, matches)

    period_close(through=D(2025, 2, 28), actor=bookkeeper)
    period_close(through=D(2025, 3, 31), actor=bookkeeper)
    assert closed_through() == D(2025, 3, 31)


# The closing balances of 2025, worked out by hand.
CLOSING = {
    # 10,000 − 1,000 + 500 + 291 − 450 + 450 − 400 − 600 + 600 + 950 − 800 + 75 = 9,616.00
    "assets:bank": 961_600,
    "assets:cash": 20_000,
    "assets:stripe": 0,  # 30,000 − 900 fee − 29,100 paid out
    "assets:payouts_in_transit": 0,
    # 1,000 + 450 − 450 + 400 + 600 − 600 + 800 − 950 − 50 = 1,200.00
    "assets:bail_outstanding": 120_000,
    "net_assets:opening_balance": -1_020_000,
    "income:donations": -(30_000 + 50_000 + 7_500),  # −875.00
    "expenses:processing_fees": 900,
    "expenses:court_fees": 5_000,
}


def _statements_of_the_year(team, tmp_path) -> None:
    # The admin closes 2025, as before reporting it (a Form 990, a board report).
    period_close(through=D(2025, 12, 31), kind="year", actor=team["admin"])
    assert closed_through() == D(2025, 12, 31)

    trial, position, activities, roll_forward, *_ = all_statements(YEAR)
    assert all(report.ok for report in all_statements(YEAR))

    closing = {row.cells[0]: row.cells[6] for row in trial.body}
    assert {code: amount for code, amount in closing.items() if amount} == {
        code: amount for code, amount in CLOSING.items() if amount
    }
    assert sum(closing.values()) == 0
    # The trial balance is every posting, added up per account.
    moves, at_end = raw_movements(YEAR.start, YEAR.end), raw_balances(YEAR.end)
    for row in trial.body:
        code = row.cells[0]
        assert row.cells[3:] == (0, *moves.get(code, (0, 0)), at_end.get(code, 0)), code
    assert closing == dict(Account.objects.values_list("code", "balance"))

    # …and what bean-query reads in the Beancount export.
    export = tmp_path / "2025.beancount"
    out = io.StringIO()
    write_beancount(out)
    export.write_text(out.getvalue())
    bean_query = Path(sys.executable).with_name("bean-query")
    assert bean_query.exists(), "bean-query (the beanquery package) must be beside Python"
    query = "SELECT account, sum(number) AS total WHERE date <= 2025-12-31 GROUP BY account"
    result = subprocess.run(
        [str(bean_query), "-f", "csv", str(export), query],
        capture_output=True,
        text=True,
        check=True,
    )
    queried = {}
    for line in result.stdout.strip().splitlines()[1:]:
        name, number = line.split(",")
        queried[name.strip()] = int(Decimal(number.strip()) * 100)
    types = dict(Account.objects.values_list("code", "type"))
    for code, amount in closing.items():
        assert queried.get(beancount_account(code, types[code]), 0) == amount, code

    assert [row.cells for row in roll_forward.rows] == [
        ("Outstanding bail at 2024-12-31", 0),
        ("Bail paid", 220_000),  # 1,000 + 800 + 400, the void and the correction netted
        ("Bail returned to the fund", -95_000),
        ("Court fees withheld from returned bail", -5_000),
        ("Bail forfeited", 0),
        ("Reversals, adjustments and other entries", 0),
        ("Outstanding bail at 2025-12-31", 120_000),  # 2,200 − 950 − 50
    ]

    revenue = _rows(activities)
    assert revenue["income:donations"] == 87_500  # 300 + 500 + 75
    assert revenue["Total expenses"] == 900 + 5_000  # the card fee, the court's fees
    assert revenue["Change in net assets"] == 87_500 - 5_900 == 81_600

    figures = _rows(position)
    assert figures["assets:bank"] == (0, 961_600)
    assert figures["assets:cash"] == (0, 20_000)
    assert figures["assets:bail_outstanding"] == (0, 120_000)
    # Cash in hand: 9,616 + 200 = 9,816.00; with the bail out: 9,816 + 1,200 = 11,016.00.
    assert figures["Total assets"] == (0, 961_600 + 20_000 + 120_000) == (0, 1_101_600)
    assert figures["Total liabilities"] == (0, 0)
    # Net assets: 10,200.00 brought in + 816.00 of the year's change = 11,016.00.
    assert figures["Total net assets"] == (0, 1_020_000 + 81_600) == (0, 1_101_600)

    report = verify_ledger()
    assert report.ok, report.problems
    assert report.subledger_records_checked > 0


def _year_end_statements() -> None:
    found = statements(2025)
    assert list(found) == ["ana@example.org", "ben@example.org"]
    ana, ben = found["ana@example.org"], found["ben@example.org"]
    (card,) = ana.gifts
    assert (card.kind, card.date, card.kept) == ("card", D(2025, 3, 7), 30_000)
    assert card.acknowledgment  # $300.00 ≥ $250.00: the statement acknowledges it in writing
    assert ana.totals == {"usd": 30_000}
    assert [(g.kind, g.date, g.kept) for g in ben.gifts] == [
        ("check", D(2025, 3, 5), 50_000),
        ("check", D(2025, 3, 31), 7_500),
    ]
    assert [g.acknowledgment for g in ben.gifts] == [True, False]  # $500 ≥ $250 > $75
    assert ben.totals == {"usd": 50_000 + 7_500} == {"usd": 57_500}
    assert ben.donor_name == "Ben Okafor"

    sent_before = len(mail.outbox)
    call_command("donor_statements", "--year", "2025", "--send", stdout=io.StringIO())
    sent = mail.outbox[sent_before:]
    assert sorted(message.to for message in sent) == [["ana@example.org"], ["ben@example.org"]]
    by_donor = {message.to[0]: message.body for message in sent}
    assert "$300.00" in by_donor["ana@example.org"]
    assert "written acknowledgment" in by_donor["ana@example.org"]
    assert "$500.00" in by_donor["ben@example.org"] and "$75.00" in by_donor["ben@example.org"]
    assert "Total: $575.00" in by_donor["ben@example.org"]
    call_command("donor_statements", "--year", "2025", "--send", stdout=io.StringIO())
    assert len(mail.outbox) == sent_before + 2  # sent once


def test_a_small_funds_year(stripe_in_march, donor, team, tmp_path):  # noqa: F811
    _open_the_books(team)
    _close_january_and_refuse_a_late_check(team)

    _card_gift_and_payout(stripe_in_march, donor)
    gifts = {
        "march": _check_gift(team["bookkeeper"], 50_000, D(2025, 3, 5), "2231"),
        "in_transit": _check_gift(team["bookkeeper"], 7_500, D(2025, 3, 31), "2240"),
    }
    bail = _bail_the_month(team)
    assert account_balances()["assets:bank"] == CLOSING["assets:bank"]

    _reconcile_march(team, bail, gifts)
    _statements_of_the_year(team, tmp_path)
    _year_end_statements()
