"""Payouts: in transit from the moment Stripe creates them, in the bank once paid, and
reconciled whether automatic or manual."""

import datetime as dt

import pytest

from donations import stripe_gateway
from donations.events.posting import payout_settlement_entries, post_entries
from donations.exceptions import StripeGatewayError
from donations.models import Discrepancy, DiscrepancyStatus, RunStatus
from donations.reconciliation.runs import reconcile_stripe
from ledger.books.posting import transaction_post, transaction_reverse
from ledger.books.selectors import account_balances, funds_available
from ledger.models import AuditEvent
from tests.donations.conftest import assert_books_match_sandbox

pytestmark = pytest.mark.django_db


def test_a_pending_payout_is_in_transit_not_in_the_bank_until_paid(sandbox):
    sandbox.state.create_charge(10000)
    sandbox.state.advance_clock(3 * 24 * 3600)
    payout = sandbox.state.create_payout(outcome="pending")

    reconcile_stripe(kind="all", full=True, trigger="test")
    books = account_balances()
    assert (books["assets:bank"], books["assets:payouts_in_transit"]) == (0, payout["amount"])
    assert funds_available() == 0  # a payout that may still fail pays no bail

    sandbox.state.pay_payout(payout["id"])
    reconcile_stripe(kind="payouts", trigger="test")
    books = account_balances()
    assert (books["assets:bank"], books["assets:payouts_in_transit"]) == (payout["amount"], 0)
    assert funds_available() == payout["amount"]
    assert_books_match_sandbox(sandbox)


def test_a_manual_payout_is_reconciled_without_stripes_payout_filter(sandbox):
    sandbox.state.create_charge(10000)
    sandbox.state.advance_clock(3 * 24 * 3600)
    manual = sandbox.state.create_payout(amount=5000, outcome="paid")
    with pytest.raises(StripeGatewayError):  # as Stripe answers: 400 for a manual payout
        stripe_gateway.list_balance_transactions({"payout": manual["id"]})

    run = reconcile_stripe(kind="all", full=True, trigger="test")

    assert run.status == RunStatus.SUCCEEDED
    assert not Discrepancy.objects.exists()
    assert account_balances()["assets:bank"] == 5000
    assert_books_match_sandbox(sandbox)


def test_a_payout_that_fails_after_it_arrived_comes_back_out_of_the_bank():
    created = int(dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp())
    payout = {"id": "po_1", "amount": 9000, "currency": "usd", "created": created,
              "arrival_date": created + 2 * 86400, "status": "paid"}  # fmt: skip
    transaction_post(
        kind="payout",
        date=dt.date(2026, 1, 5),
        legs=[("assets:payouts_in_transit", 9000), ("assets:stripe", -9000)],
        idempotency_key="stripe:txn_po_1",
    )
    post_entries(payout_settlement_entries(payout))
    assert account_balances()["assets:bank"] == 9000

    post_entries(payout_settlement_entries({**payout, "status": "failed"}))

    books = account_balances()
    assert (books["assets:bank"], books["assets:payouts_in_transit"]) == (0, 9000)
    assert post_entries(payout_settlement_entries({**payout, "status": "failed"})) == 0


def test_a_discrepancy_closes_itself_when_a_later_run_finds_agreement(sandbox):
    sandbox.state.create_charge(10000)
    reconcile_stripe(kind="all", full=True, trigger="test")
    wrong = transaction_post(
        kind="adjustment",
        date=dt.date(2026, 1, 15),
        legs=[("expenses:processing_fees", 50), ("assets:stripe", -50)],
        idempotency_key="manual:wrong",
    )
    reconcile_stripe(kind="balance", trigger="test")
    assert Discrepancy.objects.get(kind="stripe_balance").status == DiscrepancyStatus.OPEN

    transaction_reverse(transaction_to_reverse=wrong, memo="Entered by mistake")
    run = reconcile_stripe(kind="balance", trigger="test")

    closed = Discrepancy.objects.get(kind="stripe_balance")
    assert closed.status == DiscrepancyStatus.RESOLVED
    assert (
        closed.resolution_note
        == f"Closed by reconciliation run {run.pk}: the books and Stripe agree."
    )
    assert AuditEvent.objects.filter(action="discrepancy.closed_by_run").count() == 1
    assert run.mismatched == 0
