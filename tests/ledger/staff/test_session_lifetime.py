"""A staff session ends STAFF_SESSION_MAX_SECONDS after its login, however active it has
been, on top of the idle timeout."""

from __future__ import annotations

import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def seconds_later(seconds: float):
    real = time.time
    with mock.patch("time.time", side_effect=lambda: real() + seconds):
        yield


def _logged_in_client(staff_user, totp_code, *roles: str) -> Client:
    """Through the login pages, as staff do."""
    user = staff_user(*roles, username="ana", password=PASSWORD)
    client = Client()
    client.post("/staff/login/", {"username": "ana", "password": PASSWORD})
    client.post("/staff/login/verify/", {"code": totp_code(user)})
    client.user = user
    return client


def test_activity_does_not_keep_a_session_past_its_lifetime(staff_user, totp_code, settings):
    settings.STAFF_SESSION_MAX_SECONDS = 3600
    client = _logged_in_client(staff_user, totp_code, "viewer")

    with seconds_later(1800):
        halfway = client.get("/staff/")
    with seconds_later(3500):
        near_the_end = client.get("/staff/")
    with seconds_later(3601):
        past = client.get("/staff/stripe/events/")
    login_page = client.get(past["Location"])

    assert halfway.status_code == 200
    assert near_the_end.status_code == 200
    assert past["Location"] == "/staff/login/?next=/staff/stripe/events/"
    assert "_auth_user_id" not in client.session
    assert "Your session reached its time limit. Log in again." in login_page.content.decode()
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


def test_the_default_lifetime_is_twelve_hours(staff_user, totp_code):
    client = _logged_in_client(staff_user, totp_code, "viewer")

    with seconds_later(12 * 3600 - 60):
        before = client.get("/staff/")
    with seconds_later(12 * 3600 + 1):
        after = client.get("/staff/")

    assert before.status_code == 200
    assert after["Location"] == "/staff/login/?next=/staff/"


def test_the_idle_expiry_never_reaches_past_the_lifetime(staff_user, totp_code, settings):
    settings.STAFF_SESSION_MAX_SECONDS = 3600
    settings.STAFF_SESSION_IDLE_SECONDS = 1800
    client = _logged_in_client(staff_user, totp_code, "viewer")

    with seconds_later(3000):
        client.get("/staff/")

    assert 595 <= client.session.get_expiry_age() <= 600


def test_the_second_step_and_the_admin_end_an_old_session_too(
    staff_user, totp_code, staff_client, settings
):
    settings.STAFF_SESSION_MAX_SECONDS = 600
    password_only = Client()
    staff_user("viewer", username="ben", password=PASSWORD)
    password_only.post("/staff/login/", {"username": "ben", "password": PASSWORD})
    admin = _logged_in_client(staff_user, totp_code, "admin")
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    assert admin.get("/admin/").status_code == 200

    with seconds_later(601):
        code_page = password_only.get("/staff/login/verify/")
        admin_page = admin.get("/admin/")

    assert code_page["Location"] == "/staff/login/?next=/staff/"
    assert admin_page["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in admin.session
    assert "_auth_user_id" not in password_only.session


def test_a_session_from_before_login_times_were_recorded_counts_from_its_next_request(
    staff_client, settings
):
    settings.STAFF_SESSION_MAX_SECONDS = 600
    client = staff_client("viewer")  # logged in without the login page: no time recorded

    with seconds_later(10_000):
        first = client.get("/staff/")
    with seconds_later(10_000 + 601):
        later = client.get("/staff/")

    assert first.status_code == 200
    assert later["Location"].startswith("/staff/login/")
