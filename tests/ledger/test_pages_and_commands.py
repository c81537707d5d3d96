import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory

from ledger.models import Account, Checkpoint, JournalTransaction
from ledger.selectors import account_balances

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


@pytest.mark.django_db
def test_the_home_page_shows_the_totals_from_the_books(client, post):
    post([("assets:bank", 123456), ("income:donations", -123456)], kind="offline_gift")
    post([("assets:bail_outstanding", 50000), ("assets:bank", -50000)], kind="disbursement")

    response = client.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "$1,234.56" in body  # raised
    assert "$500.00" in body  # bail paid and still held
    assert "$734.56" in body  # available
    assert "2 transactions" in body


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
