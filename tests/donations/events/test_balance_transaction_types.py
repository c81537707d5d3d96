"""Every Stripe balance transaction type a fund meets has a recipe
(https://docs.stripe.com/reports/balance-transaction-types); nothing Stripe does is
booked as a fee unless it is one, and an unknown type waits in suspense with a
discrepancy naming it."""

import pytest

from donations.events.posting import (
    RECIPES,
    entry_for,
    post_balance_transaction,
    post_balance_transactions,
)
from donations.models import Discrepancy, DiscrepancyStatus
from ledger.books.selectors import account_balances

pytestmark = pytest.mark.django_db

NUMBERS = iter(range(1, 10_000))


def bt(type_: str, amount: int, fee: int = 0, **fields) -> dict:
    """A balance transaction as Stripe sends it (its amounts signed as they move the
    balance: https://docs.stripe.com/api/balance_transactions/object)."""
    return {
        "id": f"txn_{type_}_{next(NUMBERS)}",
        "object": "balance_transaction",
        "type": type_,
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": "usd",
        "created": 1_767_225_600,
        "reporting_category": fields.pop("reporting_category", type_),
        **fields,
    }


@pytest.mark.parametrize(
    ("transaction", "legs"),
    [
        (bt("charge", 10000, 320), {"assets:stripe": 9680, "expenses:processing_fees": 320,
                                     "income:donations": -10000}),
        (bt("payment", 5000, 80), {"assets:stripe": 4920, "expenses:processing_fees": 80,
                                    "income:donations": -5000}),
        (bt("refund", -5000), {"assets:stripe": -5000, "income:donations_refunded": 5000}),
        (bt("payment_reversal", -5000), {"assets:stripe": -5000,
                                          "income:donations_refunded": 5000}),
        # A payout leaves Stripe for the bank: in transit until it arrives.
        (bt("payout", -9000), {"assets:stripe": -9000, "assets:payouts_in_transit": 9000}),
        (bt("payout", -9000, 150), {"assets:stripe": -9150, "assets:payouts_in_transit": 9000,
                                     "expenses:processing_fees": 150}),  # instant payout fee
        (bt("payout_failure", 9000), {"assets:stripe": 9000, "assets:payouts_in_transit": -9000}),
        (bt("payout_cancel", 9000), {"assets:stripe": 9000, "assets:payouts_in_transit": -9000}),
        # Money Stripe holds back stays the fund's, and is not a fee.
        (bt("reserve_hold", -2500), {"assets:stripe": -2500, "assets:stripe_held": 2500}),
        (bt("reserve_release", 2500), {"assets:stripe": 2500, "assets:stripe_held": -2500}),
        (bt("reserved_funds", -700), {"assets:stripe": -700, "assets:stripe_held": 700}),
        (bt("payout_minimum_balance_hold", -10000), {"assets:stripe": -10000,
                                                      "assets:stripe_held": 10000}),
        (bt("payout_minimum_balance_release", 10000), {"assets:stripe": 10000,
                                                        "assets:stripe_held": -10000}),
        (bt("topup", 20000), {"assets:stripe": 20000, "assets:bank": -20000}),
        (bt("topup_reversal", -20000), {"assets:stripe": -20000, "assets:bank": 20000}),
        (bt("stripe_fee", -200), {"assets:stripe": -200, "expenses:processing_fees": 200}),
        (bt("adjustment", -2000, 1500, reporting_category="dispute"),
         {"assets:stripe": -3500, "expenses:dispute_losses": 3500}),
        (bt("adjustment", 2000, reporting_category="dispute_reversal"),
         {"assets:stripe": 2000, "expenses:dispute_losses": -2000}),
        (bt("adjustment", -300, reporting_category="other_adjustment"),
         {"assets:stripe": -300, "assets:stripe_suspense": 300}),
        (bt("issuing_transaction", -1200), {"assets:stripe": -1200,
                                             "assets:stripe_suspense": 1200}),
    ],
)  # fmt: skip
def test_each_type_posts_by_its_recipe(transaction, legs):
    assert dict(entry_for(transaction).legs) == legs


def test_only_fees_are_booked_as_fees():
    fee_types = {t for t, recipe in RECIPES.items() if recipe.counter == "expenses:processing_fees"}
    assert fee_types == {"stripe_fee", "stripe_fx_fee", "tax_fee"}


def test_an_unknown_type_waits_in_suspense_with_a_discrepancy_naming_it():
    unknown = bt("climate_order_purchase", -1500)

    assert post_balance_transaction(unknown) is True

    assert account_balances()["assets:stripe_suspense"] == 1500
    discrepancy = Discrepancy.objects.get(kind="unclassified_balance_transaction")
    assert discrepancy.stripe_object == unknown["id"]
    assert "climate_order_purchase" in discrepancy.description
    assert discrepancy.status == DiscrepancyStatus.OPEN and discrepancy.first_seen_run is None


def test_a_transaction_the_books_refuse_is_skipped_and_the_rest_is_posted():
    """A charge settled in another currency raised CurrencyMismatch for the whole batch,
    and every later run stopped there."""
    good = [bt("charge", 1000, 59), bt("charge", 2000, 88)]
    foreign = bt("charge", 3000, 117, currency="eur")

    new = post_balance_transactions([good[0], foreign, good[1]])

    assert new == 2
    assert account_balances()["income:donations"] == -3000
    refused = Discrepancy.objects.get(kind="balance_transaction_refused")
    assert refused.stripe_object == foreign["id"] and "not EUR" in refused.description
    assert post_balance_transactions([good[0], foreign, good[1]]) == 0  # nothing twice
