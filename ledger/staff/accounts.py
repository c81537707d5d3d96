"""Staff accounts and their second factor: the writes behind the login pages and the
``create_staff_user`` command.

A staff member's second factor is one confirmed TOTP device (an authenticator app) and one
static device holding their single-use recovery codes. Each change is audited without
personal data: the audit row names the user by id only.

Recovery codes are shown once and stored only as a digest (:func:`recovery_code_digest`),
so a copy of the database or a backup holds no code anyone could log in with.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.books.posting import audit_record
from ledger.staff.roles import Role

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def recovery_code_digest(code: str) -> str:
    """What is stored for a recovery code: 96 bits of its SHA-256, the most of it that
    django-otp's 16-character token column holds. A code is 80 random bits, so no salt or
    slow hash is needed: there is no dictionary to try, and finding a code from its digest
    is a search of 2^80 codes."""
    digest = hashlib.sha256(code.strip().lower().encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]


def totp_device_for_enrolment(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created on the first visit and kept
    across reloads so the QR code already scanned stays valid."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm an authenticator device with a code it produced and issue recovery codes.

    Returns the new recovery codes (shown to the user once), or None if the code is wrong,
    throttled, or the user already has a confirmed authenticator.
    """
    with transaction.atomic():
        # Locked so two confirmations racing each other cannot both succeed.
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        already = TOTPDevice.objects.filter(user_id=locked.user_id, confirmed=True).exists()
        if locked.confirmed or already:
            return None
        if not locked.verify_token(token):
            return None
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=locked.user_id, confirmed=False).delete()
        codes = _recovery_codes_replace(locked.user)
        details = {"recovery_codes": len(codes)}
        audit_record(locked.user, "user", locked.user_id, "staff.enrolled", details)
    device.refresh_from_db()
    return codes


def recovery_codes_regenerate(*, user) -> list[str]:
    """New recovery codes for a user; the old ones stop working at once."""
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        details = {"recovery_codes": len(codes)}
        audit_record(user, "user", user.pk, "staff.recovery_codes_regenerated", details)
    return codes


def _recovery_codes_replace(user) -> list[str]:
    # The device is kept (only its codes change) so a session verified with a recovery code
    # stays verified after regenerating.
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
    device.token_set.all().delete()
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_code_digest(code)) for code in codes
    )
    device.throttle_reset()
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def second_factor_reset(*, user, actor=None) -> None:
    """Forget a user's authenticator and recovery codes (a lost phone): their sessions lose
    the second factor now, and their next login enrols a new app."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor, "user", user.pk, "staff.second_factor_reset")


def staff_user_save(
    *, username: str, roles: list[Role], password: str | None = None, actor=None
) -> tuple[object, bool]:
    """Create a staff user, or add roles to an existing one; set the password if given.

    The ``admin`` role also opens the Django admin (staff and superuser flags). Returns
    ``(user, created)``. Roles are only ever added here; remove them in the admin.
    """
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(username=username)
        if created and password is None:
            raise ValueError("A new staff user needs a password.")
        if password is not None:
            user.set_password(password)
        if Role.ADMIN in roles:
            user.is_staff = True
            user.is_superuser = True
        user.save()
        held = set(user.groups.values_list("name", flat=True))
        added = sorted({role.value for role in roles} - held)
        # get_or_create: the groups come from a data migration, but a database emptied by
        # a flush (tests that commit) no longer has them.
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in added))
        action = "staff.user_created" if created else "staff.user_updated"
        details = {"roles_added": added, "password_set": password is not None}
        audit_record(actor, "user", user.pk, action, details)
    return user, created
