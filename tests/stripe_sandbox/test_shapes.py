"""Object shapes checked against what the official SDK declares for the pinned API version."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import donation_params, monthly_params


def declared_fields(cls: type) -> set[str]:
    """Field names the SDK's typed resource class declares (the API version's shape)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= {
            name for name in vars(klass).get("__annotations__", {}) if not name.startswith("_")
        }
    return names


def assert_declared(obj: Any, cls: type, includable: set[str] = frozenset()) -> None:
    data = obj.to_dict() if hasattr(obj, "to_dict") else obj
    undeclared = set(data) - declared_fields(cls) - includable
    assert not undeclared, f"{cls.__name__} has fields the SDK does not declare: {undeclared}"


@pytest.fixture
def world(client: stripe.StripeClient, sandbox: SandboxServer) -> dict[str, Any]:
    """One of everything: a paid monthly donation, a refunded and a disputed charge, a payout."""
    state = sandbox.state
    session = client.v1.checkout.sessions.create(params=monthly_params())
    state.pay_checkout_session(session.id, "4242424242424242", name="Ada")
    session = client.v1.checkout.sessions.retrieve(session.id)
    charge = state.create_charge(5000).charge
    refund = state.create_refund(charge=charge, amount=1000)
    dispute = state.create_dispute(state.create_charge(2000).charge)
    state.advance_clock(3 * 86_400)
    payout = state.create_payout()
    return {
        "session": session,
        "charge": charge,
        "refund": refund["id"],
        "dispute": dispute["id"],
        "payout": payout["id"],
    }


def test_every_returned_field_is_one_the_sdk_declares(
    client: stripe.StripeClient, world: dict[str, Any]
):
    v1 = client.v1
    session = world["session"]
    charge = v1.charges.retrieve(world["charge"])
    subscription = v1.subscriptions.retrieve(session.subscription)
    invoice = v1.invoices.retrieve(session.invoice, params={"expand": ["payments"]})

    assert_declared(session, stripe.checkout.Session)
    assert_declared(charge, stripe.Charge)
    assert_declared(v1.payment_intents.retrieve(charge.payment_intent), stripe.PaymentIntent)
    assert_declared(
        v1.balance_transactions.retrieve(charge.balance_transaction), stripe.BalanceTransaction
    )
    assert_declared(v1.refunds.retrieve(world["refund"]), stripe.Refund)
    assert_declared(v1.disputes.retrieve(world["dispute"]), stripe.Dispute)
    assert_declared(v1.payouts.retrieve(world["payout"]), stripe.Payout)
    assert_declared(subscription, stripe.Subscription)
    assert_declared(subscription.items.data[0], stripe.SubscriptionItem)
    assert_declared(subscription.items.data[0].price, stripe.Price)
    assert_declared(subscription.items.data[0].plan, stripe.Plan)
    assert_declared(invoice, stripe.Invoice)
    assert_declared(invoice.lines.data[0], stripe.InvoiceLineItem)
    assert_declared(invoice.payments.data[0], stripe.InvoicePayment)
    assert_declared(v1.customers.retrieve(subscription.customer), stripe.Customer)
    assert_declared(v1.products.retrieve(subscription.items.data[0].price.product), stripe.Product)
    assert_declared(v1.events.list().data[0], stripe.Event)
    assert_declared(v1.balance.retrieve(), stripe.Balance)


def test_the_sdk_builds_its_typed_classes_from_sandbox_responses(
    client: stripe.StripeClient, world: dict[str, Any]
):
    charge = client.v1.charges.retrieve(
        world["charge"], params={"expand": ["balance_transaction", "payment_intent"]}
    )

    assert isinstance(charge, stripe.Charge)
    assert isinstance(charge.balance_transaction, stripe.BalanceTransaction)
    assert isinstance(charge.payment_intent, stripe.PaymentIntent)
    assert isinstance(client.v1.payouts.retrieve(world["payout"]), stripe.Payout)
    assert isinstance(client.v1.events.list().data[0], stripe.Event)


def test_a_charge_has_the_fields_the_ledger_reads(
    client: stripe.StripeClient, world: dict[str, Any]
):
    charge = client.v1.charges.retrieve(world["charge"])

    assert charge.object == "charge"
    assert charge.livemode is False
    assert charge.amount == 5000
    assert charge.amount_refunded == 1000
    assert charge.refunded is False
    assert charge.disputed is False
    assert charge.balance_transaction.startswith("txn_")
    assert charge.payment_intent.startswith("pi_")
    assert charge.metadata.to_dict() == {}
    assert charge.outcome.type == "authorized"
    assert "refunds" not in charge  # includable only, as in the current API version


def test_an_invoice_reaches_its_subscription_and_payment_the_current_api_way(
    client: stripe.StripeClient, world: dict[str, Any]
):
    session = world["session"]

    plain = client.v1.invoices.retrieve(session.invoice)
    expanded = client.v1.invoices.retrieve(
        session.invoice, params={"expand": ["payments.data.payment.payment_intent"]}
    )

    assert "subscription" not in plain
    assert "payments" not in plain
    assert plain.parent.type == "subscription_details"
    assert plain.parent.subscription_details.subscription == session.subscription
    assert plain.lines.data[0].parent.subscription_item_details.subscription == (
        session.subscription
    )
    payment = expanded.payments.data[0]
    assert payment.object == "invoice_payment"
    assert payment.invoice == plain.id
    assert payment.status == "paid"
    assert payment.amount_paid == 1000
    assert payment.payment.type == "payment_intent"
    assert isinstance(payment.payment.payment_intent, stripe.PaymentIntent)
    assert payment.payment.payment_intent.amount == 1000
    listed = client.v1.invoice_payments.list(
        params={
            "payment": {
                "type": "payment_intent",
                "payment_intent": payment.payment.payment_intent.id,
            }
        }
    )
    assert [p.invoice for p in listed.data] == [plain.id]


