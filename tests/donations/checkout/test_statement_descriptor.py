"""What a donor's bank statement shows, and the one Product every gift names.

Card payments show the account's prefix and a suffix set per payment
(``payment_intent_data[statement_descriptor_suffix]``); a subscription's payments show its
product's ``statement_descriptor`` (https://docs.stripe.com/get-started/account/statement-descriptors,
https://docs.stripe.com/api/products/create). A fund whose donors' statements are read by
others may want either to say as little as possible.
"""

import pytest

from donations.models import Donation
from tests.donations.checkout.test_fee_rates import _settings_loaded
from tests.donations.conftest import donation_form

pytestmark = pytest.mark.django_db


def _give(client, sandbox, **fields) -> dict:
    assert client.post("/donate/", donation_form(**fields)).status_code == 303
    donation = Donation.objects.order_by("-pk").first()
    sandbox.state.pay_checkout_session(donation.checkout_session_id, "4242424242424242",
                                       email="ana@example.org")  # fmt: skip
    return sandbox.state.store.require(donation.checkout_session_id, "checkout.session")


def test_every_gift_names_one_product_created_once(client, sandbox):
    first = _give(client, sandbox)
    second = _give(client, sandbox, frequency="monthly", amount_choice="2500")

    products = sandbox.state.store.all("product")
    assert len(products) == 1 and products[0]["name"] == "Gift to Community Bail Fund"
    for session in (first, second):
        price = sandbox.state.store.require(session["line_items"][0]["price"], "price")
        assert price["product"] == products[0]["id"]
    assert sandbox.control.summary()["api_requests"]["POST /v1/products"]["served"] == 1


def test_the_statement_shows_the_funds_words(client, sandbox, settings):
    settings.STRIPE_STATEMENT_DESCRIPTOR_SUFFIX = "GIFT"
    settings.STRIPE_STATEMENT_DESCRIPTOR = "CBF DONATION"

    once = _give(client, sandbox)
    monthly = _give(client, sandbox, frequency="monthly", amount_choice="2500")

    shown = {
        c["payment_intent"]: sandbox.state.retrieve("charge", c["id"])[
            "calculated_statement_descriptor"
        ]
        for c in sandbox.state.store.all("charge")
    }
    assert shown.pop(once["payment_intent"]) == "BAILFUND* GIFT"
    assert list(shown.values()) == ["CBF DONATION"]  # the monthly gift's first payment
    subscription = sandbox.state.store.require(monthly["subscription"], "subscription")
    assert subscription["status"] == "active"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_STATEMENT_DESCRIPTOR_SUFFIX", "GIFT*"),
        ("STRIPE_STATEMENT_DESCRIPTOR_SUFFIX", "12345"),
        ("STRIPE_STATEMENT_DESCRIPTOR", "CBF"),
        ("STRIPE_STATEMENT_DESCRIPTOR", "FONDO DE FIANZAS ÑANDÚ"),
    ],
)
def test_a_descriptor_stripe_would_refuse_stops_the_site_from_starting(name, value):
    result = _settings_loaded(**{name: value})

    assert result.returncode != 0 and f"{name} must be" in result.stderr
