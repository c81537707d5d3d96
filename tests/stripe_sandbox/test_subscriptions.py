"""Monthly donations: renewals, failed renewals and cancellation."""

from __future__ import annotations

import datetime as dt

import pytest
import stripe

from stripe_sandbox.errors import SandboxError
from stripe_sandbox.server import SandboxServer
from stripe_sandbox.subscriptions import add_interval

from .conftest import INVOICE_PAID_EVENTS, T0, event_types, monthly_params


def subscribe(client: stripe.StripeClient, sandbox: SandboxServer, card="4242424242424242"):
    session = client.v1.checkout.sessions.create(params=monthly_params())
    result = sandbox.state.pay_checkout_session(session.id, card, name="Monthly Donor")
    assert result.outcome == "succeeded"
    return client.v1.subscriptions.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).subscription
    )


def test_renewing_bills_a_cycle_invoice_and_moves_the_period_forward(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    first_period_end = subscription.items.data[0].current_period_end

    invoice = sandbox.control.renew_subscription(subscription.id)

    assert invoice["billing_reason"] == "subscription_cycle"
    assert invoice["status"] == "paid"
    assert invoice["amount_paid"] == 1000
    assert invoice["parent"]["subscription_details"]["subscription"] == subscription.id
    assert invoice["lines"]["data"][0]["period"]["start"] == first_period_end
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed.items.data[0].current_period_start == first_period_end
    assert renewed.items.data[0].current_period_end == add_interval(first_period_end, "month")
    assert renewed.latest_invoice == invoice["id"]
    paid = client.v1.invoices.retrieve(invoice["id"], params={"expand": ["payments"]})
    intent = client.v1.payment_intents.retrieve(
        paid.payments.data[0].payment.payment_intent,
        params={"expand": ["latest_charge.balance_transaction"]},
    )
    assert intent.latest_charge.amount == 1000
    assert intent.latest_charge.balance_transaction.fee == 59
    assert len(client.v1.charges.list().data) == 2
    types = event_types(client)
    tail = types[types.index("invoice.created", types.index("checkout.session.completed")) :]
    assert set(INVOICE_PAID_EVENTS + ["customer.subscription.updated"]) <= set(tail)


def test_a_failed_renewal_leaves_the_invoice_open_and_the_subscription_past_due(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)

    invoice = sandbox.control.renew_subscription(subscription.id, fail=True)

    assert invoice["status"] == "open"
    assert invoice["attempt_count"] == 1
    assert invoice["amount_remaining"] == 1000
    assert invoice["next_payment_attempt"] is not None
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    types = event_types(client)
    assert "invoice.payment_failed" in types
    assert types[-1] == "customer.subscription.updated"
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert updated.data.previous_attributes.status == "active"


def test_the_renewal_failure_card_pays_once_and_then_fails_every_renewal(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox, card="4000000000000341")

    invoice = sandbox.state.renew_subscription(subscription.id)

    assert invoice["status"] == "open"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"


def test_advancing_the_clock_past_the_period_end_renews_automatically(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    period_end = subscription.items.data[0].current_period_end

    sandbox.control.advance_clock(seconds=period_end - T0)

    invoices = client.v1.invoices.list(params={"subscription": subscription.id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_cycle", "subscription_create"]
    assert invoices[0].created == period_end


def test_canceling_through_the_api_ends_the_subscription_and_emits_deleted(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)

    canceled = client.v1.subscriptions.cancel(
        subscription.id, params={"cancellation_details": {"comment": "moving away"}}
    )

    assert canceled.status == "canceled"
    assert canceled.canceled_at == T0
    assert canceled.ended_at == T0
    assert canceled.cancellation_details.comment == "moving away"
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert event_types(client)[-1] == "customer.subscription.deleted"
    with pytest.raises(SandboxError, match="is canceled"):
        sandbox.state.renew_subscription(subscription.id)


def test_cancel_at_period_end_cancels_when_the_clock_reaches_the_period_end(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    period_end = subscription.items.data[0].current_period_end

    updated = client.v1.subscriptions.update(
        subscription.id, params={"cancel_at_period_end": True, "metadata": {"note": "last"}}
    )
    sandbox.state.advance_clock(period_end - T0)

    assert updated.cancel_at_period_end is True
    assert updated.cancel_at == period_end
    assert updated.metadata.to_dict() == {"pledge_id": "pl_1", "note": "last"}
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    assert ended.ended_at == period_end
    assert event_types(client)[-1] == "customer.subscription.deleted"
    assert len(client.v1.invoices.list(params={"subscription": subscription.id}).data) == 1


def test_updating_a_subscription_with_an_unknown_param_is_rejected(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.update(subscription.id, params={"pause_forever": True})

    assert error.value.param == "pause_forever"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ((2027, 1, 31), (2027, 2, 28)),
        ((2028, 1, 31), (2028, 2, 29)),
        ((2027, 12, 15), (2028, 1, 15)),
    ],
)
def test_monthly_periods_follow_the_calendar(start, expected):
    begin = int(dt.datetime(*start, 12, tzinfo=dt.UTC).timestamp())

    end = dt.datetime.fromtimestamp(add_interval(begin, "month"), tz=dt.UTC)

    assert (end.year, end.month, end.day, end.hour) == (*expected, 12)


def test_a_subscription_paid_by_bank_debit_activates_when_the_payment_settles(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(
        params=monthly_params(payment_method_types=["card", "us_bank_account"])
    )
    sandbox.state.pay_checkout_session(session.id, None, account_number="000123456789")
    session = client.v1.checkout.sessions.retrieve(session.id)
    assert client.v1.subscriptions.retrieve(session.subscription).status == "incomplete"
    assert client.v1.invoices.retrieve(session.invoice).status == "open"
    intent = client.v1.invoice_payments.list(params={"invoice": session.invoice}).data[0]

    sandbox.state.settle_payment(intent.payment.payment_intent, "succeeded")

    assert client.v1.subscriptions.retrieve(session.subscription).status == "active"
    assert client.v1.invoices.retrieve(session.invoice).status == "paid"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert event_types(client)[-1] == "checkout.session.async_payment_succeeded"


def test_a_bank_debit_renewal_waits_and_a_failed_one_makes_the_subscription_past_due(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(
        params=monthly_params(payment_method_types=["card", "us_bank_account"])
    )
    sandbox.state.pay_checkout_session(session.id, None, account_number="000123456789")
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    first = client.v1.invoice_payments.list(
        params={"invoice": client.v1.checkout.sessions.retrieve(session.id).invoice}
    ).data[0]
    sandbox.state.settle_payment(first.payment.payment_intent)

    invoice = sandbox.state.renew_subscription(subscription_id)

    assert invoice["status"] == "open"
    assert client.v1.subscriptions.retrieve(subscription_id).status == "active"
    payment = client.v1.invoice_payments.list(params={"invoice": invoice["id"]}).data[0]
    sandbox.state.settle_payment(payment.payment.payment_intent, "failed")
    assert client.v1.invoices.retrieve(invoice["id"]).status == "open"
    assert client.v1.subscriptions.retrieve(subscription_id).status == "past_due"
    assert event_types(client)[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