def test_a_subscription_keeps_its_period_on_the_item(
    client: stripe.StripeClient, world: dict[str, Any]
):
    subscription = client.v1.subscriptions.retrieve(world["session"].subscription)
    item = subscription.items.data[0]

    assert "current_period_end" not in subscription
    assert item.current_period_start == subscription.start_date
    assert item.current_period_end > item.current_period_start
    assert subscription.latest_invoice == world["session"].invoice
    assert subscription.cancel_at_period_end is False


def test_events_have_stripes_envelope_and_the_pinned_api_version(
    client: stripe.StripeClient, world: dict[str, Any]
):
    event = client.v1.events.list(params={"type": "checkout.session.completed"}).data[0]

    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.api_version == stripe.api_version == "2026-10-28.endive"
    assert event.livemode is False
    assert event.request.id is None  # caused by the donor, not by an API request
    assert event.data.object.object == "checkout.session"
    assert event.data.object.status == "complete"
    assert client.v1.events.retrieve(event.id).type == "checkout.session.completed"


def test_update_events_carry_previous_attributes(
    client: stripe.StripeClient, world: dict[str, Any]
):
    subscription_id = world["session"].subscription

    client.v1.subscriptions.update(
        subscription_id, params={"cancel_at_period_end": True}, options={"idempotency_key": "k1"}
    )

    event = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert event.data.object.cancel_at_period_end is True
    assert event.data.previous_attributes.cancel_at_period_end is False
    assert event.request.idempotency_key == "k1"
    assert event.request.id.startswith("req_")


def test_events_keep_the_object_as_it_was_when_they_happened(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params())
    sandbox.state.pay_checkout_session(session.id, "4242424242424242")
    charge_id = client.v1.charges.list().data[0].id
    sandbox.state.create_refund(charge=charge_id)

    succeeded = client.v1.events.list(params={"type": "charge.succeeded"}).data[0]
    refunded = client.v1.events.list(params={"type": "charge.refunded"}).data[0]

    assert succeeded.data.object.refunded is False
    assert refunded.data.object.refunded is True
    assert "previous_attributes" not in succeeded.data


def test_nested_expansion_reaches_the_balance_transaction_of_the_latest_charge(
    client: stripe.StripeClient, world: dict[str, Any]
):
    charge = client.v1.charges.retrieve(world["charge"])

    intent = client.v1.payment_intents.retrieve(
        charge.payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
    )

    assert intent.latest_charge.id == charge.id
    assert intent.latest_charge.balance_transaction.id == charge.balance_transaction


def test_payout_and_refund_balance_transactions_expand(
    client: stripe.StripeClient, world: dict[str, Any]
):
    payout = client.v1.payouts.retrieve(world["payout"], params={"expand": ["balance_transaction"]})
    refund = client.v1.refunds.retrieve(world["refund"], params={"expand": ["balance_transaction"]})

    assert payout.balance_transaction.type == "payout"
    assert payout.balance_transaction.amount == -payout.amount
    assert refund.balance_transaction.type == "refund"


def test_it_rejects_expanding_a_field_that_is_not_expandable(
    client: stripe.StripeClient, world: dict[str, Any]
):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.charges.retrieve(world["charge"], params={"expand": ["currency"]})

    assert error.value.param == "expand"


def test_a_missing_object_is_a_404_resource_missing(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.charges.retrieve("ch_missing")

    assert error.value.http_status == 404
    assert error.value.code == "resource_missing"
    assert "ch_missing" in error.value.user_message


def test_the_global_sdk_style_works_against_the_sandbox(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(stripe, "api_key", "sk_test_global")
    monkeypatch.setattr(stripe, "api_base", sandbox.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    charge_id = sandbox.state.create_charge(1234).charge

    charge = stripe.Charge.retrieve(charge_id, expand=["balance_transaction"])
    session = stripe.checkout.Session.create(**donation_params())

    assert charge.amount == 1234
    assert charge.balance_transaction.fee == 66
    assert session.status == "open"
    assert [c.id for c in stripe.Charge.list(limit=1).data] == [charge_id]


def test_an_early_fraud_warning_has_stripes_shape(client: stripe.StripeClient, sandbox):
    """Stripe's example object (https://docs.stripe.com/api/radar/early_fraud_warnings/object)
    has exactly these fields."""
    charge = sandbox.state.create_charge(5000).charge
    made = sandbox.state.create_early_fraud_warning(charge)

    warning = client.v1.radar.early_fraud_warnings.retrieve(made["id"])

    assert_declared(warning, stripe.radar.EarlyFraudWarning)
    assert set(warning.to_dict()) >= {
        "actionable", "charge", "created", "fraud_type", "id", "livemode", "object",
    }  # fmt: skip
    assert (warning.object, warning.charge, warning.actionable) == (
        "radar.early_fraud_warning",
        charge,
        True,
    )
