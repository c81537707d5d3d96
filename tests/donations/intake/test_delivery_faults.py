"""Stripe delivers at least once, in any order: the books must not care."""

import pytest

from donations.models import EventStatus, StripeCharge, StripeEvent
from ledger.models import JournalTransaction
from tests.donations.conftest import a_fund_week, assert_books_match_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_event_three_times_in_shuffled_order_posts_everything_once(live_sandbox):
    live_sandbox.configure(duplicates=3, reorder=True, reorder_window=25, seed=7)
    a_fund_week(live_sandbox.state)
    assert live_sandbox.flush_webhooks(timeout=60)

    assert_books_match_sandbox(live_sandbox)
    assert StripeCharge.objects.count() == 13
    keys = list(JournalTransaction.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    assert not StripeEvent.objects.filter(status=EventStatus.FAILED).exists()
    deliveries = sum(1 for _ in live_sandbox.state.store.all("event"))
    assert StripeEvent.objects.count() == deliveries


def test_a_charge_whose_balance_transaction_comes_later_is_posted_once_it_exists(
    live_sandbox,
):
    live_sandbox.configure(late_balance_transaction=True)
    live_sandbox.state.create_charge(5000)
    assert live_sandbox.flush_webhooks(timeout=20)

    assert_books_match_sandbox(live_sandbox)
