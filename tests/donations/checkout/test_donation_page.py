import json
import re
from unittest import mock

import pytest
from django.core.cache import cache

from donations.checkout.fees import fee_covering_amount
from donations.checkout.services import client_address
from donations.models import Donation, DonationSwitch
from tests.donations.conftest import donation_form, succeeded_gift

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _give(client, **fields):
    return client.post("/donate/", donation_form(**fields))


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
        ({"amount_choice": "custom", "custom_amount": "sNaN"}, "Enter an amount"),
        ({"amount_choice": "custom", "custom_amount": "Infinity"}, "Enter an amount"),
        ({"amount_choice": "custom", "custom_amount": "-Infinity"}, "more than zero"),
        ({"amount_choice": "custom", "custom_amount": "0"}, "more than zero"),
        ({"amount_choice": "custom", "custom_amount": "-5"}, "more than zero"),
        ({"amount_choice": "custom", "custom_amount": "\u0663\u0665"}, "Enter an amount"),
        ({"amount_choice": "custom", "custom_amount": "35,50"}, "could not tell what 35,50"),
        ({"amount_choice": "custom"}, "Enter an amount"),
        ({"amount_choice": ""}, "Choose an amount or type one."),
        ({"form_token": ""}, "This field is required"),
        ({"form_token": "not-a-token"}, "The form expired"),
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
    assert "Your gift of $50.00 is being confirmed." in body
    assert '<meta http-equiv="refresh" content="3;url=?checks=1">' in body
    status = client.get(f"/donate/thanks/{donation.public_id}/status.json").json()
    assert status == {"status": "pending"}


def test_the_pending_page_stops_reloading_after_a_minute_and_says_what_happens(client, sandbox):
    _give(client)
    url = f"/donate/thanks/{Donation.objects.get().public_id}/"

    assert 'content="3;url=?checks=20"' in client.get(url + "?checks=19").content.decode()
    last = client.get(url + "?checks=20").content.decode()

    assert 'http-equiv="refresh"' not in last
    assert "the receipt comes by email once it does" in last
    assert 'http-equiv="refresh"' in client.get(url + "?checks=x").content.decode()


@pytest.mark.parametrize(
    ("status", "frequency", "sentence"),
    [
        ("succeeded", "once", "Your gift of $50.00 went through."),
        ("succeeded", "monthly", "Your monthly gift of $50.00 has started."),
        ("failed", "once", "Your gift of $50.00 did not go through."),
        ("expired", "once", "The checkout for your gift of $50.00 expired before payment."),
        ("cancelled", "monthly", "Your monthly gift of $50.00 is stopped."),
    ],
)
def test_the_thank_you_page_says_each_state_in_a_sentence(client, status, frequency, sentence):
    donation = succeeded_gift(status=status, frequency=frequency, amount=5000, gift_amount=5000)

    body = client.get(f"/donate/thanks/{donation.public_id}/").content.decode()

    assert sentence in body
    assert 'http-equiv="refresh"' not in body
    assert 'href="/transparency/"' in body


