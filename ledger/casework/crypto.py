"""Encryption of identifying case data, and the keyed hash that finds a case by docket.

Keys come from ``FIELD_ENCRYPTION_KEYS``: Fernet keys (AES-128-CBC with HMAC-SHA256),
newest first. New data is encrypted with the newest; any listed key decrypts; rotating is
"put a new key first, run ``manage.py rotate_field_keys``, then drop the old key".

The docket look-up hash is an HMAC of the normalised docket number under a key derived
from the newest encryption key, so it changes with rotation and the rotation command
recomputes it. Without the key, the hash reveals nothing; with it, exact look-up only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """Ciphertext that no configured key opens: a key was dropped before rotating."""


def _keys() -> list[bytes]:
    keys = [key.strip().encode() for key in settings.FIELD_ENCRYPTION_KEYS if key.strip()]
    if keys:
        return keys
    if settings.DEBUG:
        # Development only: a key derived from the development secret key.
        digest = hashlib.sha256(b"field-encryption:" + settings.SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest)]
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must hold at least one key (Fernet.generate_key()) in production."
    )


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt_json(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise DecryptionFailed("no configured key decrypts this value") from error


def reencrypt(token: str) -> str:
    """The same plaintext under the newest key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionFailed("no configured key decrypts this value") from error


_DOCKET_NOISE = re.compile(r"[\s\-_./]")


def normalise_docket(docket: str) -> str:
    return _DOCKET_NOISE.sub("", docket).upper()


def docket_lookup_hash(docket: str) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"docket-lookup").derive(
        _keys()[0]
    )
    return hmac.new(key, normalise_docket(docket).encode(), hashlib.sha256).hexdigest()
