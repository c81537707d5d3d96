"""Reading the settings of the books' signed tree heads (ledger.books.tree_heads):
refused at start, with the line to set, when a key or a witness could not be used."""

from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

GENERATE = 'python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'


def signing_key(env, *, debug: bool, secret_key: str) -> str:
    """LEDGER_SIGNING_KEY: the base64 of a 32-byte Ed25519 private key. Development and
    tests derive one from SECRET_KEY; production must set its own (check --deploy)."""
    value = env.str("LEDGER_SIGNING_KEY", default="")
    if not value:
        derived = hashlib.sha256(b"bailfund ledger signing key\n" + secret_key.encode())
        return base64.b64encode(derived.digest()).decode()
    try:
        valid = len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise ImproperlyConfigured(
            f"LEDGER_SIGNING_KEY must be 32 random bytes in base64; make one with {GENERATE}"
        )
    return value


def public_keys(env, name: str) -> list[str]:
    keys = [key.strip().lower() for key in env.list(name, default=[]) if key.strip()]
    for key in keys:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ImproperlyConfigured(f"{name}: {key!r} is not an Ed25519 public key in hex")
    return keys


def witnesses(env) -> list[str]:
    addresses = [a.strip() for a in env.list("LEDGER_WITNESSES", default=[]) if a.strip()]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(
                f"LEDGER_WITNESSES: {address!r} is not an email address"
            ) from None
    return addresses


def log_name(env, site_url: str) -> str:
    """What the signed heads call this fund's books: its site's host unless set."""
    return env.str("LEDGER_LOG_NAME", default="") or (urlsplit(site_url).netloc + "/ledger")


def days_ahead(env) -> int:
    days = env.int("LEDGER_MAX_DAYS_AHEAD", default=7)
    if not 0 <= days <= 366:
        raise ImproperlyConfigured("LEDGER_MAX_DAYS_AHEAD is a number of days from 0 to 366.")
    return days
