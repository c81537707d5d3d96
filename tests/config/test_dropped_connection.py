"""The hot paths keep answering when the database drops a web process's connection (a
restart, a failover, ``pg_terminate_backend``): the public figures' version query and the
webhook's insert replace the dropped connection and ask again (config.database), instead
of failing until Django closes the connection at the end of the request."""

from __future__ import annotations

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction

from donations.models import StripeEvent
from donations.services import stripe_event_store
from ledger.transparency import current_version

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _event(n: int) -> dict:
    return {
        "id": f"evt_dropped_{n}",
        "object": "event",
        "type": "charge.succeeded",
        "api_version": "2024-06-20",
        "created": 1764000000,
        "livemode": False,
        "data": {"object": {"id": f"ch_dropped_{n}", "object": "charge"}},
    }


def test_the_first_request_after_a_dropped_connection_reads_the_figures(drop_connection):
    before = current_version()
    drop_connection()

    close_old_connections()  # as Django does when the next request starts

    assert current_version().sequence == before.sequence


def test_the_request_that_meets_the_dropped_connection_reconnects_and_reads_the_figures(
    drop_connection,
):
    before = current_version()
    drop_connection()

    assert current_version().sequence == before.sequence
    assert not connection.errors_occurred  # the new connection is kept for the next request


def test_the_webhook_that_meets_the_dropped_connection_stores_its_event(drop_connection):
    stripe_event_store(_event(1))
    drop_connection()

    event, created = stripe_event_store(_event(2))

    assert created and StripeEvent.objects.get(pk=event.pk).event_id == "evt_dropped_2"
    assert stripe_event_store(_event(2))[1] is False  # and still only once
    assert StripeEvent.objects.count() == 2


def test_inside_a_transaction_a_dropped_connection_is_an_error_not_a_silent_reconnect(
    drop_connection,
):
    current_version()
    with pytest.raises(OperationalError), transaction.atomic():
        drop_connection()
        current_version()
