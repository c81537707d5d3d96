"""Stripe's webhook: verify an event, store it once, and make sure a drain will process it.

Stored events are the queue (``donations.events.drain`` claims them). Storing is one
statement that does nothing for an id already stored, so Stripe's redeliveries cost no
error and no rollback.
"""

from __future__ import annotations

import datetime as dt
import logging

import psycopg
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from donations import stripe_gateway
from donations.database import on_a_live_connection
from donations.exceptions import (
    WebhookRejected,
)
from donations.models import (
    EventStatus,
    StripeEvent,
)
from donations.retention.privacy import event_payload_to_store

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 1024 * 1024


def stripe_event_record(
    *, payload: bytes, signature: str | None
) -> tuple[StripeEvent | None, bool]:
    """Verify and store an event once. Returns (event, created); a new event makes sure a
    drain is scheduled after commit. An event of the other mode (a test event reaching a
    live site, or the reverse) is acknowledged and not stored: (None, False)."""
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise WebhookRejected("body too large")
    data = stripe_gateway.verify_webhook(payload, signature)
    if bool(data.get("livemode")) != stripe_gateway.live_mode():
        logger.info("ignored a %s-mode event", "live" if data.get("livemode") else "test")
        return None, False
    event, created = stripe_event_store(data, raw=payload)
    if created:
        # Outside a transaction this runs at once, the row being committed already.
        transaction.on_commit(schedule_drain)
    return event, created


# Stored events are the queue. A webhook does not publish a task per event: it makes sure
# a drain is scheduled. The drain deletes the flag before it claims anything, so an event
# stored after a drain's last claim always schedules another one.
DRAIN_FLAG = "stripe-events:drain-scheduled"
DRAIN_FLAG_TIMEOUT = 30  # a flag whose task was lost frees itself; beat drains meanwhile


def drain_flag_set() -> bool:
    """Mark a drain as scheduled; False when one already was (it will see the event)."""
    return cache.add(DRAIN_FLAG, 1, timeout=DRAIN_FLAG_TIMEOUT)


def drain_flag_clear() -> None:
    """A drain starting: events stored from now on schedule another one."""
    cache.delete(DRAIN_FLAG)


def schedule_drain() -> None:
    """Make sure a drain will run. The event is already stored: if the cache or the broker
    is down for a moment, the drain that beat runs every minute picks it up instead, so
    the webhook still answers 200."""
    from donations.tasks import drain_stripe_events

    try:
        # Set or already set, the flag means a drain will start after now.
        if drain_flag_set():
            drain_stripe_events.delay()
    except Exception as error:  # noqa: BLE001 - the stored event is not lost
        logger.warning("could not schedule a drain now: %s", type(error).__name__)


_INSERT_EVENT = """
INSERT INTO donations_stripeevent
    (event_id, type, api_version, livemode, stripe_created, received_at, payload,
     status, attempts, last_error)
VALUES (%s, %s, %s, %s, %s, %s, {payload}, %s, 0, '')
ON CONFLICT (event_id) DO NOTHING
RETURNING id
"""


def stripe_event_store(data: dict, *, raw: bytes | None = None) -> tuple[StripeEvent, bool]:
    """Store an event (verified, or read from Stripe's API) once by its id. ``raw`` is the
    JSON text it was parsed from, stored as it came unless ``donations.retention.privacy``
    strips it.

    One statement, in autocommit when the caller holds no transaction: an insert that does
    nothing when the id is already stored, so a duplicate costs no error and no rollback.
    """
    created_at = dt.datetime.fromtimestamp(int(data.get("created") or 0), tz=dt.UTC)
    payload = event_payload_to_store(data, raw)
    cast = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    params = [
        data["id"],
        str(data.get("type", ""))[:100],
        str(data.get("api_version") or "")[:40],
        bool(data.get("livemode")),
        created_at,
        timezone.now(),
        payload,
        EventStatus.RECEIVED,
    ]
    if connection.vendor == "postgresql":
        # Server-side binding, prepared once per connection: the payload (a kilobyte or
        # more) is sent as a parameter instead of being quoted into the statement text.
        # A connection the database dropped is replaced and the insert sent again (it
        # stores nothing twice), instead of answering Stripe with an error.
        def insert() -> tuple | None:
            connection.ensure_connection()
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
                cur.execute(_INSERT_EVENT.format(payload=cast), params, prepare=True)
                return cur.fetchone()

        row = on_a_live_connection(insert)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_EVENT.format(payload=cast), params)
            row = cursor.fetchone()
    if row is None:
        return StripeEvent.objects.get(event_id=data["id"]), False
    event = StripeEvent(
        pk=row[0],
        event_id=data["id"],
        type=params[1],
        status=EventStatus.RECEIVED,
    )
    return event, True
