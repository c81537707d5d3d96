"""Stripe's request rate limits, as the SDK and a plain client meet them.

Stripe counts requests per second per account and per endpoint ("each named API operation":
``GET /v1/charges/{id}`` for every id is one endpoint) and answers a request over either
limit with 429, code ``rate_limit``, naming the limit in ``Stripe-Rate-Limited-Reason``
(https://docs.stripe.com/rate-limits).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import stripe

from stripe_sandbox.limits import RateLimits
from stripe_sandbox.server import SandboxServer


def _get(sandbox: SandboxServer, path: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        sandbox.url + path, headers={"Authorization": "Bearer sk_test_limits"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_an_endpoint_over_its_limit_is_answered_429_while_others_still_pass(
    sandbox: SandboxServer, client: stripe.StripeClient
):
    charge = sandbox.control.create_charge(amount=2500)["charge"]
    sandbox.configure(endpoint_rate_limit=3)

    statuses = [_get(sandbox, f"/v1/charges/{charge['id']}")[0] for _ in range(3)]
    status, headers, body = _get(sandbox, f"/v1/charges/{charge['id']}")

    assert statuses == [200, 200, 200]
    assert status == 429
    assert headers["Stripe-Rate-Limited-Reason"] == "endpoint-rate"
    assert body["error"]["code"] == "rate_limit"
    assert body["error"]["type"] == "invalid_request_error"
    # Another endpoint has its own bucket.
    assert _get(sandbox, "/v1/balance")[0] == 200
    with pytest.raises(stripe.RateLimitError) as error:
        client.v1.charges.retrieve(charge["id"])
    assert error.value.http_status == 429


def test_the_account_limit_counts_every_endpoint(sandbox: SandboxServer):
    sandbox.configure(account_rate_limit=4)
    paths = ["/v1/balance", "/v1/charges", "/v1/payouts", "/v1/events"]

    statuses = [_get(sandbox, path)[0] for path in paths]
    status, headers, _ = _get(sandbox, "/v1/balance_transactions")

    assert statuses == [200] * 4
    assert status == 429
    assert headers["Stripe-Rate-Limited-Reason"] == "global-rate"


def test_the_summary_counts_requests_per_endpoint(sandbox: SandboxServer):
    charge = sandbox.control.create_charge(amount=2500)["charge"]
    sandbox.configure(endpoint_rate_limit=1)

    for _ in range(3):
        _get(sandbox, f"/v1/charges/{charge['id']}")

    counts = sandbox.control.summary()["api_requests"]
    assert counts["GET /v1/charges/{id}"] == {"served": 1, "rate_limited": 2}


def test_a_bucket_refills_at_the_limit_and_a_refused_request_uses_no_token():
    now = [100.0]
    limits = RateLimits(clock=lambda: now[0])

    def admitted() -> bool:
        try:
            limits.admit("GET /v1/balance", account_limit=0, endpoint_limit=2)
        except Exception as error:  # noqa: BLE001 - the sandbox's 429
            assert error.status == 429
            return False
        return True

    assert [admitted() for _ in range(3)] == [True, True, False]
    now[0] += 0.5  # half a second at 2/s: one token back
    assert [admitted() for _ in range(2)] == [True, False]
    now[0] += 10  # never more than one second's burst
    assert [admitted() for _ in range(3)] == [True, True, False]
    assert limits.stats() == {"GET /v1/balance": {"served": 5, "rate_limited": 3}}
