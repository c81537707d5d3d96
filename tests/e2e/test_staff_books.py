"""A bookkeeper closes a month after reading what it means, an admin brings opening
balances in, and anyone on staff reads the bail expected back: each page axe-clean."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledger.books.periods import closed_through
from ledger.books.posting import transaction_post
from ledger.books.selectors import account_balances
from tests.e2e.conftest import PASSWORD, axe_violations, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_books_pages_in_the_browser(people, staff_user, log_in, screenshots, tmp_path):
    admin = staff_user("admin", username="ada", password=PASSWORD)
    bookkeeper = staff_user("bookkeeper", username="bea", password=PASSWORD)

    # The admin opens the books from a trial balance.
    ada = people()
    log_in(ada, admin, next_url="/staff/opening-balances/", who="admin")
    assert axe_violations(ada) == []
    screenshots.take(ada, "opening-balances")
    trial_balance = tmp_path / "trial-balance.csv"
    trial_balance.write_text('account,debit,credit\nassets:bank,"12,000.00",\n')
    ada.get_by_label("Trial balance (CSV: account, debit, credit)").set_input_files(
        str(trial_balance)
    )
    ada.get_by_label("The day the balances hold").fill("2026-01-01")
    ada.get_by_label("I have checked the trial balance").check()
    ada.locator("#post-opening").click()
    expect(ada.locator("#opening-posted")).to_contain_text("entry #1")
    assert account_balances()["assets:bank"] == 1_200_000
    assert axe_violations(ada) == []
    screenshots.take(ada, "opening-balances-posted")

    # A gift in October; the bookkeeper closes the months up to it, one at a time.
    transaction_post(
        kind="offline_gift",
        date=dt.date(2026, 10, 5),
        legs=[("assets:bank", 5_000), ("income:donations", -5_000)],
        idempotency_key="e2e:gift",
    )
    bea = people()
    log_in(bea, bookkeeper, next_url="/staff/periods/", who="bookkeeper")
    expect(bea.locator("#close-month")).to_contain_text("Close January 2026")
    assert axe_violations(bea) == []
    screenshots.take(bea, "periods")
    bea.locator("#close-month-button").click()  # the confirmation is not ticked yet
    assert closed_through() is None
    bea.get_by_label(re.compile("I have checked January 2026")).check()
    bea.locator("#close-month-button").click()
    expect(bea.locator("#closed-through")).to_contain_text("2026-01-31")
    expect(bea.locator("#close-month")).to_contain_text("Close February 2026")
    assert closed_through() == dt.date(2026, 1, 31)
    assert axe_violations(bea) == []
    screenshots.take(bea, "periods-closed")

    bea.goto("/staff/liquidity/")
    expect(bea.locator("#liquidity-estimate")).to_contain_text("Not enough history")
    assert axe_violations(bea) == []
    screenshots.take(bea, "liquidity")
    assert people.problems.seen == []
