"""Whole months from the monthly totals, parts of months from the postings: both give what
summing every posting gives, for any span of days."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from ledger.models import Account
from ledger.reports.dates import (
    InvalidPeriod,
    Period,
    Pieces,
    month_end,
    period_from_text,
    split_by_month,
)
from ledger.reports.sums import (
    balances_at,
    movements_from_monthly_totals,
    movements_from_postings,
    period_movements,
)
from tests.ledger.reports.conftest import raw_balances, raw_movements

D = dt.date

# Days on either side of month ends and of the worked year's entries.
DAYS = [
    D(2024, 12, 31),
    D(2025, 1, 1),
    D(2025, 1, 10),
    D(2025, 1, 31),
    D(2025, 2, 1),
    D(2025, 2, 4),
    D(2025, 3, 9),
    D(2025, 3, 15),
    D(2025, 6, 30),
    D(2025, 7, 1),
    D(2025, 10, 25),
    D(2025, 12, 31),
    D(2026, 1, 5),
]


def by_code(flows) -> dict[str, tuple[int, int]]:
    codes = dict(Account.objects.values_list("id", "code"))
    return {
        codes[id_]: (flow.debits, flow.credits)
        for id_, flow in flows.items()
        if flow.debits or flow.credits
    }


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 1, 1), D(2025, 12, 31), Pieces((D(2025, 1, 1), D(2025, 12, 1)), ())),
        (D(2025, 1, 15), D(2025, 1, 20), Pieces(None, ((D(2025, 1, 15), D(2025, 1, 20)),))),
        (D(2025, 1, 15), D(2025, 1, 31), Pieces(None, ((D(2025, 1, 15), D(2025, 1, 31)),))),
        (D(2025, 2, 1), D(2025, 2, 27), Pieces(None, ((D(2025, 2, 1), D(2025, 2, 27)),))),
        (
            D(2025, 1, 15),
            D(2025, 2, 10),
            Pieces(None, ((D(2025, 1, 15), D(2025, 1, 31)), (D(2025, 2, 1), D(2025, 2, 10)))),
        ),
        (
            D(2025, 1, 15),
            D(2025, 3, 10),
            Pieces(
                (D(2025, 2, 1), D(2025, 2, 1)),
                ((D(2025, 1, 15), D(2025, 1, 31)), (D(2025, 3, 1), D(2025, 3, 10))),
            ),
        ),
        (D(2024, 2, 1), D(2024, 2, 29), Pieces((D(2024, 2, 1), D(2024, 2, 1)), ())),
    ],
)
def test_a_span_splits_into_whole_months_and_parts_of_months(start, end, expected):
    assert split_by_month(start, end) == expected


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-12-31", "2025-01-01", "after the to date"),
        ("2025-13-01", "2025-12-31", "not a date"),
        ("2025-02-30", "2025-12-31", "not a date"),
        ("2025-1-1", "2025-12-31", "not a date"),
        ("", "2025-12-31", "Give the from date"),
        ("1899-12-31", "2025-12-31", "between 1900-01-01"),
    ],
)
def test_a_bad_period_is_refused_saying_why(start, end, message):
    with pytest.raises(InvalidPeriod, match=message):
        period_from_text(start, end)


def test_a_period_knows_its_eve_and_whether_it_is_whole_months():
    period = Period(D(2025, 3, 1), D(2025, 4, 30))
    assert (period.eve, period.whole_months, period.slug) == (
        D(2025, 2, 28),
        True,
        "2025-03-01_2025-04-30",
    )
    assert not Period(D(2025, 3, 2), D(2025, 4, 30)).whole_months


def test_every_span_sums_as_every_posting_does(worked_year):
    for start, end in itertools.combinations_with_replacement(DAYS, 2):
        assert by_code(period_movements(start, end)) == raw_movements(start, end), (start, end)


def test_the_monthly_totals_and_the_postings_agree_on_whole_months(worked_year):
    months = [D(2024, 12, 1), D(2025, 1, 1), D(2025, 3, 1), D(2025, 6, 1), D(2025, 12, 1)]
    for first, last in itertools.combinations_with_replacement(months, 2):
        from_totals = by_code(movements_from_monthly_totals(first, last))
        from_postings = by_code(movements_from_postings(first, month_end(last)))
        assert from_totals == from_postings == raw_movements(first, month_end(last))
        assert from_totals, (first, last)  # every one of these months has postings


def test_balances_at_any_close_are_the_sums_of_the_postings_up_to_it(worked_year):
    codes = dict(Account.objects.values_list("id", "code"))
    for day in DAYS:
        balances = {codes[id_]: b for id_, b in balances_at(day).items() if b}
        assert balances == {code: b for code, b in raw_balances(day).items() if b}, day


def test_the_year_has_the_postings_it_was_built_from(worked_year):
    """The raw sums themselves, against the worked year's arithmetic (conftest)."""
    year = raw_movements(D(2025, 1, 1), D(2025, 12, 31))
    assert year["assets:bank"] == (25_000 + 9_000 + 190_000 + 95_000, 480_000)
    assert year["income:donations"] == (0, 117_000)
    assert raw_balances(D(2026, 1, 5))["assets:bank"] == 339_000 + 7_000
