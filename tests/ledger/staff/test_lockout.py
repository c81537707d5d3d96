"""Failed password logins: locked out per username and address, per username from every
address, and, past a global limit, every password login refused until the window ends."""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _log_in(username: str, password: str = PASSWORD, *, address: str):
    client = Client(REMOTE_ADDR=address)
    return client.post("/staff/login/", {"username": username, "password": password})


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/staff/login/verify/")


@contextmanager
def seconds_later(seconds: float):
    real = time.time
    with mock.patch("time.time", side_effect=lambda: real() + seconds):
        yield


@pytest.fixture
def window_start(settings):
    """The clock a few seconds into a fresh global window, so a test never straddles two."""
    length = settings.STAFF_LOGIN_COOLOFF_MINUTES * 60
    with seconds_later(length - time.time() % length + 5):
        yield


def test_guesses_spread_over_addresses_lock_the_username_out_everywhere(staff_user, settings):
    settings.STAFF_LOGIN_USERNAME_FAILURE_LIMIT = 8
    staff_user("viewer", username="ana", password=PASSWORD)
    staff_user("viewer", username="ben", password=PASSWORD)

    spread = [
        _log_in("ana", "wrong password", address=f"192.0.2.{n}").status_code for n in range(1, 9)
    ]
    owner = _log_in("ana", address="198.51.100.7")
    colleague = _log_in("ben", address="192.0.2.1")

    assert spread == [200] * 7 + [429]
    assert owner.status_code == 429
    assert "Too many failed logins" in owner.content.decode()
    assert _logged_in(colleague)


def test_one_address_is_still_stopped_first_without_locking_the_owner_out(staff_user):
    staff_user("viewer", username="ana", password=PASSWORD)

    guesses = [_log_in("ana", "wrong password", address="192.0.2.1").status_code for _ in range(5)]
    owner = _log_in("ana", address="198.51.100.7")

    assert guesses == [200] * 4 + [429]
    assert _logged_in(owner)


def test_an_admin_lifts_the_lockout_of_a_username(staff_user, settings):
    settings.STAFF_LOGIN_USERNAME_FAILURE_LIMIT = 6
    staff_user("viewer", username="ana", password=PASSWORD)
    for n in range(6):
        _log_in("ana", "wrong password", address=f"192.0.2.{n + 1}")
    assert _log_in("ana", address="198.51.100.7").status_code == 429

    call_command("axes_reset_username", "ana")

    assert _logged_in(_log_in("ana", address="198.51.100.7"))


@pytest.mark.usefixtures("window_start")
def test_too_many_failures_across_accounts_pause_every_password_login(staff_user, settings, caplog):
    settings.STAFF_LOGIN_GLOBAL_FAILURE_LIMIT = 3
    staff_user("viewer", username="ana", password=PASSWORD)
    caplog.set_level(logging.WARNING, logger="ledger.staff.lockout")

    failures = [
        _log_in(name, "wrong password", address=f"192.0.2.{n}").status_code
        for n, name in enumerate(["zed", "yan", "xia"], start=1)
    ]
    paused = _log_in("ana", address="198.51.100.7")
    page = Client().get("/staff/login/")
    with seconds_later(settings.STAFF_LOGIN_COOLOFF_MINUTES * 60):
        afterwards = _log_in("ana", address="198.51.100.7")

    assert failures == [200, 200, 200]
    assert paused.status_code == 429
    body = paused.content.decode()
    assert "Staff logins are paused for everyone" in body
    assert re.search(r"Try again in \d+ minutes?\.", body)
    assert "_auth_user_id" not in paused.client.session
    assert page.status_code == 200
    assert _logged_in(afterwards)
    assert "password logins are refused" in caplog.text
    assert not any(name in caplog.text for name in ("zed", "yan", "xia", "ana"))


@pytest.mark.usefixtures("window_start")
def test_the_global_limit_counts_failures_from_every_address_and_account(staff_user, settings):
    settings.STAFF_LOGIN_GLOBAL_FAILURE_LIMIT = 4
    staff_user("viewer", username="ana", password=PASSWORD)
    staff_user("viewer", username="ben", password=PASSWORD)

    _log_in("ana", "wrong password", address="192.0.2.1")
    _log_in("ben", "wrong password", address="192.0.2.2")
    _log_in("nobody", "wrong password", address="192.0.2.3")
    below = _log_in("ben", address="192.0.2.4")
    _log_in("ana", "wrong password", address="192.0.2.5")
    at_the_limit = _log_in("ben", address="192.0.2.6")

    assert _logged_in(below)
    assert at_the_limit.status_code == 429
