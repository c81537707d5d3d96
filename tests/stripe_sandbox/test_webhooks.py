"""Webhook signing and at-least-once delivery under the fault switches."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import stripe

from stripe_sandbox.server import SandboxServer
from stripe_sandbox.webhooks import signature_header

from .conftest import WEBHOOK_SECRET, Receiver, charges, donation_params


def stored_event_ids(client: stripe.StripeClient, **params) -> set[str]:
    pages = client.v1.events.list(params={"limit": 100, **params}).auto_paging_iter()
    return {event.id for event in pages}


def test_the_signature_verifies_with_the_sdk_and_a_tampered_body_does_not(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    hooked_client.v1.checkout.sessions.create(params=donation_params())
    hooked_sandbox.state.create_charge(2500)
    assert hooked_sandbox.flush_webhooks()

    assert receiver.received
    for delivery in receiver.received:
        header = delivery.headers["Stripe-Signature"]
        event = stripe.Webhook.construct_event(delivery.body, header, WEBHOOK_SECRET)
        assert isinstance(event, stripe.Event)
        assert event.api_version == stripe.api_version
        assert header.startswith("t=") and ",v1=" in header
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(delivery.body + b" ", header, WEBHOOK_SECRET)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(delivery.body, header, "whsec_wrong")


def test_the_signature_header_matches_the_sdks_own_signer():
    payload = '{"id": "evt_1", "object": "event"}'

    ours = signature_header(payload, "whsec_abc", timestamp=1_700_000_000)
    theirs = stripe.WebhookSignature.generate_signature_header(
        payload, "whsec_abc", timestamp=1_700_000_000
    )

    assert ours == theirs


def test_every_event_is_delivered_once_without_faults(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    charges(hooked_sandbox.state, 10)

    assert hooked_sandbox.flush_webhooks()

    assert Counter(receiver.ids()) == Counter(stored_event_ids(hooked_client))
    assert len(receiver.ids()) == 3 * 10
    assert receiver.events()[0]["pending_webhooks"] == 1
    assert hooked_client.v1.events.list().data[0].pending_webhooks == 0  # delivered since


def test_the_duplicates_switch_delivers_every_event_n_times(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    hooked_sandbox.configure(duplicates=3)
    hooked_sandbox.state.create_charge(2500)

    assert hooked_sandbox.flush_webhooks()

    counts = Counter(receiver.ids())
    assert set(counts) == stored_event_ids(hooked_client)
    assert set(counts.values()) == {3}


def test_the_duplicate_rate_delivers_some_events_twice_reproducibly(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    hooked_sandbox.configure(duplicate_rate=0.5, seed=7)
    charges(hooked_sandbox.state, 20)
    assert hooked_sandbox.flush_webhooks()

    counts = Counter(receiver.ids())
    doubled = sorted(count for count in counts.values() if count == 2)

    assert set(counts) == stored_event_ids(hooked_client)
    assert 0 < len(doubled) < 3 * 20
    assert set(counts.values()) <= {1, 2}


def test_reordering_shuffles_deliveries_but_still_delivers_every_event(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    hooked_sandbox.configure(reorder=True, reorder_window=10, seed=3)
    charges(hooked_sandbox.state, 15)
    assert hooked_sandbox.flush_webhooks()

    emitted = [r["id"] for r in hooked_sandbox.state.store.all("event")]
    received = receiver.ids()

    assert sorted(received) == sorted(emitted)
    assert received != emitted


def test_dropped_events_are_never_delivered_but_still_listed_and_recoverable(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    hooked_sandbox.configure(drop_rate=0.5, seed=11)
    charges(hooked_sandbox.state, 20)
    assert hooked_sandbox.flush_webhooks()

    stored = stored_event_ids(hooked_client)
    delivered = set(receiver.ids())
    undelivered = stored_event_ids(hooked_client, delivery_success=False)

    assert len(stored) == 3 * 20
    assert 0 < len(delivered) < 3 * 20
    assert delivered < stored
    assert undelivered == stored - delivered
    assert stored_event_ids(hooked_client, delivery_success=True) == delivered
    assert hooked_sandbox.dispatcher.stats()["dropped"] == 3 * 20 - len(delivered)


def test_a_receiver_answering_500_gets_the_event_again_until_it_accepts(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    receiver.respond = lambda event, attempt: 500 if attempt <= 2 else 200
    hooked_sandbox.state.create_charge(2500)

    assert hooked_sandbox.flush_webhooks()

    stored = stored_event_ids(hooked_client)
    assert set(receiver.ids()) == stored
    assert all(receiver.attempts[event_id] == 3 for event_id in stored)
    log = hooked_sandbox.dispatcher.deliveries()
    assert sorted(entry["status"] for entry in log if entry["event"] == log[0]["event"]) == [
        200,
        500,
        500,
    ]


def test_delivery_gives_up_after_max_attempts_to_an_unreachable_endpoint(
    hooked_sandbox: SandboxServer,
):
    hooked_sandbox.configure(webhook_url="http://127.0.0.1:9/unreachable", max_attempts=3)
    hooked_sandbox.state.create_charge(2500)

    assert hooked_sandbox.flush_webhooks(timeout=10)

    stats = hooked_sandbox.dispatcher.stats()
    assert stats["delivered"] == 0
    assert stats["abandoned"] == 3  # payment_intent.created, charge.succeeded, ..succeeded
    assert stats["failed_attempts"] == 9


def test_delay_holds_each_delivery_back(hooked_sandbox: SandboxServer, receiver: Receiver):
    hooked_sandbox.configure(delay_ms=300)
    started = time.monotonic()
    hooked_sandbox.state.create_charge(2500)

    assert hooked_sandbox.flush_webhooks()

    assert time.monotonic() - started >= 0.3
    assert len(receiver.ids()) == 3


def test_events_can_be_resent_through_the_control_api(
    hooked_client: stripe.StripeClient, hooked_sandbox: SandboxServer, receiver: Receiver
):
    hooked_sandbox.configure(drop_rate=1.0)
    hooked_sandbox.state.create_charge(2500)
    assert hooked_sandbox.flush_webhooks()
    assert receiver.ids() == []
    event_id = hooked_client.v1.events.list(params={"type": "charge.succeeded"}).data[0].id

    hooked_sandbox.control.resend_event(event_id)
    assert hooked_sandbox.control.flush_webhooks()

    assert receiver.ids() == [event_id]


def test_no_webhook_url_means_no_delivery_and_no_pending_webhooks(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    sandbox.state.create_charge(2500)

    assert sandbox.flush_webhooks(timeout=1)
    assert client.v1.events.list().data[0].pending_webhooks == 0
    assert sandbox.dispatcher.stats()["delivered"] == 0
