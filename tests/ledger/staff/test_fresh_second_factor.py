"""Approving and paying need the second factor entered within STAFF_FRESH_OTP_SECONDS: an
older one sends the person to a page asking for a code again, which brings them back to
where they were (docs/permissions.md, "A fresh second factor for money")."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.casework.cases import Identity
from ledger.models import AuditEvent, Disbursement
from ledger.staff import accounts as staff_accounts
from ledger.staff.access import SECOND_FACTOR_TIME_SESSION_KEY
from tests.ledger.conftest import deposit, open_case, request_disbursement

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STAFF_FRESH_OTP_SECONDS = 300


@pytest.fixture
def requested(person, field_keys) -> Disbursement:
    requester = person("case_manager")
    deposit(500_000)
    return request_disbursement(requester, open_case(requester, Identity(name="C D")), 10_000)


def _entered(client, seconds_ago: int | None) -> None:
    """The session's second factor entered that long ago (None: not recorded)."""
    session = client.session
    if seconds_ago is None:
        session.pop(SECOND_FACTOR_TIME_SESSION_KEY, None)
    else:
        session[SECOND_FACTOR_TIME_SESSION_KEY] = int(time.time()) - seconds_ago
    session.save()


def _page(d) -> str:
    return reverse("casework:disbursement", args=[d.pk])


def _approve(client, d):
    return client.post(
        reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}, HTTP_REFERER=_page(d)
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_an_older_code_is_asked_for_again_and_the_person_comes_back(
    staff_client, requested, totp_code
):
    client = staff_client("approver")
    _entered(client, 301)

    asked = _approve(client, requested)
    page = client.get(asked["Location"])
    wrong = client.post(asked["Location"], {"code": _wrong(totp_code(client.user))})
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    back = client.post(asked["Location"], {"code": totp_code(client.user)})
    approved = _approve(client, requested)

    assert asked.status_code == 302
    back_to = f"%2Fstaff%2Fdisbursements%2F{requested.pk}%2F"
    assert asked["Location"] == f"/staff/login/reverify/?next={back_to}"
    assert page.status_code == 200 and "Enter a code again" in page.content.decode()
    assert "5 minutes" in page.content.decode()
    assert "That code is not right." in wrong.content.decode()
    assert back["Location"] == _page(requested)
    assert approved.status_code == 302
    requested.refresh_from_db()
    assert requested.status == "approved"
    user = client.user
    steps = AuditEvent.objects.filter(actor=user, object_id=str(user.pk)).order_by("sequence")
    assert [(e.action, e.details) for e in steps if e.action != "staff.password_accepted"] == [
        ("staff.reverification_required", {"capability": "approve_disbursement"}),
        ("staff.second_factor_failed", {"method": "totp", "throttled": False, "reverify": True}),
        ("staff.reverified", {"second_factor": "totp"}),
    ]


def test_nothing_is_approved_until_the_code_is_in(staff_client, requested):
    client = staff_client("approver")
    _entered(client, 301)

    _approve(client, requested)

    requested.refresh_from_db()
    assert requested.status == "requested"
    assert not AuditEvent.objects.filter(action="disbursement.approved").exists()


def test_paying_needs_it_too(staff_client, requested, person):
    from ledger.casework.disbursements import disbursement_approve

    disbursement_approve(actor=person("approver"), disbursement=requested)
    client = staff_client("approver")
    _entered(client, 301)

    asked = client.post(
        reverse("casework:pay", args=[requested.pk]),
        {"pay-paid_on": "2026-03-04", "pay-confirm": "on"},
        HTTP_REFERER=_page(requested),
    )

    assert asked["Location"].startswith("/staff/login/reverify/")
    requested.refresh_from_db()
    assert requested.status == "approved"


def test_a_session_verified_before_the_time_was_recorded_is_asked_too(staff_client, requested):
    client = staff_client("approver")
    _entered(client, None)

    assert _approve(client, requested)["Location"].startswith("/staff/login/reverify/")


def test_a_recent_login_approves_without_asking(client, staff_user, requested, totp_code):
    user = staff_user("approver", username="ana", password=PASSWORD)
    client.post("/staff/login/", {"username": "ana", "password": PASSWORD})
    client.post("/staff/login/verify/", {"code": totp_code(user)})

    assert _approve(client, requested)["Location"] == _page(requested)
    requested.refresh_from_db()
    assert requested.status == "approved"


def test_a_recovery_code_does_too(staff_user, staff_client, requested):
    user = staff_user("approver")
    codes = staff_accounts.recovery_codes_regenerate(user=user)  # before it was ever used
    client = staff_client(user=user)
    _entered(client, 3600)
    asked = _approve(client, requested)

    back = client.post(asked["Location"], {"code": codes[0]})

    assert back["Location"] == _page(requested)
    assert AuditEvent.objects.get(action="staff.reverified").details == {
        "second_factor": "recovery_code"
    }


def test_pages_that_only_show_need_no_fresh_code(staff_client, requested):
    client = staff_client("approver")
    _entered(client, 3600)

    assert client.get(_page(requested)).status_code == 200
    assert client.get(reverse("casework:queue")).status_code == 200


def test_the_way_back_never_leaves_the_site(staff_client, requested):
    client = staff_client("approver")
    _entered(client, 301)

    asked = client.post(
        reverse("casework:approve", args=[requested.pk]),
        {"confirm": "yes"},
        HTTP_REFERER="https://attacker.example/staff/",
    )

    assert asked["Location"] == "/staff/login/reverify/?next=%2Fstaff%2F"


def test_the_page_asks_for_both_factors_first(requested):
    anonymous = Client().get("/staff/login/reverify/?next=/staff/")

    assert anonymous["Location"].startswith("/staff/login/")
