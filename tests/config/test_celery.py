"""The Celery worker's database connections: reused from task to task, and replaced, as a
web request's are, when the database has dropped them (a restart, a failover,
``pg_terminate_backend``)."""

from __future__ import annotations

import pytest
from celery.signals import task_postrun, task_prerun
from django.db import OperationalError, connection

from donations.models import StripeEvent
from donations.tasks import process_stripe_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _task_boundary() -> None:
    """What the worker signals between one task and the next."""
    task = process_stripe_event
    task_postrun.send(sender=task, task_id="previous", task=task, args=(), kwargs={})
    task_prerun.send(sender=task, task_id="next", task=task, args=(), kwargs={})


def test_a_task_after_the_connection_was_dropped_between_tasks_gets_a_new_one(
    drop_connection,
):
    assert StripeEvent.objects.count() == 0
    drop_connection()

    _task_boundary()

    assert StripeEvent.objects.count() == 0


def test_a_task_after_one_that_met_the_dropped_connection_gets_a_new_one(drop_connection):
    assert StripeEvent.objects.count() == 0
    drop_connection()
    with pytest.raises(OperationalError):
        StripeEvent.objects.count()

    _task_boundary()

    assert StripeEvent.objects.count() == 0


def test_the_connection_is_kept_from_one_task_to_the_next():
    connection.ensure_connection()
    before = connection.connection

    _task_boundary()
    StripeEvent.objects.count()

    assert connection.connection is before
