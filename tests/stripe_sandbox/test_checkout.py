"""Checkout Sessions through the official SDK, and the hosted checkout page."""

from __future__ import annotations

import uuid

import pytest
import requests
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import (
    INVOICE_PAID_EVENTS,
    donation_params,
    event_types,
    line_item,
    monthly_params,
)


def pay(url: str, card: str, email: str = "donor@example.org", name: str = "Ada Donor"):
    return requests.post(
        url,
        data={"card_number": card, "email": email, "name": name},
        allow_redirects=False,
        timeout=10,
    )


def test_it_creates_an_open_session_whose_url_is_the_sandbox_checkout_page(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.amount_total == 2500
    assert session.currency == "usd"
    assert session.metadata["donation_id"] == "don_1"
    assert session.payment_intent is None
    assert session.url == f"{sandbox.url}/checkout/{session.id}"
    page = requests.get(session.url, timeout=10)
    assert page.status_code == 200
    assert 'id="card-number"' in page.text
    assert 'id="pay"' in page.text
    assert "25.00 USD" in page.text


def test_it_retrieves_and_lists_sessions_with_line_items_on_request(
    client: stripe.StripeClient,
):
    created = client.v1.checkout.sessions.create(params=donation_params())

    plain = client.v1.checkout.sessions.retrieve(created.id)
    expanded = client.v1.checkout.sessions.retrieve(created.id, params={"expand": ["line_items"]})
    listed = client.v1.checkout.sessions.list(params={"limit": 3})

    assert "line_items" not in plain
    assert expanded.line_items.data[0].description == "Donation to the bail fund"
    assert expanded.line_items.data[0].amount_total == 2500
    assert [s.id for s in listed.data] == [created.id]


def test_it_expires_an_open_session_and_refuses_to_expire_it_twice(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    expired = client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert expired.url is None
    assert "checkout.session.expired" in event_types(client)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    page = requests.get(f"{sandbox.url}/checkout/{session.id}", timeout=10)
    assert 'data-status="expired"' in page.text


def test_it_expires_sessions_when_the_clock_passes_expires_at(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    sandbox.state.advance_clock(24 * 3600)

    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_it_replays_the_same_session_for_a_reused_idempotency_key_with_the_same_params(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    key = str(uuid.uuid4())

    first = client.v1.checkout.sessions.create(
        params=donation_params(), options={"idempotency_key": key}
    )
    second = client.v1.checkout.sessions.create(
        params=donation_params(), options={"idempotency_key": key}
    )

    assert first.id == second.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert sandbox.state.store.count("checkout.session") == 1


def test_it_rejects_a_reused_idempotency_key_with_other_params(client: stripe.StripeClient):
    key = str(uuid.uuid4())
    client.v1.checkout.sessions.create(params=donation_params(), options={"idempotency_key": key})

    with pytest.raises(stripe.IdempotencyError) as error:
        client.v1.checkout.sessions.create(
            params=donation_params(metadata={"donation_id": "don_2"}),
            options={"idempotency_key": key},
        )

    assert error.value.http_status == 400
    assert error.value.error.type == "idempotency_error"


def test_it_does_not_store_validation_errors_under_an_idempotency_key(
    client: stripe.StripeClient,
):
    key = str(uuid.uuid4())
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            params=donation_params(mode="setup"), options={"idempotency_key": key}
        )

    # Nothing was stored under the key, so it is free for a (different) valid request.
    session = client.v1.checkout.sessions.create(
        params=donation_params(), options={"idempotency_key": key}
    )

    assert session.status == "open"


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"colour": "blue"}, "colour"),
        ({"mode": None}, "mode"),
        ({"line_items": None}, "line_items"),
        ({"success_url": "not a url"}, "success_url"),
        ({"subscription_data": {"metadata": {"a": "b"}}}, "subscription_data"),
        ({"line_items": [line_item(30, "Too small")]}, "line_items"),
        (
            {"line_items": [line_item(500, "Monthly", recurring={"interval": "month"})]},
            "line_items",
        ),
    ],
)
def test_it_rejects_invalid_session_params_naming_the_param(
    client: stripe.StripeClient, overrides: dict, param: str
):
    params = {k: v for k, v in donation_params(**overrides).items() if v is not None}

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params=params)

    assert error.value.http_status == 400
    assert error.value.param == param


def test_paying_with_the_success_card_completes_the_session_and_redirects(
    client: stripe.StripeClient,
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    response = pay(session.url, "4242 4242 4242 4242")

    assert response.status_code == 303
    assert response.headers["Location"] == f"https://fund.example/thanks?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge.balance_transaction"]}
    )
    assert done.status == "complete"
    assert done.payment_status == "paid"
    assert done.customer_details.email == "donor@example.org"
    assert done.customer_details.name == "Ada Donor"
    intent = done.payment_intent
    assert intent.status == "succeeded"
    assert intent.amount_received == 2500
    assert intent.metadata["donation_id"] == "don_1"
    charge = intent.latest_charge
    assert charge.status == "succeeded"
    assert charge.paid is True
    assert charge.metadata["donation_id"] == "don_1"
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.balance_transaction.amount == 2500
    assert charge.balance_transaction.fee == 103
    assert event_types(client) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]


