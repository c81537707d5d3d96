"""Fees, refunds, disputes, payouts and the balance, as the SDK sees them."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox.client import SandboxControlError
from stripe_sandbox.money import card_fee
from stripe_sandbox.server import SandboxServer

from .conftest import T0, event_types

DAY = 86_400


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (50, 31),  # 1.45 -> 1
        (500, 45),  # 14.5 -> 15: half rounds up, not to even
        (1000, 59),  # 29.0
        (1724, 80),  # 49.996 -> 50
        (2500, 103),  # 72.5 -> 73
        (3449, 130),  # 100.021 -> 100
        (100_000, 2930),
    ],
)
def test_a_card_charge_costs_two_point_nine_percent_rounded_half_up_plus_thirty_cents(
    client: stripe.StripeClient, sandbox: SandboxServer, amount: int, fee: int
):
    result = sandbox.state.create_charge(amount)

    charge = client.v1.charges.retrieve(result.charge, params={"expand": ["balance_transaction"]})
    txn = charge.balance_transaction
    assert card_fee(amount) == fee
    assert (txn.amount, txn.fee, txn.net) == (amount, fee, amount - fee)
    assert txn.type == "charge"
    assert txn.reporting_category == "charge"
    assert txn.source == charge.id
    assert txn.currency == "usd"
    assert [(d.type, d.amount, d.currency) for d in txn.fee_details] == [("stripe_fee", fee, "usd")]


def test_charge_funds_are_pending_for_two_days_then_available(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    result = sandbox.state.create_charge(2500)
    txn_id = client.v1.charges.retrieve(result.charge).balance_transaction

    txn = client.v1.balance_transactions.retrieve(txn_id)
    assert (txn.status, txn.created, txn.available_on) == ("pending", T0, T0 + 2 * DAY)
    balance = client.v1.balance.retrieve()
    assert (balance.available[0].amount, balance.pending[0].amount) == (0, 2397)

    sandbox.state.advance_clock(2 * DAY)

    assert client.v1.balance_transactions.retrieve(txn_id).status == "available"
    balance = client.v1.balance.retrieve()
    assert (balance.available[0].amount, balance.pending[0].amount) == (2397, 0)


def test_late_balance_transactions_arrive_in_a_charge_updated_event(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    sandbox.configure(late_balance_transaction=True)

    charge_id = sandbox.state.create_charge(2500).charge

    succeeded = client.v1.events.list(params={"type": "charge.succeeded"}).data[0]
    updated = client.v1.events.list(params={"type": "charge.updated"}).data[0]
    assert succeeded.data.object.balance_transaction is None
    assert updated.data.object.balance_transaction.startswith("txn_")
    assert updated.data.previous_attributes.balance_transaction is None
    assert client.v1.charges.retrieve(charge_id).balance_transaction is not None


def test_the_settlement_days_switch_changes_when_funds_become_available(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    sandbox.configure(settlement_days=7)

    charge = client.v1.charges.retrieve(sandbox.state.create_charge(2500).charge)

    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert txn.available_on == T0 + 7 * DAY


def test_an_outside_charge_emits_payment_intent_and_charge_events(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    result = sandbox.control.create_charge(1500, description="Cash-app style gift")

    assert result["outcome"] == "succeeded"
    assert result["charge"]["payment_intent"] == result["payment_intent"]["id"]
    assert result["balance_transaction"]["fee"] == card_fee(1500)
    assert "payment_intent.succeeded" in event_types(client)
    assert "charge.succeeded" in event_types(client)


def test_a_partial_then_full_refund_debits_the_refunds_and_keeps_the_fee(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge_id = sandbox.state.create_charge(5000).charge

    first = client.v1.refunds.create(params={"charge": charge_id, "amount": 1200})
    partly = client.v1.charges.retrieve(charge_id)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": charge_id, "amount": 3801})
    second = client.v1.refunds.create(params={"payment_intent": partly.payment_intent})
    full = client.v1.charges.retrieve(charge_id, params={"expand": ["refunds"]})

    assert too_much.value.param == "amount"
    assert (partly.amount_refunded, partly.refunded) == (1200, False)
    assert (full.amount_refunded, full.refunded) == (5000, True)
    assert second.amount == 3800
    assert [r.id for r in full.refunds.data] == [second.id, first.id]
    for refund, amount in ((first, 1200), (second, 3800)):
        txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
        assert (txn.type, txn.amount, txn.fee, txn.net) == ("refund", -amount, 0, -amount)
        assert txn.source == refund.id
        assert txn.status == "available"
    original = client.v1.balance_transactions.retrieve(full.balance_transaction)
    assert original.fee == card_fee(5000)
    types = event_types(client, type="*")
    assert types.count("refund.created") == 2
    assert types.count("refund.updated") == 2
    refunded = client.v1.events.list(params={"type": "charge.refunded"}).data
    assert [e.data.previous_attributes.amount_refunded for e in refunded] == [1200, 0]
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.refunds.create(params={"charge": charge_id, "amount": 1})
    assert error.value.code == "charge_already_refunded"


def test_a_failed_refund_posts_a_refund_failure_and_restores_the_charge(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge_id = sandbox.state.create_charge(2000).charge

    refund = sandbox.control.refund(charge_id, 2000, fail=True)

    assert refund["status"] == "failed"
    assert refund["failure_reason"] == "expired_or_canceled_card"
    failure = client.v1.balance_transactions.retrieve(refund["failure_balance_transaction"])
    assert (failure.type, failure.amount, failure.fee) == ("refund_failure", 2000, 0)
    charge = client.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    assert event_types(client)[-5:] == [
        "refund.created",
        "charge.refunded",
        "refund.failed",
        "refund.updated",
        "charge.updated",
    ]


def test_a_lost_dispute_withdraws_the_amount_and_a_fifteen_dollar_fee(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge_id = sandbox.state.create_charge(4000).charge

    dispute = sandbox.control.dispute(charge_id)
    closed = sandbox.control.close_dispute(dispute["id"], "lost")

    fetched = client.v1.disputes.retrieve(dispute["id"])
    assert fetched.status == closed["status"] == "lost"
    assert fetched.amount == 4000
    [withdrawal] = fetched.balance_transactions
    assert isinstance(withdrawal, stripe.BalanceTransaction)
    assert (withdrawal.type, withdrawal.reporting_category) == ("adjustment", "dispute")
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-4000, 1500, -5500)
    assert withdrawal.fee_details[0].amount == 1500
    assert client.v1.charges.retrieve(charge_id).disputed is True
    types = event_types(client)
    assert types[-3:] == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.closed",
    ]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"charge": charge_id})


def test_a_won_dispute_reinstates_the_amount_but_not_the_fee(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge_id = sandbox.state.create_charge(4000).charge
    dispute = sandbox.state.create_dispute(charge_id)

    sandbox.state.close_dispute(dispute["id"], "won")

    fetched = client.v1.disputes.retrieve(dispute["id"])
    assert fetched.status == "won"
    withdrawal, reinstatement = fetched.balance_transactions
    assert (reinstatement.amount, reinstatement.fee, reinstatement.net) == (4000, 0, 4000)
    assert reinstatement.reporting_category == "dispute_reversal"
    assert withdrawal.net + reinstatement.net == -1500
    types = event_types(client)
    assert types[-2:] == ["charge.dispute.funds_reinstated", "charge.dispute.closed"]
    assert (
        client.v1.events.list(params={"type": "charge.dispute.closed"}).data[0].data.object.status
        == "won"
    )


def test_the_dispute_card_is_disputed_as_soon_as_it_is_charged(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    result = sandbox.state.create_charge(3000, card="4000000000000259")

    disputes = client.v1.disputes.list(params={"charge": result.charge})

    assert [d.reason for d in disputes.data] == ["fraudulent"]
    assert client.v1.charges.retrieve(result.charge).disputed is True


def test_an_automatic_payout_sweeps_available_transactions_and_they_sum_to_zero(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    state = sandbox.state
    first = state.create_charge(2500).charge
    state.create_charge(10_000)
    state.advance_clock(2 * DAY)
    state.create_refund(charge=first, amount=500)
    late = state.create_charge(7000).charge  # still pending: not part of the payout

    payout = sandbox.control.create_payout()

    swept = list(
        client.v1.balance_transactions.list(
            params={"payout": payout["id"], "limit": 100}
        ).auto_paging_iter()
    )
    assert payout["status"] == "paid"
    assert payout["automatic"] is True
    assert payout["amount"] == (2500 - 103) + (10_000 - 320) - 500
    assert sorted(t.type for t in swept) == ["charge", "charge", "payout", "refund"]
    assert sum(t.net for t in swept) == 0
    assert (
        sum(t.amount for t in swept if t.type != "payout") - sum(t.fee for t in swept)
        == payout["amount"]
    )
    payout_txn = next(t for t in swept if t.type == "payout")
    assert (payout_txn.amount, payout_txn.source) == (-payout["amount"], payout["id"])
    assert late not in {t.source for t in swept}
    balance = client.v1.balance.retrieve()
    assert balance.available[0].amount == 0
    assert balance.pending[0].amount == 7000 - card_fee(7000)
    assert event_types(client)[-3:] == [
        "payout.created",
        "payout.paid",
        "payout.reconciliation_completed",
    ]


def test_the_next_payout_only_sweeps_what_the_previous_one_did_not(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    state = sandbox.state
    state.create_charge(2500)
    state.advance_clock(2 * DAY)
    first = state.create_payout()
    state.create_charge(5000)
    state.advance_clock(2 * DAY)

    second = state.create_payout()

    assert first["amount"] == 2500 - 103
    assert second["amount"] == 5000 - card_fee(5000)
    for payout in (first, second):
        txns = client.v1.balance_transactions.list(params={"payout": payout["id"]}).data
        assert len(txns) == 2
        assert sum(t.net for t in txns) == 0


def test_a_failed_payout_returns_its_amount_with_a_payout_failure_transaction(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    state = sandbox.state
    state.create_charge(2500)
    state.advance_clock(2 * DAY)

    payout = sandbox.control.create_payout(outcome="failed")

    assert payout["status"] == "failed"
    assert payout["failure_code"] == "account_closed"
    failure = client.v1.balance_transactions.retrieve(payout["failure_balance_transaction"])
    assert (failure.type, failure.amount, failure.net) == ("payout_failure", 2397, 2397)
    assert client.v1.balance.retrieve().available[0].amount == 2397
    assert "payout.failed" in event_types(client)
    retried = state.create_payout()
    assert retried["amount"] == 2397


def test_a_pending_payout_can_be_paid_later(client: stripe.StripeClient, sandbox: SandboxServer):
    sandbox.state.create_charge(2500)
    sandbox.state.advance_clock(2 * DAY)
    payout = sandbox.control.create_payout(outcome="pending")

    assert client.v1.payouts.retrieve(payout["id"]).status == "pending"
    sandbox.control.pay_payout(payout["id"])

    assert client.v1.payouts.retrieve(payout["id"]).status == "paid"
    assert [p.id for p in client.v1.payouts.list().data] == [payout["id"]]


def test_a_payout_larger_than_the_available_balance_is_refused(sandbox: SandboxServer):
    sandbox.state.create_charge(2500)  # pending, so nothing is available

    with pytest.raises(SandboxControlError) as error:
        sandbox.control.create_payout(amount=100)

    assert error.value.status == 400
    assert error.value.error["code"] == "balance_insufficient"


def test_the_summary_adds_up_like_the_books_should(sandbox: SandboxServer):
    state = sandbox.state
    charges = [state.create_charge(amount).charge for amount in (2500, 5000, 1000, 7500)]
    state.create_refund(charge=charges[0], amount=700)
    lost = state.create_dispute(charges[1])
    state.close_dispute(lost["id"], "lost")
    won = state.create_dispute(charges[2])
    state.close_dispute(won["id"], "won")
    state.advance_clock(2 * DAY)
    state.create_payout()
    state.create_charge(3000)

    usd = sandbox.control.summary()["currencies"]["usd"]

    fees = sum(card_fee(a) for a in (2500, 5000, 1000, 7500, 3000)) + 2 * 1500
    assert usd["gross_charged"] == 19_000
    assert usd["charge_count"] == 5
    assert usd["fees"] == fees
    assert usd["dispute_fees"] == 3000
    assert usd["refunded"] == 700
    assert usd["disputed"] == 6000
    assert usd["dispute_reinstated"] == 1000
    expected_net = 19_000 - fees - 700 - 6000 + 1000 - usd["payouts_paid"]
    assert usd["net"] == expected_net
    assert usd["balance_available"] == 0
    assert usd["balance_pending"] == 3000 - card_fee(3000)
    assert usd["balance_available"] + usd["balance_pending"] == usd["net"]


def test_a_charge_in_another_currency_settles_in_usd_at_the_fixed_rate(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    """The balance transaction holds the converted amount, in the account's currency, with
    ``exchange_rate`` (https://docs.stripe.com/api/balance_transactions/object)."""
    paid = sandbox.control.create_charge(1000, "eur")

    charge = client.v1.charges.retrieve(
        paid["charge"]["id"], params={"expand": ["balance_transaction"]}
    )
    assert (charge.amount, charge.currency) == (1000, "eur")
    txn = charge.balance_transaction
    assert (txn.amount, txn.currency, txn.exchange_rate) == (1100, "usd", 1.1)
    assert txn.fee == 62  # 2.9% of 11.00 + 0.30, in usd
    assert txn.net == 1100 - 62
    refund = sandbox.control.refund(charge.id, 500)
    refund_txn = client.v1.balance_transactions.retrieve(refund["balance_transaction"])
    assert (refund_txn.amount, refund_txn.currency, refund_txn.exchange_rate) == (-550, "usd", 1.1)
    usd = client.v1.charges.retrieve(sandbox.control.create_charge(1000)["charge"]["id"])
    assert client.v1.balance_transactions.retrieve(usd.balance_transaction).exchange_rate is None


def test_a_reserve_leaves_the_balance_and_its_release_returns_it():
    # https://docs.stripe.com/reports/balance-transaction-types
    from stripe_sandbox.state import SandboxState

    state = SandboxState()
    state.create_charge(10000, card="4000000000000077")  # straight to available
    held = state.adjust_balance(2500)
    state.adjust_balance(1000, "payout_minimum_balance_hold")
    state.adjust_balance(2500, "reserve_release")

    assert (held["type"], held["amount"], held["net"], held["reporting_category"]) == (
        "reserve_hold",
        -2500,
        -2500,
        "risk_reserved_funds",
    )
    assert state.balance()["available"][0]["amount"] == 10000 - 320 - 1000
