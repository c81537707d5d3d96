"""The reconciliation of a statement as of its closing date: the bank's closing balance,
plus deposits in transit, less outstanding checks, against the book balance plus the
bank's lines no entry is matched to; the difference is zero when all is accounted for."""

import csv
import io

import pytest

from donations.bank.importing import statement_import
from donations.bank.matching import match_confirm, propose_matches
from donations.bank.report import reconcile, report_csv
from donations.models import BankMatch
from ledger.casework.corrections import correction_apply, correction_propose
from tests.donations.bank.conftest import day, statement_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(march_books, staff_user):
    """The March statement imported, and every proposal confirmed by a bookkeeper."""
    bookkeeper = staff_user("bookkeeper")
    imported = statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")
    for match in BankMatch.objects.all():
        match_confirm(actor=bookkeeper, match=match)
    return imported.statement


def test_an_outstanding_check_and_a_deposit_in_transit_leave_no_difference(
    march, march_books, post, staff_user
):
    # The bookkeeper books the bank's fee, and matches it: every line is accounted for.
    post([("expenses:processing_fees", 1_200), ("assets:bank", -1_200)], date=day(31))
    propose_matches(march)
    fee = BankMatch.objects.get(status="proposed")
    match_confirm(actor=staff_user("bookkeeper"), match=fee)

    report = reconcile(march)

    assert report.bank_closing == 1_238_810
    # Check 1043 (28 March) has not reached the bank; the check recorded on the 31st has not
    # been deposited.
    assert [(leg.transaction_id, leg.amount) for leg in report.outstanding_checks] == [
        (march_books.later_bail.payment_transaction_id, -80_000)
    ]
    assert [(leg.transaction_id, leg.amount) for leg in report.deposits_in_transit] == [
        (march_books.later_gift.transaction_id, 7_500)
    ]
    assert report.outstanding_checks[0].what == "Check or payment to a court"
    # $10,000 − 1,500 + 250 + 2,450.10 + 1,200 − 800 + 75 − 12 in the books on the 31st.
    assert report.book_balance == 1_166_310
    assert report.adjusted_bank == 1_238_810 + 7_500 - 80_000 == report.adjusted_books
    assert report.unmatched_lines == [] and report.difference == 0 and report.reconciled


def test_a_bank_line_with_no_entry_is_an_unmatched_line_in_the_report(march):
    report = reconcile(march)

    assert [(line.posted_on, line.amount) for line in report.unmatched_lines] == [(day(31), -1_200)]
    # The fee explains the whole gap between the bank and the books.
    assert report.book_balance == 1_167_510
    assert report.adjusted_books == 1_167_510 - 1_200 == report.adjusted_bank
    assert report.difference == 0 and not report.reconciled


def test_an_entry_matched_to_a_later_statement_was_still_outstanding_at_this_ones_end(
    march, march_books, staff_user
):
    cashed = (
        b"<STMTTRN><TRNTYPE>CHECK</TRNTYPE><DTPOSTED>20260402</DTPOSTED>"
        b"<TRNAMT>-800.00</TRNAMT><FITID>20260402-0001</FITID><CHECKNUM>1043</CHECKNUM>"
        b"<NAME>CHECK 1043</NAME></STMTTRN></BANKTRANLIST>"
    )
    april = (
        statement_file("march_2026.ofx")
        .replace(b"</BANKTRANLIST>", cashed)
        .replace(b"<BALAMT>12388.10</BALAMT>", b"<BALAMT>11588.10</BALAMT>")
        .replace(b"20260331235959", b"20260402235959")
    )
    later = statement_import(actor=None, data=april, fmt="ofx").statement
    match_confirm(
        actor=staff_user("bookkeeper"), match=BankMatch.objects.get(line__statement=later)
    )

    march_report = reconcile(march)
    april_report = reconcile(later)

    assert [leg.amount for leg in march_report.outstanding_checks] == [-80_000]
    assert march_report.difference == 0
    assert april_report.outstanding_checks == []
    assert april_report.difference == 0


def test_the_csv_carries_every_figure_and_keeps_formulas_inert(march):
    line = march.lines.get(posted_on=day(31))
    type(line).objects.filter(pk=line.pk).update(description='=HYPERLINK("http://x.example")')

    rows = list(csv.reader(io.StringIO(report_csv(reconcile(march)))))

    assert rows[0] == ["Section", "Date", "Ledger no.", "What", "Amount (USD)"]
    assert rows[1][:2] == ["Statement", f"{march.period_start}/{march.period_end}"]
    by_section = {row[0]: row for row in rows}
    assert by_section["Bank closing balance"][4] == "12388.10"
    assert by_section["Outstanding checks, total"][4] == "800.00"
    assert by_section["Deposits in transit, total"][4] == "75.00"
    assert by_section["Difference"][4] == "0.00"
    unmatched = by_section["Unmatched statement line"]
    assert unmatched[3] == '\'=HYPERLINK("http://x.example")' and unmatched[4] == "-12.00"


def test_a_check_voided_before_the_bank_saw_it_is_no_longer_outstanding(
    march, march_books, post, staff_user
):
    post([("expenses:processing_fees", 1_200), ("assets:bank", -1_200)], date=day(31))
    propose_matches(march)
    match_confirm(actor=staff_user("bookkeeper"), match=BankMatch.objects.get(status="proposed"))
    # Check 1043 never reached the bank: the court sent it back, and it is voided.
    proposal = correction_propose(
        actor=staff_user("bookkeeper"),
        disbursement=march_books.later_bail,
        kind="void",
        reason="The court returned check 1043 uncashed.",
        token="void-1043",
        new_date=day(30),
    )
    correction_apply(actor=staff_user("approver"), correction=proposal)

    report = reconcile(march)

    assert report.outstanding_checks == []
    assert [(leg.transaction_id, leg.amount) for leg in report.deposits_in_transit] == [
        (march_books.later_gift.transaction_id, 7_500)
    ]
    assert report.book_balance == 1_166_310 + 80_000
    assert report.difference == 0 and report.reconciled
