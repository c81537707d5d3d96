"""Through the real broker: webhook → Redis → a Celery worker → the books."""

import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from donations.models import EventStatus, StripeEvent
from ledger.selectors import account_balances
from tests.donations.conftest import assert_books_match_sandbox

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    broker = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        broker_url=broker,
        result_backend=None,
        task_always_eager=False,
        broker_connection_retry_on_startup=True,
        # A queue of its own: no other worker on this Redis takes these tasks.
        task_default_queue=f"test-{uuid.uuid4().hex}",
    )
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    celery_app.conf.update(saved)


def test_events_queued_on_redis_are_processed_by_a_worker_into_the_books(live_sandbox, worker):
    for amount in (1000, 2500, 4000):
        live_sandbox.state.create_charge(amount)
    assert live_sandbox.flush_webhooks(timeout=20)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not StripeEvent.objects.exclude(
            status__in=[EventStatus.PROCESSED, EventStatus.IGNORED]
        ).exists():
            break
        time.sleep(0.2)

    assert account_balances()["income:donations"] == -7500
    assert_books_match_sandbox(live_sandbox)
