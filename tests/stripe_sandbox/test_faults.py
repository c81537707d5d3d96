"""API fault switches and authentication, as the SDK experiences them."""

from __future__ import annotations

import time
import uuid

import pytest
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import donation_params


@pytest.mark.parametrize(
    ("switch", "error_class", "status", "error_field", "expected"),
    [
        ("rate_limit_rate", stripe.RateLimitError, 429, "code", "rate_limit"),
        ("server_error_rate", stripe.APIError, 500, "type", "api_error"),
    ],
)
def test_the_fault_switches_answer_errors_the_sdk_recognises(
    client: stripe.StripeClient,
    sandbox: SandboxServer,
    switch: str,
    error_class: type,
    status: int,
    error_field: str,
    expected: str,
):
    sandbox.configure(**{switch: 1.0})

    with pytest.raises(error_class) as error:
        client.v1.balance.retrieve()

    assert error.value.http_status == status
    assert getattr(error.value.error, error_field) == expected


def test_fault_rates_are_reproducible_with_a_seed(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    def outcomes() -> list[str]:
        results = []
        for _ in range(30):
            try:
                client.v1.balance.retrieve()
                results.append("ok")
            except stripe.RateLimitError:
                results.append("429")
            except stripe.APIError:
                results.append("500")
        return results

    sandbox.configure(rate_limit_rate=0.3, server_error_rate=0.3, seed=42)
    first = outcomes()
    sandbox.configure(seed=42)
    second = outcomes()

    assert first == second
    assert {"ok", "429", "500"} <= set(first)


def test_an_idempotent_retry_after_a_500_executes_the_request_once(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    key = str(uuid.uuid4())
    sandbox.configure(server_error_rate=1.0)
    with pytest.raises(stripe.APIError):
        client.v1.checkout.sessions.create(
            params=donation_params(), options={"idempotency_key": key}
        )
    sandbox.configure(server_error_rate=0.0)

    first = client.v1.checkout.sessions.create(
        params=donation_params(), options={"idempotency_key": key}
    )
    again = client.v1.checkout.sessions.create(
        params=donation_params(), options={"idempotency_key": key}
    )

    assert first.id == again.id
    assert sandbox.state.store.count("checkout.session") == 1


def test_the_sdk_retries_through_intermittent_500s_with_its_own_idempotency_key(
    client: stripe.StripeClient, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
):
    from stripe._http_client import HTTPClient

    monkeypatch.setattr(HTTPClient, "INITIAL_DELAY", 0.01)
    retrying = stripe.StripeClient(
        "sk_test_sandbox", base_addresses={"api": sandbox.url}, max_network_retries=5
    )
    sandbox.configure(server_error_rate=0.5, seed=7)  # with this seed, two 500s come first
    with pytest.raises(stripe.APIError):
        client.v1.checkout.sessions.create(params=donation_params())
    sandbox.configure(seed=7)

    session = retrying.v1.checkout.sessions.create(params=donation_params())

    assert session.status == "open"
    assert sandbox.state.store.count("checkout.session") == 1


def test_the_slow_switch_delays_answers_and_trips_client_timeouts(sandbox: SandboxServer):
    impatient = stripe.StripeClient(
        "sk_test_sandbox",
        base_addresses={"api": sandbox.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.2),
    )
    patient = stripe.StripeClient(
        "sk_test_sandbox", base_addresses={"api": sandbox.url}, max_network_retries=0
    )
    sandbox.configure(slow_ms=500)

    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.balance.retrieve()
    started = time.monotonic()
    patient.v1.balance.retrieve()

    assert time.monotonic() - started >= 0.5


@pytest.mark.parametrize("key", ["sk_live_realkey1234", "pk_test_publishable", "rk_test_1"])
def test_only_test_secret_keys_are_accepted(sandbox: SandboxServer, key: str):
    wrong = stripe.StripeClient(key, base_addresses={"api": sandbox.url}, max_network_retries=0)

    with pytest.raises(stripe.AuthenticationError) as error:
        wrong.v1.balance.retrieve()

    assert error.value.http_status == 401
    assert key not in str(error.value)  # the key is masked


def test_a_request_without_a_key_is_a_401(sandbox: SandboxServer):
    import requests

    response = requests.get(f"{sandbox.url}/v1/balance", timeout=10)

    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"type", "code", "message", "param"}


def test_basic_auth_like_curl_u_is_accepted(sandbox: SandboxServer):
    import requests

    response = requests.get(f"{sandbox.url}/v1/balance", auth=("sk_test_curl", ""), timeout=10)

    assert response.status_code == 200
    assert response.json()["object"] == "balance"
    assert response.headers["Request-Id"].startswith("req_")


def test_an_unknown_endpoint_is_a_404_invalid_request(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.coupons.list()

    assert error.value.http_status == 404
    assert "Unrecognized request URL" in error.value.user_message
