"""Closing a period: nothing is posted dated in it afterwards, Stripe's late facts land on
the first open day without being lost or counted twice, and each close is signed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger import exceptions
from ledger.books.entries import Entry
from ledger.books.fund_time import fund_today
from ledger.books.periods import closed_through, period_close
from ledger.books.posting import entry_post, transaction_reverse, transactions_post_batch
from ledger.books.selectors import account_balances
from ledger.books.tree_heads import signed_heads
from ledger.books.verification import verify_ledger
from ledger.models import AuditEvent, JournalTransaction

pytestmark = pytest.mark.django_db

GIFT = [("assets:bank", 5000), ("income:donations", -5000)]
MARCH_END = dt.date(2026, 3, 31)


def stripe_gift(key: str, date: dt.date) -> Entry:
    return Entry(
        kind="donation",
        date=date,
        legs=(("assets:stripe", 5000), ("income:donations", -5000)),
        idempotency_key=key,
        source_ref=f"stripe:{key}",
        outside_fact=True,
    )


def test_a_closed_month_refuses_postings_dated_in_it_and_signs_the_close(post):
    gift = post(GIFT, date=dt.date(2026, 3, 10))
    closed = period_close(through=MARCH_END)

    assert closed_through() == MARCH_END
    for date in (dt.date(2026, 3, 20), dt.date(2025, 12, 1)):
        with pytest.raises(exceptions.PeriodClosed, match="closed through 2026-03-31"):
            post(GIFT, date=date)
    assert JournalTransaction.objects.count() == 1
    post(GIFT, date=dt.date(2026, 4, 1))
    reversal = transaction_reverse(transaction_to_reverse=gift)  # today: the open period
    assert reversal.date == fund_today()

    head = closed.checkpoint
    assert head.closed_through == MARCH_END and head in signed_heads()
    assert AuditEvent.objects.filter(action="period.month_closed", object_id="2026-03-31").exists()
    assert verify_ledger().ok


def test_stripe_facts_dated_in_a_closed_month_land_on_the_first_open_day_once(post):
    post(GIFT, date=dt.date(2026, 3, 10))
    early = entry_post(stripe_gift("txn_early", dt.date(2026, 3, 30)))
    period_close(through=MARCH_END)

    late = entry_post(stripe_gift("txn_late", dt.date(2026, 3, 31)))
    assert late.date == dt.date(2026, 4, 1)
    # Replayed by reconciliation with the day Stripe gives: the same entries, not new ones.
    again = transactions_post_batch(
        entries=[
            stripe_gift("txn_late", dt.date(2026, 3, 31)),
            stripe_gift("txn_early", dt.date(2026, 3, 30)),
        ]
    )
    assert [(p.pk, p.created) for p in again] == [(late.pk, False), (early.pk, False)]
    assert account_balances()["assets:stripe"] == 10000
    changed = dataclasses.replace(
        stripe_gift("txn_late", dt.date(2026, 3, 31)),
        legs=(("assets:stripe", 1), ("income:donations", -1)),
    )
    with pytest.raises(exceptions.IdempotencyConflict):
        entry_post(changed)
    assert verify_ledger().ok


@pytest.mark.parametrize(
    ("through", "kind", "message"),
    [
        (dt.date(2026, 3, 30), "month", "last day of a month"),
        (dt.date(2026, 6, 30), "year", "31 December"),
        (dt.date(2099, 1, 31), "month", "has not ended yet"),
    ],
)
def test_only_whole_ended_periods_close(through, kind, message):
    with pytest.raises(exceptions.PeriodNotClosable, match=message):
        period_close(through=through, kind=kind)
    assert closed_through() is None


def test_periods_close_in_order_and_a_year_after_its_december():
    period_close(through=dt.date(2025, 12, 31))
    with pytest.raises(exceptions.PeriodNotClosable, match="already closed through 2025-12-31"):
        period_close(through=dt.date(2025, 11, 30))
    year = period_close(through=dt.date(2025, 12, 31), kind="year")
    assert (year.start, year.through) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    with pytest.raises(exceptions.PeriodNotClosable, match="2025 is already closed"):
        period_close(through=dt.date(2025, 12, 31), kind="year")


def test_dates_more_than_a_week_ahead_are_refused(post, settings):
    ahead = fund_today() + dt.timedelta(days=settings.LEDGER_MAX_DAYS_AHEAD)
    post(GIFT, date=ahead)
    with pytest.raises(exceptions.DateTooFarAhead, match="post it on the day it happens"):
        post(GIFT, date=ahead + dt.timedelta(days=1))
    with pytest.raises(exceptions.DateTooFarAhead):
        post(GIFT, date=dt.date(2031, 1, 15))
    assert JournalTransaction.objects.count() == 1


def test_the_command_closes_a_month_or_says_why_not(capsys):
    call_command("close_period", "--month", "2026-02")
    assert "closed month through 2026-02-28" in capsys.readouterr().out
    for args, message in (
        (["--month", "2026-13"], "YYYY-MM"),
        (["--month", "2026-01"], "already closed"),
        (["--month", "2026-04", "--as", "nobody"], "no user"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("close_period", *args)
    assert closed_through() == dt.date(2026, 2, 28)


def test_a_bookkeeper_closes_the_next_month_on_the_staff_page_after_confirming(staff_client, post):
    post(GIFT, date=dt.date(2026, 10, 5))
    bookkeeper = staff_client("bookkeeper")

    page = bookkeeper.get("/staff/periods/").content.decode()
    assert "Close October 2026" in page and "cannot be undone" in page
    assert "Close a year" not in page

    unconfirmed = bookkeeper.post("/staff/periods/", {"kind": "month", "through": "2026-10-31"})
    assert unconfirmed.status_code == 400 and closed_through() is None
    year = bookkeeper.post(
        "/staff/periods/", {"kind": "year", "through": "2025-12-31", "confirm": "yes"}
    )
    assert year.status_code == 400 and closed_through() is None

    done = bookkeeper.post(
        "/staff/periods/", {"kind": "month", "through": "2026-10-31", "confirm": "yes"}
    )
    assert done.status_code == 303 and closed_through() == dt.date(2026, 10, 31)
    event = AuditEvent.objects.get(action="period.month_closed")
    assert event.actor == bookkeeper.user
    assert "Close November 2026" in bookkeeper.get("/staff/periods/").content.decode()


def test_only_an_admin_closes_a_year_and_a_viewer_sees_no_form(staff_client, post):
    post(GIFT, date=dt.date(2025, 12, 5))
    period_close(through=dt.date(2025, 12, 31))
    admin = staff_client("admin")

    assert "Close 2025" in admin.get("/staff/periods/").content.decode()
    done = admin.post(
        "/staff/periods/", {"kind": "year", "through": "2025-12-31", "confirm": "yes"}
    )
    assert done.status_code == 303
    assert AuditEvent.objects.filter(action="period.year_closed", actor=admin.user).exists()

    viewer = staff_client("viewer").get("/staff/periods/")
    assert viewer.status_code == 403
    with pytest.raises(exceptions.NotPermitted):
        period_close(
            through=dt.date(2026, 1, 31), actor=staff_client("bookkeeper").user, kind="year"
        )
