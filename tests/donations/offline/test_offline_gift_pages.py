"""The staff pages for check and cash gifts: recorded once, reversed once when bounced."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from donations.models import OfflineGift
from ledger.books.periods import period_close
from ledger.books.selectors import account_balances
from ledger.models import AuditEvent, JournalTransaction

pytestmark = pytest.mark.django_db


def _token(client, url) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)


def test_offline_gifts_post_once_and_a_bounced_check_is_reversed(staff_client):
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_gift_new")
    form = {
        "token": _token(client, url),
        "method": "check",
        "amount": "250",
        "received_on": "2026-03-01",
        "reference": "4417",
    }

    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # the same form again: recorded once
    gift = OfflineGift.objects.get()
    assert account_balances()["assets:bank"] == 25_000

    bounced = reverse("donations:staff_gift_bounced", args=[gift.pk])
    assert client.post(bounced, {"confirm": "yes"}).status_code == 302
    assert client.post(bounced, {"confirm": "yes"}).status_code == 302
    assert account_balances()["assets:bank"] == 0
    assert JournalTransaction.objects.filter(kind="reversal").count() == 1
    listing = client.get(reverse("donations:staff_gifts")).content.decode()
    assert "bounced" in listing
    assert AuditEvent.objects.filter(action="offline_gift.recorded").count() == 1


def _check_of_250(client) -> OfflineGift:
    url = reverse("donations:staff_gift_new")
    form = {
        "token": _token(client, url),
        "method": "check",
        "amount": "250",
        "received_on": "2026-03-01",
        "reference": "4417",
    }
    client.post(url, form)
    return OfflineGift.objects.get()


def test_the_bounce_button_asks_to_confirm_the_amount_and_what_follows(staff_client):
    client = staff_client("bookkeeper")
    gift = _check_of_250(client)

    listing = client.get(reverse("donations:staff_gifts")).content.decode()

    box = re.search(rf'<input type="checkbox" id="confirm-bounce-{gift.pk}"[^>]*>', listing)
    assert box and 'name="confirm"' in box.group(0) and "required" in box.group(0)
    assert (
        f'<label for="confirm-bounce-{gift.pk}">Record that this check for $250.00 bounced: '
        "the gift is reversed in the books and cannot be undone</label>"
    ) in listing


@pytest.mark.parametrize("confirm", [None, "", "no"])
def test_a_bounce_without_the_confirmation_changes_nothing(staff_client, confirm):
    client = staff_client("bookkeeper")
    gift = _check_of_250(client)
    data = {} if confirm is None else {"confirm": confirm}

    response = client.post(reverse("donations:staff_gift_bounced", args=[gift.pk]), data)

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Tick the confirmation first: nothing was done." in page
    assert account_balances()["assets:bank"] == 25_000
    assert not JournalTransaction.objects.filter(kind="reversal").exists()
    assert not AuditEvent.objects.filter(action="offline_gift.bounced").exists()
    assert f'id="confirm-bounce-{gift.pk}"' in page  # still a check that can bounce


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("en", "The books are closed through 2026-02-28: record the gift on a day in the open"),
        ("es", "Los libros están cerrados hasta el 2026-02-28"),
    ],
)
def test_a_gift_dated_in_a_closed_month_is_refused_with_a_reason(staff_client, language, refusal):
    period_close(through=dt.date(2026, 2, 28))
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_gift_new")
    form = {"token": _token(client, url), "method": "check", "amount": "250"}

    response = client.post(url, form | {"received_on": "2026-02-20"}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert refusal in response.content.decode()
    assert not OfflineGift.objects.exists()
    assert account_balances()["assets:bank"] == 0


def test_on_the_spanish_page_an_amount_is_typed_as_spanish_writes_it(staff_client):
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_gift_new")
    form = {"token": _token(client, url), "method": "check", "received_on": "2026-03-01"}

    misread = client.post(url, form | {"amount": "1250.50"}, HTTP_ACCEPT_LANGUAGE="es")
    recorded = client.post(url, form | {"amount": "1.250,50"}, HTTP_ACCEPT_LANGUAGE="es")

    assert misread.status_code == 400
    assert "Escríbelo como 1.250,50 o 1250,50" in misread.content.decode()
    assert recorded.status_code == 302
    assert account_balances()["assets:bank"] == 125_050
