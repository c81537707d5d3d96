"""Statement descriptors on Checkout payments and products, and products through the API.

Rules: https://docs.stripe.com/get-started/account/statement-descriptors. Products:
https://docs.stripe.com/api/products/create.
"""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import donation_params, monthly_params


def paid_charge(client: stripe.StripeClient, sandbox: SandboxServer, **params):
    session = client.v1.checkout.sessions.create(params=donation_params(**params))
    result = sandbox.state.pay_checkout_session(session.id, "4242424242424242")
    return client.v1.charges.retrieve(result.charge)


def test_without_a_descriptor_the_account_descriptor_shows(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge = paid_charge(client, sandbox)

    assert charge.calculated_statement_descriptor == "BAIL FUND SANDBOX"
    assert charge.statement_descriptor_suffix is None


def test_a_suffix_follows_the_account_prefix(client: stripe.StripeClient, sandbox: SandboxServer):
    charge = paid_charge(
        client,
        sandbox,
        payment_intent_data={"statement_descriptor_suffix": "Gift 42"},
    )

    assert charge.calculated_statement_descriptor == "BAILFUND* GIFT 42"
    assert charge.statement_descriptor_suffix == "Gift 42"
    intent = client.v1.payment_intents.retrieve(charge.payment_intent)
    assert intent.statement_descriptor_suffix == "Gift 42"


def test_a_full_descriptor_replaces_the_account_one(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge = paid_charge(
        client, sandbox, payment_intent_data={"statement_descriptor": "Bail Fund Gala"}
    )

    assert charge.calculated_statement_descriptor == "BAIL FUND GALA"
    intent = client.v1.payment_intents.retrieve(charge.payment_intent)
    assert intent.statement_descriptor == "Bail Fund Gala"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("statement_descriptor", "Bail <Fund>"),
        ("statement_descriptor", "Bail*Fund"),
        ("statement_descriptor", "12345678"),
        ("statement_descriptor", "Fund"),
        ("statement_descriptor", "A" * 23),
        ("statement_descriptor", "Caf\u00e9 \u4e2d\u6587 Fund"),
        ("statement_descriptor_suffix", "2024"),
        ("statement_descriptor_suffix", "Donation Thanks"),
        ("statement_descriptor_suffix", "it's"),
    ],
)
def test_descriptors_breaking_stripes_rules_are_refused(
    client: stripe.StripeClient, field: str, value: str
):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(
            params=donation_params(payment_intent_data={field: value})
        )

    assert refused.value.http_status == 400
    assert refused.value.param == f"payment_intent_data[{field}]"


def test_a_product_is_created_retrieved_and_reused_by_sessions(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    product = client.v1.products.create(
        params={
            "name": "Monthly gift",
            "statement_descriptor": "Bail Fund Monthly",
            "metadata": {"kind": "pledge"},
            "description": "A monthly donation",
        }
    )
    params = monthly_params()
    data = params["line_items"][0]["price_data"]
    del data["product_data"]
    data["product"] = product.id

    first = client.v1.checkout.sessions.create(params=params)
    second = client.v1.checkout.sessions.create(params=params)
    sandbox.state.pay_checkout_session(first.id, "4242424242424242")

    assert product.object == "product"
    assert product.active is True
    assert client.v1.products.retrieve(product.id).statement_descriptor == "Bail Fund Monthly"
    assert client.v1.products.retrieve(product.id).metadata["kind"] == "pledge"
    for session in (first, second):
        items = client.v1.checkout.sessions.line_items.list(session.id)
        assert items.data[0].price.product == product.id
    charge = client.v1.charges.list(params={"limit": 1}).data[0]
    assert charge.calculated_statement_descriptor == "BAIL FUND MONTHLY"
    subscription = client.v1.checkout.sessions.retrieve(first.id).subscription
    sandbox.state.renew_subscription(subscription)
    renewal = client.v1.charges.list(params={"limit": 1}).data[0]
    assert renewal.id != charge.id
    assert renewal.calculated_statement_descriptor == "BAIL FUND MONTHLY"


def test_creating_a_product_validates_like_stripe(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.products.create(params={"statement_descriptor": "Bail Fund"})
    assert missing.value.param == "name"
    assert missing.value.code == "parameter_missing"
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.products.create(params={"name": "Gift", "statement_descriptor": "<b>"})
    assert bad.value.param == "statement_descriptor"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.products.create(params={"name": "Gift", "colour": "red"})
    assert unknown.value.param == "colour"
    with pytest.raises(stripe.InvalidRequestError) as no_such:
        client.v1.checkout.sessions.create(
            params=donation_params(
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 1000,
                            "product": "prod_missing",
                        },
                    }
                ]
            )
        )
    assert no_such.value.param == "line_items[0][price_data][product]"