def test_paying_with_the_decline_card_shows_the_decline_and_keeps_the_session_open(
    client: stripe.StripeClient,
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    response = pay(session.url, "4000000000000002")

    assert response.status_code == 402
    assert 'id="error"' in response.text
    assert "Your card was declined." in response.text
    still_open = client.v1.checkout.sessions.retrieve(session.id)
    assert still_open.status == "open"
    assert still_open.payment_status == "unpaid"
    intent = client.v1.payment_intents.retrieve(still_open.payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == "generic_decline"
    types = event_types(client)
    assert "payment_intent.payment_failed" in types
    assert "charge.failed" in types
    assert "checkout.session.completed" not in types


def test_a_declined_donor_can_retry_with_another_card_on_the_same_session(
    client: stripe.StripeClient,
):
    session = client.v1.checkout.sessions.create(params=donation_params())
    pay(session.url, "4000000000009995")

    response = pay(session.url, "4242424242424242")

    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.payment_status == "paid"
    charges = client.v1.charges.list(params={"payment_intent": done.payment_intent})
    assert [c.status for c in charges.data] == ["succeeded", "failed"]


BANK_DEBIT = {"payment_method_types": ["card", "us_bank_account"]}


def pay_by_bank(url: str, account: str, email: str = "donor@example.org"):
    return requests.post(
        url,
        data={"account_number": account, "card_number": "", "email": email, "name": "Ada"},
        allow_redirects=False,
        timeout=10,
    )


def test_a_bank_debit_completes_unpaid_and_settles_later_as_succeeded(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    """ACH Direct Debit is a delayed-notification payment method
    (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment)."""
    session = client.v1.checkout.sessions.create(params=donation_params(**BANK_DEBIT))
    assert 'id="account-number"' in requests.get(session.url, timeout=10).text

    assert pay_by_bank(session.url, "000123456789").status_code == 303
    pending = client.v1.checkout.sessions.retrieve(session.id)
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    intent = client.v1.payment_intents.retrieve(pending.payment_intent)
    assert intent.status == "processing"
    assert intent.payment_method_types == ["card", "us_bank_account"]
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.status == "pending"
    assert charge.balance_transaction is None
    assert charge.payment_method_details.type == "us_bank_account"
    assert charge.payment_method_details.us_bank_account.last4 == "6789"

    sandbox.control.settle_payment(intent.id)

    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    charge = client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert charge.status == "succeeded"
    assert charge.balance_transaction.type == "payment"
    assert charge.balance_transaction.fee == 20  # ACH: 0.8% of 25.00
    assert event_types(client) == [
        "payment_intent.created",
        "charge.pending",
        "payment_intent.processing",
        "checkout.session.completed",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]


@pytest.mark.parametrize(
    ("account", "code"),
    [
        ("000111111113", "account_closed"),
        ("000111111116", "no_account"),
        ("000222222227", "insufficient_funds"),
        ("000333333335", "debit_not_authorized"),
    ],
)
def test_stripes_failing_test_accounts_fail_when_the_debit_settles(
    client: stripe.StripeClient, sandbox: SandboxServer, account: str, code: str
):
    session = client.v1.checkout.sessions.create(params=donation_params(**BANK_DEBIT))
    assert pay_by_bank(session.url, account).status_code == 303
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent

    sandbox.state.settle_payment(intent_id)

    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == code
    assert client.v1.charges.retrieve(intent.latest_charge).failure_code == code
    types = event_types(client)
    assert types[-3:] == [
        "charge.failed",
        "payment_intent.payment_failed",
        "checkout.session.async_payment_failed",
    ]
    assert "checkout.session.async_payment_succeeded" not in types
    assert client.v1.balance_transactions.list().data == []


def test_a_settled_debit_can_be_returned_by_the_bank(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params(**BANK_DEBIT))
    pay_by_bank(session.url, "000123456789")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    sandbox.state.settle_payment(intent_id, "succeeded")

    reversed_charge = sandbox.control.reverse_payment(intent_id, "insufficient_funds")

    charge = client.v1.charges.retrieve(
        reversed_charge["id"], params={"expand": ["failure_balance_transaction"]}
    )
    assert charge.status == "failed"
    assert charge.failure_code == "insufficient_funds"
    txn = charge.failure_balance_transaction
    assert txn.type == "payment_failure_refund"
    assert txn.reporting_category == "charge_failure"
    assert (txn.amount, txn.fee, txn.net) == (-2500, 0, -2500)
    assert event_types(client)[-2:] == ["charge.failed", "payment_intent.payment_failed"]
    summary = sandbox.state.summary()["currencies"]["usd"]
    assert summary["net"] == -20  # the fee is not returned
    with pytest.raises(Exception, match="no succeeded bank debit"):
        sandbox.state.reverse_payment(intent_id)


def test_bank_debit_is_offered_only_when_the_session_lists_it(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    assert 'id="account-number"' not in requests.get(session.url, timeout=10).text
    refused = pay_by_bank(session.url, "000123456789")
    assert refused.status_code == 400
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    offered = client.v1.checkout.sessions.create(params=donation_params(**BANK_DEBIT))
    assert pay_by_bank(offered.url, "12ab").status_code == 400


def test_the_available_balance_card_skips_the_pending_balance(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    """4000000000000077: "Charge succeeds and funds will be added directly to your available
    balance, bypassing your pending balance" (https://docs.stripe.com/testing#available-balance)."""
    session = client.v1.checkout.sessions.create(params=donation_params())

    assert pay(session.url, "4000000000000077").status_code == 303

    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.payment_status == "paid"
    charge = client.v1.charges.retrieve(
        client.v1.payment_intents.retrieve(done.payment_intent).latest_charge,
        params={"expand": ["balance_transaction"]},
    )
    txn = charge.balance_transaction
    assert charge.status == "succeeded"
    assert txn.type == "charge"
    assert txn.available_on == txn.created
    assert txn.status == "available"
    balance = client.v1.balance.retrieve()
    assert balance.available[0].amount == txn.net
    assert balance.pending[0].amount == 0


def test_the_checkout_page_escapes_everything_it_renders(client: stripe.StripeClient):
    params = donation_params(
        line_items=[line_item(2500, "<script>alert('x')</script>")],
        customer_email='x"><img src=x onerror=alert(1)>@example.org',
        cancel_url='https://fund.example/"><b>back',
    )
    session = client.v1.checkout.sessions.create(params=params)

    page = requests.get(session.url, timeout=10).text
    declined = pay(session.url, '"><i>4000000000000002', email=params["customer_email"]).text

    for html in (page, declined):
        assert "<script>" not in html
        assert "<img" not in html
        assert "<b>back" not in html
        assert "<i>" not in html
    assert "&lt;script&gt;" in page


def test_a_completed_session_cannot_be_paid_again(client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(params=donation_params())
    pay(session.url, "4242424242424242")

    again = pay(session.url, "4242424242424242")

    assert again.status_code == 409
    assert len(client.v1.charges.list().data) == 1


def test_subscription_checkout_creates_an_active_subscription_and_a_paid_first_invoice(
    client: stripe.StripeClient,
):
    session = client.v1.checkout.sessions.create(params=monthly_params())

    assert pay(session.url, "4242424242424242", email="monthly@example.org").status_code == 303

    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription", "invoice.payments"]}
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    subscription = done.subscription
    assert subscription.status == "active"
    assert subscription.metadata["pledge_id"] == "pl_1"
    assert subscription.items.data[0].price.unit_amount == 1000
    assert subscription.items.data[0].price.recurring.interval == "month"
    invoice = done.invoice
    assert invoice.billing_reason == "subscription_create"
    assert invoice.status == "paid"
    assert invoice.amount_paid == 1000
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.parent.subscription_details.metadata["pledge_id"] == "pl_1"
    payment = invoice.payments.data[0]
    assert payment.payment.type == "payment_intent"
    intent = client.v1.payment_intents.retrieve(
        payment.payment.payment_intent, params={"expand": ["latest_charge"]}
    )
    assert intent.status == "succeeded"
    assert intent.latest_charge.amount == 1000
    customer = client.v1.customers.retrieve(subscription.customer)
    assert customer.email == "monthly@example.org"
    types = event_types(client)
    expected = ["customer.created", "customer.subscription.created", "checkout.session.completed"]
    assert set(INVOICE_PAID_EVENTS + expected) <= set(types)
    assert types.index("invoice.created") < types.index("invoice.paid")


def test_subscription_checkout_with_the_decline_card_creates_nothing(
    client: stripe.StripeClient,
):
    session = client.v1.checkout.sessions.create(params=monthly_params())

    assert pay(session.url, "4000000000000002").status_code == 402

    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.subscriptions.list().data == []


def test_the_control_api_can_pay_a_session_without_the_html_page(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params())

    result = sandbox.control.pay_checkout_session(session.id, name="Grace")

    assert result["outcome"] == "succeeded"
    assert result["session"]["status"] == "complete"
    assert result["charge"]["billing_details"]["name"] == "Grace"
    assert result["balance_transaction"]["net"] == 2500 - 103


def test_customer_creation_always_makes_a_customer_for_a_one_off_donation(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    session = client.v1.checkout.sessions.create(params=donation_params(customer_creation="always"))

    sandbox.state.pay_checkout_session(session.id, "4242424242424242", name="Ada")

    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["customer"]})
    assert done.customer.email == "donor@example.org"
    assert done.customer.name == "Ada"
    charge = client.v1.charges.retrieve(
        client.v1.payment_intents.retrieve(done.payment_intent).latest_charge
    )
    assert charge.customer == done.customer.id
