"""The one door to Stripe. Nothing else in the project imports ``stripe``.

Every call goes through the official SDK (its pinned API version is the one our webhook
endpoint is set to), and comes back as plain ``dict``s so the rest of the code never
depends on SDK classes. Stripe's errors become the typed errors of
``donations.exceptions``: ``StripeUnavailable`` for what a retry may fix (rate limits,
server errors, network), ``StripeObjectMissing`` for a 404, ``StripeGatewayError`` for the
rest.

Stripe limits requests per second per account and per endpoint and answers 429 above
either (https://docs.stripe.com/rate-limits), which the SDK does not retry. Every call here
waits and asks again, with exponential backoff and full jitter, up to
``STRIPE_RATE_LIMIT_RETRIES`` times, before it gives up with ``StripeUnavailable``.
"""

from __future__ import annotations

import functools
import json
import random
import time
from typing import Any

import requests
import stripe
from django.conf import settings

from donations.exceptions import (
    StripeGatewayError,
    StripeObjectMissing,
    StripeUnavailable,
    WebhookRejected,
)

API_VERSION = stripe.api_version


@functools.cache
def _client_for(api_key: str, api_base: str, timeout: float, proxy: str) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    # The proxy comes from settings, not from the environment on every request (requests
    # would read proxy variables anew for each call, a measurable share of each read).
    session = requests.Session()
    session.trust_env = False
    return stripe.StripeClient(
        api_key,
        base_addresses=base,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=timeout, session=session, proxy=proxy or None),
    )


def client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT,
        settings.STRIPE_PROXY,
    )


def _plain(obj: Any) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _call(fn, *args, **kwargs) -> dict:
    return _plain(_call_raw(fn, *args, **kwargs))


def _get(path: str, params: dict | None = None) -> dict:
    """A GET through the SDK (auth, version, retries, errors) answered as plain JSON.

    Reconciliation and event processing read thousands of objects; building the SDK's
    typed objects and converting them back to dicts would cost more than the request.
    """
    response = _call_raw(client().raw_request, "get", path, **(params or {}))
    return json.loads(response.body)


