"""What becomes of a gift after it succeeded: a refund or a dispute shows on the donation,
and a donor whose receipt went out gets a corrected one, in the language they gave in."""

import pytest
from django.core import mail

from donations.models import Donation, DonationStatus, StripeCharge
from tests.donations.conftest import assert_books_match_sandbox, given

pytestmark = pytest.mark.django_db(transaction=True)


def _given(live_sandbox, donor, **fields) -> Donation:
    donation = given(live_sandbox, donor, amount_choice="5000", email="ana@example.org", **fields)
    assert donation.status == DonationStatus.SUCCEEDED and len(mail.outbox) == 1
    return donation


def _charge_id(donation) -> str:
    return StripeCharge.objects.get(donation=donation).charge_id


def test_a_full_refund_marks_the_gift_refunded_and_corrects_the_receipt(live_sandbox, donor):
    donation = _given(live_sandbox, donor)

    live_sandbox.state.create_refund(charge=_charge_id(donation))
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED
    assert len(mail.outbox) == 2
    notice = mail.outbox[1]
    assert notice.subject.endswith("corrected receipt") and notice.to == ["ana@example.org"]
    assert "$50.00 was refunded to you" in notice.body and "your gift is now $0.00" in notice.body
    assert_books_match_sandbox(live_sandbox)


def test_a_partial_refund_keeps_the_gift_and_says_what_it_is_now(live_sandbox, donor):
    donation = _given(live_sandbox, donor)

    live_sandbox.state.create_refund(charge=_charge_id(donation), amount=2000)
    assert live_sandbox.flush_webhooks(timeout=20)
    live_sandbox.state.create_refund(charge=_charge_id(donation), amount=1000)
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    bodies = [m.body for m in mail.outbox[1:]]
    assert len(bodies) == 2  # one notice per refund, never the same twice
    assert "your gift is now $30.00" in bodies[0] and "your gift is now $20.00" in bodies[1]


def test_a_disputed_payment_shows_on_the_gift(live_sandbox, donor):
    donation = _given(live_sandbox, donor)

    live_sandbox.state.create_dispute(_charge_id(donation))
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.DISPUTED


def test_a_donor_who_gave_in_spanish_gets_receipts_in_spanish(live_sandbox, donor):
    donor.http.headers["Accept-Language"] = "es"
    donation = _given(live_sandbox, donor)
    assert donation.language == "es"
    receipt = mail.outbox[0]
    assert receipt.subject.endswith("recibo")
    assert "Gracias por tu donación" in receipt.body and "Monto: $50.00" in receipt.body

    live_sandbox.state.create_refund(charge=_charge_id(donation))
    assert live_sandbox.flush_webhooks(timeout=20)
    assert "se te reembolsaron $50.00" in mail.outbox[1].body


def test_an_early_fraud_warning_refunds_the_gift_before_a_dispute_can_cost_a_fee(
    live_sandbox, donor
):
    """https://docs.stripe.com/disputes/prevention/early-fraud-warnings"""
    donation = _given(live_sandbox, donor)

    live_sandbox.state.create_early_fraud_warning(_charge_id(donation))
    assert live_sandbox.flush_webhooks(timeout=20)
    assert live_sandbox.flush_webhooks(timeout=20)  # the refund's own events

    donation.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED
    refund = live_sandbox.state.store.all("refund")[0]
    assert refund["reason"] == "fraudulent"
    assert_books_match_sandbox(live_sandbox)


def test_with_review_set_an_early_fraud_warning_is_listed_for_staff(live_sandbox, donor, settings):
    from donations.models import Discrepancy

    settings.EARLY_FRAUD_WARNING_ACTION = "review"
    donation = _given(live_sandbox, donor)

    live_sandbox.state.create_early_fraud_warning(_charge_id(donation))
    assert live_sandbox.flush_webhooks(timeout=20)

    warning = Discrepancy.objects.get(kind="early_fraud_warning")
    assert warning.stripe_object == _charge_id(donation)
    assert "may be fraud" in warning.description
    assert not live_sandbox.state.store.all("refund")
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED


def test_a_refund_that_fails_later_gives_the_gift_back_its_success(live_sandbox, donor):
    donation = _given(live_sandbox, donor)
    refund = live_sandbox.state.create_refund(charge=_charge_id(donation))
    assert live_sandbox.flush_webhooks(timeout=20)
    donation.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED

    live_sandbox.state.fail_refund(refund["id"])
    assert live_sandbox.flush_webhooks(timeout=20)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert_books_match_sandbox(live_sandbox)
