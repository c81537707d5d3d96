"""A monthly gift whose renewal does not go through: the gift shows it, the donor is told
once per invoice how to fix the card, and a fixed card brings the gift back.

Stripe sends ``invoice.payment_failed`` when a renewal is declined and
``invoice.payment_action_required`` when the donor's bank asks them to confirm it; the
subscription goes ``past_due`` while Stripe retries
(https://docs.stripe.com/billing/subscriptions/overview#failed-payments).
"""

import re
import time

import pytest
import requests
from django.core import mail

from donations.events.processing import stripe_event_process
from donations.intake.services import stripe_event_store
from donations.models import Donation, DonationStatus, StripeEvent
from ledger.books.selectors import account_balances
from tests.donations.conftest import assert_books_match_sandbox, given

pytestmark = pytest.mark.django_db(transaction=True)


def _monthly(live_sandbox, donor, **fields) -> Donation:
    donation = given(
        live_sandbox,
        donor,
        amount_choice="2500",
        frequency="monthly",
        email="ana@example.org",
        **fields,
    )
    assert donation.status == DonationStatus.SUCCEEDED and len(mail.outbox) == 1
    return donation


def _manage_link(body: str) -> str:
    return re.search(r"(http\S+/donate/monthly/stop/\S+/)", body).group(1)


def test_a_declined_renewal_marks_the_gift_past_due_and_tells_the_donor_once(live_sandbox, donor):
    donation = _monthly(live_sandbox, donor)

    invoice = live_sandbox.state.renew_subscription(donation.subscription_id, fail=True)
    assert live_sandbox.flush_webhooks(timeout=20)
    failed = StripeEvent.objects.get(type="invoice.payment_failed")
    live_sandbox.control.resend_event(failed.event_id)  # Stripe delivers at least once
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.PAST_DUE
    assert donation.renewal_notice_invoice_id == invoice["id"]
    notices = [m for m in mail.outbox if "did not go through" in m.subject]
    assert len(notices) == 1 and notices[0].to == ["ana@example.org"]
    body = notices[0].body
    assert "$25.00" in body and "declined" in body
    page = donor.http.get(_manage_link(body), timeout=10)
    assert 'data-status="past_due"' in page.text and 'id="update-card"' in page.text
    assert account_balances()["income:donations"] == -2500  # the renewal took nothing
    assert_books_match_sandbox(live_sandbox)


def test_a_notice_in_spanish_for_a_donor_who_gave_in_spanish(live_sandbox, donor):
    donor.http.cookies.set("django_language", "es")
    donation = _monthly(live_sandbox, donor)
    assert donation.language == "es"

    live_sandbox.state.renew_subscription(donation.subscription_id, fail=True)
    assert live_sandbox.flush_webhooks(timeout=20)

    (notice,) = mail.outbox[1:]
    assert notice.subject.startswith("Tu donación mensual")
    assert "tarjeta" in notice.body


def test_a_failed_payment_event_that_comes_after_the_invoice_was_paid_changes_nothing(
    live_sandbox, donor
):
    donation = _monthly(live_sandbox, donor)
    paid = live_sandbox.state.renew_subscription(donation.subscription_id)
    assert live_sandbox.flush_webhooks(timeout=20)
    # An old delivery of a failure for that invoice, processed after it was paid.
    event = {
        "id": "evt_late_failure",
        "object": "event",
        "type": "invoice.payment_failed",
        "created": paid["created"],
        "livemode": False,
        "data": {"object": paid},
    }
    stripe_event_store(event)
    stripe_event_process(event_pk=StripeEvent.objects.get(event_id="evt_late_failure").pk)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert not [m for m in mail.outbox if "did not go through" in m.subject]


def _press(donor, link: str, button_form_action: str) -> requests.Response:
    page = donor.http.get(f"{donor.site}/donate/", timeout=10)  # for the CSRF token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return donor.http.post(
        button_form_action,
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": link},
        allow_redirects=False,
        timeout=10,
    )


def test_a_donor_fixes_the_card_at_stripes_portal_and_the_gift_runs_again(live_sandbox, donor):
    # The customer portal (https://docs.stripe.com/api/customer_portal/sessions/create)
    # updates the card and pays the renewal that failed.
    donation = _monthly(live_sandbox, donor)
    live_sandbox.state.renew_subscription(donation.subscription_id, fail=True)
    assert live_sandbox.flush_webhooks(timeout=20)
    link = _manage_link(mail.outbox[-1].body)

    opened = _press(donor, link, link.replace("/monthly/stop/", "/monthly/card/"))

    assert opened.status_code == 303
    portal_url = opened.headers["Location"]
    assert "/p/session/bps_" in portal_url
    session_id = portal_url.rstrip("/").rsplit("/", 1)[1]
    live_sandbox.state.portal_update_card(session_id, "4242424242424242")
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert account_balances()["income:donations"] == -2 * 2500
    assert len([m for m in mail.outbox if "receipt" in m.subject]) == 2
    assert_books_match_sandbox(live_sandbox)


def test_the_portal_is_not_opened_for_a_stopped_gift_or_an_expired_link(
    live_sandbox, donor, settings
):
    donation = _monthly(live_sandbox, donor)
    link = _manage_link(mail.outbox[0].body)
    card = link.replace("/monthly/stop/", "/monthly/card/")
    live_sandbox.state.cancel_subscription(donation.subscription_id)
    assert live_sandbox.flush_webhooks(timeout=20)

    refused = _press(donor, link, card)

    assert refused.status_code == 400 and "Your monthly gift is stopped" in refused.text
    settings.STOP_LINK_MAX_AGE_DAYS = 0
    time.sleep(1)
    expired = donor.http.post(card, allow_redirects=False, timeout=10)
    assert expired.status_code in (303, 403)  # back to the gift's page, or CSRF refused
    assert "/p/session/" not in expired.headers.get("Location", "")
    assert "POST /v1/billing_portal/sessions" not in live_sandbox.control.summary()["api_requests"]


def test_a_renewal_waiting_for_the_bank_tells_the_donor_where_to_confirm_it(live_sandbox, donor):
    # 4000002760003184 asks for authentication on every payment: at Checkout the donor
    # gives it; a renewal, with no donor there, waits (invoice.payment_action_required).
    donation = _monthly(live_sandbox, donor, card="4000002760003184")

    invoice = live_sandbox.state.renew_subscription(donation.subscription_id)
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.PAST_DUE
    (notice,) = [m for m in mail.outbox if "did not go through" in m.subject]
    assert "your bank asks you to confirm it" in notice.body
    assert f"/i/{invoice['id']}" in notice.body  # Stripe's page for the invoice
    assert "/donate/monthly/stop/" in notice.body
    assert account_balances()["income:donations"] == -2500
