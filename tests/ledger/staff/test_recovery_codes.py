"""Recovery codes: 140 random bits in grouped base32, typed in any case and with any
separators, stored as a keyed hash; codes of the earlier kind log in once more and make
every login ask for new ones."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from ledger.staff import accounts as staff_accounts

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
GROUPED_BASE32 = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){6}")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _verify(code: str, username: str = "ana"):
    """A fresh browser: the password, then ``code`` as the second factor."""
    client = Client()
    client.post("/staff/login/", {"username": username, "password": PASSWORD})
    return client, client.post("/staff/login/verify/", {"code": code})


def _unkeyed_sha256(code: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(code.encode()).digest()).decode()


def _legacy_codes(user, *codes: str) -> None:
    """Codes of the earlier kind, stored as migration 0008 left them."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    for code in codes:
        digest = _unkeyed_sha256(code)[:16]
        StaticToken.objects.create(device=device, token=digest)


def test_new_codes_are_140_random_bits_in_groups_of_base32(staff_user):
    user = staff_user("viewer", username="ana")

    codes = staff_accounts.recovery_codes_regenerate(user=user)
    more = staff_accounts.recovery_codes_regenerate(user=user)

    assert len(codes) == 10
    assert all(GROUPED_BASE32.fullmatch(code) for code in codes + more), codes
    assert len(set(codes + more)) == 20
    letters = "".join(code.replace("-", "") for code in codes + more)
    assert len(letters) * 5 / len(codes + more) >= 128
    # Uniform over the alphabet: 560 letters use far more than half of the 32.
    assert len(set(letters)) > 24


def test_a_code_is_read_in_any_case_and_with_any_separators(staff_user):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    codes = staff_accounts.recovery_codes_regenerate(user=user)
    # Read off paper: O and I typed as the digits 0 and 1, which base32 does not use.
    misread = next(code for code in codes[3:] if "O" in code or "I" in code)
    typed = [
        codes[0].lower().replace("-", " "),
        codes[1].replace("-", ""),
        f"  {codes[2].lower()} ",
        misread.replace("O", "0").replace("I", "1"),
    ]

    answers = [_verify(code)[1] for code in typed]

    assert [answer["Location"] for answer in answers] == ["/staff/"] * 4
    assert staff_accounts.recovery_codes_left(user) == 6


def test_the_database_holds_keyed_hashes_that_the_codes_alone_do_not_give(staff_user):
    user = staff_user("viewer", username="ana")
    codes = staff_accounts.recovery_codes_regenerate(user=user)

    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))

    assert stored == {staff_accounts.recovery_code_tag(code) for code in codes}
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()):
            unkeyed = _unkeyed_sha256(form)
            assert not any(unkeyed[:15] in token or form in token for token in stored)
    assert {
        staff_accounts.recovery_code_tag(code, secret="another key") for code in codes
    }.isdisjoint(stored)


def test_codes_depend_on_the_secret_key_and_survive_its_rotation(staff_user, settings):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    old_key = settings.SECRET_KEY
    codes = staff_accounts.recovery_codes_regenerate(user=user)

    with override_settings(SECRET_KEY="a-new-key-" * 5, SECRET_KEY_FALLBACKS=[]):
        _client, without_old_key = _verify(codes[0])
    StaticDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    with override_settings(SECRET_KEY="a-new-key-" * 5, SECRET_KEY_FALLBACKS=[old_key]):
        _client, with_old_key_as_fallback = _verify(codes[0])

    assert "That code is not right." in without_old_key.content.decode()
    assert with_old_key_as_fallback["Location"] == "/staff/"


def test_a_wrong_recovery_code_slows_the_next_try(staff_user):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    codes = staff_accounts.recovery_codes_regenerate(user=user)
    client, wrong = _verify("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG")

    too_soon = client.post("/staff/login/verify/", {"code": codes[0]})
    StaticDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5)
    )
    later = client.post("/staff/login/verify/", {"code": codes[0]})

    assert "That code is not right." in wrong.content.decode()
    assert "Too many wrong codes" in too_soon.content.decode()
    assert later["Location"] == "/staff/"
    assert StaticDevice.objects.get(user=user).throttling_failure_count == 0


def test_a_code_of_the_earlier_kind_logs_in_once_and_asks_for_new_ones(staff_user):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    _legacy_codes(user, "abcdefgh", "ijklmnop")

    client, used = _verify("ABCD EFGH")
    page = client.get(used["Location"])
    _client, reused = _verify("abcdefgh")

    assert used["Location"] == "/staff/recovery-codes/"
    body = page.content.decode()
    assert "Your recovery codes are of an older, shorter kind." in body
    assert 'id="outdated-codes"' in body
    assert "That code is not right." in reused.content.decode()
    assert staff_accounts.recovery_codes_left(user) == 1


def test_every_login_asks_for_new_codes_until_they_are_made(staff_user, totp_code):
    user = staff_user("viewer", username="ana", password=PASSWORD)
    _legacy_codes(user, "abcdefgh")

    client, with_app = _verify(totp_code(user))
    fresh = client.post("/staff/recovery-codes/")
    client.post("/staff/logout/")
    _client, after = _verify(totp_code(user, steps_ahead=1))

    assert with_app["Location"] == "/staff/recovery-codes/"
    assert all(GROUPED_BASE32.fullmatch(code) for code in fresh.context["codes"])
    assert not staff_accounts.recovery_codes_outdated(user)
    assert after["Location"] == "/staff/"


def test_the_docs_state_the_codes_true_strength():
    text = DOCS.read_text()

    assert f"{staff_accounts.RECOVERY_CODE_LENGTH * 5} random bits" in text
    assert "80 bits" not in text
