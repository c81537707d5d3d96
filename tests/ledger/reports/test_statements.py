"""Each statement of the worked year (conftest), figure by figure, with its identities, and
each tied to the journal: to the sums of every posting row, to the stored balances that
``verify_ledger`` checks, and to an independent reading of the Beancount export."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from ledger.books.exports import beancount_account, write_beancount
from ledger.books.posting import transaction_post, transaction_reverse
from ledger.books.verification import verify_ledger
from ledger.models import Account
from ledger.reports.activity import activity_by_county, activity_by_court
from ledger.reports.catalogue import all_statements
from ledger.reports.dates import Period
from ledger.reports.statements import (
    Books,
    activities,
    bail_roll_forward,
    financial_position,
    trial_balance,
)
from ledger.reports.tables import SUBTOTAL, TOTAL
from tests.ledger.reports.conftest import raw_balances, raw_movements

D = dt.date
YEAR = Period(D(2025, 1, 1), D(2025, 12, 31))
PARTIAL = Period(D(2025, 3, 10), D(2025, 10, 25))
MONTHS = Period(D(2025, 4, 1), D(2025, 9, 30))

# The trial balance of 2025: opening, debits, credits, closing.
TRIAL_BALANCE_2025 = {
    "assets:stripe": (0, 77_590, 18_000, 59_590),
    "assets:payouts_in_transit": (0, 9_000, 9_000, 0),
    "assets:stripe_held": (0, 0, 0, 0),
    "assets:stripe_suspense": (0, 0, 0, 0),
    "assets:bank": (500_000, 319_000, 480_000, 339_000),
    "assets:cash": (0, 12_000, 0, 12_000),
    "assets:bail_outstanding": (0, 450_000, 350_000, 100_000),
    "net_assets:opening_balance": (-500_000, 0, 0, -500_000),
    "income:donations": (0, 0, 117_000, -117_000),
    "income:donations_refunded": (0, 5_000, 0, 5_000),
    "expenses:processing_fees": (0, 2_410, 0, 2_410),
    "expenses:dispute_losses": (0, 4_000, 0, 4_000),
    "expenses:court_fees": (0, 15_000, 0, 15_000),
    "expenses:bail_forfeited": (0, 50_000, 0, 50_000),
    "expenses:direct_support": (0, 30_000, 0, 30_000),
}


def lines(report) -> dict:
    """The statement's rows by their first non-empty text cell."""
    found = {}
    for row in report.rows:
        numbers = tuple(c for c, col in zip(row.cells, report.columns, strict=True) if col.numeric)
        label = next(c for c in row.cells if isinstance(c, str) and c)
        found[label] = numbers if len(numbers) > 1 else numbers[0]
    return found


def total(report) -> tuple:
    (row,) = report.totals
    return tuple(c for c, col in zip(row.cells, report.columns, strict=True) if col.numeric)


def test_the_trial_balance_of_the_year(worked_year):
    report = trial_balance(Books(YEAR))

    assert {k: v for k, v in lines(report).items() if k != "Total"} == TRIAL_BALANCE_2025
    assert [row.cells[0] for row in report.body][:3] == [
        "assets:stripe",
        "assets:payouts_in_transit",
        "assets:stripe_held",
    ]
    assert total(report) == (0, 974_000, 974_000, 0)
    assert report.ok and len(report.checks) == 3


def test_the_trial_balance_of_part_of_the_year(worked_year):
    report = trial_balance(Books(PARTIAL))
    figures = lines(report)

    assert figures["assets:stripe"] == (44_200, 0, 4_000, 40_200)
    assert figures["assets:bank"] == (534_000, 285_000, 480_000, 339_000)
    assert figures["income:donations"] == (-85_000, 0, 0, -85_000)
    assert figures["expenses:processing_fees"] == (1_800, 0, 0, 1_800)
    assert total(report) == (0, 834_000, 834_000, 0)
    assert report.ok


@pytest.mark.parametrize("period", [YEAR, PARTIAL, MONTHS, Period(D(2025, 2, 4), D(2026, 1, 5))])
def test_the_trial_balance_is_the_sum_of_every_posting(worked_year, period):
    report = trial_balance(Books(period))
    moves = raw_movements(period.start, period.end)
    opening, closing = raw_balances(period.eve), raw_balances(period.end)

    for row in report.body:
        code = row.cells[0]
        expected = (opening.get(code, 0), *moves.get(code, (0, 0)), closing.get(code, 0))
        assert row.cells[3:] == expected, code