def retry_wait(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (0-based) after a 429 here, or an outage in
    reconciliation: "full jitter", a
    random share of a ceiling that doubles from ``STRIPE_RETRY_BACKOFF`` up to 8 s, so
    clients limited together do not come back together."""
    ceiling = min(8.0, settings.STRIPE_RETRY_BACKOFF * 2**attempt)
    return random.uniform(0, ceiling)  # noqa: S311 - timing, not secrecy


def _call_raw(fn, *args, **kwargs):
    attempt = 0
    while True:
        try:
            return fn(*args, **kwargs)
        except stripe.RateLimitError as error:
            if attempt >= settings.STRIPE_RATE_LIMIT_RETRIES:
                raise StripeUnavailable("Stripe unavailable: rate limited") from error
            time.sleep(retry_wait(attempt))
            attempt += 1
        except stripe.APIConnectionError as error:
            raise StripeUnavailable(f"Stripe unavailable: {type(error).__name__}") from error
        except stripe.APIError as error:
            raise StripeUnavailable(f"Stripe error {error.http_status}") from error
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:
                raise StripeObjectMissing(str(error.user_message or "not found")) from error
            raise StripeGatewayError(str(error.user_message or "invalid request")) from error
        except stripe.StripeError as error:
            name = type(error).__name__
            raise StripeGatewayError(f"Stripe refused the request: {name}") from error


def object_id(value) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


# Webhooks ---------------------------------------------------------------------------------


def webhook_secrets() -> list[str]:
    """``STRIPE_WEBHOOK_SECRET``: one signing secret, or several separated by commas while
    one is rolled (https://docs.stripe.com/webhooks#roll-endpoint-secrets)."""
    return [s.strip() for s in settings.STRIPE_WEBHOOK_SECRET.split(",") if s.strip()]


def live_mode() -> bool:
    """Whether the secret key is a live one: events of the other mode are not ours."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def _signed_at(signature: str) -> int | None:
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) < 12:
            return int(value)
    return None


def verify_webhook(payload: bytes, signature: str | None) -> dict:
    """Check the Stripe-Signature header against each signing secret, its timestamp in
    both directions (https://docs.stripe.com/webhooks#verify-manually: a signed timestamp
    guards against replays, so one far in the future is refused as one far in the past
    is), and the event's shape; returns the parsed event."""
    if not signature:
        raise WebhookRejected("missing signature")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WebhookRejected("malformed body") from error
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE
    for secret in webhook_secrets():
        try:
            stripe.WebhookSignature.verify_header(text, signature, secret, tolerance=tolerance)
            break
        except stripe.SignatureVerificationError as error:
            if "tolerance" in str(error):
                raise WebhookRejected("stale timestamp") from error
    else:
        raise WebhookRejected("bad signature")
    signed_at = _signed_at(signature)
    if signed_at is None or signed_at > time.time() + tolerance:
        raise WebhookRejected("future timestamp")
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise WebhookRejected("malformed JSON") from error
    if not isinstance(event, dict) or event.get("object") != "event" or not event.get("id"):
        raise WebhookRejected("not an event")
    if not _well_formed(event):
        raise WebhookRejected("malformed event")
    return event


def _well_formed(event: dict) -> bool:
    """The fields the project reads, of the types Stripe documents for an Event
    (https://docs.stripe.com/api/events/object)."""
    data = event.get("data")
    return (
        isinstance(event["id"], str)
        and len(event["id"]) <= 255
        and isinstance(event.get("type"), str)
        and type(event.get("created")) is int
        and isinstance(event.get("livemode", False), bool)
        and isinstance(event.get("api_version") or "", str)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )


# Checkout ---------------------------------------------------------------------------------


def create_checkout_session(*, params: dict, idempotency_key: str) -> dict:
    return _call(
        client().v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def create_product(*, params: dict, idempotency_key: str) -> dict:
    return _call(
        client().v1.products.create, params=params, options={"idempotency_key": idempotency_key}
    )


def retrieve_checkout_session(session_id: str) -> dict:
    return _call(client().v1.checkout.sessions.retrieve, session_id)


# Money objects ----------------------------------------------------------------------------


def retrieve_charge(charge_id: str) -> dict:
    return _get(f"/v1/charges/{_path_id(charge_id)}", {"expand": ["balance_transaction"]})


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    return _call(
        client().v1.payment_intents.retrieve,
        payment_intent_id,
        params={"expand": ["latest_charge.balance_transaction"]},
    )


def retrieve_invoice(invoice_id: str) -> dict:
    return _call(client().v1.invoices.retrieve, invoice_id, params={"expand": ["payments"]})


def retrieve_refund(refund_id: str) -> dict:
    return _call(
        client().v1.refunds.retrieve,
        refund_id,
        params={"expand": ["balance_transaction"]},
    )


def retrieve_dispute(dispute_id: str) -> dict:
    return _call(client().v1.disputes.retrieve, dispute_id)


def retrieve_early_fraud_warning(warning_id: str) -> dict:
    return _call(client().v1.radar.early_fraud_warnings.retrieve, warning_id)


def create_refund(*, charge_id: str, reason: str, idempotency_key: str) -> dict:
    return _call(
        client().v1.refunds.create,
        params={"charge": charge_id, "reason": reason},
        options={"idempotency_key": idempotency_key},
    )


def retrieve_payout(payout_id: str) -> dict:
    return _call(
        client().v1.payouts.retrieve,
        payout_id,
        params={"expand": ["balance_transaction"]},
    )


def balance_transaction(value: dict | str | None) -> dict | None:
    """A balance transaction field as Stripe sent it: expanded already, or read by its id."""
    if value and not isinstance(value, dict):
        return retrieve_balance_transaction(value)
    return value or None


def retrieve_balance_transaction(balance_transaction_id: str) -> dict:
    return _get(f"/v1/balance_transactions/{_path_id(balance_transaction_id)}")


def retrieve_balance() -> dict:
    return _call(client().v1.balance.retrieve)


def list_balance_transactions(params: dict) -> dict:
    """One page (Stripe list object) of balance transactions, newest first."""
    return _get("/v1/balance_transactions", params)


def list_payouts(params: dict) -> dict:
    return _get("/v1/payouts", params)


def list_events(params: dict) -> dict:
    return _get("/v1/events", params)


def _path_id(object_id: str) -> str:
    """Object ids go into URL paths: refuse anything that is not a plain Stripe id."""
    if not object_id or not all(ch.isalnum() or ch == "_" for ch in object_id):
        raise StripeGatewayError("malformed Stripe object id")
    return object_id


# Subscriptions ----------------------------------------------------------------------------


def retrieve_subscription(subscription_id: str) -> dict:
    return _call(client().v1.subscriptions.retrieve, subscription_id)


def cancel_subscription(subscription_id: str, *, idempotency_key: str) -> dict:
    return _call(
        client().v1.subscriptions.cancel,
        subscription_id,
        options={"idempotency_key": idempotency_key},
    )


def create_portal_session(*, customer_id: str, return_url: str, locale: str) -> dict:
    """A short-lived link into Stripe's customer portal, where a donor updates the card of
    their monthly gift or stops it (https://docs.stripe.com/api/customer_portal/sessions/create).
    Portal sessions cannot be read back, so there is nothing to make idempotent: a second
    press opens a second, equally short-lived session."""
    return _call(
        client().v1.billing_portal.sessions.create,
        params={"customer": customer_id, "return_url": return_url, "locale": locale},
    )
