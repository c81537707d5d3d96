"""A monthly gift whose renewal does not go through: the gift shows it, the donor is told
once per invoice how to fix the card, and a fixed card brings the gift back.

Stripe sends ``invoice.payment_failed`` when a renewal is declined and
``invoice.payment_action_required`` when the donor's bank asks them to confirm it; the
subscription goes ``past_due`` while Stripe retries
(https://docs.stripe.com/billing/subscriptions/overview#failed-payments).
"""

import re

import pytest
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
