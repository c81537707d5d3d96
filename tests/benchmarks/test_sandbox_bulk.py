"""The benchmarks' bulk loading of the Stripe sandbox (``benchmarks/_sandbox.py``)."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks._sandbox import BenchmarkSandbox, bulk_create_charges
from stripe_sandbox import SandboxControlError, SandboxServer
from stripe_sandbox.money import card_fee


@pytest.fixture
def sandbox():
    server = BenchmarkSandbox(port=0, webhook_url=None).start()
    yield server
    server.stop()


def test_the_bulk_route_creates_succeeded_charges_without_events(sandbox: BenchmarkSandbox):
    result = sandbox.control.request("POST", "/charges/bulk", {"count": 300, "amount": 2000})

    summary = sandbox.control.summary()
    usd = summary["currencies"]["usd"]
    assert (result["count"], usd["charge_count"]) == (300, 300)
    assert summary["counts"]["balance_transaction"] == 300
    assert "event" not in summary["counts"]
    assert result["gross"] == usd["gross_charged"] == 300 * 2000
    assert result["fees"] == usd["fees"] == 300 * card_fee(2000)
    charges = sandbox.state.store.all("charge")
    assert (result["first_charge"], result["last_charge"]) == (charges[0]["id"], charges[-1]["id"])


def test_bulk_charges_can_emit_their_events(sandbox: BenchmarkSandbox):
    bulk_create_charges(sandbox.state, 50, emit_events=True)

    types = Counter(event["type"] for event in sandbox.state.store.all("event"))

    assert types == {
        "payment_intent.created": 50,
        "charge.succeeded": 50,
        "payment_intent.succeeded": 50,
    }


def test_the_bulk_route_validates_its_body(sandbox: BenchmarkSandbox):
    for body in ({"count": 0}, {"count": 10, "colour": "red"}, {"count": 10, "amount": -1}):
        with pytest.raises(SandboxControlError) as error:
            sandbox.control.request("POST", "/charges/bulk", body)
        assert error.value.status == 400


def test_the_sandbox_itself_has_no_bulk_route():
    with (
        SandboxServer(port=0, webhook_url=None) as plain,
        pytest.raises(SandboxControlError) as error,
    ):
        plain.control.request("POST", "/charges/bulk", {"count": 1})

    assert error.value.status == 404
