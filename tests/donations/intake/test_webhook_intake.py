"""POST /stripe/webhook/: signed, fresh, well-formed, bounded events are stored once."""

import json
import time

import pytest

from donations.models import EventStatus, StripeEvent
from tests.donations.conftest import WEBHOOK_SECRET, event_body, stripe_signature

pytestmark = pytest.mark.django_db

URL = "/stripe/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def _event(event_id="evt_1", type_="customer.created", **extra):
    return event_body(event_id, type_, {"id": "cus_1", "object": "customer"}, **extra)


def _post(client, payload: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(URL, data=payload, content_type="application/json", **headers)


def test_a_signed_event_is_stored_once_and_processed_after_commit(
    client, django_capture_on_commit_callbacks
):
    payload = _event()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, payload, stripe_signature(payload))

    assert response.status_code == 200
    assert len(callbacks) == 1
    event = StripeEvent.objects.get()
    assert event.event_id == "evt_1"
    assert event.status == EventStatus.IGNORED  # a type we do not handle
    assert event.attempts == 1


def test_a_duplicate_delivery_answers_2xx_and_is_not_processed_again(
    client, django_capture_on_commit_callbacks
):
    payload = _event()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, payload, stripe_signature(payload))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, payload, stripe_signature(payload))

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": True}
    assert callbacks == []
    assert StripeEvent.objects.get().attempts == 1


@pytest.mark.parametrize(
    ("make_signature", "reason"),
    [
        (lambda payload: None, "missing signature"),
        (lambda payload: "", "missing signature"),
        (lambda payload: stripe_signature(payload, secret="whsec_someone_else"), "bad signature"),
        (lambda payload: stripe_signature(payload) + "0", "bad signature"),
        (lambda payload: "t=1,v1=nonsense", "bad signature"),
        (
            lambda payload: stripe_signature(payload, timestamp=int(time.time()) - 3600),
            "stale timestamp",
        ),
        (lambda payload: "garbage", "bad signature"),
        (
            lambda payload: stripe_signature(payload, timestamp=int(time.time()) + 3600),
            "future timestamp",
        ),
    ],
)
def test_a_badly_signed_request_gets_a_400_and_stores_nothing(client, make_signature, reason):
    payload = _event()
    response = _post(client, payload, make_signature(payload))

    assert response.status_code == 400
    assert response.content.decode() == reason
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[]", json.dumps({"object": "event"}).encode(), "é".encode("latin-1")],
)
def test_a_malformed_body_gets_a_400_and_stores_nothing(client, payload):
    response = _post(client, payload, stripe_signature(payload))

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_body_over_one_megabyte_gets_a_413_and_stores_nothing(client):
    payload = _event(padding="x" * (1024 * 1024))
    response = _post(client, payload, stripe_signature(payload))

    assert response.status_code == 413
    assert not StripeEvent.objects.exists()


def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405
    assert not StripeEvent.objects.exists()


def test_the_answer_leaks_nothing_about_the_secret_or_the_event(client):
    payload = _event()
    response = _post(client, payload, stripe_signature(payload, secret="whsec_wrong"))

    assert WEBHOOK_SECRET not in response.content.decode()
    assert "evt_1" not in response.content.decode()


def test_the_webhook_skips_the_middlewares_only_pages_need(client, settings):
    payload = _event("evt_lean")

    response = _post(client, payload, stripe_signature(payload))

    assert response.status_code == 200 and StripeEvent.objects.filter(event_id="evt_lean").exists()
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Frame-Options"] == "DENY" and response["X-Request-ID"]
    assert "Content-Security-Policy" in response
    assert client.get("/stripe/webhook/").status_code == 405
    settings.ALLOWED_HOSTS = ["fund.example.org"]
    assert (
        _post(client, payload, stripe_signature(payload)).status_code == 400
    )  # the host is checked


@pytest.mark.parametrize(
    "case",
    ["signed", "badly signed", "duplicate", "too large", "GET"],
)
def test_the_webhook_answers_as_the_whole_stack_would(client, settings, case):
    """The shortcut that skips the pages' middlewares (config.middleware) changes nothing
    Stripe sees: the same status, body and headers as the whole stack gives."""

    def answer(event_id):
        payload = _event(event_id)
        if case == "too large":
            payload = payload + b" " * (1024 * 1024)
        signature = stripe_signature(
            payload, secret="whsec_wrong" if case == "badly signed" else WEBHOOK_SECRET
        )
        if case == "duplicate":
            _post(client, payload, signature)
        response = client.get(URL) if case == "GET" else _post(client, payload, signature)
        return (
            response.status_code,
            response.content,
            {h: response.get(h) for h in ("Content-Type", "Content-Length", "X-Frame-Options")},
        )

    shortcut = answer("evt_shortcut")
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "config.middleware.StatelessRoutesMiddleware"
    ]
    plain = answer("evt_plain")

    assert shortcut == plain
    stored = set(StripeEvent.objects.values_list("event_id", flat=True))
    assert stored == ({"evt_shortcut", "evt_plain"} if case in ("signed", "duplicate") else set())


@pytest.mark.parametrize(
    "field",
    [
        {"created": "yesterday"},
        {"created": None},
        {"created": True},
        {"type": 7},
        {"id": 42},
        {"id": "evt_" + "x" * 300},
        {"livemode": "no"},
        {"data": []},
        {"data": {"object": "ch_1"}},
        {"api_version": 2026},
    ],
)
def test_a_signed_event_with_a_malformed_field_gets_a_400_and_stores_nothing(client, field):
    """The types of https://docs.stripe.com/api/events/object; a 500 before."""
    payload = json.dumps({**json.loads(_event()), **field}).encode()

    response = _post(client, payload, stripe_signature(payload))

    assert (response.status_code, response.content.decode()) in {
        (400, "malformed event"),
        (400, "not an event"),
    }
    assert not StripeEvent.objects.exists()


def test_an_event_of_the_other_mode_is_acknowledged_and_not_stored(client, settings):
    """A test-mode event reaching a live site (or the reverse) is not the fund's money."""
    payload = _event("evt_live", livemode=True)  # this site runs with a test key

    response = _post(client, payload, stripe_signature(payload))

    assert response.status_code == 200
    assert response.json() == {"received": True, "ignored": "other mode"}
    assert not StripeEvent.objects.exists()
    settings.STRIPE_SECRET_KEY = "sk_live_example"
    assert _post(client, payload, stripe_signature(payload)).json()["duplicate"] is False
    assert StripeEvent.objects.get().event_id == "evt_live"


def test_while_a_secret_is_rolled_events_signed_with_either_are_taken(client, settings):
    """https://docs.stripe.com/webhooks#roll-endpoint-secrets: both secrets sign for a while."""
    settings.STRIPE_WEBHOOK_SECRET = f"whsec_new, {WEBHOOK_SECRET}"
    old, new, other = _event("evt_old"), _event("evt_new"), _event("evt_other")

    assert _post(client, old, stripe_signature(old)).status_code == 200
    assert _post(client, new, stripe_signature(new, secret="whsec_new")).status_code == 200
    refused = _post(client, other, stripe_signature(other, secret="whsec_gone"))

    assert (refused.status_code, refused.content.decode()) == (400, "bad signature")
    assert set(StripeEvent.objects.values_list("event_id", flat=True)) == {"evt_old", "evt_new"}
