"""The customer portal: ``POST /v1/billing_portal/sessions`` and the hosted portal page.

Stripe's reference: https://docs.stripe.com/api/customer_portal/sessions/create (create only;
portal sessions cannot be retrieved), https://docs.stripe.com/customer-management.
"""

from __future__ import annotations

import pytest
import requests
import stripe

from stripe_sandbox.errors import SandboxError
from stripe_sandbox.server import SandboxServer

from .conftest import event_types, monthly_params

RETURN_URL = "https://fund.example/account"


def subscribe(client: stripe.StripeClient, sandbox: SandboxServer, card="4242424242424242"):
    session = client.v1.checkout.sessions.create(params=monthly_params())
    sandbox.state.pay_checkout_session(session.id, card, name="Monthly Donor")
    return client.v1.subscriptions.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).subscription
    )


def portal(client: stripe.StripeClient, customer: str, **params):
    return client.v1.billing_portal.sessions.create(params={"customer": customer, **params})


def post(url: str, **data: str) -> requests.Response:
    return requests.post(url, data=data, allow_redirects=False, timeout=10)


def test_a_portal_session_has_stripes_shape_and_a_sandbox_url(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)

    session = portal(client, subscription.customer, return_url=RETURN_URL, locale="en")

    assert isinstance(session, stripe.billing_portal.Session)
    assert session.id.startswith("bps_")
    assert session.object == "billing_portal.session"
    assert session.customer == subscription.customer
    assert session.return_url == RETURN_URL
    assert session.locale == "en"
    assert session.livemode is False
    assert session.flow is None
    assert session.on_behalf_of is None
    assert session.configuration.startswith("bpc_")
    assert session.url == f"{sandbox.url}/p/session/{session.id}"
    page = requests.get(session.url, timeout=10)
    assert page.status_code == 200
    assert 'id="card-number"' in page.text
    assert 'name="card_number"' in page.text
    assert 'id="update-card"' in page.text
    assert 'id="cancel-subscription"' in page.text
    assert f'href="{RETURN_URL}"' in page.text and 'id="return"' in page.text
    assert "10.00 USD / month" in page.text


