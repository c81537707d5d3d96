"""The balance check compares Stripe's balance and the books as of one cutoff: a gift whose
money is at Stripe but whose event is still on its way is on neither side, and a treasurer
can check the balance as it stood at a moment of their choosing (a year's last second).

Stripe's balance changes by each balance transaction's ``net`` when it is created
(https://docs.stripe.com/api/balance_transactions/object), and the list of balance
transactions filters on ``created[gt]`` (https://docs.stripe.com/api/balance_transactions/list).
"""

import datetime as dt
import time

import pytest
from django.core.management import CommandError, call_command

from donations.models import Discrepancy, DiscrepancyStatus, ReconciliationRun
from donations.reconciliation.as_of import balances_as_of
from donations.reconciliation.runs import reconcile_stripe
from ledger.books.posting import transaction_post
from ledger.books.selectors import account_balances

pytestmark = pytest.mark.django_db


def _open_balance_discrepancies() -> int:
    return Discrepancy.objects.filter(kind="stripe_balance", status=DiscrepancyStatus.OPEN).count()


def test_a_gift_whose_event_has_not_come_yet_opens_no_discrepancy(sandbox, settings):
    sandbox.state.create_charge(5000)
    reconcile_stripe(kind="all", full=True, trigger="test")
    assert not _open_balance_discrepancies()
    sandbox.state.create_charge(7000)  # at Stripe now; its event is not processed yet

    reconcile_stripe(kind="balance", trigger="test")
    assert not _open_balance_discrepancies()

    # Compared live, as before, the gift in flight looked like missing money.
    settings.RECONCILIATION_BALANCE_LAG_SECONDS = 0
    reconcile_stripe(kind="balance", trigger="test")
    assert _open_balance_discrepancies() == 1


def test_the_balances_as_of_a_moment_leave_out_what_came_after_it(sandbox):
    first = sandbox.state.create_charge(5000)
    time.sleep(1.1)  # the next one a second later by Stripe's clock
    sandbox.state.create_charge(7000)
    reconcile_stripe(kind="all", full=True, trigger="test")
    first_bt = sandbox.state.store.require(first.charge, "charge")["balance_transaction"]
    first_net = sandbox.state.store.require(first_bt, "balance_transaction")

    both = balances_as_of(
        first_net["created"], currency="usd", lag=0, read=lambda call, *args: call(*args)
    )

    assert both.stripe == both.books == first_net["net"] == 5000 - 175
    assert both.later == 1
    assert account_balances()["assets:stripe"] == (5000 - 175) + (7000 - 233)


def test_a_treasurer_checks_the_balance_as_the_year_began(sandbox):
    sandbox.state.create_charge(5000)
    reconcile_stripe(kind="all", full=True, trigger="test")
    transaction_post(
        kind="adjustment",
        date=dt.date.today(),
        legs=[("expenses:processing_fees", 50), ("assets:stripe", -50)],
        idempotency_key="manual:fee-fix",
        memo="Fee correction entered by hand",
    )

    # Midnight in Chicago (UTC-6), as 2026 began: the gift came later, so it is on neither
    # side; the entry by hand is not Stripe's, so it shows at any cutoff.
    call_command("reconcile_stripe", "--kind", "balance", "--as-of", "2026-01-01T00:00-06:00")

    found = Discrepancy.objects.get(kind="stripe_balance")
    assert (found.expected, found.found) == (0, -50)
    assert "as of 2026-01-01T06:00:00+00:00" in found.description


def test_a_moment_that_does_not_read_is_refused(sandbox):
    with pytest.raises(CommandError, match="is not YYYY-MM-DDTHH:MM"):
        call_command("reconcile_stripe", "--kind", "balance", "--as-of", "31/12/2026")
    assert not ReconciliationRun.objects.exists()
