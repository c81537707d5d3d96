import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.models import AuditEvent
from ledger.staff import accounts as staff_accounts
from ledger.staff.roles import Role, user_roles

pytestmark = pytest.mark.django_db

PASSWORD = "a long staff passphrase"


@pytest.fixture(autouse=True)
def _password(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)


def _create(*args) -> str:
    out = io.StringIO()
    call_command("create_staff_user", *args, stdout=out)
    return out.getvalue()


def _user(username="ana"):
    return get_user_model().objects.get(username=username)


def test_it_creates_a_staff_user_with_roles_and_a_password():
    _create("ana", "--role", "case_manager", "--role", "viewer", "--password-env", "STAFF_PASSWORD")

    user = _user()
    assert user.check_password(PASSWORD)
    assert user_roles(user) == {Role.CASE_MANAGER, Role.VIEWER}
    assert not user.is_staff and not user.is_superuser
    audit = AuditEvent.objects.get(action="staff.user_created")
    assert audit.object_id == str(user.pk)
    assert audit.details == {"roles_added": ["case_manager", "viewer"], "password_set": True}


def test_running_it_again_adds_a_role_and_keeps_the_password():
    _create("ana", "--role", "viewer", "--password-env", "STAFF_PASSWORD")
    _create("ana", "--role", "approver")

    user = _user()
    assert user_roles(user) == {Role.VIEWER, Role.APPROVER}
    assert user.check_password(PASSWORD)
    assert get_user_model().objects.count() == 1


def test_the_admin_role_opens_the_django_admin():
    _create("root", "--role", "admin", "--password-env", "STAFF_PASSWORD")

    user = _user("root")
    assert user.is_staff and user.is_superuser


@pytest.mark.parametrize(
    "args, message",
    [
        (["ana", "--role", "treasurer", "--password-env", "STAFF_PASSWORD"], "invalid choice"),
        (["ana", "--password-env", "STAFF_PASSWORD"], "at least one --role"),
        (["ana", "--role", "viewer", "--password-env", "UNSET_VARIABLE"], "UNSET_VARIABLE"),
        (["ana", "--role", "viewer"], "use --password-env"),  # no terminal to ask at
    ],
)
def test_it_refuses_what_it_cannot_do(args, message, monkeypatch):
    monkeypatch.delenv("UNSET_VARIABLE", raising=False)
    with pytest.raises(CommandError, match=message):
        _create(*args)
    assert not get_user_model().objects.exists()


def test_it_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="too short"):
        _create("ana", "--role", "viewer", "--password-env", "STAFF_PASSWORD")


def test_it_resets_a_lost_second_factor(staff_user):
    user = staff_user("viewer", username="ana")
    staff_accounts.recovery_codes_regenerate(user=user)

    _create("ana", "--reset-second-factor")

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.get(action="staff.second_factor_reset").object_id == str(user.pk)
