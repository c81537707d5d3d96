"""The hot paths keep answering when the database drops a web process's connection (a
restart, a failover, ``pg_terminate_backend``): the public pages get a new connection at
the next request (Django's health check), and the webhook's insert replaces the dropped
connection and asks again (donations.database), instead of failing until Django closes the
connection at the end of the request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction

from donations.intake.services import stripe_event_store
from donations.models import StripeEvent
from ledger.public.releases import releases_publish_due

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


def test_the_public_pages_answer_the_first_request_after_a_dropped_connection(
    drop_connection, client, post
):
    post([("assets:bank", 125_000), ("income:donations", -125_000)], kind="offline_gift")
    releases_publish_due(today=dt.date(2026, 4, 30))  # March's release
    client.get("/")  # the connection is open and in use by this process
    drop_connection()

    close_old_connections()  # as Django does when the next request starts (the test client
    # leaves it out, to keep the test's connection)
    # Each request rebuilds the documents from the database (the tests' refresh is 0).
    home = client.get("/")
    document = client.get("/transparency.json")
    page = client.get("/transparency/")

    assert (home.status_code, document.status_code, page.status_code) == (200, 200, 200)
    assert "$1,250.00" in home.content.decode()  # money raised, read live
    assert document.json()["latest_release"] == "2026-03"


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
    stripe_event_store(_event(1))
    with pytest.raises(OperationalError), transaction.atomic():
        drop_connection()
        stripe_event_store(_event(2))
    assert not connection.in_atomic_block
