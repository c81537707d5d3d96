"""A small fund's worked year, 2025, played through the project's services, and the raw
sums of its postings that every statement must agree with.

The year, in cents (the figures the statements' tests expect follow from these lines):

    2024-12-31  opening balance: bank 500,000
    2025-01-10  card donation 10,000, fee 320
    2025-01-20  check 25,000 to the bank
    2025-02-03  payout 9,000 leaves Stripe; arrives in the bank on 02-05
    2025-02-14  card donation 50,000, fee 1,480
    2025-03-02  refund 5,000
    2025-03-15  bail A paid 200,000 (Hennepin, Fourth District)
    2025-04-10  bail B paid 150,000 (Ramsey, Second District)
    2025-05-05  dispute lost 4,000
    2025-06-30  bail A returned: 190,000 back, 10,000 court fees
    2025-07-15  support C paid 30,000 (Hennepin, no court)
    2025-08-01  bail D paid 100,000 (Hennepin, Fourth District)
    2025-09-09  bail B: 50,000 forfeited
    2025-10-20  bail B returned: 95,000 back, 5,000 court fees
    2025-11-11  cash gift 12,000
    2025-12-31  card donation 20,000, fee 610
    2026-01-05  check 7,000 (after the year)
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pytest

from ledger.models import Disbursement, Posting
from tests.ledger import fund_life as life

D = dt.date


@dataclass(frozen=True)
class WorkedYear:
    team: life.Team
    bail_a: Disbursement
    bail_b: Disbursement
    support_c: Disbursement
    bail_d: Disbursement


@pytest.fixture
def worked_year(db, field_keys, post) -> WorkedYear:
    post(
        [("assets:bank", 500_000), ("net_assets:opening_balance", -500_000)],
        kind="opening",
        date=D(2024, 12, 31),
        memo="Opening balance",
    )
    team = life.team()
    life.donation(10_000, 320, D(2025, 1, 10))
    life.offline_gift(25_000, D(2025, 1, 20))
    life.payout(9_000, D(2025, 2, 3))
    life.donation(50_000, 1_480, D(2025, 2, 14))
    life.refund(5_000, D(2025, 3, 2))
    fourth = {"court": "Fourth District"}
    bail_a = life.pay(life.case("Hennepin", by=team, **fourth), 200_000, D(2025, 3, 15), by=team)
    bail_b = life.pay(
        life.case("Ramsey", by=team, court="Second District"), 150_000, D(2025, 4, 10), by=team
    )
    life.dispute(4_000, D(2025, 5, 5))
    life.bail_returned(bail_a, 190_000, 10_000, D(2025, 6, 30), by=team)
    support_c = life.pay(
        life.case("Hennepin", by=team), 30_000, D(2025, 7, 15), by=team, purpose="support"
    )
    bail_d = life.pay(life.case("Hennepin", by=team, **fourth), 100_000, D(2025, 8, 1), by=team)
    life.bail_forfeited(bail_b, 50_000, D(2025, 9, 9), by=team)
    life.bail_returned(bail_b, 95_000, 5_000, D(2025, 10, 20), by=team)
    life.offline_gift(12_000, D(2025, 11, 11), account="assets:cash")
    life.donation(20_000, 610, D(2025, 12, 31))
    life.offline_gift(7_000, D(2026, 1, 5))
    return WorkedYear(team, bail_a, bail_b, support_c, bail_d)


# Raw sums: every posting row, added up in Python ---------------------------------------


def every_posting() -> list[tuple[str, dt.date, int]]:
    return list(Posting.objects.values_list("account__code", "transaction__date", "amount"))


def raw_movements(start: dt.date, end: dt.date) -> dict[str, tuple[int, int]]:
    """(debits, credits) per account code of the postings dated start to end."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for code, date, amount in every_posting():
        if start <= date <= end:
            sums[code][0 if amount > 0 else 1] += abs(amount)
    return {code: (debits, credits) for code, (debits, credits) in sums.items()}


def raw_balances(day: dt.date) -> dict[str, int]:
    """Balance per account code at the close of ``day``."""
    sums: dict[str, int] = defaultdict(int)
    for code, date, amount in every_posting():
        if date <= day:
            sums[code] += amount
    return dict(sums)
