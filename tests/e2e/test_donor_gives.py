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
    expect(status).to_contain_text("being confirmed")
    screenshots.take(page, "thanks-being-confirmed")
    # The page reloads itself every few seconds until the webhooks have been processed.
    expect(status).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(status).not_to_contain_text("being confirmed")
    expect(page.get_by_text("A receipt is on its way to your email.")).to_be_visible()
    screenshots.take(page, "thanks-succeeded")


def sentence_with_status(page) -> str:
    return page.locator("#donation-status").inner_text()


def test_a_donor_gives_once_and_sees_the_gift_succeed(people, site, screenshots):
    site.configure(delay_ms=2000)
    page = people()

    give(page, screenshots, amount="$50.00")
    see_it_succeed(page, screenshots)

    assert sentence_with_status(page) == "Your gift of $50.00 went through."
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

    assert sentence_with_status(page) == "Your monthly gift of $25.00 has started."
    assert site.flush_webhooks(timeout=20)
    donation = Donation.objects.get()
    assert (donation.amount, donation.frequency, donation.status) == (2500, "monthly", "succeeded")
    assert donation.subscription_id
    assert account_balances()["income:donations"] == -2500
    assert_books_match_sandbox(site)
    assert len(mail.outbox) == 1 and "/donate/monthly/stop/" in mail.outbox[0].body
    assert verify_ledger().ok
    assert people.problems.seen == []


def _checkout_total(page) -> str:
    expect(page.locator("#checkout-form")).to_be_visible()
    return page.locator("#total").inner_text()


def test_a_typed_amount_is_charged_even_with_a_preset_still_selected(people, site, screenshots):
    page = people()
    page.goto("/donate/")
    page.get_by_label("$50.00", exact=True).check()
    expect(page.locator("#give")).to_have_text("Give $50.00")
    page.get_by_label("Other amount").fill("35")

    # Typing selected "Other": the preset no longer decides the charge.
    expect(page.get_by_label("Other", exact=True)).to_be_checked()
    expect(page.get_by_label("$50.00", exact=True)).not_to_be_checked()
    page.get_by_label("Cover the card fees").check()
    screenshots.take(page, "donate-typed-amount")
    page.locator("#give").click()

    assert "36.36" in _checkout_total(page)  # $35.00 with the fee covered
    donation = Donation.objects.get()
    assert (donation.gift_amount, donation.amount) == (3500, 3636)
    assert people.problems.seen == []


def test_a_preset_chosen_after_typing_clears_the_typed_amount(people, site, screenshots):
    page = people()
    page.goto("/donate/")
    page.get_by_label("Other amount").fill("35")
    page.get_by_label("$100.00", exact=True).check()

    expect(page.get_by_label("Other amount")).to_have_value("")
    page.get_by_label("Monthly", exact=True).check()
    expect(page.locator("#give")).to_have_text("Give $100.00 monthly")
    page.locator("#give").click()

    _checkout_total(page)
    assert Donation.objects.get().gift_amount == 10000
    assert people.problems.seen == []


def test_a_spanish_donor_giving_35_comma_50_is_charged_35_dollars_50(people, site, screenshots):
    page = people(locale="es-ES")
    page.goto("/donate/")
    page.get_by_label("Otro monto").fill("35,50")
    screenshots.take(page, "donate-es-comma")
    page.locator("#give").click()

    assert "35.50" in _checkout_total(page)
    assert Donation.objects.get().gift_amount == 3550
    assert people.problems.seen == []


def test_a_donor_waiting_for_checkout_is_told_so_and_a_second_press_opens_nothing_more(
    people, site
):
    # Stripe slow to open Checkout (at a surge the server also waits out its rate limit).
    site.configure(slow_ms=1500)
    page = people()
    page.goto("/donate/")
    # Pressed twice, as an impatient donor does; read in the same moment, before the
    # browser leaves the page (Playwright's own locators wait for the navigation).
    pressed = page.evaluate(
        """() => {
            const form = document.querySelector("form.donate");
            const button = document.querySelector("#give");
            button.click();
            const waiting = [form.getAttribute("aria-busy"), button.textContent];
            button.click();
            return waiting;
        }"""
    )

    assert pressed == ["true", "One moment: opening secure payment…"]
    _checkout_total(page)
    assert Donation.objects.count() == 1
    opened = site.control.summary()["api_requests"]["POST /v1/checkout/sessions"]
    assert opened["served"] == 1  # the second press never reached the server
    assert people.problems.seen == []
