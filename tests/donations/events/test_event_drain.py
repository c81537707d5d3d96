"""A drain takes a claimed batch of charge events together: one database transaction for
the charges, the books' batch path for their balance transactions. The result must be the
same as processing them one by one, and one bad event must not hold up the others."""

import datetime as dt

import pytest
from django.utils import timezone

from donations.events.drain import stripe_events_claim, stripe_events_drain
from donations.intake.services import stripe_event_store
from donations.models import EventStatus, StripeCharge, StripeEvent
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


def test_one_missing_balance_transaction_fails_alone_and_the_rest_are_posted(sandbox):
    for amount in (1000, 2000, 3000):
        sandbox.state.create_charge(amount)
    events = _store_charge_events(sandbox)
    ghost = dict(events[0], id="evt_ghost")
    ghost["data"] = {
        "object": dict(
            events[0]["data"]["object"],
            id="ch_does_not_exist",
            balance_transaction="txn_does_not_exist",
        )
    }
    stripe_event_store(ghost)

    stripe_events_drain()

    assert StripeEvent.objects.get(event_id="evt_ghost").status == EventStatus.FAILED
    assert StripeEvent.objects.filter(status=EventStatus.PROCESSED).count() == 3
    assert JournalTransaction.objects.filter(kind="donation").count() == 3
    assert_books_match_sandbox(sandbox)


def test_a_claim_whose_worker_died_is_taken_again_after_the_timeout(sandbox, settings):
    sandbox.state.create_charge(1500)
    _store_charge_events(sandbox)
    claimed = stripe_events_claim()
    assert len(claimed) == 1 and stripe_events_claim() == []  # claimed: not taken twice

    # The worker that claimed it died; after the timeout the next drain takes it.
    StripeEvent.objects.update(
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.STRIPE_EVENT_CLAIM_TIMEOUT + 1)
    )
    assert stripe_events_drain() == 1
    assert StripeEvent.objects.get().status == EventStatus.PROCESSED
    assert_books_match_sandbox(sandbox)