def test_a_spanish_page_reads_35_comma_50_as_35_dollars_50(client, sandbox):
    form = donation_form(amount_choice="custom", custom_amount="35,50")
    response = client.post("/donate/", form, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 303
    assert Donation.objects.get().gift_amount == 3550
    assert "35,50" in client.get("/donate/", HTTP_ACCEPT_LANGUAGE="es").content.decode()  # hint


def test_a_typed_amount_wins_over_a_preset_still_selected(client, sandbox):
    _give(client, amount_choice="5000", custom_amount="35")

    assert Donation.objects.get().gift_amount == 3500


def test_the_same_page_sent_twice_gives_one_donation_and_one_checkout(client, sandbox):
    form = donation_form()
    first = client.post("/donate/", form)
    second = client.post("/donate/", form)

    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Donation.objects.count() == 1
    assert len(sandbox.state.store.all("checkout.session")) == 1


def test_the_same_page_sent_again_for_another_amount_is_refused(client, sandbox):
    form = donation_form()
    client.post("/donate/", form)
    again = client.post("/donate/", {**form, "amount_choice": "10000"})

    assert again.status_code == 400
    assert "already sent for another gift" in again.content.decode()
    assert Donation.objects.count() == 1
    assert form["form_token"] not in again.content.decode()  # a new page, a new token


def test_after_stripe_was_down_the_page_can_be_sent_again(client, sandbox, settings):
    api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens here
    form = donation_form()
    failed = client.post("/donate/", form)
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', failed.content.decode()).group(1)
    settings.STRIPE_API_BASE = api

    retried = client.post("/donate/", {**form, "form_token": token})

    assert failed.status_code == 502 and token != form["form_token"]
    assert retried.status_code == 303
    assert Donation.objects.filter(status="pending").count() == 1


def test_the_button_labels_state_each_presets_exact_charge(client):
    page = client.get("/donate/").content.decode()
    labels = json.loads(
        re.search(r'id="give-labels" type="application/json">(.*?)</script>', page).group(1)
    )

    example = labels["5000"].pop("fee_example")
    assert labels["5000"] == {
        "once": "Give $50.00",
        "once_cover": "Give $51.81",
        "monthly": "Give $50.00 monthly",
        "monthly_cover": "Give $51.81 monthly",
    }
    assert "a $50.00 gift becomes $51.81" in example  # the note follows the preset
    assert '<script src="/static/js/donate.js" defer></script>' in page


def test_a_forged_stop_link_is_refused(client):
    response = client.get("/donate/monthly/stop/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy: what anyone sends is ignored
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a claimed address further left
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.2"),  # fewer hops than proxies: the connection's
    ],
)
def test_the_client_address_is_the_one_the_nearest_trusted_proxy_saw(
    settings, proxies, forwarded, address
):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": forwarded}

    assert client_address(meta) == address


def test_behind_a_proxy_each_donor_has_a_limit_of_their_own(client, sandbox, settings):
    """Keyed on REMOTE_ADDR, every donor behind the TLS proxy shared one bucket."""
    from django.test import Client

    settings.TRUSTED_PROXY_COUNT = 1
    settings.CHECKOUT_RATE_LIMIT_PER_IP = 2

    def give_from(address, claimed=""):
        forwarded = f"{claimed}, {address}" if claimed else address
        return _give(Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)).status_code

    assert [give_from("203.0.113.7") for _ in range(3)] == [303, 303, 429]
    assert give_from("203.0.113.7", claimed="198.51.100.1") == 429  # a claim changes nothing
    assert give_from("203.0.113.8") == 303  # another donor behind the same proxy


def test_only_attempts_that_reach_stripe_use_up_the_limit(client, sandbox, settings):
    settings.CHECKOUT_RATE_LIMIT_PER_SESSION = 2
    api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens here
    assert [_give(client).status_code for _ in range(3)] == [502, 502, 502]
    settings.STRIPE_API_BASE = api

    assert [_give(client).status_code for _ in range(3)] == [303, 303, 429]


def test_an_expired_stop_link_stops_nothing_and_emails_a_fresh_one(client, settings):
    """A forwarded or leaked receipt must not end someone's gift years later."""
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from donations.checkout.receipts import stop_monthly_token
    from donations.models import DonationStatus

    gift = succeeded_gift(frequency="monthly", email="ana@example.org", subscription_id="sub_1")
    old = stop_monthly_token(gift)
    settings.STOP_LINK_MAX_AGE_DAYS = 400
    later = timezone.now() + dt.timedelta(days=401)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        page = client.get(f"/donate/monthly/stop/{old}/")
        stopping = client.post(f"/donate/monthly/stop/{old}/")
        again = client.post(f"/donate/monthly/stop/{old}/")

    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert "ana@example.org" not in page.content.decode()
    assert "A new link is on its way" in stopping.content.decode()
    gift.refresh_from_db()
    assert gift.status == DonationStatus.SUCCEEDED  # nothing stopped
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]  # once an hour
    assert "A new link is on its way" in again.content.decode()
    fresh = re.search(r"/donate/monthly/stop/(\S+)/", mail.outbox[0].body).group(1)
    assert fresh != old
    assert "Stop your monthly gift" in client.get(f"/donate/monthly/stop/{fresh}/").content.decode()
