"""Staff login: a password, then a code; enrolment; recovery codes; lockout; idle expiry;
the Django admin behind the same door."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from types import SimpleNamespace

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.models import AuditEvent
from ledger.staff import accounts as staff_accounts

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _log_in(client, username, password=PASSWORD, next_url=None, **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/staff/login/", data, **extra)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_password_then_a_code_logs_in_and_is_audited(client, staff_user, totp_code):
    user = staff_user("viewer", username="ana", password=PASSWORD)

    first = _log_in(client, "ana", next_url="/staff/stripe/events/")
    halfway = client.get("/staff/")
    second = client.post(
        "/staff/login/verify/", {"code": totp_code(user), "next": "/staff/stripe/events/"}
    )

    assert first["Location"] == "/staff/login/verify/?next=%2Fstaff%2Fstripe%2Fevents%2F"
    assert halfway["Location"].startswith("/staff/login/verify/")
    assert second["Location"] == "/staff/stripe/events/"
    assert client.get("/staff/").status_code == 200
    login = AuditEvent.objects.get(action="staff.login")
    assert login.actor == user and login.object_id == str(user.pk)
    assert login.details == {"second_factor": "totp"}


def test_the_login_forms_need_the_csrf_token(staff_user):
    staff_user("viewer", username="ana", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)

    page = client.get("/staff/login/")

    assert "csrfmiddlewaretoken" in page.content.decode()
    assert _log_in(client, "ana").status_code == 403


def test_a_wrong_code_is_refused_audited_and_slows_the_next_try(client, staff_user, totp_code):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    _log_in(client, "ana")
    right = totp_code(user)

    wrong = client.post("/staff/login/verify/", {"code": _wrong(right)})
    too_soon = client.post("/staff/login/verify/", {"code": right})
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5)
    )
    later = client.post("/staff/login/verify/", {"code": right})

    assert "That code is not right." in wrong.content.decode()
    assert "Too many wrong codes: wait 1 seconds" in too_soon.content.decode()
    assert later["Location"] == "/staff/"
    failures = AuditEvent.objects.filter(action="staff.second_factor_failed")
    assert [event.details for event in failures.order_by("id")] == [
        {"method": "totp", "throttled": False},
        {"method": "totp", "throttled": True},
    ]


def test_a_code_works_only_once(client, staff_user, totp_code):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    code = totp_code(user)
    _log_in(client, "ana")
    client.post("/staff/login/verify/", {"code": code})
    other = Client()
    _log_in(other, "ana")

    replay = other.post("/staff/login/verify/", {"code": code})

    assert "That code is not right." in replay.content.decode()


def test_a_recovery_code_logs_in_once(client, staff_user):
    user = staff_user("bookkeeper", username="ana", password=PASSWORD)
    codes = staff_accounts.recovery_codes_regenerate(user=user)

    _log_in(client, "ana")
    used = client.post("/staff/login/verify/", {"code": codes[0].upper()})
    client.post("/staff/logout/")
    again = Client()
    _log_in(again, "ana")
    reused = again.post("/staff/login/verify/", {"code": codes[0]})

    assert used["Location"] == "/staff/"
    assert "That code is not right." in reused.content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 9
    assert AuditEvent.objects.get(action="staff.login").details == {
        "second_factor": "recovery_code"
    }


def test_the_database_holds_no_recovery_code_only_digests(staff_user):
    user = staff_user("viewer", username="ana")
    codes = staff_accounts.recovery_codes_regenerate(user=user)

    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM otp_static_statictoken")
        stored = [token for (token,) in cursor.fetchall()]

    assert len(stored) == 10
    assert not set(stored) & set(codes)
    assert not any(code[:8] in token for token in stored for code in codes)


def test_codes_issued_before_digests_keep_working_after_the_migration(client, staff_user):
    from django.apps import apps

    migration = importlib.import_module("ledger.migrations.0008_recovery_code_digests")
    user = staff_user("bookkeeper", username="ana", password=PASSWORD)
    staff_accounts.recovery_codes_regenerate(user=user)
    device = StaticToken.objects.filter(device__user=user).first().device
    device.token_set.all().delete()
    device.token_set.create(token="abcdefgh23456712")  # as codes were stored before

    migration.store_digests(apps, SimpleNamespace(connection=connection))

    assert list(device.token_set.values_list("token", flat=True)) == [
        staff_accounts.legacy_recovery_code_digest("abcdefgh23456712")
    ]
    _log_in(client, "ana")
    assert client.post("/staff/login/verify/", {"code": "ABCD EFGH 2345 6712"})["Location"] == (
        "/staff/"
    )


def test_enrolment_shows_a_qr_code_and_one_code_confirms_it(client, staff_user, totp_code):
    user = staff_user("case_manager", username="ana", password=PASSWORD, authenticator=False)

    login = _log_in(client, "ana")
    page = client.get(login["Location"])
    reloaded = client.get(login["Location"])
    refused = client.post("/staff/enrol/", {"code": _wrong(totp_code(user))})
    assert not TOTPDevice.objects.get(user=user).confirmed
    TOTPDevice.objects.update(throttling_failure_timestamp=None)  # wrong codes slow retries
    confirmed = client.post("/staff/enrol/", {"code": totp_code(user)})

    assert login["Location"] == "/staff/enrol/?next=%2Fstaff%2F"
    body = page.content.decode()
    assert '<figure class="qr" id="totp-qr"' in body and "<svg" in body and "<path" in body
    device = TOTPDevice.objects.get(user=user)
    assert page.context["secret"].replace(" ", "") in body.replace(" ", "")
    assert reloaded.context["secret"] == page.context["secret"]
    assert "That code is not right." in refused.content.decode()
    assert confirmed.status_code == 200
    assert "no-store" in confirmed["Cache-Control"]
    codes = confirmed.context["codes"]
    assert len(codes) == 10 and all(code in confirmed.content.decode() for code in codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.get(action="staff.enrolled").object_id == str(user.pk)


def test_a_password_alone_cannot_enrol_a_second_app(client, staff_user):
    staff_user("admin", username="ana", password=PASSWORD)
    _log_in(client, "ana")

    response = client.get("/staff/enrol/")

    assert response["Location"].startswith("/staff/login/verify/")
    assert TOTPDevice.objects.count() == 1


def test_recovery_codes_are_regenerated_by_a_verified_user(staff_user, staff_client, client):
    user = staff_user("viewer", username="ana")
    old = staff_accounts.recovery_codes_regenerate(user=user)
    verified = staff_client(user=user)
    client.force_login(user)  # password only

    page = verified.get("/staff/recovery-codes/")
    fresh = verified.post("/staff/recovery-codes/")

    assert "You have 10 unused recovery codes" in page.content.decode()
    new = fresh.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert tokens == {staff_accounts.recovery_code_tag(code) for code in new}
    assert AuditEvent.objects.filter(action="staff.recovery_codes_regenerated").count() == 2
    assert client.post("/staff/recovery-codes/")["Location"].startswith("/staff/login/verify/")


def test_repeated_failures_lock_the_username_out_from_that_address(client, staff_user):
    staff_user("viewer", username="ana", password=PASSWORD)

    failures = [_log_in(client, "ana", "wrong password").status_code for _ in range(5)]
    right_password = _log_in(client, "ana")
    elsewhere = _log_in(Client(), "ana", REMOTE_ADDR="192.0.2.7")

    assert failures == [200, 200, 200, 200, 429]
    assert right_password.status_code == 429
    assert "Too many failed logins" in right_password.content.decode()
    assert "15 minutes" in right_password.content.decode()
    assert not _is_logged_in(client)
    assert elsewhere["Location"].startswith("/staff/login/verify/")


def test_a_successful_login_clears_the_count_of_failures(client, staff_user):
    staff_user("viewer", username="ana", password=PASSWORD)

    for _ in range(4):
        _log_in(client, "ana", "wrong password")
    _log_in(client, "ana")
    client.post("/staff/logout/")
    statuses = [_log_in(client, "ana", "wrong password").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]


def test_an_account_without_a_role_cannot_log_in_to_the_staff_side(client, staff_user):
    user = staff_user(username="ana", password=PASSWORD)

    response = _log_in(client, "ana")

    assert "Wrong username or password, or this account has no staff role." in (
        response.content.decode()
    )
    assert not _is_logged_in(client)
    client.force_login(user)
    assert client.get("/staff/enrol/").status_code == 403
    assert client.get("/staff/login/verify/").status_code == 403


def test_a_staff_page_sets_the_idle_expiry(staff_client, settings):
    settings.STAFF_SESSION_IDLE_SECONDS = 600
    client = staff_client("viewer")

    client.get("/staff/")

    assert client.session.get_expiry_age() == 600
    assert client.session.get_expire_at_browser_close() is False


def test_an_idle_session_has_to_log_in_again(staff_client, totp_code, client, staff_user):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    _log_in(client, "ana")
    client.post("/staff/login/verify/", {"code": totp_code(user)})
    assert client.session.get_expiry_age() == 1800
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/staff/")

    assert response["Location"] == "/staff/login/?next=/staff/"


def test_logging_out_ends_the_session(staff_client):
    client = staff_client("viewer")

    assert client.get("/staff/logout/").status_code == 405
    client.post("/staff/logout/")

    assert client.get("/staff/")["Location"].startswith("/staff/login/")


def test_the_next_address_never_leaves_the_site(client, staff_user, totp_code):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    _log_in(client, "ana", next_url="https://attacker.example/")

    response = client.post(
        "/staff/login/verify/", {"code": totp_code(user), "next": "https://attacker.example/"}
    )

    assert response["Location"] == "/staff/"


def test_the_admin_is_behind_the_staff_login_and_second_factor(client, staff_user, staff_client):
    admin_user = staff_user("admin", username="root")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    password_only = Client()
    password_only.force_login(admin_user)

    anonymous = client.get("/admin/login/?next=/admin/")
    unverified = password_only.get("/admin/", follow=True)
    verified = staff_client(user=admin_user).get("/admin/")
    viewer = staff_client("viewer").get("/admin/login/")

    assert anonymous["Location"] == "/staff/login/?next=/admin/"
    assert unverified.redirect_chain[-1][0].startswith("/staff/login/verify/")
    assert verified.status_code == 200
    assert viewer.status_code == 403


def test_logs_and_audit_rows_never_hold_the_username(client, staff_user, totp_code, caplog):
    user = staff_user("viewer", username="ana@example.org", password=PASSWORD)
    caplog.set_level(logging.DEBUG)

    _log_in(client, "ana@example.org", "wrong password")
    _log_in(client, "ana@example.org")
    client.post("/staff/login/verify/", {"code": _wrong(totp_code(user))})
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    client.post("/staff/login/verify/", {"code": totp_code(user)})

    assert AuditEvent.objects.filter(action="staff.login").exists()
    assert "ana@example.org" not in caplog.text and "example.org" not in caplog.text
    for event in AuditEvent.objects.all():
        assert "example.org" not in str(event.details)
