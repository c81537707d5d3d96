"""A small Python client for the ``/_sandbox/`` control API.

Tests that run the sandbox in another process (``python -m stripe_sandbox``) drive
it with this; tests that run it in-process can use the same client through
``SandboxServer.control``, or call ``SandboxServer.state`` directly. Standard library only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .cards import DEFAULT_CARD


class SandboxControlError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        super().__init__(f"{status}: {error.get('message', body)}")
        self.status = status
        self.body = body
        self.error = error


class SandboxControl:
    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - base_url is the sandbox
            f"{self.base_url}/_sandbox{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"error": {"message": raw.decode("utf-8", "replace")}}
            raise SandboxControlError(exc.code, payload) from None

    def _post(self, path: str, **body: Any) -> Any:
        return self.request("POST", path, {k: v for k, v in body.items() if v is not None})

    # Configuration and time
    def config(self) -> dict[str, Any]:
        return self.request("GET", "/config")

    def configure(self, **values: Any) -> dict[str, Any]:
        """Switches by name, plus ``webhook_url`` / ``webhook_secret``."""
        return self.request("POST", "/config", values)

    def reset(self, switches: bool = False) -> None:
        self.request("POST", "/reset", {"switches": switches})

    def now(self) -> int:
        return self.request("GET", "/clock")["now"]

    def advance_clock(self, seconds: int = 0, days: int = 0) -> int:
        return self.request("POST", "/clock/advance", {"seconds": seconds, "days": days})["now"]

    def freeze_clock(self, at: int | None = None) -> dict[str, Any]:
        return self._post("/clock/freeze", at=at)

    # Money movements
    def create_charge(self, amount: int = 2500, currency: str = "usd", **options: Any) -> dict:
        """Options: card, description, metadata, email, name, emit_events."""
        return self._post("/charges", amount=amount, currency=currency, **options)

    def refund(self, charge_id: str, amount: int | None = None, **options: Any) -> dict:
        """Options: reason, metadata, fail."""
        return self._post(f"/charges/{charge_id}/refund", amount=amount, **options)

    def fail_refund(self, refund_id: str, reason: str | None = None) -> dict:
        return self._post(f"/refunds/{refund_id}/fail", reason=reason)

    def dispute(self, charge_id: str, amount: int | None = None, reason: str | None = None):
        return self._post(f"/charges/{charge_id}/dispute", amount=amount, reason=reason)

    def close_dispute(self, dispute_id: str, outcome: str) -> dict:
        return self._post(f"/disputes/{dispute_id}/close", outcome=outcome)

    def renew_subscription(self, subscription_id: str, fail: bool | None = None) -> dict:
        return self._post(f"/subscriptions/{subscription_id}/renew", fail=fail)

    def settle_payment(self, payment_intent_id: str, outcome: str | None = None) -> dict:
        """Finish a processing bank debit; without ``outcome`` the test account decides."""
        return self._post(f"/payment_intents/{payment_intent_id}/settle", outcome=outcome)

    def reverse_payment(self, payment_intent_id: str, failure_code: str | None = None) -> dict:
        """A settled bank debit is returned by the bank (``payment_failure_refund``)."""
        return self._post(
            f"/payment_intents/{payment_intent_id}/reverse", failure_code=failure_code
        )

    def pay_checkout_session(self, session_id: str, card: str = DEFAULT_CARD, **kw):
        """Options: name, email, account_number (pay by ACH Direct Debit instead)."""
        return self._post(f"/checkout/sessions/{session_id}/pay", card=card, **kw)

    def portal_update_card(self, session_id: str, card: str = DEFAULT_CARD) -> dict:
        """The donor enters ``card`` on the customer portal (402 if it declines)."""
        return self._post(f"/billing_portal/sessions/{session_id}/card", card=card)

    def portal_cancel(self, session_id: str, subscription_id: str) -> dict:
        """The donor cancels ``subscription_id`` on the customer portal."""
        return self._post(
            f"/billing_portal/sessions/{session_id}/cancel", subscription=subscription_id
        )

    def create_payout(self, amount: int | None = None, outcome: str = "paid", **kw) -> dict:
        """Options: currency, metadata. Without amount: an automatic payout of the balance."""
        return self._post("/payouts", amount=amount, outcome=outcome, **kw)

    def adjust_balance(self, amount: int, type: str = "reserve_hold", currency: str = "usd"):
        """A reserve or minimum-balance hold or its release, or a top-up or its return."""
        return self._post("/balance/adjustments", amount=amount, type=type, currency=currency)

    def pay_payout(self, payout_id: str) -> dict:
        return self._post(f"/payouts/{payout_id}/pay")

    def fail_payout(self, payout_id: str) -> dict:
        return self._post(f"/payouts/{payout_id}/fail")

    # Observation
    def summary(self) -> dict[str, Any]:
        return self.request("GET", "/summary")

    def flush_webhooks(self, timeout: float = 10.0) -> bool:
        return self._post("/webhooks/flush", timeout=timeout)["flushed"]

    def deliveries(self) -> dict[str, Any]:
        return self.request("GET", "/webhooks/deliveries")

    def resend_event(self, event_id: str) -> dict[str, Any]:
        return self._post(f"/events/{event_id}/resend")
