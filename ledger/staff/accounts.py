"""Staff accounts and their second factor: the writes behind the login pages and the
``create_staff_user`` command.

A staff member's second factor is one confirmed TOTP device (an authenticator app) and one
static device holding their single-use recovery codes. Each change is audited without
personal data: the audit row names the user by id only. The signals of
``ledger.staff.security_audit`` audit the devices' arrival and departure whatever makes
them, and pause the money rights of an account changed by someone else.

Recovery codes carry 140 random bits (28 base32 characters, shown as seven groups of
four) and are shown once. The database keeps only a keyed hash of each
(:func:`recovery_code_tag`: HMAC-SHA256 under a key derived from ``SECRET_KEY``), so
neither a copy of the database nor a backup holds a code anyone could log in with, nor one
anyone could find by trying codes without the key.

Codes issued before these (40 random bits, kept as an unkeyed SHA-256 digest) still log
in, once each, until the user makes new ones; every login says so and opens the page that
makes them (:func:`recovery_codes_outdated`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.books.posting import audit_record
from ledger.staff.actor import acting_user, acting_via
from ledger.staff.credentials import RECOVERY_CODES, credential_changed
from ledger.staff.roles import Role

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32 (RFC 4648)
RECOVERY_CODE_LENGTH = 28  # characters of 5 random bits each: 140 bits
RECOVERY_CODE_GROUP = 4
# A stored tag starts with this character, which no digest of the earlier kind (base64url)
# holds; the 15 characters after it are 90 bits of the code's HMAC.
TAG_PREFIX = "$"
TAG_PURPOSE = "ledger.staff.recovery_code"
# What people type: any case, spaces or hyphens anywhere, and 0 or 1 for O or I (base32
# has neither digit).
_SEPARATORS = re.compile(r"[\s\-_.]")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I"})


def recovery_code_new() -> str:
    """A new recovery code: ``ABCD-EFGH-…``, seven groups of four base32 characters."""
    code = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    step = RECOVERY_CODE_GROUP
    return "-".join(code[i : i + step] for i in range(0, len(code), step))


def _canonical(code: str) -> str:
    return _SEPARATORS.sub("", code).upper().translate(_LOOKALIKES)


def _keys() -> list[str]:
    # While SECRET_KEY is rotated, codes made under the previous key keep working.
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def recovery_code_tag(code: str, *, secret: str | None = None) -> str:
    """What is stored for a recovery code: 90 bits of its HMAC-SHA256 under a key derived
    from ``SECRET_KEY`` (or ``secret``) for this purpose only, after the prefix."""
    mac = salted_hmac(TAG_PURPOSE, _canonical(code), secret=secret, algorithm="sha256")
    return TAG_PREFIX + base64.urlsafe_b64encode(mac.digest()).decode()[:15]


def legacy_recovery_code_digest(code: str) -> str:
    """How codes issued before keyed tags were stored (migration 0008): 96 bits of their
    unkeyed SHA-256. Only read, to let such a code log in once more."""
    plain = _SEPARATORS.sub("", code).lower()
    return base64.urlsafe_b64encode(hashlib.sha256(plain.encode()).digest()).decode()[:16]


def recovery_code_verify(device: StaticDevice, code: str) -> str | None:
    """Use up one of the device's recovery codes: ``"current"`` or ``"legacy"`` (a code
    of the earlier kind) when ``code`` is one of them, else None.

    Every stored tag is compared with every form the code could be stored in, in constant
    time, and the first match is deleted. Throttled as django-otp throttles its own check:
    the caller holds the device locked and has asked ``verify_is_allowed()``.
    """
    candidates = [recovery_code_tag(code, secret=key) for key in _keys()]
    candidates.append(legacy_recovery_code_digest(code))
    match = None
    for stored in device.token_set.all():
        found = False
        for candidate in candidates:
            found |= hmac.compare_digest(stored.token.encode(), candidate.encode())
        if found and match is None:
            match = stored
    if match is None:
        device.throttle_increment()
        return None
    match.delete()
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return "current" if match.token.startswith(TAG_PREFIX) else "legacy"


def recovery_codes_outdated(user) -> bool:
    """The user still holds recovery codes of the earlier, 40-bit kind."""
    tokens = StaticToken.objects.filter(device__user=user)
    return tokens.exclude(token__startswith=TAG_PREFIX).exists()


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
    """New recovery codes for a user; the old ones stop working at once. Made by anyone but
    the user (a command, the shell), they pause the account's money rights
    (``ledger.staff.credentials``)."""
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        details = {"recovery_codes": len(codes), "via": acting_via()}
        # The actor is whoever is acting (the user on their page; None for the shell).
        audit_record(acting_user(), "user", user.pk, "staff.recovery_codes_regenerated", details)
        credential_changed(user.pk, RECOVERY_CODES)
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
        code = recovery_code_new()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_code_tag(code)) for code in codes
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
