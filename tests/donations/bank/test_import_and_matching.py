"""Importing with the command, importing again (nothing changes), and the matches proposed
between the statement's lines and the entries on assets:bank: a Stripe payout arriving, a
check to a court, a court's refund, a deposited check; a line with no entry becomes a
discrepancy."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from donations.bank.importing import statement_import
from donations.bank.matching import match_confirm, match_reject, propose_matches
from donations.exceptions import InvalidBankMatch
from donations.models import (
    BankMatch,
    BankStatement,
    BankStatementLine,
    Discrepancy,
    DiscrepancyStatus,
    MatchStatus,
)
from ledger.models import AuditEvent
from tests.donations.bank.conftest import STATEMENTS, day, statement_file

pytestmark = pytest.mark.django_db


def _command(*args) -> str:
    out = io.StringIO()
    call_command("import_bank_statement", *args, stdout=out)
    return out.getvalue()


def _state() -> tuple:
    """Everything an import may write, counted."""
    return (
        BankStatement.objects.count(),
        BankStatementLine.objects.count(),
        BankMatch.objects.count(),
        Discrepancy.objects.count(),
        AuditEvent.objects.count(),
    )


def _proposed_for(statement) -> dict:
    """Each line's proposed entry, by the line's date: {date: transaction id}."""
    return {
        match.line.posted_on: match.transaction_id
        for match in BankMatch.objects.filter(line__statement=statement).select_related("line")
    }


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("chase_march_2026.csv", ["--format", "csv", "--mapping", "Chase checking"]),
        ("march_2026.ofx", ["--format", "ofx"]),
        ("march_2026.camt053.xml", ["--format", "camt053", "--account", "assets:bank"]),
    ],
)
def test_each_format_imports_and_a_second_import_changes_nothing(
    chase_mapping, march_books, name, options
):
    path = str(STATEMENTS / name)

    first = _command(path, *options)
    statement = BankStatement.objects.get()
    assert first.startswith(f"Statement {statement.pk} imported: 5 new lines, 4 matches proposed")
    assert statement.closing_balance == 1_238_810 and statement.period_end == day(31)
    before = _state()

    again = _command(path, *options)

    assert again == f"Statement {statement.pk} was imported already; nothing changed.\n"
    assert _state() == before


def test_matching_proposes_the_payout_the_court_check_the_refund_and_the_deposit(march_books):
    imported = statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")

    proposed = _proposed_for(imported.statement)
    assert proposed == {
        day(5): march_books.gift.transaction_id,  # the donor's check, deposited
        day(6): march_books.bail.payment_transaction_id,  # check 1042 to the court, cashed
        day(10): march_books.payout.pk,  # the Stripe payout arriving
        day(23): march_books.refund.pk,  # the court's refund, three days after it was booked
    }
    reasons = {m.line.posted_on: m.reasons for m in BankMatch.objects.select_related("line").all()}
    assert "reference matches" in reasons[day(6)]  # the check number the bank printed
    assert "description says STRIPE" in reasons[day(10)]
    assert "3 days apart" in reasons[day(23)]
    # The bank's fee has no entry in the books: a discrepancy, in the existing list.
    fee_line = BankStatementLine.objects.get(posted_on=day(31))
    discrepancy = Discrepancy.objects.get(kind="bank_statement_line")
    assert discrepancy.stripe_object == f"bank_line:{fee_line.pk}"
    assert (discrepancy.expected, discrepancy.found, discrepancy.status) == (-1_200, None, "open")
    assert "-$12.00" in discrepancy.description


def test_a_check_cashed_long_after_it_was_written_is_found_by_its_number(march_books):
    late = statement_file("march_2026.ofx").replace(
        b"<DTPOSTED>20260306120000.000[-5:CDT]</DTPOSTED>",
        b"<DTPOSTED>20260330120000.000[-5:CDT]</DTPOSTED>",
    )

    imported = statement_import(actor=None, data=late, fmt="ofx")

    # 27 days after the payment, far outside the window, but the bank printed check 1042.
    assert _proposed_for(imported.statement)[day(30)] == march_books.bail.payment_transaction_id


def test_an_overlapping_statement_stores_only_its_new_lines(chase_mapping, march_books):
    first = _command(str(STATEMENTS / "chase_march_2026.csv"), "--format", "csv")
    assert "5 new lines" in first
    april = statement_file("chase_march_2026.csv").replace(
        b"Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n",
        b"Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
        b'DEBIT,04/02/2026,"CHECK 1043",-800.00,CHECK_PAID,11588.10,1043,\r\n',
    )

    imported = statement_import(actor=None, data=april, fmt="csv")

    assert (imported.new_lines, imported.known_lines, imported.proposals) == (1, 5, 1)
    assert BankStatementLine.objects.count() == 6
    assert _proposed_for(imported.statement) == {
        dt.date(2026, 4, 2): march_books.later_bail.payment_transaction_id
    }


def test_a_malformed_file_through_the_command_names_the_line_and_changes_nothing(
    chase_mapping, tmp_path
):
    bad = tmp_path / "march.csv"
    bad.write_bytes(statement_file("chase_march_2026.csv").replace(b"03/10/2026", b"03/1O/2026"))

    with pytest.raises(CommandError, match=r"^march.csv: Line 4: '03/1O/2026' is not a date"):
        _command(str(bad), "--format", "csv")

    assert _state()[:4] == (0, 0, 0, 0)


def test_confirming_records_the_match_once_and_closes_the_lines_discrepancy(
    march_books, staff_user, post
):
    bookkeeper = staff_user("bookkeeper")
    imported = statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")
    # The bookkeeper books the bank's fee; asked again, matching finds it.
    fee = post([("expenses:processing_fees", 1_200), ("assets:bank", -1_200)], date=day(31))
    assert propose_matches(imported.statement).proposals == 1
    match = BankMatch.objects.get(transaction=fee)

    match_confirm(actor=bookkeeper, match=match)
    match_confirm(actor=bookkeeper, match=match)  # again: nothing more happens

    match.refresh_from_db()
    assert (match.status, match.decided_by) == (MatchStatus.CONFIRMED, bookkeeper)
    confirmed = AuditEvent.objects.get(action="bank_match.confirmed")
    assert confirmed.details == {
        "statement": imported.statement.pk,
        "line": match.line_id,
        "sequence": fee.sequence,
        "posting": match.posting_id,
        "amount": -1_200,
    }
    discrepancy = Discrepancy.objects.get(kind="bank_statement_line")
    assert discrepancy.status == DiscrepancyStatus.RESOLVED
    assert (
        discrepancy.resolution_note
        == f"Matched to ledger no. {fee.sequence} (bank match {match.pk})."
    )


def test_a_line_or_an_entry_is_matched_only_once(march_books, staff_user):
    bookkeeper = staff_user("bookkeeper")
    first = statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")
    payout = BankMatch.objects.get(transaction=march_books.payout)
    match_confirm(actor=bookkeeper, match=payout)
    # The same payout on another bank's statement (imported as CAMT: other references).
    second = statement_import(
        actor=None, data=statement_file("march_2026.camt053.xml"), fmt="camt053"
    )
    assert march_books.payout.pk not in _proposed_for(second.statement).values()
    # Were it proposed all the same, confirming it is refused.
    stray = BankMatch.objects.create(
        line=second.statement.lines.get(posted_on=day(10)),
        transaction=payout.transaction,
        posting=payout.posting,
        proposed_at=payout.proposed_at,
    )
    with pytest.raises(InvalidBankMatch, match="already matched to another statement line"):
        match_confirm(actor=bookkeeper, match=stray)
    assert BankMatch.objects.filter(status="confirmed").count() == 1
    assert first.statement.pk != second.statement.pk


def test_a_rejected_proposal_is_not_made_again_and_its_line_becomes_a_discrepancy(
    march_books, staff_user
):
    bookkeeper = staff_user("bookkeeper")
    imported = statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")
    refund = BankMatch.objects.get(transaction=march_books.refund)

    match_reject(actor=bookkeeper, match=refund)
    again = propose_matches(imported.statement)

    assert again.proposals == 0
    assert BankMatch.objects.get(pk=refund.pk).status == MatchStatus.REJECTED
    objects = set(Discrepancy.objects.filter(status="open").values_list("stripe_object", flat=True))
    assert f"bank_line:{refund.line_id}" in objects
    assert AuditEvent.objects.filter(
        action="bank_match.rejected", object_id=str(refund.pk)
    ).exists()


def test_a_payout_is_found_by_the_id_the_bank_carried_in_its_end_to_end_reference(
    march_books,
):
    statement_import(actor=None, data=statement_file("march_2026.camt053.xml"), fmt="camt053")

    payout = BankMatch.objects.get(transaction=march_books.payout)
    assert payout.line.posted_on == day(10)
    assert payout.reasons == "same amount; same day; reference matches; description says STRIPE"
    assert payout.score == 100
