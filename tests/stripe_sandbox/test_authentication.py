"""The card that always asks for 3-D Secure, and hosted invoices.

``4000002760003184`` "requires authentication on all transactions, regardless of how the
card is set up" (https://docs.stripe.com/testing#authentication-and-setup). Off-session, an
invoice payment that needs the customer sends ``invoice.payment_action_required``
(https://docs.stripe.com/api/events/types#event_types-invoice.payment_action_required).
"""

from __future__ import annotations

import requests
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import event_types, monthly_params
from .test_checkout import pay

ALWAYS_AUTHENTICATE = "4000002760003184"


def subscribe(client: stripe.StripeClient, sandbox: SandboxServer, card: str):
    session = client.v1.checkout.sessions.create(params=monthly_params())
    answer = pay(session.url, card)
    assert answer.status_code == 303
    return client.v1.subscriptions.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).subscription
    )


def test_on_the_checkout_page_the_donor_authenticates_and_the_payment_succeeds(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox, ALWAYS_AUTHENTICATE)

    assert subscription.status == "active"
    charge = client.v1.charges.list(params={"limit": 1}).data[0]
    assert charge.status == "succeeded"
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_a_renewal_cannot_authenticate_and_waits_for_the_donor(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox, ALWAYS_AUTHENTICATE)
    charges_before = len(client.v1.charges.list().data)

    invoice = sandbox.state.renew_subscription(subscription.id)

    assert invoice["status"] == "open"
    assert invoice["attempt_count"] == 1
    assert invoice["amount_remaining"] == 1000
    expanded = client.v1.invoices.retrieve(invoice["id"], params={"expand": ["payments"]})
    intent = client.v1.payment_intents.retrieve(expanded.payments.data[0].payment.payment_intent)
    assert intent.status == "requires_action"
    assert intent.next_action is not None
    assert intent.latest_charge is None
    assert len(client.v1.charges.list().data) == charges_before
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    types = event_types(client)
    tail = types[types.index("invoice.created", types.index("checkout.session.completed")) :]
    assert tail == [
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.requires_action",
        "invoice.payment_action_required",
        "customer.subscription.updated",
    ]
    assert "invoice.payment_failed" not in tail


def test_a_new_card_on_the_portal_pays_the_invoice_waiting_for_authentication(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox, ALWAYS_AUTHENTICATE)
    invoice = sandbox.state.renew_subscription(subscription.id)
    session = client.v1.billing_portal.sessions.create(params={"customer": subscription.customer})

    sandbox.state.portal_update_card(session.id, "4242424242424242")

    paid = client.v1.invoices.retrieve(invoice["id"], params={"expand": ["payments"]})
    assert paid.status == "paid"
    intent = client.v1.payment_intents.retrieve(paid.payments.data[0].payment.payment_intent)
    assert intent.status == "succeeded"
    assert intent.next_action is None
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert sandbox.state.renew_subscription(subscription.id)["status"] == "paid"


def test_invoices_link_to_a_hosted_page_and_a_failed_one_stays_open(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox, "4242424242424242")

    failed = sandbox.state.renew_subscription(subscription.id, fail=True)

    invoice = client.v1.invoices.retrieve(failed["id"])
    assert invoice.hosted_invoice_url == f"{sandbox.url}/i/{invoice.id}"
    assert invoice.status == "open"
    assert invoice.attempt_count == 1
    assert invoice.next_payment_attempt == sandbox.state.now() + 3 * 86400
    page = requests.get(invoice.hosted_invoice_url, timeout=10)
    assert page.status_code == 200
    assert '<span id="amount">10.00 USD</span>' in page.text
    assert '<span id="status">open</span>' in page.text
    assert requests.get(f"{sandbox.url}/i/in_nope", timeout=10).status_code == 404