def test_the_statement_of_financial_position_at_both_ends_of_the_year(worked_year):
    report = financial_position(Books(YEAR))
    figures = lines(report)

    assert [c.heading for c in report.columns[2:]] == ["At 2024-12-31", "At 2025-12-31"]
    assert figures["assets:stripe"] == (0, 59_590)
    assert figures["assets:bank"] == (500_000, 339_000)
    assert figures["assets:cash"] == (0, 12_000)
    assert figures["assets:bail_outstanding"] == (0, 100_000)
    assert figures["Total assets"] == (500_000, 510_590)
    assert figures["Total liabilities"] == (0, 0)
    assert figures["net_assets:opening_balance"] == (500_000, 500_000)
    assert figures[next(k for k in figures if k.startswith("Change in net assets"))] == (0, 10_590)
    assert figures["Total net assets"] == (500_000, 510_590)
    assert total(report) == (500_000, 510_590)
    assert report.ok


def test_the_statement_of_activities_of_the_year(worked_year):
    report = activities(Books(YEAR))
    figures = lines(report)

    assert figures["income:donations"] == 117_000
    assert figures["income:donations_refunded"] == -5_000
    assert figures["Total revenue"] == 112_000
    assert figures["expenses:processing_fees"] == 2_410
    assert figures["expenses:dispute_losses"] == 4_000
    assert figures["expenses:court_fees"] == 15_000
    assert figures["expenses:bail_forfeited"] == 50_000
    assert figures["expenses:direct_support"] == 30_000
    assert figures["Total expenses"] == 101_410
    assert figures["Change in net assets"] == 10_590
    assert figures["Net assets at 2024-12-31"] == 500_000
    assert total(report) == (510_590,)
    assert [r.style for r in report.rows if r.style != "line"] == [SUBTOTAL] * 3 + [TOTAL]
    assert report.ok


@pytest.mark.parametrize("period", [YEAR, PARTIAL, MONTHS])
def test_the_change_in_net_assets_is_the_change_between_the_two_balance_sheets(worked_year, period):
    books = Books(period)
    change = lines(activities(books))["Change in net assets"]
    position = lines(financial_position(books))

    start, end = position["Total net assets"]
    assert change == end - start
    assert position["Total assets"] == total(financial_position(books))


def test_part_of_the_year_has_no_revenue_and_the_expenses_of_its_days(worked_year):
    figures = lines(activities(Books(PARTIAL)))

    assert (figures["Total revenue"], figures["Total expenses"]) == (0, 99_000)
    assert figures["Change in net assets"] == -99_000
    assert figures["Net assets at 2025-03-09"] == 578_200
    assert figures["Net assets at 2025-10-25"] == 479_200


def test_opening_balances_brought_in_during_the_period_are_not_revenue(db, post):
    post([("assets:bank", 80_000), ("net_assets:opening_balance", -80_000)], kind="opening")
    post([("assets:bank", 1_000), ("income:donations", -1_000)], kind="offline_gift")
    books = Books(Period(D(2026, 3, 1), D(2026, 3, 31)))

    figures = lines(activities(books))

    assert figures["Change in net assets"] == 1_000
    label = next(k for k in figures if k.startswith("Brought in"))
    assert figures[label] == 80_000
    assert total(activities(books)) == (81_000,)
    assert activities(books).ok and financial_position(books).ok


def test_the_bail_roll_forward_of_the_year(worked_year):
    report = bail_roll_forward(Books(YEAR))

    assert [row.cells for row in report.rows] == [
        ("Outstanding bail at 2024-12-31", 0),
        ("Bail paid", 450_000),
        ("Bail returned to the fund", -285_000),
        ("Court fees withheld from returned bail", -15_000),
        ("Bail forfeited", -50_000),
        ("Reversals, adjustments and other entries", 0),
        ("Outstanding bail at 2025-12-31", 100_000),
    ]
    assert report.ok


@pytest.mark.parametrize("period", [MONTHS, Period(D(2025, 3, 16), D(2025, 10, 19))])
def test_the_bail_roll_forward_over_months_and_over_parts_of_months(worked_year, period):
    report = bail_roll_forward(Books(period))

    amounts = [row.cells[1] for row in report.rows]
    assert amounts == [200_000, 250_000, -190_000, -10_000, -50_000, 0, 200_000]
    assert amounts[-1] == raw_balances(period.end)["assets:bail_outstanding"]
    assert sum(amounts[:-1]) == amounts[-1]
    assert report.ok


def test_a_reversed_bail_entry_shows_as_a_correction_and_still_ties(db, post):
    post([("assets:bank", 100_000), ("net_assets:opening_balance", -100_000)], kind="opening")
    paid = post(
        [("assets:bail_outstanding", 40_000), ("assets:bank", -40_000)], kind="disbursement"
    )
    transaction_reverse(transaction_to_reverse=paid, date=D(2026, 3, 20))
    books = Books(Period(D(2026, 3, 1), D(2026, 3, 31)))

    report = bail_roll_forward(books)

    assert [row.cells[1] for row in report.rows] == [0, 40_000, 0, 0, 0, -40_000, 0]
    assert report.ok
    # No disbursement records this payment: the activity statements say they disagree.
    assert not activity_by_county(books).ok


