"""The control API, configuration, and running the sandbox as a module."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import stripe

from stripe_sandbox import SandboxControl, SandboxControlError
from stripe_sandbox.server import SandboxServer

from .conftest import T0, line_item

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_switches_are_configurable_and_validated_through_the_control_api(
    sandbox: SandboxServer,
):
    control = sandbox.control

    config = control.configure(drop_rate=0.25, reorder=True, seed=5, webhook_url=None)

    assert config["switches"]["drop_rate"] == 0.25
    assert config["switches"]["reorder"] is True
    assert config["switches"]["seed"] == 5
    assert config["webhook_url"] is None
    for bad in ({"drop_rate": 2}, {"no_such_switch": 1}, {"duplicates": 0}, {"reorder": "yes"}):
        with pytest.raises(SandboxControlError) as error:
            control.configure(**bad)
        assert error.value.status == 400


def test_the_clock_advances_and_reports_through_the_control_api(sandbox: SandboxServer):
    control = sandbox.control

    assert control.now() == T0
    assert control.advance_clock(days=2, seconds=5) == T0 + 2 * 86_400 + 5
    with pytest.raises(SandboxControlError):
        control.advance_clock(seconds=-1)


def test_reset_forgets_every_object(client: stripe.StripeClient, sandbox: SandboxServer):
    charge = sandbox.control.create_charge(1000)["charge"]["id"]

    sandbox.control.reset()

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.charges.retrieve(charge)
    assert client.v1.events.list().data == []
    assert sandbox.control.summary()["currencies"] == {}


def test_a_declined_outside_charge_answers_402_with_the_decline(sandbox: SandboxServer):
    with pytest.raises(SandboxControlError) as error:
        sandbox.control.create_charge(1000, card="4000000000009995")

    assert error.value.status == 402
    assert error.value.error["type"] == "card_error"
    assert error.value.error["decline_code"] == "insufficient_funds"
    assert error.value.error["charge"].startswith("ch_")


def test_control_errors_name_the_bad_parameter(sandbox: SandboxServer):
    with pytest.raises(SandboxControlError) as unknown:
        sandbox.control.request("POST", "/charges", {"amount": 100, "colour": "red"})
    with pytest.raises(SandboxControlError) as missing:
        sandbox.control.refund("ch_nope")
    with pytest.raises(SandboxControlError) as route:
        sandbox.control.request("GET", "/nowhere")

    assert (unknown.value.status, unknown.value.error["param"]) == (400, "colour")
    assert missing.value.status == 404
    assert route.value.status == 404


def test_the_receipt_page_shows_the_charge(sandbox: SandboxServer):
    charge = sandbox.control.create_charge(1234, description="<b>Gift</b>")["charge"]

    page = requests.get(charge["receipt_url"], timeout=10)

    assert page.status_code == 200
    assert "12.34 USD" in page.text
    assert "&lt;b&gt;Gift&lt;/b&gt;" in page.text


def test_the_package_imports_without_django_or_the_stripe_sdk():
    code = (
        "import sys, stripe_sandbox, stripe_sandbox.__main__;"
        "bad = [m for m in ('stripe', 'django') if m in sys.modules];"
        "print(','.join(bad))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_dash_m_serves_the_api_configured_from_the_environment():
    port = _free_port()
    env = {
        **os.environ,
        "STRIPE_WEBHOOK_SECRET": "whsec_from_env",
        "SANDBOX_WEBHOOK_URL": "",
        "SANDBOX_PUBLIC_URL": "http://donate.localhost:9999",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_sandbox", "--port", str(port), "--switch", "slow_ms=1"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        control = SandboxControl(f"http://127.0.0.1:{port}", timeout=5)
        for _ in range(100):
            try:
                config = control.config()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the sandbox did not start")
        client = stripe.StripeClient(
            "sk_test_cli", base_addresses={"api": f"http://127.0.0.1:{port}"}
        )
        session = client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [line_item(500, "Gift")]}
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert config["webhook_secret"] == "whsec_from_env"
    assert config["webhook_url"] is None
    assert config["switches"]["slow_ms"] == 1
    assert session.url.startswith("http://donate.localhost:9999/checkout/cs_test_")


def test_concurrent_requests_leave_consistent_state(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    from concurrent.futures import ThreadPoolExecutor

    def work(index: int) -> str:
        control = SandboxControl(sandbox.url)
        charge = control.create_charge(1000 + index)["charge"]["id"]
        client.v1.charges.list(params={"limit": 5})
        return charge

    with ThreadPoolExecutor(max_workers=8) as pool:
        charges = list(pool.map(work, range(80)))

    usd = sandbox.control.summary()["currencies"]["usd"]
    assert len(set(charges)) == 80
    assert usd["charge_count"] == 80
    assert usd["gross_charged"] == sum(1000 + i for i in range(80))
    listed = [c.id for c in client.v1.charges.list(params={"limit": 100}).data]
    assert sorted(listed) == sorted(charges)
