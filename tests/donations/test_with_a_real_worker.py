"""Through the real broker: webhook → Redis → a Celery worker → the books."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from donations.models import EventStatus, StripeEvent
from ledger.books.selectors import account_balances
from tests.donations.conftest import assert_books_match_sandbox

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A worker thread consuming the configured broker (CELERY_BROKER_URL)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    celery_app.conf.task_always_eager = saved


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

    assert account_balances()["income:donations"] == -7500, list(
        StripeEvent.objects.values_list("type", "status", "last_error")
    )
    assert_books_match_sandbox(live_sandbox)
