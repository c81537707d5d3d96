"""The staff-access and health settings: read from the environment, refused at start with
what to set when they could not work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from config.staff_settings import (
    healthz_token,
    positive_int,
    staff_security,
    username_failure_limit,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["0", "-5", "twelve hours", "1.5"])
def test_a_count_or_duration_below_one_or_not_a_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("STAFF_SESSION_MAX_SECONDS", value)

    with pytest.raises(ImproperlyConfigured, match="STAFF_SESSION_MAX_SECONDS must be a whole"):
        positive_int(environ.Env(), "STAFF_SESSION_MAX_SECONDS", 43_200)


def test_a_count_is_read_or_defaults(monkeypatch):
    monkeypatch.delenv("STAFF_LOGIN_GLOBAL_FAILURE_LIMIT", raising=False)
    assert positive_int(environ.Env(), "STAFF_LOGIN_GLOBAL_FAILURE_LIMIT", 100) == 100

    monkeypatch.setenv("STAFF_LOGIN_GLOBAL_FAILURE_LIMIT", "250")
    assert positive_int(environ.Env(), "STAFF_LOGIN_GLOBAL_FAILURE_LIMIT", 100) == 250


def test_the_username_limit_is_never_below_the_limit_for_one_address(monkeypatch):
    monkeypatch.delenv("STAFF_LOGIN_USERNAME_FAILURE_LIMIT", raising=False)
    assert username_failure_limit(environ.Env(), 5) == 20
    assert username_failure_limit(environ.Env(), 30) == 30

    monkeypatch.setenv("STAFF_LOGIN_USERNAME_FAILURE_LIMIT", "3")
    with pytest.raises(ImproperlyConfigured, match="at least STAFF_LOGIN_FAILURE_LIMIT"):
        username_failure_limit(environ.Env(), 5)


@pytest.mark.parametrize(
    "value", ["short", "a" * 31, "contains a space" + "x" * 20, "ünïcödé" + "x" * 30]
)
def test_a_weak_or_malformed_healthz_token_is_refused(monkeypatch, value):
    monkeypatch.setenv("HEALTHZ_TOKEN", value)

    with pytest.raises(ImproperlyConfigured, match="HEALTHZ_TOKEN must be empty or at least 32"):
        healthz_token(environ.Env())


def test_the_healthz_token_is_optional(monkeypatch):
    monkeypatch.delenv("HEALTHZ_TOKEN", raising=False)
    assert healthz_token(environ.Env()) == ""

    monkeypatch.setenv("HEALTHZ_TOKEN", "x" * 43)
    assert healthz_token(environ.Env()) == "x" * 43


def test_the_site_refuses_to_start_with_a_bad_staff_setting():
    env = dict(os.environ, DEBUG="1", STAFF_SESSION_MAX_SECONDS="0")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "STAFF_SESSION_MAX_SECONDS must be a whole number of at least 1" in result.stderr


SECURITY_DEFAULTS = {
    "STAFF_CREDENTIAL_COOLOFF_HOURS": 72,
    "STAFF_FRESH_OTP_SECONDS": 300,
    "STAFF_LOGIN_ADDRESS_RETENTION_DAYS": 30,
}


def test_the_staff_security_settings_default_and_are_read(monkeypatch):
    for name in SECURITY_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    assert staff_security(environ.Env()) == SECURITY_DEFAULTS

    monkeypatch.setenv("STAFF_FRESH_OTP_SECONDS", "120")
    assert staff_security(environ.Env())["STAFF_FRESH_OTP_SECONDS"] == 120


@pytest.mark.parametrize(
    "name, value",
    [
        ("STAFF_CREDENTIAL_COOLOFF_HOURS", "0"),
        ("STAFF_CREDENTIAL_COOLOFF_HOURS", "three days"),
        ("STAFF_FRESH_OTP_SECONDS", "5"),
        ("STAFF_FRESH_OTP_SECONDS", "86400"),
        ("STAFF_LOGIN_ADDRESS_RETENTION_DAYS", "0"),
        ("STAFF_LOGIN_ADDRESS_RETENTION_DAYS", "3650"),
    ],
)
def test_a_staff_security_setting_out_of_its_range_is_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured, match=f"{name} must be a whole number from"):
        staff_security(environ.Env())


def test_the_site_refuses_to_start_with_a_bad_staff_security_setting():
    env = dict(os.environ, DEBUG="1", STAFF_CREDENTIAL_COOLOFF_HOURS="0")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "STAFF_CREDENTIAL_COOLOFF_HOURS must be a whole number from 1 to 720" in result.stderr
