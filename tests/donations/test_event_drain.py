"""A drain takes a claimed batch of charge events together: one database transaction for
the charges, the books' batch path for their balance transactions. The result must be the
same as processing them one by one, and one bad event must not hold up the others."""

import pytest

from donations.models import EventStatus, StripeCharge, StripeEvent
from donations.services import stripe_event_store, stripe_events_drain
from ledger.models import JournalTransaction
from tests.donations.conftest import assert_books_match_sandbox

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
