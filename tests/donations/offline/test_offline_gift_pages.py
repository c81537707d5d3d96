"""The staff pages for check and cash gifts: recorded once, reversed once when bounced."""

import re

import pytest
from django.urls import reverse

from donations.models import OfflineGift
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

    assert client.post(reverse("donations:staff_gift_bounced", args=[gift.pk])).status_code == 302
    assert client.post(reverse("donations:staff_gift_bounced", args=[gift.pk])).status_code == 302
    assert account_balances()["assets:bank"] == 0
    assert JournalTransaction.objects.filter(kind="reversal").count() == 1
    listing = client.get(reverse("donations:staff_gifts")).content.decode()
    assert "bounced" in listing
    assert AuditEvent.objects.filter(action="offline_gift.recorded").count() == 1
