"""A donor gives through the browser: our donation form, the sandbox's checkout page (a
stand-in for Stripe Checkout), back to the thank-you page, which turns to succeeded once
Stripe's webhooks have been processed."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from donations.models import Donation
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from tests.donations.conftest import assert_books_match_sandbox
from tests.e2e.conftest import expect, give

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def see_it_succeed(page, screenshots) -> None:
    status = page.locator("#donation-status")
    # The sandbox holds its webhooks back a moment, so the donor first sees the page wait.
    expect(status).to_have_attribute("data-status", re.compile("^(created|pending)$"))
    expect(status).to_have_text("being confirmed")
    screenshots.take(page, "thanks-being-confirmed")
    # The page reloads itself every few seconds until the webhooks have been processed.
    expect(status).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(status).to_have_text("succeeded")
    expect(page.get_by_text("A receipt is on its way to your email.")).to_be_visible()
    screenshots.take(page, "thanks-succeeded")


def sentence_with_status(page) -> str:
    return page.locator("p", has=page.locator("#donation-status")).inner_text()


def test_a_donor_gives_once_and_sees_the_gift_succeed(people, site, screenshots):
    site.configure(delay_ms=2000)
    page = people()

    give(page, screenshots, amount="$50.00")
    see_it_succeed(page, screenshots)

    assert "Your gift of $50.00" in sentence_with_status(page)
    assert site.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    assert (donation.amount, donation.frequency, donation.status) == (5000, "once", "succeeded")
    books = account_balances()
    assert books["income:donations"] == -5000
    assert books["expenses:processing_fees"] == 175
    assert books["assets:stripe"] == 4825
    assert_books_match_sandbox(site)
    assert len(mail.outbox) == 1 and "$50.00" in mail.outbox[0].body
    assert verify_ledger().ok
    assert people.problems.seen == []


def test_a_donor_gives_monthly_and_sees_the_gift_succeed(people, site, screenshots):
    site.configure(delay_ms=2000)
    page = people()

    give(page, screenshots, amount="$25.00", monthly=True)
    see_it_succeed(page, screenshots)

    assert "Your monthly gift of $25.00" in sentence_with_status(page)
    assert site.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    assert (donation.amount, donation.frequency, donation.status) == (2500, "monthly", "succeeded")
    assert donation.subscription_id
    assert account_balances()["income:donations"] == -2500
    assert_books_match_sandbox(site)
    assert len(mail.outbox) == 1 and "/donate/monthly/stop/" in mail.outbox[0].body
    assert verify_ledger().ok
    assert people.problems.seen == []
