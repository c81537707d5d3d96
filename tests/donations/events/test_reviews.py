"""A Radar review is listed for staff while it is open (https://docs.stripe.com/radar/reviews)."""

import pytest

from donations.events.risk import handle_review
from donations.models import Discrepancy, DiscrepancyStatus

pytestmark = pytest.mark.django_db


def test_an_open_review_is_listed_and_closes_when_stripe_closes_it():
    review = {"id": "prv_1", "object": "review", "charge": "ch_1", "open": True,
              "reason": "rule", "closed_reason": None}  # fmt: skip

    handle_review(review)
    assert Discrepancy.objects.get(kind="radar_review").status == DiscrepancyStatus.OPEN

    handle_review({**review, "open": False, "reason": "approved", "closed_reason": "approved"})
    closed = Discrepancy.objects.get(kind="radar_review")
    assert closed.status == DiscrepancyStatus.RESOLVED
    assert closed.resolution_note == "Stripe closed the review (approved)."
