"""A bookkeeper's month end in the browser: the staff home says what needs doing, a bank
statement is imported and its proposals confirmed, its reconciliation report read, and a
financial statement opened; axe-core checks every page."""

from __future__ import annotations

import re

import pytest

from donations.models import BankMatch, BankStatement, MatchStatus
from tests.donations.bank.conftest import STATEMENTS, march_books  # noqa: F401
from tests.e2e.conftest import PASSWORD, axe_violations, expect
from tests.ledger.conftest import field_keys  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_bookkeepers_month_end(people, staff_user, log_in, screenshots, march_books):  # noqa: F811
    bookkeeper = staff_user("bookkeeper", username="bea", password=PASSWORD)
    bea = people()
    log_in(bea, bookkeeper, next_url="/staff/", who="bookkeeper")
    expect(bea.locator("#to-do-list")).to_contain_text("waiting for approval")
    expect(bea.locator("#cash-position")).to_contain_text("Held by courts as bail")
    assert axe_violations(bea) == []
    screenshots.take(bea, "staff-home")

    bea.goto("/staff/bank/import/")
    assert axe_violations(bea) == []
    bea.get_by_label("Format").select_option("ofx")
    bea.get_by_label("Statement file").set_input_files(str(STATEMENTS / "march_2026.ofx"))
    screenshots.take(bea, "bank-import")
    bea.locator("#import").click()
    statement = BankStatement.objects.get()
    expect(bea).to_have_url(re.compile(rf"/staff/bank/statements/{statement.pk}/$"))
    assert axe_violations(bea) == []
    screenshots.take(bea, "bank-statement")

    proposals = BankMatch.objects.filter(status=MatchStatus.PROPOSED).count()
    assert proposals
    for _ in range(proposals):
        bea.get_by_role("button", name=re.compile("^Confirm: line of")).first.click()
    assert BankMatch.objects.filter(status=MatchStatus.CONFIRMED).count() == proposals

    bea.locator("#report").click()
    expect(bea.locator("#summary caption")).to_contain_text("Reconciled: the difference is zero")
    assert axe_violations(bea) == []
    screenshots.take(bea, "bank-report")

    bea.goto("/staff/reports/trial-balance/?from=2026-03-01&to=2026-03-31")
    expect(bea.locator("h1")).to_contain_text("Trial balance")
    assert axe_violations(bea) == []
    screenshots.take(bea, "trial-balance")
    assert people.problems.seen == []
