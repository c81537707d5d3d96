import pytest
from django.core.cache import cache

from donations.checkout.services import fee_covering_amount
from donations.models import Donation, DonationSwitch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _give(client, **fields):
    data = {"amount_choice": "5000", "frequency": "once", **fields}
    return client.post("/donate/", data)


def test_the_page_offers_presets_and_explains_the_fee_arithmetic(client):
    body = client.get("/donate/").content.decode()

    for label in ("$25.00", "$50.00", "$100.00", "$250.00", "Other"):
        assert label in body
    assert "a $50.00 gift becomes $51.81" in body


@pytest.mark.parametrize(
    ("gift", "charged"), [(5000, 5181), (100, 134), (2500, 2606), (5_000_000, 5_149_362)]
)
def test_covering_fees_grosses_up_so_the_fund_keeps_the_gift(gift, charged):
    assert fee_covering_amount(gift) == charged
    fee = (charged * 29 + 500) // 1000 + 30
    assert charged - fee >= gift


def test_a_gift_starts_a_checkout_with_no_personal_data_in_metadata(client, sandbox):
    response = _give(client, email="ana@example.org", display_name="Ana", message="hi")

    donation = Donation.objects.get()
    assert response.status_code == 303
    assert response["Location"] == donation.checkout_url
    session = sandbox.state.store.require(donation.checkout_session_id, "checkout.session")
    assert session["metadata"] == {"donation_id": str(donation.public_id)}
    assert session["client_reference_id"] == str(donation.public_id)
    assert donation.checkout_idempotency_key == f"checkout:{donation.public_id}"
    assert session["amount_total"] == 5000


def test_a_custom_amount_is_taken_in_dollars_and_cents(client, sandbox):
    _give(client, amount_choice="custom", custom_amount="35.50")
    assert Donation.objects.get().gift_amount == 3550


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"amount_choice": "custom", "custom_amount": "0.50"},
            "Gifts are from $1.00 to $50,000.00.",
        ),
        ({"amount_choice": "custom", "custom_amount": "50000.01"}, "Gifts are from"),
        ({"amount_choice": "custom", "custom_amount": "12.345"}, "at most two decimals"),
        ({"amount_choice": "custom", "custom_amount": "lots"}, "Enter an amount"),
        ({"amount_choice": "999"}, "Select a valid choice"),
        ({"frequency": "weekly"}, "Select a valid choice"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"message": "x" * 281}, "at most 280 characters"),
    ],
)
def test_bad_input_gets_a_form_error_and_creates_nothing(client, sandbox, fields, message):
    response = _give(client, **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Donation.objects.exists()
    assert not sandbox.state.store.all("checkout.session")


def test_an_anonymous_gift_keeps_no_name(client, sandbox):
    _give(client, anonymous="on", display_name="Ana Lopez", show_amount="on")

    donation = Donation.objects.get()
    assert donation.anonymous
    assert donation.display_name == ""
    assert not donation.show_amount


def test_donations_paused_by_settings_show_the_message_and_the_other_fund(
    client, settings, sandbox
):
    settings.DONATIONS_PAUSED = True
    settings.DONATIONS_PAUSED_MESSAGE = "We are overwhelmed with love."
    settings.DONATIONS_REDIRECT_URL = "https://other-fund.example.org/"

    page = client.get("/donate/")
    posted = _give(client)

    assert page.status_code == 503
    assert "We are overwhelmed with love." in page.content.decode()
    assert "https://other-fund.example.org/" in page.content.decode()
    assert posted.status_code == 503
    assert not Donation.objects.exists()


def test_staff_can_pause_donations_with_the_switch(client, sandbox):
    DonationSwitch.objects.create(paused=True, message="Paused for now.")

    assert client.get("/donate/").status_code == 503
    assert not Donation.objects.exists()


def test_checkout_creation_is_rate_limited_per_session(client, sandbox, settings):
    settings.CHECKOUT_RATE_LIMIT_PER_SESSION = 2
    statuses = [_give(client).status_code for _ in range(4)]

    assert statuses == [303, 303, 429, 429]
    assert Donation.objects.count() == 2
    assert "Too many donation attempts" in _give(client).content.decode()


def test_checkout_creation_is_rate_limited_per_client_address(client, sandbox, settings):
    from django.test import Client

    settings.CHECKOUT_RATE_LIMIT_PER_IP = 3
    statuses = [_give(Client()).status_code for _ in range(5)]  # a new session each time

    assert statuses == [303, 303, 303, 429, 429]


def test_stripe_being_down_is_a_clear_error_and_no_checkout(client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens here
    response = _give(client)

    assert response.status_code == 502
    assert "could not reach our payment processor" in response.content.decode()


def test_a_donor_message_with_html_is_shown_inert(client, sandbox):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    _give(client, message=script, display_name="<b>Ana</b>")
    donation = Donation.objects.get()

    body = client.get(f"/donate/thanks/{donation.public_id}/").content.decode()

    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_the_thank_you_page_says_pending_until_stripe_confirms(client, sandbox):
    _give(client)
    donation = Donation.objects.get()

    body = client.get(f"/donate/thanks/{donation.public_id}/").content.decode()

    assert 'data-status="pending"' in body
    assert 'http-equiv="refresh"' in body
    status = client.get(f"/donate/thanks/{donation.public_id}/status.json").json()
    assert status == {"status": "pending"}


def test_a_forged_stop_link_is_refused(client):
    response = client.get("/donate/monthly/stop/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
