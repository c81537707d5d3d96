"""Fixtures for the donations side: a Stripe sandbox in this process, a donor's browser."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid

import pytest
import requests
from django.utils import timezone

from ledger.books.selectors import account_balances
from stripe_sandbox import SandboxServer

WEBHOOK_SECRET = "whsec_test_suite"


@pytest.fixture
def sandbox(settings):
    server = SandboxServer(port=0, webhook_url=None, webhook_secret=WEBHOOK_SECRET).start()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    yield server
    server.stop()


@pytest.fixture
def live_sandbox(sandbox, live_server, settings):
    """The sandbox delivering its webhooks to the site served by live_server."""
    settings.SITE_URL = live_server.url
    sandbox.configure(webhook_url=f"{live_server.url}/stripe/webhook/")
    return sandbox


class Donor:
    """A donor's browser, over real HTTP: our donation form, then Stripe's checkout page."""

    def __init__(self, site_url: str):
        self.site = site_url
        self.http = requests.Session()

    def give(
        self,
        *,
        card="4242424242424242",
        email="donor@example.org",
        bank_account=None,
        **fields,
    ) -> str:
        """Fill in the donation form and pay; returns the URL Stripe sends the donor to.
        ``bank_account``: pay by ACH Direct Debit from this test account number instead."""
        started = self.start(email=email, **fields)
        assert started.status_code == 303, started.text[:2000]
        checkout_url = started.headers["Location"]
        self.http.get(checkout_url, timeout=10).raise_for_status()
        method = (
            {"account_number": bank_account} if bank_account is not None else {"card_number": card}
        )
        paid = self.http.post(
            checkout_url,
            data={**method, "name": "Ana Donor", "email": email},
            allow_redirects=False,
            timeout=10,
        )
        return paid.headers.get("Location", "")

    def start(self, **fields) -> requests.Response:
        """Fill in and send the donation form (with the tokens the page carries)."""
        page = self.http.get(f"{self.site}/donate/", timeout=10)
        form = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page.text).group(1)
            for name in ("csrfmiddlewaretoken", "form_token")
        }
        form.update({"amount_choice": "5000", "frequency": "once", **fields})
        return self.http.post(
            f"{self.site}/donate/",
            data=form,
            headers={"Referer": f"{self.site}/donate/"},
            allow_redirects=False,
            timeout=10,
        )

    def status_on_thanks_page(self, url: str) -> str:
        page = self.http.get(url, timeout=10)
        page.raise_for_status()
        return re.search(r'data-status="([a-z]+)"', page.text).group(1)


@pytest.fixture
def donor(live_server):
    browser = Donor(live_server.url)
    yield browser
    # A live-server thread waiting on an idle keep-alive socket holds a database
    # connection; closing the sockets lets it finish.
    browser.http.close()


def assert_books_match_sandbox(sandbox) -> None:
    """The books hold exactly what Stripe says happened."""
    totals = sandbox.state.summary()["currencies"].get("usd", {})
    books = account_balances()
    assert -books["income:donations"] == totals.get("gross_charged", 0)
    assert books["income:donations_refunded"] == totals.get("refunded", 0)
    assert books["expenses:processing_fees"] == totals.get("processing_fees", 0)
    assert books["expenses:dispute_losses"] == totals.get("dispute_lost", 0) + totals.get(
        "dispute_fees", 0
    )
    # A payout leaves Stripe's balance when Stripe creates it, and reaches the bank when
    # Stripe marks it paid.
    assert books["assets:bank"] == totals.get("payouts_paid", 0)
    assert books["assets:payouts_in_transit"] == totals.get("payouts_pending", 0)
    stripe_balance = totals.get("balance_available", 0) + totals.get("balance_pending", 0)
    assert books["assets:stripe"] == stripe_balance
    assert sum(books.values()) == 0


def a_fund_week(state, charges=12):
    """Charges, a full and a partial refund, a dispute lost and one won, a payout, and a
    charge after it: a week of a fund's money at Stripe."""
    ids = [state.create_charge(1000 + 137 * n).charge for n in range(charges)]
    state.create_refund(charge=ids[0])
    state.create_refund(charge=ids[1], amount=500)
    lost = state.create_dispute(ids[2])
    state.close_dispute(lost["id"], "lost")
    won = state.create_dispute(ids[3])
    state.close_dispute(won["id"], "won")
    state.advance_clock(3 * 24 * 3600)
    state.create_payout(outcome="paid")
    state.create_charge(4200)
    return ids


def stripe_signature(payload: bytes, *, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, as Stripe signs a webhook."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


# Rows the tests of several modules need, with what they do not care about filled in.


def charge_event(event_id: str, charge_id: str = "ch_1", **fields):
    """A stored ``charge.succeeded`` event naming ``charge_id``."""
    from donations.models import StripeEvent

    return StripeEvent.objects.create(
        event_id=event_id,
        type="charge.succeeded",
        stripe_created=timezone.now(),
        payload={"id": event_id, "data": {"object": {"id": charge_id, "object": "charge"}}},
        **fields,
    )


def open_discrepancy(run=None, *, kind: str = "stripe_balance", **fields):
    """An open discrepancy between assets:stripe and Stripe's balance."""
    from donations.models import Discrepancy, ReconciliationRun, RunStatus

    if run is None:
        run = ReconciliationRun.objects.create(
            kind="all", status=RunStatus.SUCCEEDED, finished_at=timezone.now()
        )
    return Discrepancy.objects.create(
        kind=kind,
        stripe_object="balance",
        expected=1000,
        found=950,
        description="assets:stripe differs from Stripe's balance",
        first_seen_run=run,
        last_seen_at=timezone.now(),
        **fields,
    )


def succeeded_gift(**fields):
    """A one-off gift of $25 that succeeded."""
    from donations.models import Donation, DonationStatus

    values = {
        "frequency": "once",
        "status": DonationStatus.SUCCEEDED,
        "currency": "usd",
        "gift_amount": 2500,
        "amount": 2500,
        "checkout_idempotency_key": f"checkout:{uuid.uuid4()}",
        **fields,
    }
    return Donation.objects.create(**values)


def event_body(event_id: str, type_: str, data_object: dict, **extra) -> bytes:
    """The JSON body Stripe posts to the webhook for an event about ``data_object``."""
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "type": type_,
        "data": {"object": data_object},
        **extra,
    }
    return json.dumps(event).encode()


def donation_form(**fields) -> dict:
    """What the donation page posts: a $50 one-time gift, on a page of its own."""
    return {
        "form_token": uuid.uuid4().hex,
        "amount_choice": "5000",
        "frequency": "once",
        **fields,
    }


def given(live_sandbox, donor, **fields):
    """A donor gives through the page and pays; Stripe's events are processed. Returns the
    one donation."""
    from donations.models import Donation

    donor.give(**fields)
    assert live_sandbox.flush_webhooks(timeout=20)
    return Donation.objects.get()
