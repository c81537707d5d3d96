"""Scheduling the drain: one drain scheduled at a time, another once it starts, and a
webhook answered even when no drain can be scheduled."""

import pytest

from donations.intake.services import drain_flag_clear, schedule_drain
from donations.models import EventStatus, StripeEvent
from tests.donations.conftest import WEBHOOK_SECRET, event_body, stripe_signature

pytestmark = pytest.mark.django_db


@pytest.mark.redis
def test_the_drain_flag_on_redis_is_the_cache_key_django_would_use(settings):
    from django.core.cache import caches

    from donations.intake.services import DRAIN_FLAG, drain_flag_clear, drain_flag_set

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": "drain-flag-test",
        }
    }
    cache = caches["default"]
    cache.delete(DRAIN_FLAG)

    assert drain_flag_set() is True
    assert drain_flag_set() is False  # already scheduled
    assert cache.get(DRAIN_FLAG) == 1
    drain_flag_clear()
    assert cache.get(DRAIN_FLAG) is None


def test_a_webhook_is_stored_and_answered_when_the_drain_cannot_be_scheduled(
    client, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def broker_down():
        raise ConnectionError("broker restarting")

    monkeypatch.setattr("donations.intake.services.drain_flag_set", broker_down)
    body = event_body("evt_while_down", "charge.succeeded", {"id": "ch_1"})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(body),
        )

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == EventStatus.RECEIVED  # for the next drain
    assert "could not schedule a drain now: ConnectionError" in caplog.text


def test_one_drain_is_scheduled_until_it_starts_then_the_next_event_schedules_another(
    settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    tasks = []
    monkeypatch.setattr("donations.tasks.drain_stripe_events.delay", lambda: tasks.append(1))
    drain_flag_clear()

    schedule_drain()
    schedule_drain()  # a drain is already scheduled: it will see this event too
    assert len(tasks) == 1

    drain_flag_clear()  # the drain starts; an event stored from now on needs another
    schedule_drain()
    assert len(tasks) == 2
