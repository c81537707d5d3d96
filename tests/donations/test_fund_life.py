"""A fund's life at Stripe, through the imitation at Stripe's live rate limits, ends with
books that hold exactly what Stripe says happened and a clean ``verify_ledger``.

On the way: gifts once and monthly, a gift in euros settled in dollars, a risk reserve and
its release, a payout minimum balance hold, a top-up from the bank, a manual payout and one
that fails, a gift at 9 p.m. on New Year's Eve in Chicago (the fund's time zone: it is the
old year's), an early fraud warning refunded before it can become a dispute, and a monthly
renewal that fails.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail

from donations.models import (
    Discrepancy,
    DiscrepancyStatus,
    Donation,
    DonationStatus,
    StripeCharge,
)
from donations.reconciliation.runs import reconcile_stripe
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.models import JournalTransaction
from tests.donations.conftest import donor  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _at(*args) -> int:
    return int(dt.datetime(*args, tzinfo=CHICAGO).timestamp())


def _settle(sandbox) -> None:
    assert sandbox.flush_webhooks(timeout=30)
    assert sandbox.flush_webhooks(timeout=30)  # what the first events set off


def test_a_fund_life_ends_exact(live_sandbox, donor, settings):  # noqa: F811
    settings.FUND_TIME_ZONE = "America/Chicago"
    settings.STRIPE_RETRY_BACKOFF = 0.05
    live_sandbox.configure(account_rate_limit=100, endpoint_rate_limit=25)
    state = live_sandbox.state
    live_sandbox.control.freeze_clock(_at(2026, 12, 30, 10, 0))

    donor.give(amount_choice="5000", email="once@example.org")
    donor.give(amount_choice="2500", frequency="monthly", email="monthly@example.org")
    euro = state.create_charge(10000, "eur").charge  # settles as $110.00
    flagged = state.create_charge(4000).charge
    state.create_early_fraud_warning(flagged)
    _settle(live_sandbox)

    state.adjust_balance(3000)  # a reserve during the surge
    state.adjust_balance(1500, "topup")  # money the fund adds from its bank
    state.adjust_balance(1000, "payout_minimum_balance_hold")
    state.advance_clock(2 * 86400 - 13 * 3600)  # 31 December, 9 p.m. in Chicago
    donor.give(amount_choice="10000", email="late@example.org")
    _settle(live_sandbox)

    state.advance_clock(3 * 86400)  # the gifts' money is available
    state.adjust_balance(3000, "reserve_release")
    # Payouts made by hand (a fund on a manual payout schedule: Stripe does not mix the
    # two, https://docs.stripe.com/payouts#manual-payouts): one paid, one that fails and
    # comes back.
    state.create_payout(2000)
    state.create_payout(5000, outcome="failed")
    monthly = Donation.objects.get(frequency="monthly")
    state.renew_subscription(monthly.subscription_id, fail=True)
    _settle(live_sandbox)
    # Holds and releases send no event: the balance transactions are read by the
    # reconciliation run, as they would be at Stripe.
    run = reconcile_stripe(kind="all", full=True, trigger="test")

    assert run.status == "succeeded", run.error
    assert not list(
        Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).values(
            "kind", "expected", "found", "description"
        )
    )
    assert verify_ledger().ok
    books = account_balances()
    balance = state.balance()
    at_stripe = sum(e["amount"] for key in ("available", "pending") for e in balance[key])
    assert books["assets:stripe"] == at_stripe
    assert books["assets:stripe_held"] == 1000  # the minimum balance, still held
    assert books["assets:bank"] == 2000 - 1500  # paid out, less the top-up
    assert books["assets:payouts_in_transit"] == 0
    assert books["income:donations_refunded"] == 4000  # the flagged gift, refunded
    charge_bts = [
        bt for bt in state.store.all("balance_transaction") if bt["type"] in ("charge", "payment")
    ]
    assert -books["income:donations"] == sum(bt["amount"] for bt in charge_bts)
    assert 11000 in [bt["amount"] for bt in charge_bts]  # the euros, in dollars
    assert books["expenses:processing_fees"] == sum(bt["fee"] for bt in charge_bts)
    assert sum(books.values()) == 0

    late = Donation.objects.get(email="late@example.org")
    (late_entry,) = JournalTransaction.objects.filter(
        source_ref=f"stripe:{late.charges.get().balance_transaction_id}"
    )
    assert late_entry.date == dt.date(2026, 12, 31)  # not the next year
    assert "2026-12-31" in next(m.body for m in mail.outbox if "late@example.org" in m.to)
    monthly.refresh_from_db()
    assert monthly.status == DonationStatus.PAST_DUE
    assert [m for m in mail.outbox if m.to == ["monthly@example.org"] and "did not go" in m.subject]
    gift_in_euros = StripeCharge.objects.get(charge_id=euro)
    assert (gift_in_euros.amount, gift_in_euros.currency) == (10000, "eur")  # as given
    assert Donation.objects.get(email="once@example.org").status == DonationStatus.SUCCEEDED
