"""The public transparency page, in the browser, before and after a fund's first money:
a card gift through checkout, a check, and bail paid and returned less a court fee."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from donations.offline_gifts import offline_gift_record
from ledger.cases import Identity, case_create
from ledger.disbursements import (
    disbursement_approve,
    disbursement_pay,
    disbursement_record_return,
    disbursement_request,
)
from tests.e2e.conftest import expect, give

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME, DOCKET = "Rowan Example", "27-CR-26-1234"


def figure(page, label: str):
    """The figure shown under ``label`` in one of the page's lists of figures."""
    return page.locator(f'dl.figures dt:text-is("{label}") + dd')


def bail_paid_and_returned(staff_user) -> None:
    """The staff side, through the services: the staff pages have a browser test of their
    own (test_staff_disbursement.py); here what matters is what the public sees."""
    today = timezone.localdate()
    bookkeeper = staff_user("bookkeeper")
    case_manager = staff_user("case_manager")
    approver = staff_user("approver")
    offline_gift_record(
        actor=bookkeeper, method="check", amount=200_000, received_on=today, token="check-1001"
    )
    case = case_create(
        actor=case_manager,
        county="Hennepin",
        bail_type="criminal_bail",
        opened_on=today - dt.timedelta(days=2),
        identity=Identity(name=NAME, docket_number=DOCKET),
    )
    d = disbursement_request(
        actor=case_manager,
        case=case,
        purpose="bail",
        amount=150_000,
        payee_kind="court",
        method="cashiers_check",
        token="request-1",
    )
    disbursement_approve(actor=approver, disbursement=d)
    disbursement_pay(actor=approver, disbursement=d, paid_on=today)
    disbursement_record_return(
        actor=bookkeeper,
        disbursement=d,
        token="return-1",
        occurred_on=today,
        returned_amount=145_000,
        court_fees=5_000,
    )


def test_the_transparency_page_shows_the_new_totals(people, site, staff_user, screenshots):
    public = people()
    public.goto("/transparency/")
    expect(figure(public, "Given (gross)")).to_have_text("$0.00")
    expect(figure(public, "Bail paid")).to_have_text("$0.00")
    screenshots.take(public, "transparency-before")

    donor = people()
    give(donor, screenshots, amount="$50.00")
    expect(donor.locator("#donation-status")).to_have_attribute(
        "data-status", "succeeded", timeout=20_000
    )
    assert site.flush_webhooks(timeout=20)
    bail_paid_and_returned(staff_user)

    public.reload()
    screenshots.take(public, "transparency-after")
    shown = {
        "Given (gross)": "$2,050.00",  # $50 by card and a $2,000 check
        "Card processing fees": "$1.75",  # 2.9% + 30¢ of $50
        "Raised, net": "$2,048.25",
        "Bail paid": "$1,500.00",
        "Returned by courts": "$1,450.00",
        "Kept by courts as fees": "$50.00",
        "Forfeited": "$0.00",
        "Still held by courts": "$0.00",
        # The bank: $2,000 − $1,500 + $1,450; the card gift is still at Stripe.
        "Available now": "$1,950.00",
        "People helped": "1",
    }
    for label, value in shown.items():
        expect(figure(public, label), label).to_have_text(value)
    expect(public.get_by_text("2 gifts recorded in the books.")).to_be_visible()
    text = public.locator("body").inner_text()
    assert NAME not in text and DOCKET not in text

    # The open data says the same, in cents.
    data = public.request.get("/transparency.json").json()
    assert {key: data["totals"][key] for key in ("donations_gross", "bail_paid")} == {
        "donations_gross": 205_000,
        "bail_paid": 150_000,
    }
    totals = data["totals"]
    assert (totals["bail_returned"], totals["court_fees"], totals["bail_outstanding"]) == (
        145_000,
        5_000,
        0,
    )
    assert (totals["processing_fees"], totals["donations_net"], totals["available"]) == (
        175,
        204_825,
        195_000,
    )
    assert people.problems.seen == []


def test_a_reader_switches_the_page_to_spanish_and_back(people, screenshots):
    reader = people()
    reader.goto("/transparency/")
    expect(reader.locator("h1")).to_have_text("Where the money goes")

    reader.select_option("#language", "es")
    reader.get_by_role("button", name="Change").click()
    expect(reader.locator("h1")).to_have_text("A dónde va el dinero")
    assert reader.url.endswith("/transparency/")
    screenshots.take(reader, "transparency-spanish")

    reader.goto("/donate/")  # the choice holds on the other pages
    expect(reader.locator("html")).to_have_attribute("lang", "es")
    reader.select_option("#language", "en")
    reader.locator("form.language-switch button").click()
    expect(reader.locator("html")).to_have_attribute("lang", "en")
    assert reader.url.endswith("/donate/")
    assert people.problems.seen == []
