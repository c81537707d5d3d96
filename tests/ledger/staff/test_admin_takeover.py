"""The two-person rule holds against one admin (docs/permissions.md, "Credentials reset by
someone else"): an admin who resets an approver's password and authenticator, logs in as
them and enrols a new app cannot approve their own request, and every step is in the audit
log under the right name."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger import exceptions
from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve
from ledger.models import AuditEvent, Disbursement, StaffCredentialReset
from ledger.staff import accounts as staff_accounts
from ledger.staff.roles import Capability, require, user_can
from tests.ledger.conftest import deposit, open_case, request_disbursement

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
TAKEN_OVER = "a passphrase only the admin knows"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(staff_user):
    """An admin (who also requests disbursements), a second admin, and an approver who
    has logged in before; each with an email address."""

    def person(role, username, **flags):
        user = staff_user(role, username=username, password=PASSWORD)
        user.email = f"{username}@example.org"
        for flag, value in flags.items():
            setattr(user, flag, value)
        user.save()
        return user

    admin = person("admin", "root-admin", is_staff=True, is_superuser=True)
    second_admin = person("admin", "deputy-admin", is_staff=True, is_superuser=True)
    approver = person("approver", "ana-approver")
    return admin, second_admin, approver


def _log_in(username: str, user, totp_code, password: str = PASSWORD) -> Client:
    client = Client()
    client.post("/staff/login/", {"username": username, "password": password})
    assert client.post("/staff/login/verify/", {"code": totp_code(user)}).status_code == 302
    return client


def _request_by(admin, field_keys) -> Disbursement:
    deposit(500_000)
    case = open_case(admin, Identity(name="Rowan Example", docket_number="TK-1"))
    return request_disbursement(admin, case, 100_000)


def _trail(user, after: int) -> list[tuple[str, int | None, str | None]]:
    """(action, actor id, via) of the events about the account since sequence ``after``,
    in order, but for the pauses."""
    events = AuditEvent.objects.filter(
        object_type="user", object_id=str(user.pk), sequence__gt=after
    ).exclude(action="staff.money_rights_paused")
    return [(e.action, e.actor_id, e.details.get("via")) for e in events.order_by("sequence")]


def test_an_admin_who_takes_over_an_approver_cannot_approve_their_own_request(
    people, field_keys, totp_code, django_capture_on_commit_callbacks, mailoutbox
):
    admin, second_admin, approver = people
    _log_in("ana-approver", approver, totp_code).post("/staff/logout/")  # their own login
    d = _request_by(admin, field_keys)
    root = _log_in("root-admin", admin, totp_code)
    before = AuditEvent.objects.order_by("-sequence").first().sequence

    # The admin sets the approver's password and deletes their authenticator, in the admin.
    with django_capture_on_commit_callbacks(execute=True):
        password_page = f"/admin/auth/user/{approver.pk}/password/"
        changed = root.post(
            password_page,
            {"password1": TAKEN_OVER, "password2": TAKEN_OVER, "usable_password": "true"},
        )
    device = TOTPDevice.objects.get(user=approver)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = root.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    # …logs in as the approver, enrols a new app…
    taker = Client()
    first = taker.post("/staff/login/", {"username": "ana-approver", "password": TAKEN_OVER})
    taker.get("/staff/enrol/")
    enrolled = taker.post("/staff/enrol/", {"code": totp_code(approver)})
    # …and approves the admin's own request.
    d_url = reverse("casework:disbursement", args=[d.pk])
    refused = taker.post(
        reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}, HTTP_REFERER=d_url
    )

    assert changed.status_code == 302 and deleted.status_code == 302
    assert first["Location"].startswith("/staff/enrol/") and enrolled.status_code == 200
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "This account cannot move money until" in page and "changed by root-admin" in page
    d.refresh_from_db()
    assert d.status == "requested" and d.approved_by is None
    assert "cannot move money" in taker.get(d_url).content.decode()  # and no approve button
    # The audit log names the admin for the resets, and the approver's account for the rest.
    assert _trail(approver, after=before) == [
        ("staff.password_changed", admin.pk, "admin"),
        ("staff.device_removed", admin.pk, "admin"),
        ("staff.password_accepted", approver.pk, None),
        ("staff.device_added", approver.pk, "staff page"),
        ("staff.device_confirmed", approver.pk, "staff page"),
        ("staff.device_added", approver.pk, "staff page"),  # the recovery codes' device
        ("staff.enrolled", approver.pk, None),
        ("staff.login", approver.pk, None),
        ("staff.money_rights_refused", approver.pk, None),
    ]
    pauses = StaffCredentialReset.objects.filter(user=approver).order_by("at")
    assert [(p.what, p.reset_by) for p in pauses] == [
        ("password", admin),
        ("authenticator app (removed)", admin),
    ]
    # The approver and every admin were told, once for each change.
    recipients = ["ana-approver@example.org", "deputy-admin@example.org", "root-admin@example.org"]
    assert sorted(address for m in mailoutbox for address in m.to) == sorted(recipients * 2)
    assert "changed by root-admin" in mailoutbox[0].body
    for event in AuditEvent.objects.filter(sequence__gt=before):
        assert "ana-approver" not in str(event.details)
        assert "example.org" not in str(event.details)

    # Once the pause is over, the approval is still refused: the requester reset the
    # approver's credentials after requesting.
    pauses.update(until=timezone.now() - dt.timedelta(seconds=1))
    later = taker.post(
        reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}, HTTP_REFERER=d_url
    )

    assert later.status_code == 400
    assert "its requester reset your credentials" in later.content.decode()
    d.refresh_from_db()
    assert d.status == "requested"
    refusal = AuditEvent.objects.get(action="disbursement.approval_refused")
    assert refusal.actor == approver and refusal.object_id == str(d.pk)
    assert refusal.details == {"reason": "requester_reset_approver"}


def test_the_second_admin_can_approve_it(people, field_keys, staff_client):
    admin, second_admin, _ = people
    d = _request_by(admin, field_keys)

    response = staff_client(user=second_admin).post(
        reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}
    )

    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == "approved" and d.approved_by == second_admin


def test_changing_ones_own_password_or_enrolling_a_first_app_pauses_nothing(
    people, field_keys, totp_code, staff_client, staff_user
):
    admin, second_admin, _ = people
    root = _log_in("root-admin", admin, totp_code)
    newcomer = staff_user("approver", username="ben", password=PASSWORD, authenticator=False)

    own = root.post(
        f"/admin/auth/user/{admin.pk}/password/",
        {"password1": TAKEN_OVER, "password2": TAKEN_OVER, "usable_password": "true"},
    )
    first_login = Client()
    first_login.post("/staff/login/", {"username": "ben", "password": PASSWORD})
    first_login.get("/staff/enrol/")
    first_login.post("/staff/enrol/", {"code": totp_code(newcomer)})

    assert own.status_code == 302
    assert AuditEvent.objects.filter(action="staff.password_changed", actor=admin).exists()
    assert AuditEvent.objects.filter(action="staff.device_confirmed", actor=newcomer).exists()
    assert not StaffCredentialReset.objects.exists()
    assert user_can(admin, Capability.APPROVE_DISBURSEMENT)
    assert user_can(newcomer, Capability.APPROVE_DISBURSEMENT)
    d = _request_by(second_admin, field_keys)
    assert (
        first_login.post(reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}).status_code
        == 302
    )


def test_a_reset_by_command_pauses_money_rights_and_says_why_and_until_when(
    staff_client, staff_user, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.STAFF_CREDENTIAL_COOLOFF_HOURS = 48
    approver = staff_user("approver", "bookkeeper", username="ana")
    approver.email = "ana@example.org"
    approver.save()
    staff_accounts.recovery_codes_regenerate(user=approver)
    staff_client(user=approver)  # has logged in

    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_staff_user", "ana", "--reset-second-factor", stdout=io.StringIO())

    pauses = list(StaffCredentialReset.objects.filter(user=approver))
    assert {p.what for p in pauses} == {"authenticator app (removed)", "recovery codes (removed)"}
    assert all(p.reset_by is None for p in pauses)
    assert all(p.until - p.at == dt.timedelta(hours=48) for p in pauses)
    assert len(mailoutbox) == 1  # one notice for the one command
    assert "a command on the server" in mailoutbox[0].body
    for capability in (Capability.APPROVE_DISBURSEMENT, Capability.RECORD_OFFLINE_GIFT):
        assert not user_can(approver, capability)
        with pytest.raises(exceptions.MoneyRightsPaused, match="cannot move money until"):
            require(approver, capability)
    assert user_can(approver, Capability.VIEW_JOURNAL)  # the rest of the role stays
    refused = AuditEvent.objects.filter(action="staff.money_rights_refused", actor=approver)
    assert [e.details["capability"] for e in refused.order_by("sequence")] == [
        "approve_disbursement",
        "record_offline_gift",
    ]
    StaffCredentialReset.objects.update(until=timezone.now() - dt.timedelta(seconds=1))
    # A user object reads the pause once, as it reads its roles: the next request's is new.
    assert user_can(type(approver).objects.get(pk=approver.pk), Capability.APPROVE_DISBURSEMENT)


def _reset(user, by, at) -> None:
    StaffCredentialReset.objects.create(user=user, reset_by=by, what="password", at=at, until=at)


@pytest.mark.parametrize(
    "hours_after_request, refused",
    [(-73, False), (-71, True), (0, True), (200, True)],
)
def test_an_approver_whose_credentials_the_requester_reset_does_not_approve(
    person, field_keys, settings, hours_after_request, refused
):
    settings.STAFF_CREDENTIAL_COOLOFF_HOURS = 72
    requester, approver = person("case_manager"), person("approver")
    deposit(500_000)
    d = request_disbursement(requester, open_case(requester, Identity(name="A B")), 10_000)
    # Requested 300 hours ago; the reset's own pause is over.
    Disbursement.objects.filter(pk=d.pk).update(
        requested_at=timezone.now() - dt.timedelta(hours=300)
    )
    d.refresh_from_db()
    _reset(approver, requester, d.requested_at + dt.timedelta(hours=hours_after_request))

    if refused:
        with pytest.raises(exceptions.CredentialResetConflict, match="requester reset your"):
            disbursement_approve(actor=approver, disbursement=d)
    else:
        disbursement_approve(actor=approver, disbursement=d)

    d.refresh_from_db()
    assert d.status == ("requested" if refused else "approved")
    assert AuditEvent.objects.filter(action="disbursement.approval_refused").exists() == refused


def test_nor_does_one_who_reset_the_requesters(person, field_keys):
    requester, approver = person("case_manager"), person("approver")
    deposit(500_000)
    d = request_disbursement(requester, open_case(requester, Identity(name="A B")), 10_000)
    _reset(requester, approver, timezone.now())

    with pytest.raises(exceptions.CredentialResetConflict, match="you reset its requester"):
        disbursement_approve(actor=approver, disbursement=d)

    refusal = AuditEvent.objects.get(action="disbursement.approval_refused")
    assert refusal.details == {"reason": "approver_reset_requester"}


def test_below_the_two_person_minimum_the_rule_does_not_apply(person, field_keys, settings):
    settings.DISBURSEMENT_TWO_PERSON_MIN = 50_000
    requester, approver = person("case_manager"), person("approver")
    deposit(500_000)
    d = request_disbursement(requester, open_case(requester, Identity(name="A B")), 10_000)
    _reset(approver, requester, timezone.now())

    assert disbursement_approve(actor=approver, disbursement=d).status == "approved"


def test_an_approvers_own_request_is_refused_and_audited(person, field_keys):
    both = person("case_manager", "approver")
    deposit(500_000)
    d = request_disbursement(both, open_case(both, Identity(name="A B")), 10_000)

    with pytest.raises(exceptions.SelfApproval):
        disbursement_approve(actor=both, disbursement=d)

    refusal = AuditEvent.objects.get(action="disbursement.approval_refused")
    assert refusal.actor == both and refusal.details == {"reason": "self_approval"}


def test_an_admin_sees_a_pause_but_cannot_lift_it(people, staff_client):
    admin, _, approver = people
    _reset(approver, admin, timezone.now())
    StaffCredentialReset.objects.update(until=timezone.now() + dt.timedelta(hours=72))
    pause = StaffCredentialReset.objects.get()
    root = staff_client(user=admin)

    listed = root.get("/admin/ledger/staffcredentialreset/")
    deleted = root.post(f"/admin/ledger/staffcredentialreset/{pause.pk}/delete/", {"post": "yes"})
    changed = root.post(f"/admin/ledger/staffcredentialreset/{pause.pk}/change/", {"until": ""})

    assert listed.status_code == 200 and "ana-approver" in listed.content.decode()
    assert deleted.status_code == 403 and changed.status_code == 403
    assert StaffCredentialReset.objects.get().until == pause.until
    assert not user_can(approver, Capability.APPROVE_DISBURSEMENT)
