"""A bail fund's life in textbook entries, with the balance of every account after it.

Each step follows the posting recipes of docs/ledger.md; the expected balances are worked out by
hand in the comments so a reader can check the arithmetic without running anything.
"""

import datetime as dt

import pytest

from ledger.books.posting import transaction_post
from ledger.books.selectors import account_balances, account_flows
from ledger.books.verification import verify_ledger

pytestmark = pytest.mark.django_db

D = dt.date(2026, 6, 1)


def _post(kind, key, legs, day=0):
    return transaction_post(
        kind=kind, date=D + dt.timedelta(days=day), legs=legs, idempotency_key=key
    )


def test_a_fund_life_leaves_every_account_at_its_expected_balance():
    # Two card donations settle: $100.00 (fee $3.20) and $50.00 (fee $1.75).
    _post(
        "donation",
        "stripe:txn_a",
        [("assets:stripe", 9680), ("expenses:processing_fees", 320), ("income:donations", -10000)],
    )  # noqa: E501
    _post(
        "donation",
        "stripe:txn_b",
        [("assets:stripe", 4825), ("expenses:processing_fees", 175), ("income:donations", -5000)],
    )  # noqa: E501
    # The $50.00 gift is refunded in full; Stripe keeps its fee.
    _post(
        "refund", "stripe:txn_r", [("income:donations_refunded", 5000), ("assets:stripe", -5000)], 1
    )  # noqa: E501
    # A $20.00 gift is disputed and lost: $20.00 withdrawn plus a $15.00 dispute fee.
    _post(
        "donation",
        "stripe:txn_c",
        [("assets:stripe", 1912), ("expenses:processing_fees", 88), ("income:donations", -2000)],
        1,
    )  # noqa: E501
    _post(
        "dispute", "stripe:txn_d", [("expenses:dispute_losses", 3500), ("assets:stripe", -3500)], 2
    )  # noqa: E501
    # Stripe pays out $60.00: it leaves Stripe's balance, and arrives in the bank two days on.
    _post("payout", "stripe:txn_p", [("assets:payouts_in_transit", 6000), ("assets:stripe", -6000)])
    _post(
        "payout",
        "stripe:po_1:arrived",
        [("assets:bank", 6000), ("assets:payouts_in_transit", -6000)],
        3,
    )
    # A $500.00 check arrives and $40.00 in cash at an event.
    _post("offline_gift", "offline:1", [("assets:bank", 50000), ("income:donations", -50000)], 3)
    _post("offline_gift", "offline:2", [("assets:cash", 4000), ("income:donations", -4000)], 3)
    # Bail of $300.00 and $200.00 is paid from the bank.
    _post(
        "disbursement",
        "disbursement:1:paid",
        [("assets:bail_outstanding", 30000), ("assets:bank", -30000)],
        4,
    )  # noqa: E501
    _post(
        "disbursement",
        "disbursement:2:paid",
        [("assets:bail_outstanding", 20000), ("assets:bank", -20000)],
        4,
    )  # noqa: E501
    # The $300.00 comes back less a $30.00 court fee; the $200.00 is forfeited.
    _post(
        "bail_return",
        "disbursement:1:returned",
        [
            ("assets:bank", 27000),
            ("expenses:court_fees", 3000),
            ("assets:bail_outstanding", -30000),
        ],
        40,
    )  # noqa: E501
    _post(
        "forfeiture",
        "disbursement:2:forfeited",
        [("expenses:bail_forfeited", 20000), ("assets:bail_outstanding", -20000)],
        60,
    )  # noqa: E501
    # $25.00 of transport after a release, which does not come back.
    _post(
        "disbursement", "support:1", [("expenses:direct_support", 2500), ("assets:bank", -2500)], 5
    )  # noqa: E501

    assert account_balances() == {
        # 9680 + 4825 - 5000 + 1912 - 3500 - 6000
        "assets:stripe": 1917,
        # 6000 + 50000 - 30000 - 20000 + 27000 - 2500
        "assets:bank": 30500,
        "assets:cash": 4000,
        # 6000 - 6000: arrived
        "assets:payouts_in_transit": 0,
        "assets:stripe_held": 0,
        "assets:stripe_suspense": 0,
        # 30000 + 20000 - 30000 - 20000
        "assets:bail_outstanding": 0,
        # -(10000 + 5000 + 2000 + 50000 + 4000)
        "income:donations": -71000,
        "income:donations_refunded": 5000,
        # 320 + 175 + 88
        "expenses:processing_fees": 583,
        "expenses:dispute_losses": 3500,
        "expenses:court_fees": 3000,
        "expenses:bail_forfeited": 20000,
        "expenses:direct_support": 2500,
        "net_assets:opening_balance": 0,
    }
    flows = account_flows()
    assert flows["assets:bail_outstanding"] == (50000, 50000)  # paid, then all resolved
    assert flows["income:donations"] == (0, 71000)
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.transactions == 14


def test_an_opening_balance_brings_existing_money_into_the_books():
    _post(
        "opening",
        "opening:bank",
        [("assets:bank", 1_000_000), ("net_assets:opening_balance", -1_000_000)],
    )  # noqa: E501
    _post(
        "opening",
        "opening:bail",
        [("assets:bail_outstanding", 250_000), ("net_assets:opening_balance", -250_000)],
    )  # noqa: E501

    balances = account_balances()
    assert balances["net_assets:opening_balance"] == -1_250_000
    assert balances["assets:bank"] + balances["assets:bail_outstanding"] == 1_250_000
    assert sum(balances.values()) == 0
