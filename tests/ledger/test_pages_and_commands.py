import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory

from ledger.books.selectors import account_balances
from ledger.models import (
    Account,
    Checkpoint,
    JournalTransaction,
    ReleaseStatus,
    TransparencyRelease,
)
from ledger.public.releases import releases_publish_due
from tests.ledger import fund_life as life

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_leaves_a_clean_ledger(capsys, field_keys):
    call_command("seed_demo")
    count = JournalTransaction.objects.count()
    balances = account_balances()
    call_command("seed_demo")

    assert count > 100
    assert JournalTransaction.objects.count() == count
    assert account_balances() == balances
    assert "0 new transactions" in capsys.readouterr().out
    call_command("verify_ledger")
    # The demo's closed months are released, and none is held by the audit.
    statuses = set(TransparencyRelease.objects.values_list("status", flat=True))
    assert statuses == {ReleaseStatus.PUBLISHED}


@pytest.mark.django_db
def test_the_home_page_shows_money_raised_live_and_bail_from_the_latest_release(
    client, post, field_keys, settings
):
    settings.TRANSPARENCY_MIN_CELL = 5
    settings.TRANSPARENCY_RELEASE_LAG_DAYS = 10
    post(
        [("assets:bank", 10_000_000), ("income:donations", -10_000_000)],
        kind="offline_gift",
        date=dt.date(2026, 1, 5),
    )
    by = life.team()
    for n in range(5):
        life.pay(life.case("Dakota", by=by), 50_000 + 100 * n, dt.date(2026, 1, 10), by=by)

    before = client.get("/").content.decode()
    releases_publish_due(today=dt.date(2026, 2, 10))
    released = client.get("/").content.decode()
    post(
        [("assets:bank", 123_456), ("income:donations", -123_456)],
        kind="offline_gift",
        date=dt.date(2026, 2, 20),
    )
    later = client.get("/").content.decode()

    assert "$100,000.00" in before  # raised so far, gifts before fees
    assert "Bail figures are published once a month has closed" in before
    assert "$2,510.00" not in before  # five people's bail: not until January is released
    assert "Bail, as of the release for 2026-01:" in released
    assert "$2,510.00 paid" in released and "$2,510.00 still held by courts" in released
    assert "$101,234.56" in later  # money raised is live
    assert "Bail, as of the release for 2026-01:" in later


@pytest.mark.django_db
def test_checkpoints_are_recorded_and_listed(post, capsys):
    post([("assets:bank", 100), ("income:donations", -100)])
    call_command("ledger_checkpoint")
    call_command("ledger_checkpoint", "--list")

    checkpoint = Checkpoint.objects.get()
    out = capsys.readouterr().out
    assert f"#1 {checkpoint.hash}" in out
    assert checkpoint.sequence == 1


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Account, JournalTransaction, Checkpoint])
def test_the_admin_for_the_books_is_read_only(model, admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[model]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_production_refuses_the_development_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_starts_with_its_own_secret_key():
    env = dict(os.environ, DEBUG="0", SECRET_KEY="x" * 50, STRIPE_SECRET_KEY="sk_live_x")
    env.pop("STRIPE_API_BASE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
