"""Covering the fee, by the way a donor pays: the fund's own rates per payment method
(``STRIPE_FEE_RATES``), Checkout offering exactly those methods, a cover that holds for the
costliest, and the fee Stripe really took, from the charge's balance transaction.

Stripe's standard US pricing: 2.9% + 30¢ per card payment, and 0.8% capped at $5.00 per
ACH Direct Debit (https://stripe.com/pricing); a Checkout Session offers the methods in
its ``payment_method_types`` (https://docs.stripe.com/api/checkout/sessions/create).
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from django.core import mail

from donations.checkout.fees import FeeRate, fee_covering_amount
from donations.models import Donation
from tests.config.test_deploy import ROOT, production_env
from tests.donations.conftest import donation_form

pytestmark = pytest.mark.django_db

CARD_AND_ACH = [("card", "2.9", 30, None), ("us_bank_account", "0.8", 0, 500)]


@pytest.mark.parametrize("gift", [100, 3500, 5000, 99_999, 5_000_000])
def test_the_cover_leaves_the_whole_gift_by_every_method_offered(settings, gift):
    settings.STRIPE_FEE_RATES = CARD_AND_ACH
    card = FeeRate("card", Decimal("2.9"), 30)
    ach = FeeRate("us_bank_account", Decimal("0.8"), 0, 500)

    charged = fee_covering_amount(gift)

    assert charged - card.fee(charged) >= gift
    assert charged - ach.fee(charged) >= gift
    assert charged == card.covering(gift)  # cards cost more at every one of these amounts


def test_a_capped_fee_never_asks_more_than_the_cap():
    ach = FeeRate("us_bank_account", Decimal("0.8"), 0, 500)

    assert ach.fee(1_000_000) == 500  # 0.8% of $10,000 would be $80
    assert ach.covering(1_000_000) == 1_000_500
    assert ach.covering(10_000) == 10_081  # ceil(10,000 / 0.992)


def test_checkout_offers_exactly_the_methods_the_fund_has_a_rate_for(client, sandbox, settings):
    settings.STRIPE_FEE_RATES = [("card", "2.9", 30, None)]

    assert client.post("/donate/", donation_form()).status_code == 303

    session = sandbox.state.store.require(
        Donation.objects.get().checkout_session_id, "checkout.session"
    )
    assert session["payment_method_types"] == ["card"]


def test_the_page_states_each_rate_and_works_the_cover_out_on_the_donors_amount(client, settings):
    settings.STRIPE_FEE_RATES = CARD_AND_ACH

    page = client.post(
        "/donate/", donation_form(amount_choice="custom", custom_amount="35", email="not-an-email")
    ).content.decode()

    assert "2.9% + $0.30 per card payment" in page
    assert "0.8% + $0.00, at most $5.00, per US bank debit (ACH)" in page
    assert "a $35.00 gift becomes $36.36" in page  # the amount typed, not a preset


def test_the_spanish_page_writes_the_rate_the_spanish_way(client):
    page = client.get("/donate/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "2,9 % + $0,30 por cada pago con tarjeta" in page


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ("card:2.9", "not method:percent:fixed[:cap]"),
        ("card:abc:30", "not method:percent:fixed[:cap]"),
        ("card:100:0", "not method:percent:fixed[:cap]"),
        ("card:2.9:30,card:3:0", "names each payment method once"),
    ],
)
def test_a_fee_rate_that_does_not_read_stops_the_site_from_starting(rates, message):
    result = _settings_loaded(STRIPE_FEE_RATES=rates)

    assert result.returncode != 0 and message in result.stderr


def test_the_settings_it_replaced_are_refused_with_what_to_set_instead():
    result = _settings_loaded(STRIPE_FEE_PERCENT="2.9")

    assert result.returncode != 0 and "STRIPE_FEE_RATES=card:2.9:30" in result.stderr


def _settings_loaded(**overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=dict(production_env(**overrides), DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_receipt_and_the_thank_you_page_state_the_fee_stripe_really_took(live_sandbox, donor):
    # $50.00 with the fee covered is $51.81; Stripe's balance transaction takes
    # 2.9% of it rounded, plus 30¢: $1.80, one cent less than the cover allowed for.
    thanks_url = donor.give(amount_choice="5000", cover_fees="on")
    assert live_sandbox.flush_webhooks(timeout=20)

    (receipt,) = mail.outbox
    assert "Stripe's fee: $1.80 (the fund received $50.01)" in receipt.body
    page = donor.http.get(thanks_url, timeout=10).text
    assert "kept $1.80 as its fee; the fund received $50.01" in page
