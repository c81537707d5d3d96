"""The customer portal and hosted invoice pages as a donor sees them: what is listed, escaping,
the always-authenticate card on the portal, and axe-core's accessibility checks.

Stripe's references: https://docs.stripe.com/customer-management (the portal),
https://docs.stripe.com/invoicing/hosted-invoice-page, and for ``4000002760003184``
https://docs.stripe.com/testing#authentication-and-setup.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import monthly_params

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_CORE_JS = Path(
    os.environ.get("AXE_CORE_JS") or ROOT / "var/axe/node_modules/axe-core/axe.min.js"
)
HOSTILE = '<script>alert("x")</script>'


def subscribe(
    client: stripe.StripeClient,
    sandbox: SandboxServer,
    card: str = "4242424242424242",
    name: str = "Monthly Donor",
    amount: int = 1000,
):
    params = monthly_params()
    params["line_items"][0]["price_data"]["unit_amount"] = amount
    session = client.v1.checkout.sessions.create(params=params)
    sandbox.state.pay_checkout_session(session.id, card, name=name)
    return client.v1.subscriptions.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).subscription
    )


def test_the_sdk_call_the_site_makes_works(client: stripe.StripeClient, sandbox: SandboxServer):
    subscription = subscribe(client, sandbox)

    session = client.v1.billing_portal.sessions.create(
        params={
            "customer": subscription.customer,
            "return_url": "https://fund.example/gifts/1/",
            "locale": "auto",
        }
    )

    assert session.locale == "auto"
    assert session.return_url == "https://fund.example/gifts/1/"
    assert requests.get(session.url, timeout=10).status_code == 200
    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.billing_portal.sessions.create(
            params={"customer": subscription.customer, "locale": {"x": "y"}}
        )
    assert nested.value.param == "locale"
    with pytest.raises(stripe.InvalidRequestError) as bad_url:
        client.v1.billing_portal.sessions.create(
            params={"customer": subscription.customer, "return_url": "javascript:alert(1)"}
        )
    assert bad_url.value.param == "return_url"


def test_a_session_can_be_made_in_process(client: stripe.StripeClient, sandbox: SandboxServer):
    subscription = subscribe(client, sandbox)

    session = sandbox.state.create_portal_session(subscription.customer, return_url="https://a.b/")
    bare = sandbox.state.create_portal_session(subscription.customer)

    assert session["object"] == "billing_portal.session"
    assert session["return_url"] == "https://a.b/"
    assert session["url"] == f"{sandbox.url}/p/session/{session['id']}"
    assert bare["return_url"] is None
    assert 'id="return"' not in requests.get(bare["url"], timeout=10).text


def test_the_page_lists_live_subscriptions_with_amount_interval_and_status(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    late = subscribe(client, sandbox, amount=2500)
    customer = late.customer
    sandbox.state.renew_subscription(late.id, fail=True)
    ended = subscribe(client, sandbox, amount=700)
    client.v1.subscriptions.cancel(ended.id)
    session = sandbox.state.create_portal_session(customer)

    page = requests.get(session["url"], timeout=10).text

    assert f'id="subscription-{late.id}"' in page
    assert "25.00 USD / month" in page
    assert '<td class="status">past_due</td>' in page
    assert ended.id not in page
    assert "7.00 USD" not in page


def test_a_hostile_customer_name_and_return_url_are_escaped(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox, name=HOSTILE)
    return_url = 'https://fund.example/?next="><script>alert(1)</script>'
    session = sandbox.state.create_portal_session(subscription.customer, return_url=return_url)

    page = requests.get(session["url"], timeout=10).text
    declined = requests.post(session["url"] + "/card", data={"card_number": HOSTILE}, timeout=10)

    assert client.v1.customers.retrieve(subscription.customer).name == HOSTILE
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert 'href="https://fund.example/?next=&quot;&gt;&lt;script&gt;' in page
    assert declined.status_code == 402
    assert "<script>" not in declined.text
    assert (
        client.v1.customers.retrieve(subscription.customer).invoice_settings.default_payment_method
        is None
    )


def test_the_always_authenticate_card_entered_on_the_portal_pays_at_once(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    """On the portal the donor is present and completes 3-D Secure, as on the checkout page."""
    subscription = subscribe(client, sandbox)
    failed = sandbox.state.renew_subscription(subscription.id, fail=True)
    session = sandbox.state.create_portal_session(subscription.customer)

    result = sandbox.state.portal_update_card(session["id"], "4000002760003184")

    assert result["paid_invoices"] == [failed["id"]]
    assert client.v1.invoices.retrieve(failed["id"]).status == "paid"
    charge = client.v1.charges.list(params={"limit": 1}).data[0]
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    renewal = sandbox.state.renew_subscription(subscription.id)
    assert renewal["status"] == "open"  # off-session it cannot authenticate


def test_the_confirmation_pages_and_the_invoice_page_escape_and_show_the_outcome(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    invoice = sandbox.state.renew_subscription(subscription.id)
    session = sandbox.state.create_portal_session(subscription.customer)

    canceled = requests.post(
        session["url"] + "/cancel", data={"subscription": subscription.id}, timeout=10
    )
    invoice_page = requests.get(f"{sandbox.url}/i/{invoice['id']}", timeout=10)

    assert canceled.status_code == 200
    assert "Your subscription was canceled." in canceled.text
    assert '<span id="status">paid</span>' in invoice_page.text
    assert '<span id="amount-remaining">0.00 USD</span>' in invoice_page.text
    again = requests.post(
        session["url"] + "/cancel", data={"subscription": subscription.id}, timeout=10
    )
    assert again.status_code == 400


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("needs the playwright package")
    if not CHROMIUM.exists() or not AXE_CORE_JS.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM} and axe-core at {AXE_CORE_JS}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is now, one line per element."""
    page.evaluate(AXE_CORE_JS.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [f"{v['id']}: {node['target']}" for v in violations for node in v["nodes"]]


def test_the_hosted_pages_pass_axe_core(
    browser, client: stripe.StripeClient, sandbox: SandboxServer
):
    subscription = subscribe(client, sandbox)
    subscribe(client, sandbox)
    invoice = sandbox.state.renew_subscription(subscription.id, fail=True)
    old = sandbox.state.create_portal_session(subscription.customer)
    sandbox.state.advance_clock(3601)
    session = sandbox.state.create_portal_session(subscription.customer)
    page = browser.new_page()
    try:
        found = {}
        for url in [session["url"], old["url"], f"{sandbox.url}/i/{invoice['id']}"]:
            page.goto(url)
            found[url] = axe_violations(page)
        page.goto(session["url"])
        page.fill("#card-number", "4000000000000002")
        page.click("#update-card")
        page.wait_for_selector("#error")
        found["declined"] = axe_violations(page)
        page.fill("#card-number", "4242424242424242")
        page.click("#update-card")
        page.wait_for_selector("#status")
        found["updated"] = axe_violations(page)
    finally:
        page.close()

    assert found == {name: [] for name in found}
    assert client.v1.invoices.retrieve(invoice["id"]).status == "paid"
