"""Reconciliation keeps the books equal to Stripe whatever the webhooks did."""

import pytest

from donations.models import (
    Discrepancy,
    ReconciliationRun,
    RunStatus,
    StripeCharge,
    StripeEvent,
)
from donations.reconciliation.runs import reconcile_stripe
from ledger.books.posting import transaction_post
from ledger.books.selectors import account_balances
from ledger.models import JournalTransaction
from tests.donations.conftest import a_fund_week, assert_books_match_sandbox


@pytest.fixture(autouse=True)
def _no_backoff_waits(settings):
    settings.STRIPE_RETRY_BACKOFF = 0


def _keys_unique():
    keys = list(JournalTransaction.objects.values_list("idempotency_key", flat=True))
    return len(keys) == len(set(keys))


@pytest.mark.django_db(transaction=True)
def test_with_half_the_webhooks_lost_one_run_makes_the_books_exact(live_sandbox):
    live_sandbox.configure(drop_rate=0.5, seed=3)
    a_fund_week(live_sandbox.state)
    assert live_sandbox.flush_webhooks(timeout=30)
    # The drain posts whatever balance transactions it reads in pages, those of lost
    # events too; the lost events themselves, and what only they tell, are missing.
    events = len(live_sandbox.state.store.all("event"))
    assert StripeEvent.objects.count() < events

    first = reconcile_stripe(kind="all", trigger="test")
    second = reconcile_stripe(kind="all", trigger="test")

    assert first.status == second.status == RunStatus.SUCCEEDED
    assert StripeEvent.objects.count() == events
    assert second.posted == 0
    assert_books_match_sandbox(live_sandbox)
    assert StripeCharge.objects.count() == 13  # lost events were fetched and processed
    assert _keys_unique()
    assert not Discrepancy.objects.exists()


@pytest.mark.django_db
def test_a_full_run_posts_every_balance_transaction_once(sandbox):
    a_fund_week(sandbox.state)

    run = reconcile_stripe(kind="sync", full=True, trigger="test")
    again = reconcile_stripe(kind="sync", full=True, trigger="test")

    assert run.checked == sum(1 for _ in sandbox.state.store.all("balance_transaction"))
    assert again.posted == 0
    assert_books_match_sandbox(sandbox)


@pytest.mark.django_db
def test_a_second_run_started_while_one_works_exits_cleanly(sandbox, settings):
    settings.RECONCILIATION_PAGE_SIZE = 5
    a_fund_week(sandbox.state)
    skipped = []

    def start_another(run):
        if not skipped:
            skipped.append(reconcile_stripe(kind="sync", trigger="test"))

    run = reconcile_stripe(kind="sync", trigger="test", after_page=start_another)

    assert run.status == RunStatus.SUCCEEDED
    assert skipped[0].status == RunStatus.SKIPPED
    assert_books_match_sandbox(sandbox)


@pytest.mark.django_db
def test_injected_rate_limits_errors_and_timeouts_still_give_exact_books(sandbox, settings):
    a_fund_week(sandbox.state, charges=30)
    settings.STRIPE_TIMEOUT = 0.3
    sandbox.configure(
        rate_limit_rate=0.25, server_error_rate=0.15, slow_ms=600, slow_rate=0.1, seed=11
    )

    run = reconcile_stripe(kind="all", full=True, trigger="test")

    sandbox.configure(rate_limit_rate=0, server_error_rate=0, slow_ms=0)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert sandbox.switches.faults_served["rate_limit"] > 0, "the faults were injected"
    assert sandbox.switches.faults_served["server_error"] > 0
    assert_books_match_sandbox(sandbox)
    assert _keys_unique()


class Killed(BaseException):
    """Stands in for the worker being killed: not an Exception, so no handler sees it."""


@pytest.mark.django_db
def test_a_run_killed_midway_is_resumed_by_the_next_and_nothing_doubles(sandbox, settings):
    settings.RECONCILIATION_PAGE_SIZE = 1  # batches of ten balance transactions
    a_fund_week(sandbox.state, charges=30)
    batches = []

    def die_after_second_batch(run):
        batches.append(run.cursor)
        if len(batches) == 2:
            raise Killed

    with pytest.raises(Killed):
        reconcile_stripe(kind="sync", full=True, trigger="test", after_page=die_after_second_batch)
    killed = ReconciliationRun.objects.get()
    assert killed.status == RunStatus.RUNNING and killed.checked == 20

    resumed = reconcile_stripe(kind="sync", trigger="test")

    killed.refresh_from_db()
    assert killed.status == RunStatus.INTERRUPTED
    assert resumed.resumed_from == killed
    assert resumed.status == RunStatus.SUCCEEDED
    assert_books_match_sandbox(sandbox)
    assert _keys_unique()


