"""Donations end to end over real HTTP: our form, the sandbox's checkout page, signed
webhooks back to our endpoint, events processed into the books, the thank-you page."""

import pytest
from django.core import mail

from donations.models import Donation, EventStatus, StripeCharge, StripeEvent
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from tests.donations.conftest import assert_books_match_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_one_time_gift_reaches_the_books_and_the_thank_you_page(live_sandbox, donor):
    thanks_url = donor.give(amount_choice="5000")
    assert live_sandbox.flush_webhooks(timeout=20)

    assert donor.status_on_thanks_page(thanks_url) == "succeeded"
    donation = Donation.objects.get()
    assert donation.amount == 5000 and donation.status == "succeeded"
    charge = StripeCharge.objects.get()
    assert charge.donation == donation and charge.fee == 175
    books = account_balances()
    assert books["income:donations"] == -5000
    assert books["expenses:processing_fees"] == 175
    assert books["assets:stripe"] == 4825
    assert_books_match_sandbox(live_sandbox)
    assert not StripeEvent.objects.filter(status=EventStatus.FAILED).exists()
    assert len(mail.outbox) == 1 and "$50.00" in mail.outbox[0].body
    assert verify_ledger().ok


def test_a_gift_with_fees_covered_leaves_the_whole_gift_to_the_fund(live_sandbox, donor):
    donor.give(amount_choice="5000", cover_fees="on")
    assert live_sandbox.flush_webhooks(timeout=20)

    donation = Donation.objects.get()
    assert donation.gift_amount == 5000
    assert donation.amount == 5181  # ceil((5000 + 30) / 0.971)
    books = account_balances()
    assert -books["income:donations"] - books["expenses:processing_fees"] >= 5000
    assert_books_match_sandbox(live_sandbox)


def test_a_monthly_gift_renews_three_times_with_a_receipt_each_time(live_sandbox, donor):
    thanks_url = donor.give(amount_choice="2500", frequency="monthly")
    assert live_sandbox.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    assert donation.subscription_id
    assert donor.status_on_thanks_page(thanks_url) == "succeeded"

    for _ in range(3):
        live_sandbox.state.renew_subscription(donation.subscription_id)
    assert live_sandbox.flush_webhooks(timeout=20)

    assert StripeCharge.objects.filter(donation=donation).count() == 4
    assert account_balances()["income:donations"] == -4 * 2500
    assert len(mail.outbox) == 4
    assert "/donate/monthly/stop/" in mail.outbox[-1].body
    assert_books_match_sandbox(live_sandbox)


def test_a_donor_stops_a_monthly_gift_from_the_receipt_link(live_sandbox, donor):
    donor.give(amount_choice="2500", frequency="monthly")
    assert live_sandbox.flush_webhooks(timeout=20)
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/donate/monthly/stop/" in line
    ).strip()

    page = donor.http.get(link, timeout=10)
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    stopped = donor.http.post(
        link, data={"csrfmiddlewaretoken": token}, headers={"Referer": link}, timeout=10
    )
    assert live_sandbox.flush_webhooks(timeout=20)

    assert stopped.status_code == 200 and "is stopped" in stopped.text
    donation = Donation.objects.get()
    assert donation.status == "cancelled"
    subscription = live_sandbox.state.store.require(donation.subscription_id, "subscription")
    assert subscription["status"] == "canceled"


def test_a_charge_from_outside_our_page_is_still_a_donation_in_the_books(live_sandbox):
    live_sandbox.state.create_charge(12300)
    assert live_sandbox.flush_webhooks(timeout=20)

    assert StripeCharge.objects.get().donation is None
    assert account_balances()["income:donations"] == -12300
    assert_books_match_sandbox(live_sandbox)


def test_a_declined_card_posts_nothing_and_the_donation_stays_open(live_sandbox, donor):
    donor.give(card="4000000000000002")
    assert live_sandbox.flush_webhooks(timeout=20)

    assert Donation.objects.get().status == "pending"
    assert not any(account_balances().values())
