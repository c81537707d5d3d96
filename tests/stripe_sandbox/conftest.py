"""Fixtures: a sandbox on a free port, an SDK client pointed at it, and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from stripe_sandbox.server import SandboxServer

#: A fixed instant (2027-01-15 08:00 UTC) so ``created`` values are predictable.
T0 = 1_800_000_000
WEBHOOK_SECRET = "whsec_test_secret_for_sandbox_tests"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """A tiny webhook endpoint that records every delivery.

    ``respond`` decides the status code per delivery: ``(event, attempt_number) -> status``,
    where attempt_number counts deliveries of that event id so far (1-based).
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.respond: Callable[[dict[str, Any], int], int] = lambda event, attempt: 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event = json.loads(body)
                with receiver.lock:
                    attempt = receiver.attempts.get(event["id"], 0) + 1
                    receiver.attempts[event["id"]] = attempt
                status = receiver.respond(event, attempt)
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.received.append(Received(dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stripe/webhook/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [item.event for item in self.received]

    def ids(self) -> list[str]:
        return [event["id"] for event in self.events()]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox with a frozen clock and no webhook endpoint."""
    server = SandboxServer(port=0, clock_start=T0, webhook_secret=WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def hooked_sandbox(receiver: Receiver) -> Iterator[SandboxServer]:
    """A sandbox delivering webhooks to ``receiver`` with fast retries."""
    server = SandboxServer(
        port=0,
        clock_start=T0,
        webhook_url=receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        switches={"retry_base_ms": 5, "retry_max_ms": 20},
    ).start()
    yield server
    server.stop()


@pytest.fixture
def client(sandbox: SandboxServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_sandbox", base_addresses={"api": sandbox.url}, max_network_retries=0
    )


@pytest.fixture
def hooked_client(hooked_sandbox: SandboxServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_sandbox", base_addresses={"api": hooked_sandbox.url}, max_network_retries=0
    )


def line_item(amount: int, name: str, **price_data: Any) -> dict[str, Any]:
    """One ``price_data`` line item in USD (``recurring=...`` for a subscription)."""
    data = {"currency": "usd", "unit_amount": amount, "product_data": {"name": name}}
    return {"quantity": 1, "price_data": {**data, **price_data}}


def _session_params(mode: str, item: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "success_url": "https://fund.example/thanks?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://fund.example/donate",
        "line_items": [item],
        **rest,
    }


def donation_params(**overrides: Any) -> dict[str, Any]:
    """Checkout Session parameters for a one-off 25.00 USD donation."""
    params = _session_params(
        "payment",
        line_item(2500, "Donation to the bail fund"),
        metadata={"donation_id": "don_1"},
        payment_intent_data={"metadata": {"donation_id": "don_1"}},
        customer_email="donor@example.org",
        submit_type="donate",
    )
    return {**params, **overrides}


def monthly_params(**overrides: Any) -> dict[str, Any]:
    """Checkout Session parameters for a 10.00 USD monthly donation."""
    params = _session_params(
        "subscription",
        line_item(1000, "Monthly donation", recurring={"interval": "month"}),
        metadata={"pledge_id": "pl_1"},
        subscription_data={"metadata": {"pledge_id": "pl_1"}},
        customer_email="monthly@example.org",
    )
    return {**params, **overrides}


#: What paying an invoice emits, in this order (a subscription's first or a renewal).
INVOICE_PAID_EVENTS = [
    "invoice.created",
    "invoice.finalized",
    "charge.succeeded",
    "payment_intent.succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
]


def charges(state, count: int, amount: int = 1000) -> list[str]:
    """``count`` succeeded outside charges (three events each); their ids, oldest first."""
    return [state.create_charge(amount).charge for _ in range(count)]


def event_types(client: stripe.StripeClient, **params: Any) -> list[str]:
    """Types of all stored events, oldest first."""
    events = client.v1.events.list(params={"limit": 100, **params}).auto_paging_iter()
    return [event.type for event in events][::-1]
