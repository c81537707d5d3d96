"""The project against Stripe's request rate limits.

Stripe allows 100 requests a second per account and 25 per endpoint in live mode, counts
``GET /v1/charges/{id}`` for every id as one endpoint, answers 429 above either limit, and
asks clients to back off and retry (https://docs.stripe.com/rate-limits). The SDK does not
retry a plain 429, so the gateway does. Charge events are recorded as they came, their
balance transactions read from Stripe's list 100 at a time
(https://docs.stripe.com/api/pagination), so a surge costs a request per hundred gifts
instead of one per gift.
"""

from __future__ import annotations

import math

import pytest

from donations import stripe_gateway
from donations.events.drain import stripe_events_drain
from donations.exceptions import StripeUnavailable
from donations.intake.services import stripe_event_store
from donations.models import Donation, EventStatus, StripeCharge, StripeEvent
from donations.tasks import send_receipt
from ledger.models import JournalTransaction
from tests.donations.conftest import assert_books_match_sandbox, donation_form

pytestmark = pytest.mark.django_db

#: Stripe's live-mode defaults (https://docs.stripe.com/rate-limits).
LIVE_LIMITS = {"account_rate_limit": 100, "endpoint_rate_limit": 25}


@pytest.fixture
def quick_backoff(settings):
    settings.STRIPE_RETRY_BACKOFF = 0.05


def _charge_events(sandbox) -> list[dict]:
    return [
        sandbox.state.retrieve("event", e["id"])
        for e in sandbox.state.store.all("event")
        if e["type"] == "charge.succeeded"
    ]


def _requests(sandbox) -> dict[str, dict[str, int]]:
    return sandbox.control.summary()["api_requests"]


def test_a_rate_limited_call_is_retried_until_it_passes(sandbox, quick_backoff, settings):
    # Full jitter can draw short waits several times running: enough retries that the
    # calls outlast the one-second window however the draws fall.
    settings.STRIPE_RATE_LIMIT_RETRIES = 12
    sandbox.configure(endpoint_rate_limit=2)

    balances = [stripe_gateway.retrieve_balance() for _ in range(6)]

    assert all(b["object"] == "balance" for b in balances)
    counts = _requests(sandbox)["GET /v1/balance"]
    assert counts["served"] == 6
    assert counts["rate_limited"] >= 1


def test_a_call_still_limited_after_its_retries_is_unavailable(sandbox, settings):
    settings.STRIPE_RATE_LIMIT_RETRIES = 1
    settings.STRIPE_RETRY_BACKOFF = 0.001
    sandbox.configure(rate_limit_rate=1.0)

    with pytest.raises(StripeUnavailable, match="rate limited"):
        stripe_gateway.retrieve_balance()

    assert sandbox.switches.faults_served["rate_limit"] == 2  # the call and one retry


