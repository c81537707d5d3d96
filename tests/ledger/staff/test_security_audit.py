"""Every security-relevant change to a staff account is in the audit log, whatever path it
takes (ledger.staff.security_audit), and logins with their addresses kept apart
(ledger.staff.login_audit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.models import AuditEvent, StaffCredentialReset, StaffLoginAddress
from ledger.staff.roles import Capability, user_can
from ledger.tasks import purge_staff_login_addresses

PASSWORD = "correct horse battery staple"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = [MD5]


def _events(user, action: str) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(object_type="user", object_id=str(user.pk), action=action)
    return list(found.order_by("sequence"))


def _used(user) -> None:
    """The account has logged in (a password step, as a login records it)."""
    Client().force_login(user)


# Passwords --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_password_set_in_the_shell_is_audited_with_no_actor(staff_user):
    user = staff_user("approver", username="ana")

    user.set_password("set from the shell, 2026")
    user.save()

    (event,) = _events(user, "staff.password_changed")
    assert event.actor is None
    assert event.details == {"usable": True, "via": "command or shell"}
    assert not StaffCredentialReset.objects.exists()  # never logged in: being set up


@pytest.mark.django_db
def test_a_password_set_in_the_shell_for_an_account_in_use_pauses_its_money(staff_user):
    user = staff_user("approver", username="ana")
    _used(user)

    user.set_password("set from the shell, 2026")
    user.save()

    (pause,) = StaffCredentialReset.objects.filter(user=user)
    assert pause.reset_by is None and pause.what == "password"
    assert not user_can(user, Capability.APPROVE_DISBURSEMENT)
    (paused,) = _events(user, "staff.money_rights_paused")
    assert paused.actor is None
    assert paused.details == {"what": "password", "hours": 72, "via": "command or shell"}


@pytest.mark.django_db
def test_the_last_login_cleared_in_the_admin_does_not_make_an_account_new(staff_user):
    user = staff_user("approver", username="ana")
    _used(user)
    get_user_model().objects.filter(pk=user.pk).update(last_login=None)
    user.refresh_from_db()

    user.set_password("set from the shell, 2026")
    user.save()

    assert StaffCredentialReset.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)
def test_a_change_and_its_audit_event_commit_together_or_not_at_all(staff_user):
    """Outside any transaction, as in a shell: a save that fails leaves no event."""
    staff_user("viewer", username="taken")
    user = staff_user("viewer", username="ana")
    stored = get_user_model().objects.get(pk=user.pk).password

    user.username = "taken"
    user.set_password("never stored, 2026")
    with pytest.raises(IntegrityError):
        user.save()

    assert get_user_model().objects.get(pk=user.pk).password == stored
    assert _events(user, "staff.password_changed") == []
    user.username = "ana"
    user.save()
    assert len(_events(user, "staff.password_changed")) == 1


@pytest.mark.django_db
def test_a_hash_upgraded_at_login_is_no_password_change(client, staff_user, settings, totp_code):
    user = staff_user("approver", username="ana", password=PASSWORD)  # an MD5 hash
    _used(user)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", MD5]
    set_up = len(_events(user, "staff.password_changed"))

    client.post("/staff/login/", {"username": "ana", "password": PASSWORD})

    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert len(_events(user, "staff.password_rehashed")) == 1
    assert len(_events(user, "staff.password_changed")) == set_up
    assert not StaffCredentialReset.objects.exists()


# Flags, roles and permissions -------------------------------------------------------------


@pytest.mark.django_db
def test_the_account_flags_are_audited_from_before_to_after(staff_user):
    user = staff_user("viewer", username="ana")

    user.is_superuser = user.is_staff = True
    user.save()
    user.is_active = False
    user.email = "ana@example.org"
    user.save(update_fields=["is_active", "email"])

    def changed(action):
        return [event.details for event in _events(user, action)]

    shell = {"via": "command or shell"}
    assert changed("staff.superuser_changed") == [{"from": False, "to": True, **shell}]
    assert changed("staff.staff_status_changed") == [{"from": False, "to": True, **shell}]
    assert changed("staff.active_changed") == [{"from": True, "to": False, **shell}]
    assert changed("staff.email_changed") == [{"had_address": False, "has_address": True, **shell}]


@pytest.mark.django_db
def test_role_changes_are_audited_from_either_side_and_by_clear(staff_user):
    user = staff_user(username="ana")
    approver = Group.objects.get_or_create(name="approver")[0]
    viewer = Group.objects.get_or_create(name="viewer")[0]

    user.groups.add(approver, viewer)
    approver.user_set.remove(user)
    viewer.user_set.add(user)  # already there: nothing changes
    user.groups.add(approver)
    user.groups.clear()
    user.groups.add(viewer)
    viewer.user_set.clear()
    user.groups.add(approver)
    approver.delete()

    changes = _events(user, "staff.groups_changed")
    assert [{k: v for k, v in e.details.items() if k != "via"} for e in changes] == [
        {"added": ["approver", "viewer"]},
        {"removed": ["approver"]},
        {"added": ["approver"]},
        {"removed": ["approver", "viewer"]},
        {"added": ["viewer"]},
        {"removed": ["viewer"]},
        {"added": ["approver"]},
        {"removed": ["approver"], "group_deleted": True},
    ]
    assert all(e.actor is None for e in changes)


@pytest.mark.django_db
def test_renaming_a_group_changes_roles_and_is_audited():
    group = Group.objects.get_or_create(name="viewer")[0]

    group.name = "approver-to-be"
    group.save()

    event = AuditEvent.objects.get(action="staff.group_renamed")
    assert (event.object_type, event.object_id) == ("group", str(group.pk))
    assert event.details == {"from": "viewer", "to": "approver-to-be", "via": "command or shell"}


@pytest.mark.django_db
def test_the_admin_change_form_is_audited_as_the_admins(staff_user, staff_client):
    admin = staff_user("admin", username="root-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    user = staff_user("viewer", username="ben")
    approver = Group.objects.get_or_create(name="approver")[0]
    viewer = Group.objects.get(name="viewer")
    form = {
        "username": "ben",
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_superuser": "on",
        "groups": [approver.pk, viewer.pk],
        "date_joined_0": "2026-01-02",
        "date_joined_1": "10:00:00",
        "_save": "Save",
    }

    response = staff_client(user=admin).post(f"/admin/auth/user/{user.pk}/change/", form)

    assert response.status_code == 302
    (superuser,) = _events(user, "staff.superuser_changed")
    (groups,) = _events(user, "staff.groups_changed")[-1:]
    assert superuser.actor == admin and superuser.details["via"] == "admin"
    assert groups.actor == admin and groups.details == {"added": ["approver"], "via": "admin"}


# The second factor ------------------------------------------------------------------------


@pytest.mark.django_db
def test_devices_added_and_removed_in_the_shell_are_audited(staff_user):
    user = staff_user("viewer", username="ana", authenticator=False)

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    device.delete()

    added, removed = _events(user, "staff.device_added"), _events(user, "staff.device_removed")
    assert [e.details for e in added] == [
        {"device": "totp", "confirmed": True, "via": "command or shell"}
    ]
    assert [e.details for e in removed] == [
        {"device": "totp", "confirmed": True, "via": "command or shell"}
    ]
    assert all(e.actor is None for e in added + removed)


@pytest.mark.django_db
def test_a_device_moved_to_another_account_leaves_one_and_joins_the_other(staff_user):
    admin, approver = staff_user("admin"), staff_user("approver")
    _used(approver)
    device = TOTPDevice.objects.get(user=admin)

    device.user = approver
    device.save()

    assert _events(admin, "staff.device_removed")[0].details["moved"] is True
    assert _events(approver, "staff.device_added")[-1].details["moved"] is True
    assert StaffCredentialReset.objects.get(user=approver).what == "authenticator app (added)"


@pytest.mark.django_db
def test_recovery_codes_saved_together_are_one_event(staff_user):
    user = staff_user("viewer", username="ana")
    device = StaticDevice.objects.create(user=user, name="Recovery codes")

    for batch in ("first", "second"):
        with transaction.atomic():
            for n in range(10):
                StaticToken.objects.create(device=device, token=f"{batch}-{n}")

    events = _events(user, "staff.recovery_codes_regenerated")
    assert [e.details for e in events] == [
        {"device": "recovery_codes", "via": "command or shell"}
    ] * 2


# Logins -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_logins_are_audited_and_their_addresses_kept_apart(client, staff_user, totp_code):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    address = {"REMOTE_ADDR": "198.51.100.7"}

    client.post("/staff/login/", {"username": "ana", "password": "wrong"}, **address)
    client.post("/staff/login/", {"username": "nobody@example.org", "password": "x"}, **address)
    client.post("/staff/login/", {"username": "ana", "password": PASSWORD}, **address)
    client.post("/staff/login/verify/", {"code": totp_code(user)}, **address)

    steps = AuditEvent.objects.filter(action__startswith="staff.login").order_by("sequence")
    steps = list(steps) + _events(user, "staff.password_accepted")
    failed_password, unknown, login, accepted = steps
    assert (failed_password.object_id, failed_password.actor) == (str(user.pk), None)
    assert failed_password.details == {"reason": "password_refused", "locked_out": False}
    assert (unknown.object_id, unknown.actor) == ("unknown", None)
    assert unknown.details == {"reason": "unknown_account", "locked_out": False}
    assert (login.action, login.actor) == ("staff.login", user)
    assert accepted.actor == user
    kept = dict(StaffLoginAddress.objects.values_list("audit_sequence", "address"))
    assert kept == {event.sequence: "198.51.100.7" for event in steps}
    for event in AuditEvent.objects.all():
        assert "198.51.100" not in str(event.details) and "nobody" not in str(event.details)


@pytest.mark.django_db
def test_the_right_password_for_an_account_without_a_role_is_a_failed_login(client, staff_user):
    user = staff_user(username="ana", password=PASSWORD)

    client.post("/staff/login/", {"username": "ana", "password": PASSWORD})

    (event,) = _events(user, "staff.login_failed")
    assert event.details == {"reason": "no_role"}


@pytest.mark.django_db
def test_login_addresses_are_purged_after_their_retention(client, staff_user, settings):
    settings.STAFF_LOGIN_ADDRESS_RETENTION_DAYS = 30
    staff_user("viewer", username="ana", password=PASSWORD)
    client.post("/staff/login/", {"username": "ana", "password": "wrong"})
    client.post("/staff/login/", {"username": "ana", "password": "wrong again"})
    old, recent = StaffLoginAddress.objects.order_by("audit_sequence")
    StaffLoginAddress.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=31))
    StaffLoginAddress.objects.filter(pk=recent.pk).update(at=timezone.now() - dt.timedelta(days=29))

    purged = purge_staff_login_addresses()

    assert purged == 1
    assert list(StaffLoginAddress.objects.values_list("pk", flat=True)) == [recent.pk]
    assert AuditEvent.objects.filter(action="staff.login_failed").count() == 2


def test_the_purge_runs_every_night():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    assert "ledger.tasks.purge_staff_login_addresses" in tasks
