"""Bulk creation for benchmarks."""

from __future__ import annotations

import stripe

from stripe_sandbox.money import card_fee
from stripe_sandbox.server import SandboxServer


def test_it_bulk_creates_a_hundred_thousand_charges(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    result = sandbox.control.bulk_create_charges(100_000, amount=2000)

    summary = sandbox.control.summary()
    usd = summary["currencies"]["usd"]
    assert result["count"] == 100_000
    assert summary["counts"]["charge"] == 100_000
    assert summary["counts"]["balance_transaction"] == 100_000
    assert summary["counts"].get("event", 0) == 0
    assert usd["charge_count"] == 100_000
    assert usd["gross_charged"] == 200_000_000
    assert usd["fees"] == 100_000 * card_fee(2000)
    newest = client.v1.charges.list(params={"limit": 100, "expand": ["data.balance_transaction"]})
    assert newest.has_more is True
    assert newest.data[0].id == result["last_charge"]
    assert newest.data[0].balance_transaction.net == 2000 - card_fee(2000)
    oldest = client.v1.charges.list(params={"limit": 1, "ending_before": newest.data[-1].id})
    assert oldest.data  # the cursor works deep inside a large list


def test_bulk_charges_can_emit_events(client: stripe.StripeClient, sandbox: SandboxServer):
    sandbox.state.bulk_create_charges(50, emit_events=True)

    types = [e.type for e in client.v1.events.list(params={"limit": 100}).auto_paging_iter()]

    assert sorted(set(types)) == ["charge.succeeded", "payment_intent.succeeded"]
    assert len(types) == 100