def test_the_wait_before_a_retry_is_jittered_under_a_doubling_ceiling(settings):
    settings.STRIPE_RETRY_BACKOFF = 0.25
    for attempt, ceiling in [(0, 0.25), (1, 0.5), (3, 2.0), (5, 8.0), (9, 8.0)]:
        waits = {stripe_gateway.retry_wait(attempt) for _ in range(50)}
        assert all(0 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # clients limited together do not come back together


def test_a_surge_of_charge_events_reads_balance_transactions_in_pages(sandbox, quick_backoff):
    sandbox.configure(**LIVE_LIMITS)
    for n in range(250):
        sandbox.state.create_charge(1000 + n)
    for event in _charge_events(sandbox):
        stripe_event_store(event)

    assert stripe_events_drain() == 250

    assert set(StripeEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    assert StripeCharge.objects.exclude(balance_transaction_id="").count() == 250
    assert JournalTransaction.objects.filter(kind="donation").count() == 250
    assert_books_match_sandbox(sandbox)
    counts = _requests(sandbox)
    assert "GET /v1/charges/{id}" not in counts
    assert "GET /v1/balance_transactions/{id}" not in counts
    listed = counts["GET /v1/balance_transactions"]["served"]
    assert listed <= math.ceil(250 / 100) + 1  # about a request per hundred gifts


def test_events_that_come_after_the_walk_passed_their_money_ask_stripe_nothing(sandbox):
    for n in range(5):
        sandbox.state.create_charge(2000 + n)
    first, *rest = _charge_events(sandbox)
    stripe_event_store(first)
    stripe_events_drain()  # the walk read the page holding all five
    before = _requests(sandbox)

    for event in rest:
        stripe_event_store(event)
    stripe_events_drain()

    assert _requests(sandbox) == before
    assert StripeCharge.objects.exclude(payment_intent_id="").count() == 5
    assert_books_match_sandbox(sandbox)


def test_a_balance_transaction_older_than_the_cursor_is_read_by_id(sandbox):
    sandbox.state.create_charge(1500)
    (old,) = _charge_events(sandbox)
    sandbox.state.create_charge(2500)
    newer = [e for e in _charge_events(sandbox) if e["id"] != old["id"]]
    stripe_event_store(newer[0])
    stripe_events_drain()
    # The walk began at the newest page, so the older charge's money was read too; a
    # cursor now stands past both. A balance transaction the walk never saw (its row
    # erased here to stand for one that came late) is read by its id.
    StripeCharge.objects.all().delete()
    stripe_event_store(old)
    stripe_events_drain()

    assert _requests(sandbox)["GET /v1/balance_transactions/{id}"]["served"] == 1
    assert StripeCharge.objects.get(charge_id=old["data"]["object"]["id"]).fee > 0
    assert_books_match_sandbox(sandbox)


@pytest.mark.django_db(transaction=True)
def test_a_donor_at_the_checkout_limit_waits_and_gets_their_session(
    sandbox, client, quick_backoff, settings
):
    # Enough retries that jitter can never add up to less than the second the bucket
    # needs to refill: what is tested is that a donor waits instead of failing.
    settings.STRIPE_RATE_LIMIT_RETRIES = 20
    sandbox.configure(endpoint_rate_limit=1)

    answers = [client.post("/donate/", donation_form()) for _ in range(3)]

    assert [a.status_code for a in answers] == [303, 303, 303]
    assert Donation.objects.exclude(checkout_session_id="").count() == 3
    assert _requests(sandbox)["POST /v1/checkout/sessions"]["rate_limited"] >= 1


def _events_of(sandbox, created_after: int) -> list[dict]:
    return [
        sandbox.state.retrieve("event", e["id"])
        for e in sandbox.state.store.all("event")
        if e["created"] >= created_after
    ]


@pytest.mark.parametrize("order", ["as sent", "session first", "charge first"])
def test_a_paid_checkout_asks_stripe_nothing_whatever_order_its_events_come_in(
    sandbox, client, order, monkeypatch, django_capture_on_commit_callbacks
):
    # A Checkout Session's events come only from its final states, complete or expired
    # (https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-status),
    # and its charge carries the payment's metadata, so neither is read again.
    assert client.post("/donate/", donation_form(email="donor@example.org")).status_code == 303
    donation = Donation.objects.get()
    sandbox.state.pay_checkout_session(donation.checkout_session_id, "4242424242424242")
    events = _events_of(sandbox, 0)
    kinds = [e["type"] for e in events]
    assert {"checkout.session.completed", "charge.succeeded"} <= set(kinds)
    if order != "as sent":
        first = "checkout.session." if order == "session first" else "charge."
        events.sort(key=lambda e: not e["type"].startswith(first))
    before = _requests(sandbox)
    receipts = []
    monkeypatch.setattr(send_receipt, "delay", receipts.append)

    with django_capture_on_commit_callbacks(execute=True):
        for event in events:
            stripe_event_store(event)
            stripe_events_drain()

    asked = {
        endpoint
        for endpoint, counts in _requests(sandbox).items()
        if counts != before.get(endpoint)
    }
    assert asked <= {"GET /v1/balance_transactions"}  # the money, a page at a time
    donation.refresh_from_db()
    assert donation.status == "succeeded"
    charge = donation.charges.get()
    assert charge.fee > 0
    assert set(receipts) == {charge.pk}
    assert_books_match_sandbox(sandbox)


def test_an_anonymous_gift_without_an_email_reads_its_session_once_for_the_receipt(sandbox, client):
    # The stored copy of an anonymous gift's event keeps no personal details, the email
    # Checkout collected included: it is read from Stripe for the receipt.
    assert client.post("/donate/", donation_form(anonymous="on")).status_code == 303
    donation = Donation.objects.get()
    sandbox.state.pay_checkout_session(
        donation.checkout_session_id, "4242424242424242", email="anon@example.org"
    )
    for event in _events_of(sandbox, 0):
        stripe_event_store(event)
    stripe_events_drain()

    donation.refresh_from_db()
    assert (donation.email, donation.donor_name, donation.status) == (
        "anon@example.org",
        "",
        "succeeded",
    )
    assert _requests(sandbox)["GET /v1/checkout/sessions/{id}"]["served"] == 1


def test_events_that_come_long_after_their_charges_are_read_back_in_pages(sandbox):
    # A surge queues events for minutes while Stripe's list grows: the walk forward from
    # the newest finds nothing for the old ones, so it goes back from the oldest page it
    # read, instead of one request per charge.
    for n in range(300):
        sandbox.state.create_charge(1000 + n)
    events = _charge_events(sandbox)  # oldest first
    stripe_event_store(events[-1])
    stripe_events_drain()  # reads the newest page only
    before = _requests(sandbox).get("GET /v1/balance_transactions", {}).get("served", 0)

    for event in events[:100]:  # the oldest hundred, late
        stripe_event_store(event)
    stripe_events_drain()

    counts = _requests(sandbox)
    assert "GET /v1/balance_transactions/{id}" not in counts
    assert counts["GET /v1/balance_transactions"]["served"] - before <= 3
    assert StripeCharge.objects.exclude(balance_transaction_id="").count() == 300
    assert_books_match_sandbox(sandbox)
