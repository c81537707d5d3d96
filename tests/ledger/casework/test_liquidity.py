"""Bail expected back from the fund's own history: each outstanding bail settles as
settled cases of at least its age did, and comes back in the share they did."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.casework.liquidity import liquidity_forecast
from tests.ledger.conftest import open_case, record_forfeiture, record_return, request_disbursement

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 10)


@pytest.fixture
def pay(person, field_keys, fund_bank):
    manager, approver = person("case_manager"), person("approver", "bookkeeper")
    case = open_case(manager, Identity(name="Ana Example"), opened_on=dt.date(2026, 1, 2))
    fund_bank(10_000_000)

    def make(amount: int, paid_on: dt.date):
        d = request_disbursement(manager, case, amount)
        disbursement_approve(actor=approver, disbursement=d)
        return disbursement_pay(actor=approver, disbursement=d, paid_on=paid_on)

    make.approver = approver
    return make


def test_outstanding_bail_is_expected_back_as_settled_cases_of_its_age_came_back(pay):
    start = dt.date(2026, 1, 5)
    # History: five settled, 10, 20, 40, 60 and 100 days after payment; 90% came back.
    for n, days in enumerate((10, 20, 40, 60, 100)):
        d = pay(100_000, start + dt.timedelta(days=n))
        on = start + dt.timedelta(days=n + days)
        if n == 4:
            record_forfeiture(pay.approver, d, 50_000, on=on)
            record_return(pay.approver, d, 50_000, on=on)
        else:
            record_return(pay.approver, d, 100_000, on=on)
    # Out now: 30 days old, so only the 40-, 60- and 100-day cases speak for it.
    pay(300_000, TODAY - dt.timedelta(days=30))

    f = liquidity_forecast(TODAY)

    assert (f.settled_cases, f.median_days, f.return_share) == (5, 40, 0.9)
    assert f.outstanding == 300_000 and f.outstanding_cases == 1 and f.beyond_history == 0
    # Settling 40 days after payment falls in June, 60 in July, 100 in August: a third
    # each, of 90% of 300,000.
    expected = {m.start.month: m.expected for m in f.months}
    assert expected == {6: 90_000, 7: 90_000, 8: 90_000, 9: 0, 10: 0, 11: 0}
    assert f.months[0].start == TODAY
    assert [m.committable for m in f.months][:3] == [
        f.available + 90_000,
        f.available + 180_000,
        f.available + 270_000,
    ]


def test_bail_older_than_all_history_and_too_little_history_are_said_so(pay):
    d = pay(100_000, dt.date(2026, 1, 5))
    record_return(pay.approver, d, 100_000, on=dt.date(2026, 1, 20))
    pay(200_000, dt.date(2026, 1, 6))

    thin = liquidity_forecast(TODAY)
    assert not thin.enough_history and all(m.expected == 0 for m in thin.months)

    for n in range(4):
        d = pay(100_000, dt.date(2026, 2, 1) + dt.timedelta(days=n))
        record_return(pay.approver, d, 100_000, on=dt.date(2026, 2, 20))
    old = liquidity_forecast(TODAY)
    assert old.enough_history and old.beyond_history == 200_000
    assert sum(m.expected for m in old.months) == 0


def test_the_page_labels_the_estimate_with_its_basis(staff_client, pay):
    page = staff_client("viewer").get("/staff/liquidity/").content.decode()
    assert "an estimate" in page and "Not enough history to estimate" in page
