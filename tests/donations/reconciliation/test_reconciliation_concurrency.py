"""Reconciliation against real concurrency on PostgreSQL: other runs, webhooks, kill -9."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import timezone

from donations.events.processing import stripe_event_process
from donations.models import ReconciliationRun, ReconciliationState, RunStatus
from donations.reconciliation.runs import reconcile_stripe
from ledger.models import JournalTransaction
from tests.donations.conftest import a_fund_week, assert_books_match_sandbox, charge_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(django_settings.BASE_DIR)


def _threads(*targets):
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def run(index, target):
        try:
            barrier.wait()
            results[index] = target()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_runs_started_together_one_works_and_the_other_exits(sandbox):
    a_fund_week(sandbox.state, charges=40)

    runs = _threads(
        lambda: reconcile_stripe(kind="sync", full=True, trigger="a"),
        lambda: reconcile_stripe(kind="sync", full=True, trigger="b"),
    )

    assert sorted(run.status for run in runs) == [RunStatus.SKIPPED, RunStatus.SUCCEEDED]
    assert_books_match_sandbox(sandbox)
    keys = list(JournalTransaction.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))


def test_a_webhook_and_a_run_racing_on_the_same_charge_post_it_once(sandbox):
    charge = sandbox.state.create_charge(7700, emit_events=False).charge
    event = charge_event("evt_race", charge)

    _threads(
        lambda: stripe_event_process(event_pk=event.pk),
        lambda: reconcile_stripe(kind="sync", full=True, trigger="race"),
    )

    assert JournalTransaction.objects.filter(idempotency_key__startswith="stripe:").count() == 1
    assert_books_match_sandbox(sandbox)


def test_a_worker_killed_with_sigkill_midway_is_finished_by_the_next_run(sandbox):
    a_fund_week(sandbox.state, charges=60)
    sandbox.configure(slow_ms=150)
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        STRIPE_API_BASE=sandbox.url,
        STRIPE_SECRET_KEY=django_settings.STRIPE_SECRET_KEY,
        DEBUG="1",
        RECONCILIATION_PAGE_SIZE="5",
    )
    env.pop("CELERY_BROKER_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "reconcile_stripe", "--kind", "sync", "--full"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = ReconciliationRun.objects.first()
        if run and run.checked >= 15:
            break
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    killed = ReconciliationRun.objects.get()
    assert killed.status == RunStatus.RUNNING and killed.checked > 0
    sandbox.configure(slow_ms=0)

    blocked = reconcile_stripe(kind="sync", trigger="test")  # its lease still holds
    ReconciliationState.objects.update(lock_expires_at=timezone.now())  # the lease lapses
    resumed = reconcile_stripe(kind="sync", trigger="test")

    assert blocked.status == RunStatus.SKIPPED
    assert resumed.status == RunStatus.SUCCEEDED and resumed.resumed_from_id == killed.pk
    assert_books_match_sandbox(sandbox)
    keys = list(JournalTransaction.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))


def _database_url() -> str:
    params = connection.settings_dict
    return f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"