def test_bail_activity_by_county_and_by_court_for_the_year(worked_year):
    books = Books(YEAR)
    county, court = activity_by_county(books), activity_by_court(books)

    assert [row.cells for row in county.rows] == [
        ("Hennepin", 3, 300_000, 30_000, 190_000, 10_000, 0),
        ("Ramsey", 1, 150_000, 0, 95_000, 5_000, 50_000),
        ("Total", 4, 450_000, 30_000, 285_000, 15_000, 50_000),
    ]
    assert [row.cells for row in court.rows] == [
        ("(no court recorded)", "Hennepin", 1, 0, 30_000, 0, 0, 0),
        ("Fourth District", "Hennepin", 2, 300_000, 0, 190_000, 10_000, 0),
        ("Second District", "Ramsey", 1, 150_000, 0, 95_000, 5_000, 50_000),
        ("Total", "", 4, 450_000, 30_000, 285_000, 15_000, 50_000),
    ]
    assert county.ok and court.ok


def test_bail_activity_counts_what_happened_inside_the_period(worked_year):
    report = activity_by_county(Books(MONTHS))

    assert [row.cells for row in report.rows] == [
        ("Hennepin", 2, 100_000, 30_000, 190_000, 10_000, 0),
        ("Ramsey", 1, 150_000, 0, 0, 0, 50_000),
        ("Total", 3, 250_000, 30_000, 190_000, 10_000, 50_000),
    ]
    assert report.ok


def test_the_statements_tie_to_the_verified_journal(worked_year):
    assert verify_ledger().ok
    reports = all_statements(Period(D(2024, 12, 1), D(2026, 1, 31)))
    closing = {row.cells[0]: row.cells[6] for row in reports[0].body}

    assert closing == dict(Account.objects.values_list("code", "balance"))
    assert all(report.ok for report in reports)
    assert [r.slug for r in reports] == [
        "trial-balance",
        "financial-position",
        "activities",
        "bail-roll-forward",
        "activity-by-county",
        "activity-by-court",
    ]


# The Beancount export, read by Beancount itself -------------------------------------------


def _beancount_text() -> str:
    out = io.StringIO()
    write_beancount(out)
    return out.getvalue()


def _cents(number: Decimal) -> int:
    return int(number * 100)


@pytest.mark.parametrize("period", [YEAR, PARTIAL])
def test_the_trial_balance_ties_to_the_beancount_export(worked_year, period):
    entries, errors, _ = loader.load_string(_beancount_text())
    assert errors == []
    opening: dict[str, int] = defaultdict(int)
    flows: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            cents = _cents(posting.units.number)
            if entry.date < period.start:
                opening[posting.account] += cents
            elif entry.date <= period.end:
                flows[posting.account][0 if cents > 0 else 1] += abs(cents)
    names = dict(Account.objects.values_list("code", "type"))

    report = trial_balance(Books(period))

    for row in report.body:
        name = beancount_account(row.cells[0], names[row.cells[0]])
        opened = opening[name]
        debits, credits = flows[name]
        assert row.cells[3:] == (opened, debits, credits, opened + debits - credits), name


def test_the_beancount_export_of_the_worked_year_passes_bean_check(worked_year, tmp_path):
    export = tmp_path / "year.beancount"
    export.write_text(_beancount_text())
    bean_check = Path(sys.executable).with_name("bean-check")
    result = subprocess.run(
        [str(bean_check), str(export)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_closing_balances_tie_to_bean_query(worked_year, tmp_path):
    bean_query = Path(sys.executable).with_name("bean-query")
    if not bean_query.exists():
        pytest.skip("bean-query (the beanquery package) is not installed beside Python")
    export = tmp_path / "year.beancount"
    export.write_text(_beancount_text())
    query = "SELECT account, sum(number) AS total WHERE date <= 2025-12-31 GROUP BY account"
    result = subprocess.run(
        [str(bean_query), "-f", "csv", str(export), query],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split(",") for line in result.stdout.strip().splitlines()[1:]]
    queried = {name.strip(): _cents(Decimal(number.strip())) for name, number in rows}
    names = dict(Account.objects.values_list("code", "type"))

    report = trial_balance(Books(YEAR))

    for row in report.body:
        name = beancount_account(row.cells[0], names[row.cells[0]])
        assert queried.get(name, 0) == row.cells[6], name


def test_an_amount_posted_at_the_last_minute_of_the_period_counts(db):
    transaction_post(
        kind="adjustment",
        date=D(2026, 2, 28),
        legs=[("assets:cash", 123), ("net_assets:opening_balance", -123)],
        idempotency_key="reports:last-day",
    )
    february = trial_balance(Books(Period(D(2026, 2, 1), D(2026, 2, 28))))
    march = trial_balance(Books(Period(D(2026, 3, 1), D(2026, 3, 31))))

    assert lines(february)["assets:cash"] == (0, 123, 0, 123)
    assert lines(march)["assets:cash"] == (123, 0, 0, 123)
