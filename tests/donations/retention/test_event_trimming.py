"""Processed Stripe events lose their donor details after the retention period; failed
ones keep them until staff retry them."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from donations.events.drain import stripe_events_drain
from donations.intake.services import stripe_event_store
from donations.models import EventStatus, StripeEvent
from donations.retention.erasure import stripe_events_trim
from tests.donations.conftest import assert_books_match_sandbox

pytestmark = pytest.mark.django_db


def _store_charge_events(sandbox) -> None:
    for e in sandbox.state.store.all("event"):
        if e["type"] == "charge.succeeded":
            stripe_event_store(sandbox.state.retrieve("event", e["id"]))


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

    assert stripe_events_trim(now=timezone.now()) == 0  # too recent
    assert stripe_events_trim(now=later) == 1
    assert stripe_events_trim(now=later) == 0

    processed = StripeEvent.objects.get(status=EventStatus.PROCESSED)
    assert processed.payload == {"trimmed": True} and processed.type == "charge.succeeded"
    # A failed event keeps its copy: staff still need to retry it.
    assert "Dana Donor" in json.dumps(StripeEvent.objects.get(event_id="evt_failed").payload)
    assert_books_match_sandbox(sandbox)
