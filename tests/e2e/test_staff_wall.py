"""Moderating the donor wall in the browser: from the staff home's count to the wall page,
two entries approved in one go and one taken down again, the public wall following; and a
check recorded as bounced once the box stating its amount is ticked. axe-core checks the
wall page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from donations.models import Donation, DonationStatus, OfflineGift
from donations.offline.services import offline_gift_record
from ledger.books.selectors import account_balances
from tests.e2e.conftest import PASSWORD, axe_violations, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _asked(n: int, name: str, message: str) -> Donation:
    return Donation.objects.create(
        frequency="once",
        status=DonationStatus.SUCCEEDED,
        currency="usd",
        gift_amount=2_500 * n,
        amount=2_500 * n,
        show_on_wall=True,
        display_name=name,
        message=message,
        email=f"donor{n}@example.org",
        checkout_idempotency_key=f"checkout:e2e-wall-{n}",
    )


def test_an_admin_moderates_the_wall_and_confirms_a_bounced_check(
    people, staff_user, log_in, screenshots
):
    _asked(1, "Ana", "Free them all")
    _asked(2, "<i>Ben</i>", "Bail is not justice")
    _asked(3, "Cleo", "Spam spam spam")
    admin = staff_user("admin", username="ada", password=PASSWORD)
    ada = people()
    log_in(ada, admin, next_url="/staff/", who="admin")

    expect(ada.locator("#wall-waiting")).to_have_text("3 donor wall entries waiting for approval")
    ada.locator("#wall-waiting").click()
    expect(ada).to_have_url(re.compile(r"/staff/wall/$"))
    expect(ada.locator("#waiting-entries")).to_contain_text("<i>Ben</i>")  # as typed, not run
    expect(ada.locator("#waiting-entries")).to_contain_text("$50.00 (not shown)")
    assert axe_violations(ada) == []
    screenshots.take(ada, "wall-waiting")

    ada.get_by_label("Ana").check()
    ada.get_by_label("<i>Ben</i>").check()
    ada.locator("#approve").click()
    expect(ada.locator(".messages")).to_contain_text("2 entries approved")
    expect(ada.locator("#shown-entries")).to_contain_text("Ana")
    expect(ada.locator("#waiting-entries")).to_contain_text("Cleo")
    screenshots.take(ada, "wall-approved")

    ada.locator("#shown-entries").get_by_label("Ana").check()
    ada.locator("#remove").click()
    expect(ada.locator(".messages")).to_contain_text("1 entry removed")
    ada.goto("/transparency/")
    wall = ada.locator("#wall").locator("..")
    expect(wall).to_contain_text("Bail is not justice")
    expect(wall).not_to_contain_text("Free them all")
    expect(wall).not_to_contain_text("Cleo")

    offline_gift_record(
        actor=admin,
        method="check",
        amount=25_000,
        received_on=dt.date(2026, 3, 1),
        token="e2e-check-250",
    )
    gift = OfflineGift.objects.get()
    ada.goto("/staff/gifts/")
    box = ada.get_by_label(
        "Record that this check for $250.00 bounced: the gift is reversed in the books and "
        "cannot be undone"
    )
    expect(box).not_to_be_checked()
    screenshots.take(ada, "gifts-bounce-confirmation")
    box.check()
    ada.get_by_role("button", name="Check bounced").click()
    expect(ada.locator(".messages")).to_contain_text("recorded as bounced")
    assert account_balances()["assets:bank"] == 0
    expect(ada.locator(f"#confirm-bounce-{gift.pk}")).to_have_count(0)
