"""A monthly donor whose card stopped working: the email says so, the gift's page opens
Stripe's customer portal (the imitation's), the donor types a new card there, comes back,
and the gift runs again. Every page on the way passes axe-core."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from donations.models import Donation, DonationStatus
from ledger.books.selectors import account_balances
from tests.donations.conftest import assert_books_match_sandbox
from tests.e2e.conftest import axe_violations, expect, give

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_monthly_donor_updates_the_card_through_the_portal(people, site, screenshots):
    page = people()
    give(page, screenshots, amount="$25.00", monthly=True)
    assert site.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    site.state.renew_subscription(donation.subscription_id, fail=True)
    assert site.flush_webhooks(timeout=20)
    (notice,) = [m for m in mail.outbox if "did not go through" in m.subject]
    link = re.search(r"(http\S+/donate/monthly/stop/\S+/)", notice.body).group(1)

    page.goto(link)
    expect(page.locator("#gift-state")).to_have_attribute("data-status", "past_due")
    assert axe_violations(page) == []
    screenshots.take(page, "monthly-past-due")
    page.locator("#update-card").click()

    expect(page.locator("#card-number")).to_be_visible()  # the portal, at "Stripe"
    assert axe_violations(page) == []
    screenshots.take(page, "portal")
    page.locator("#card-number").fill("4242424242424242")
    page.locator("#update-card").click()

    expect(page).to_have_url(re.compile(r"/donate/monthly/stop/"))  # back at the fund
    assert site.flush_webhooks(timeout=20)
    page.reload()
    expect(page.locator("#gift-state")).to_have_attribute("data-status", "succeeded")
    screenshots.take(page, "monthly-running-again")
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert account_balances()["income:donations"] == -2 * 2500
    assert_books_match_sandbox(site)
    assert people.problems.seen == []