@pytest.mark.django_db
def test_a_wrong_fee_adjustment_shows_as_a_discrepancy_with_both_amounts(sandbox, settings):
    settings.RECONCILIATION_BALANCE_LAG_SECONDS = 0  # the balances as they are now
    a_fund_week(sandbox.state)
    reconcile_stripe(kind="all", full=True, trigger="test")
    stripe_before = account_balances()["assets:stripe"]
    fees_before = account_balances()["expenses:processing_fees"]
    transaction_post(
        kind="adjustment",
        date=sandbox_date(),
        legs=[("expenses:processing_fees", 50), ("assets:stripe", -50)],
        idempotency_key="manual:fee-fix",
        memo="Fee correction entered by hand",
    )

    run = reconcile_stripe(kind="all", full=True, trigger="test")

    assert run.mismatched == 2
    balance = Discrepancy.objects.get(kind="stripe_balance")
    assert (balance.expected, balance.found) == (stripe_before, stripe_before - 50)
    fees = Discrepancy.objects.get(kind="processing_fees")
    assert (fees.expected, fees.found) == (fees_before, fees_before + 50)


@pytest.mark.django_db
def test_the_same_discrepancy_is_not_listed_twice(sandbox):
    a_fund_week(sandbox.state)
    reconcile_stripe(kind="sync", full=True, trigger="test")
    transaction_post(
        kind="adjustment",
        date=sandbox_date(),
        legs=[("expenses:processing_fees", 50), ("assets:stripe", -50)],
        idempotency_key="manual:fee-fix",
    )
    reconcile_stripe(kind="balance", trigger="test")
    reconcile_stripe(kind="balance", trigger="test")

    assert Discrepancy.objects.filter(kind="stripe_balance").count() == 1


@pytest.mark.django_db
def test_a_payout_missing_from_the_books_is_a_discrepancy(sandbox):
    sandbox.state.create_charge(10000)
    sandbox.state.advance_clock(3 * 24 * 3600)
    payout = sandbox.state.create_payout(outcome="paid")

    run = reconcile_stripe(kind="payouts", trigger="test")

    assert run.mismatched == 1
    missing = Discrepancy.objects.get(kind="payout_not_in_books")
    assert missing.stripe_object == payout["id"] and missing.expected == payout["amount"]


@pytest.mark.django_db
def test_payouts_in_the_books_and_summing_right_are_clean(sandbox):
    a_fund_week(sandbox.state)
    reconcile_stripe(kind="sync", full=True, trigger="test")

    run = reconcile_stripe(kind="payouts", trigger="test")

    assert run.status == RunStatus.SUCCEEDED and run.mismatched == 0
    assert run.checked == 1


def sandbox_date():
    import datetime as dt

    return dt.date(2026, 1, 15)


@pytest.mark.django_db
def test_the_command_runs_the_same_service_and_reports(sandbox, capsys):
    from django.core.management import call_command

    a_fund_week(sandbox.state)
    call_command("reconcile_stripe", "--full")

    out = capsys.readouterr().out
    assert "succeeded" in out and "posted" in out
    assert_books_match_sandbox(sandbox)


@pytest.mark.django_db
def test_the_command_fails_loudly_when_stripe_cannot_be_reached(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="failed"):
        call_command("reconcile_stripe", "--kind", "sync")
    assert ReconciliationRun.objects.get().status == RunStatus.FAILED


@pytest.mark.django_db
def test_the_beat_task_runs_a_reconciliation(sandbox):
    from donations.tasks import reconcile_stripe as task

    sandbox.state.create_charge(2500)
    assert task.delay(kind="sync").get() == RunStatus.SUCCEEDED
    assert account_balances()["income:donations"] == -2500


def test_the_beat_schedule_has_every_job():
    from django.conf import settings

    kinds = {
        job["kwargs"]["kind"]
        for job in settings.CELERY_BEAT_SCHEDULE.values()
        if job["task"] == "donations.tasks.reconcile_stripe"
    }
    assert kinds == {"sync", "events", "payouts", "all"}
