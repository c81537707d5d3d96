"""A drain takes a claimed batch of charge events together: one database transaction for
the charges, the books' batch path for their balance transactions. The result must be the
same as processing them one by one, and one bad event must not hold up the others."""

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone

from donations import services
from donations.models import EventStatus, StripeCharge, StripeEvent
from donations.services import stripe_event_store, stripe_events_drain
from ledger.models import JournalTransaction
from tests.donations.conftest import WEBHOOK_SECRET, assert_books_match_sandbox

pytestmark = pytest.mark.django_db


def _store_charge_events(sandbox) -> list[dict]:
    events = [
        sandbox.state.retrieve("event", e["id"])
        for e in sandbox.state.store.all("event")
        if e["type"] == "charge.succeeded"
    ]
    for event in events:
        stripe_event_store(event)
    return events


def test_a_batch_of_charge_events_posts_each_charge_once(sandbox):
    for amount in (1000, 2500, 2500, 10000, 700):
        sandbox.state.create_charge(amount)
    events = _store_charge_events(sandbox)
    # The same charge announced twice (a charge.updated after its charge.succeeded).
    again = dict(events[0], id="evt_again", type="charge.updated")
    stripe_event_store(again)

    assert stripe_events_drain() == 6

    assert StripeCharge.objects.count() == 5
    assert JournalTransaction.objects.filter(kind="donation").count() == 5
    assert set(StripeEvent.objects.values_list("status", "attempts")) == {
        (EventStatus.PROCESSED, 1)
    }
    assert_books_match_sandbox(sandbox)
    assert stripe_events_drain() == 0


def test_one_missing_charge_fails_alone_and_the_rest_are_posted(sandbox):
    for amount in (1000, 2000, 3000):
        sandbox.state.create_charge(amount)
    events = _store_charge_events(sandbox)
    ghost = dict(events[0], id="evt_ghost")
    ghost["data"] = {"object": dict(events[0]["data"]["object"], id="ch_does_not_exist")}
    stripe_event_store(ghost)

    stripe_events_drain()

    assert StripeEvent.objects.get(event_id="evt_ghost").status == EventStatus.FAILED
    assert StripeEvent.objects.filter(status=EventStatus.PROCESSED).count() == 3
    assert JournalTransaction.objects.filter(kind="donation").count() == 3
    assert_books_match_sandbox(sandbox)


@pytest.mark.redis
def test_the_drain_flag_on_redis_is_the_cache_key_django_would_use(settings):
    from django.core.cache import caches

    from donations import services

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": "drain-flag-test",
        }
    }
    cache = caches["default"]
    cache.delete(services.DRAIN_FLAG)

    assert services._drain_flag("add") is True
    assert services._drain_flag("add") is False  # already scheduled
    assert cache.get(services.DRAIN_FLAG) == 1
    assert services._drain_flag("delete") is True
    assert cache.get(services.DRAIN_FLAG) is None


def test_a_claim_whose_worker_died_is_taken_again_after_the_timeout(sandbox, settings):
    sandbox.state.create_charge(1500)
    _store_charge_events(sandbox)
    claimed = services.stripe_events_claim()
    assert len(claimed) == 1 and services.stripe_events_claim() == []  # claimed: not taken twice

    # The worker that claimed it died; after the timeout the next drain takes it.
    StripeEvent.objects.update(
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.STRIPE_EVENT_CLAIM_TIMEOUT + 1)
    )
    assert stripe_events_drain() == 1
    assert StripeEvent.objects.get().status == EventStatus.PROCESSED
    assert_books_match_sandbox(sandbox)


def test_a_webhook_is_stored_and_answered_when_the_drain_cannot_be_scheduled(
    client, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def broker_down(op):
        raise ConnectionError("broker restarting")

    monkeypatch.setattr(services, "_drain_flag", broker_down)
    body = json.dumps(
        {
            "id": "evt_while_down",
            "object": "event",
            "type": "charge.succeeded",
            "created": int(time.time()),
            "data": {"object": {"id": "ch_1"}},
        }
    ).encode()
    stamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=f"t={stamp},v1={mac.hexdigest()}",
        )

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == EventStatus.RECEIVED  # for the next drain
    assert "could not schedule a drain now: ConnectionError" in caplog.text


def test_processed_events_lose_their_donor_details_after_the_retention_period(sandbox, settings):
    sandbox.state.create_charge(1500, email="kept-too-long@example.org", name="Dana Donor")
    _store_charge_events(sandbox)
    stripe_events_drain()
    StripeEvent.objects.create(
        event_id="evt_failed",
        type="charge.succeeded",
        stripe_created=timezone.now(),
        payload={"id": "evt_failed", "data": {"object": {"billing": "Dana Donor"}}},
        status=EventStatus.FAILED,
    )
    later = timezone.now() + dt.timedelta(days=settings.STRIPE_EVENT_RETENTION_DAYS + 1)

    assert services.stripe_events_trim(now=timezone.now()) == 0  # too recent
    assert services.stripe_events_trim(now=later) == 1
    assert services.stripe_events_trim(now=later) == 0

    processed = StripeEvent.objects.get(status=EventStatus.PROCESSED)
    assert processed.payload == {"trimmed": True} and processed.type == "charge.succeeded"
    # A failed event keeps its copy: staff still need to retry it.
    assert "Dana Donor" in json.dumps(StripeEvent.objects.get(event_id="evt_failed").payload)
    assert_books_match_sandbox(sandbox)


def test_a_webhook_within_the_grace_of_an_assured_drain_skips_the_flag(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls, clock = [], [100.0]
    monkeypatch.setattr(services, "_drain_assured_at", -float("inf"))
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(services, "_drain_flag", lambda op: calls.append(op) or True)
    monkeypatch.setattr("donations.tasks.drain_stripe_events.delay", lambda: calls.append("task"))

    services.schedule_drain()
    clock[0] += services._GRACE / 2
    services.schedule_drain()  # a drain is already assured to start after the first
    clock[0] += services._GRACE
    services.schedule_drain()

    assert calls == ["add", "task", "add", "task"]


def test_a_drain_claims_once_more_after_the_grace_before_it_ends(sandbox, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sandbox.state.create_charge(1000)
    sandbox.state.create_charge(2000)
    first, late = [
        sandbox.state.retrieve("event", e["id"])
        for e in sandbox.state.store.all("event")
        if e["type"] == "charge.succeeded"
    ]
    stripe_event_store(first)
    sleeps = []

    def sleep(seconds):
        # Meanwhile a webhook that counted on this drain stores its event.
        sleeps.append(seconds)
        if len(sleeps) == 1:
            stripe_event_store(late)

    monkeypatch.setattr(services.time, "sleep", sleep)

    assert stripe_events_drain() == 2
    assert sleeps and sleeps[0] > services._GRACE
    assert StripeEvent.objects.filter(status=EventStatus.PROCESSED).count() == 2
    assert_books_match_sandbox(sandbox)