def test_creating_a_portal_session_validates_like_stripe(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(params={})
    assert missing.value.http_status == 400
    assert missing.value.code == "parameter_missing"
    assert missing.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        portal(client, "cus_nobody")
    assert unknown.value.http_status == 400
    assert unknown.value.code == "resource_missing"
    assert unknown.value.param == "customer"
    assert "No such customer: 'cus_nobody'" in str(unknown.value)
    with pytest.raises(stripe.InvalidRequestError) as extra:
        portal(client, subscription.customer, color="red")
    assert extra.value.param == "color"
    with pytest.raises(stripe.InvalidRequestError) as flow:
        portal(client, subscription.customer, flow_data={"type": "subscription_update"})
    assert flow.value.param == "flow_data[type]"
    with pytest.raises(stripe.InvalidRequestError) as no_sub:
        portal(client, subscription.customer, flow_data={"type": "subscription_cancel"})
    assert no_sub.value.param == "flow_data[subscription_cancel][subscription]"


def test_flows_are_echoed_in_stripes_shape(client: stripe.StripeClient, sandbox: SandboxServer):
    subscription = subscribe(client, sandbox)

    cancel = portal(
        client,
        subscription.customer,
        flow_data={
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": subscription.id},
        },
    )
    update = portal(client, subscription.customer, flow_data={"type": "payment_method_update"})

    assert cancel.flow.type == "subscription_cancel"
    assert cancel.flow.subscription_cancel.subscription == subscription.id
    assert cancel.flow.after_completion.type == "portal_homepage"
    assert update.flow.type == "payment_method_update"
    assert update.flow.subscription_cancel is None


def test_portal_sessions_cannot_be_retrieved_and_count_towards_rate_limits(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    session = portal(client, subscription.customer)

    answer = requests.get(
        f"{sandbox.url}/v1/billing_portal/sessions/{session.id}",
        headers={"Authorization": "Bearer sk_test_x"},
        timeout=10,
    )

    assert answer.status_code == 404
    counts = sandbox.control.summary()["api_requests"]
    assert counts["POST /v1/billing_portal/sessions"]["served"] == 1
    sandbox.configure(endpoint_rate_limit=1)
    with pytest.raises(stripe.RateLimitError):
        for _ in range(3):
            portal(client, subscription.customer)


def test_an_unknown_or_old_portal_session_has_no_page(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    session = portal(client, subscription.customer)

    assert requests.get(f"{sandbox.url}/p/session/bps_nope", timeout=10).status_code == 404
    sandbox.state.advance_clock(3601)
    expired = requests.get(session.url, timeout=10)
    assert expired.status_code == 410
    assert 'id="expired"' in expired.text


def test_updating_the_card_changes_what_renewals_charge(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    session = portal(client, subscription.customer, return_url=RETURN_URL)

    answer = post(session.url + "/card", card_number="5555555555554444")

    assert answer.status_code == 303
    assert answer.headers["Location"] == RETURN_URL
    customer = client.v1.customers.retrieve(subscription.customer)
    assert customer.invoice_settings.default_payment_method == "pm_mastercard4444sbx"
    updated = client.v1.events.list(params={"type": "customer.updated"}).data[0]
    assert updated.data.previous_attributes.invoice_settings.default_payment_method is None
    invoice = sandbox.state.renew_subscription(subscription.id)
    charge = client.v1.charges.list(params={"limit": 1}).data[0]
    assert invoice["status"] == "paid"
    assert charge.payment_method_details.card.last4 == "4444"


def test_a_declining_card_shows_the_decline_and_changes_nothing(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    session = portal(client, subscription.customer, return_url=RETURN_URL)
    before = event_types(client)

    answer = post(session.url + "/card", card_number="4000000000009995")

    assert answer.status_code == 402
    assert 'id="error"' in answer.text
    assert "Your card has insufficient funds." in answer.text
    assert event_types(client) == before
    customer = client.v1.customers.retrieve(subscription.customer)
    assert customer.invoice_settings.default_payment_method is None
    with pytest.raises(SandboxError) as declined:
        sandbox.state.portal_update_card(session.id, "4000000000000002")
    assert declined.value.status == 402


def test_a_new_card_pays_a_past_due_subscriptions_open_invoice_at_once(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    failed = sandbox.state.renew_subscription(subscription.id, fail=True)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    session = portal(client, subscription.customer)
    before = len(event_types(client))

    answer = post(session.url + "/card", card_number="4242424242424242")

    assert answer.status_code == 200
    assert 'id="status"' in answer.text
    invoice = client.v1.invoices.retrieve(failed["id"], params={"expand": ["payments"]})
    assert invoice.status == "paid"
    assert invoice.amount_remaining == 0
    assert invoice.attempt_count == 2
    intent = client.v1.payment_intents.retrieve(
        invoice.payments.data[0].payment.payment_intent,
        params={"expand": ["latest_charge.balance_transaction"]},
    )
    assert intent.status == "succeeded"
    assert intent.latest_charge.status == "succeeded"
    assert intent.latest_charge.balance_transaction.amount == 1000
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    new = event_types(client)[before:]
    assert new == [
        "customer.updated",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    reactivated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert reactivated.data.object.status == "active"
    assert reactivated.data.previous_attributes.status == "past_due"


def test_cancelling_on_the_portal_ends_the_subscription_at_once(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    other = subscribe(client, sandbox)
    session = portal(client, subscription.customer, return_url=RETURN_URL)

    refused = post(session.url + "/cancel", subscription=other.id)
    answer = post(session.url + "/cancel", subscription=subscription.id)

    assert refused.status_code == 400
    assert client.v1.subscriptions.retrieve(other.id).status == "active"
    assert answer.status_code == 303
    assert answer.headers["Location"] == RETURN_URL
    canceled = client.v1.subscriptions.retrieve(subscription.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    assert event_types(client)[-1] == "customer.subscription.deleted"
    page = requests.get(session.url, timeout=10)
    assert 'id="cancel-subscription"' not in page.text


def test_the_control_api_does_what_the_page_does(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    session = portal(client, subscription.customer)

    updated = sandbox.control.portal_update_card(session.id, "5555555555554444")
    canceled = sandbox.control.portal_cancel(session.id, subscription.id)

    assert updated["customer"]["invoice_settings"]["default_payment_method"] == (
        "pm_mastercard4444sbx"
    )
    assert updated["redirect_url"] is None
    assert canceled["subscription"]["status"] == "canceled"
