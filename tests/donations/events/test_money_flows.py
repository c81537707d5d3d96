"""Each thing that can happen to money at Stripe leaves the books right."""

import pytest

from donations.models import Donation, StripeCharge
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from tests.donations.conftest import assert_books_match_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def _settle(sandbox):
    assert sandbox.flush_webhooks(timeout=20)
    assert_books_match_sandbox(sandbox)
    assert verify_ledger().ok


def _charge(sandbox, amount=10000):
    return sandbox.state.create_charge(amount).charge


def test_a_partial_and_then_a_full_refund(live_sandbox):
    charge = _charge(live_sandbox)
    live_sandbox.state.create_refund(charge=charge, amount=2500)
    live_sandbox.state.create_refund(charge=charge)
    _settle(live_sandbox)

    books = account_balances()
    assert books["income:donations_refunded"] == 10000
    assert books["expenses:processing_fees"] == 320  # Stripe keeps its fee
    assert StripeCharge.objects.get(charge_id=charge).amount_refunded == 10000


def test_a_refund_that_fails_later_puts_the_money_back(live_sandbox):
    charge = _charge(live_sandbox)
    refund = live_sandbox.state.create_refund(charge=charge, amount=4000)
    live_sandbox.state.fail_refund(refund["id"])
    _settle(live_sandbox)

    assert account_balances()["income:donations_refunded"] == 0


def test_a_dispute_lost_costs_the_amount_and_the_fee(live_sandbox):
    charge = _charge(live_sandbox, 2000)
    dispute = live_sandbox.state.create_dispute(charge)
    live_sandbox.state.close_dispute(dispute["id"], "lost")
    _settle(live_sandbox)

    assert account_balances()["expenses:dispute_losses"] == 2000 + 1500
    assert StripeCharge.objects.get(charge_id=charge).disputed


def test_a_dispute_won_returns_the_amount(live_sandbox):
    charge = _charge(live_sandbox, 2000)
    dispute = live_sandbox.state.create_dispute(charge)
    live_sandbox.state.close_dispute(dispute["id"], "won")
    _settle(live_sandbox)

    assert account_balances()["expenses:dispute_losses"] == 1500


@pytest.mark.parametrize(
    ("outcome", "bank", "stripe"),
    [("paid", 9680, 0), ("failed", 0, 9680)],  # a failed payout returns to Stripe's balance
)
def test_a_payout_moves_money_to_the_bank_unless_it_fails(live_sandbox, outcome, bank, stripe):
    _charge(live_sandbox, 10000)
    live_sandbox.state.advance_clock(3 * 24 * 3600)
    live_sandbox.state.create_payout(outcome=outcome)
    _settle(live_sandbox)

    books = account_balances()
    assert (books["assets:bank"], books["assets:stripe"]) == (bank, stripe)


CARD_AND_ACH = [("card", "2.9", 30, None), ("us_bank_account", "0.8", 0, 500)]


def test_an_async_payment_that_settles_later(live_sandbox, donor, settings):
    settings.STRIPE_FEE_RATES = CARD_AND_ACH  # Checkout offers bank debit
    donor.give(bank_account="000123456789")
    assert live_sandbox.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    assert donation.status == "pending"
    assert not any(account_balances().values())

    session = live_sandbox.state.store.require(donation.checkout_session_id, "checkout.session")
    live_sandbox.state.settle_payment(session["payment_intent"], "succeeded")
    _settle(live_sandbox)

    donation.refresh_from_db()
    assert donation.status == "succeeded"
    assert account_balances()["income:donations"] == -5000


def test_an_async_payment_that_fails(live_sandbox, donor, settings):
    settings.STRIPE_FEE_RATES = CARD_AND_ACH  # Checkout offers bank debit
    donor.give(bank_account="000222222227")
    assert live_sandbox.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    session = live_sandbox.state.store.require(donation.checkout_session_id, "checkout.session")
    live_sandbox.state.settle_payment(session["payment_intent"], "failed")
    _settle(live_sandbox)

    donation.refresh_from_db()
    assert donation.status == "failed"
    assert not any(account_balances().values())


def test_a_checkout_left_unpaid_expires(live_sandbox, donor):
    assert donor.start(amount_choice="2500").status_code == 303
    donation = Donation.objects.get()
    live_sandbox.state.expire_checkout_session(donation.checkout_session_id)
    _settle(live_sandbox)

    donation.refresh_from_db()
    assert donation.status == "expired"
