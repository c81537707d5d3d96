"""The bank reconciliation of one statement, the standard way, as of its closing date:

    bank closing balance
  + deposits in transit        (money into the bank in the books, not on a statement yet)
  − outstanding checks         (money out of the bank in the books, not on a statement yet)
  = adjusted bank balance

    book balance of the account at the end of the closing date
  + unmatched statement lines  (what the bank booked that no entry in the books is matched to)
  = adjusted book balance

    difference = adjusted bank balance − adjusted book balance: zero when every line and
    every entry is accounted for.

"On a statement" means matched (confirmed) to a line the bank booked by the closing date;
an entry matched to a later line was still outstanding then. Entries dated before the
account's first imported statement are taken as in its opening balance, unless matched to
a line after the closing date. An entry and its reversal (a check voided, a deposit that
bounced) that the bank booked neither of are not reconciling items: they cancel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db.models import Min
from django.utils import translation

from donations.bank.books import BankLeg, balance_as_of, legs_between, legs_by_posting
from donations.models import BankMatch, BankStatement, BankStatementLine, MatchStatus
from ledger.models import JournalTransaction
from ledger.staff import csv_cells


@dataclass
class Reconciliation:
    statement: BankStatement
    book_balance: int
    deposits_in_transit: list[BankLeg] = field(default_factory=list)
    outstanding_checks: list[BankLeg] = field(default_factory=list)
    unmatched_lines: list[BankStatementLine] = field(default_factory=list)

    @property
    def bank_closing(self) -> int:
        return self.statement.closing_balance

    @property
    def deposits_in_transit_total(self) -> int:
        return sum(leg.amount for leg in self.deposits_in_transit)

    @property
    def outstanding_checks_total(self) -> int:
        """As a positive amount: what is still to leave the bank."""
        return -sum(leg.amount for leg in self.outstanding_checks)

    @property
    def unmatched_total(self) -> int:
        return sum(line.amount for line in self.unmatched_lines)

    @property
    def adjusted_bank(self) -> int:
        return self.bank_closing + self.deposits_in_transit_total - self.outstanding_checks_total

    @property
    def adjusted_books(self) -> int:
        return self.book_balance + self.unmatched_total

    @property
    def difference(self) -> int:
        return self.adjusted_bank - self.adjusted_books

    @property
    def reconciled(self) -> bool:
        return self.difference == 0 and not self.unmatched_lines


def first_statement_start(account_code: str) -> dt.date | None:
    return BankStatement.objects.filter(account_code=account_code).aggregate(
        start=Min("period_start")
    )["start"]


def _without_voided(outstanding: list[BankLeg]) -> list[BankLeg]:
    """``outstanding`` less each entry reversed by another outstanding one for the same
    amount (a check voided, a deposit that bounced, before the bank booked either): the
    pair never reaches the bank, so neither is a reconciling item."""
    by_transaction = {leg.transaction_id: leg for leg in outstanding}
    pairs = JournalTransaction.objects.filter(
        pk__in=list(by_transaction), reverses_id__in=list(by_transaction)
    ).values_list("pk", "reverses_id")
    gone: set[int] = set()
    for reversal, original in pairs:
        if by_transaction[reversal].amount == -by_transaction[original].amount:
            gone |= {reversal, original}
    return [leg for leg in outstanding if leg.transaction_id not in gone]


def reconcile(statement: BankStatement) -> Reconciliation:
    code, end = statement.account_code, statement.period_end
    start = first_statement_start(code) or statement.period_start
    confirmed = BankMatch.objects.filter(status=MatchStatus.CONFIRMED, line__account_code=code)
    cleared = set(confirmed.filter(line__posted_on__lte=end).values_list("posting_id", flat=True))
    outstanding = [leg for leg in legs_between(code, start, end) if leg.posting_id not in cleared]
    # Entries from before the first statement that the bank booked only after this one.
    outstanding += legs_by_posting(
        list(
            confirmed.filter(line__posted_on__gt=end, transaction__date__lt=start).values_list(
                "posting_id", flat=True
            )
        )
    )
    outstanding = _without_voided(outstanding)
    outstanding.sort(key=lambda leg: (leg.date, leg.sequence))
    matched_lines = confirmed.filter(line__posted_on__lte=end, transaction__date__lte=end)
    unmatched = list(
        BankStatementLine.objects.filter(account_code=code, posted_on__lte=end)
        .exclude(pk__in=matched_lines.values("line_id"))
        .order_by("posted_on", "statement_id", "position")
    )
    return Reconciliation(
        statement=statement,
        book_balance=balance_as_of(code, end),
        deposits_in_transit=[leg for leg in outstanding if leg.amount > 0],
        outstanding_checks=[leg for leg in outstanding if leg.amount < 0],
        unmatched_lines=unmatched,
    )


def csv_header(currency: str) -> tuple[str, ...]:
    return ("Section", "Date", "Ledger no.", "What", csv_cells.money_heading("Amount", currency))


def report_rows(report: Reconciliation) -> list[tuple]:
    """The report as rows of a spreadsheet, written as every staff CSV is
    (``ledger.staff.csv_cells``): amounts as plain numbers (12345.67), ISO dates."""
    statement, currency = report.statement, report.statement.currency
    rows: list[tuple] = []

    def add(section: str, amount: int | None, day=None, sequence="", what="") -> None:
        money = csv_cells.money(amount, currency)
        rows.append((section, csv_cells.day(day), sequence, what, money))

    # An ISO 8601 interval, as the other cells are ISO dates.
    period = f"{csv_cells.day(statement.period_start)}/{csv_cells.day(statement.period_end)}"
    rows.append(("Statement", period, "", statement.account_code, ""))
    add("Bank closing balance", report.bank_closing, statement.period_end)
    for leg in report.deposits_in_transit:
        add("Deposit in transit", leg.amount, leg.date, leg.sequence, leg.what)
    add("Deposits in transit, total", report.deposits_in_transit_total)
    for leg in report.outstanding_checks:
        add("Outstanding check", -leg.amount, leg.date, leg.sequence, leg.what)
    add("Outstanding checks, total", report.outstanding_checks_total)
    add("Adjusted bank balance", report.adjusted_bank)
    add("Book balance", report.book_balance, statement.period_end, what=statement.account_code)
    for line in report.unmatched_lines:
        add("Unmatched statement line", line.amount, line.posted_on, what=line.description)
    add("Unmatched statement lines, total", report.unmatched_total)
    add("Adjusted book balance", report.adjusted_books)
    add("Difference", report.difference)
    return rows


def report_csv(report: Reconciliation) -> str:
    """The report as CSV, every cell safe to open in a spreadsheet: a bank's description
    that starts like a formula is written as text. In English, whatever the page's language
    (what a leg is, ``BankLeg.what``, is translated on the page)."""
    out = io.StringIO()
    writer = csv.writer(out)
    with translation.override("en"):
        writer.writerow([csv_cells.cell(cell) for cell in csv_header(report.statement.currency)])
        for row in report_rows(report):
            writer.writerow([csv_cells.cell(cell) for cell in row])
    return out.getvalue()
