"""Reading the settings of staff access (docs/permissions.md) and of the health endpoint's
details (docs/operating.md, "Monitoring"). Refused at start, with what to set, when a
value could not work."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

HEALTHZ_TOKEN_MIN_LENGTH = 32


def positive_int(env, name: str, default: int) -> int:
    """A whole number of at least 1."""
    try:
        value = env.int(name, default=default)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least 1 (default {default})."
        )
    return value


def bounded_int(env, name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    try:
        value = env.int(name, default=default)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ImproperlyConfigured(
            f"{name} must be a whole number from {low} to {high} (default {default})."
        )
    return value


def staff_security(env) -> dict[str, int]:
    """The settings of docs/permissions.md, "Credentials reset by someone else", "A fresh
    second factor for money" and "Login addresses"."""
    return {
        # Hours an account whose credentials someone else reset moves no money.
        "STAFF_CREDENTIAL_COOLOFF_HOURS": bounded_int(
            env, "STAFF_CREDENTIAL_COOLOFF_HOURS", 72, 1, 24 * 30
        ),
        # Seconds a second factor stays fresh enough to approve or pay.
        "STAFF_FRESH_OTP_SECONDS": bounded_int(env, "STAFF_FRESH_OTP_SECONDS", 300, 30, 3600),
        # Days a staff login's client address is kept.
        "STAFF_LOGIN_ADDRESS_RETENTION_DAYS": bounded_int(
            env, "STAFF_LOGIN_ADDRESS_RETENTION_DAYS", 30, 1, 365
        ),
    }


def username_failure_limit(env, pair_limit: int) -> int:
    """Failed logins for one username from every address before it is locked out
    everywhere: no fewer than the limit for one address, which it would otherwise hide."""
    name = "STAFF_LOGIN_USERNAME_FAILURE_LIMIT"
    value = positive_int(env, name, max(20, pair_limit))
    if value < pair_limit:
        raise ImproperlyConfigured(
            f"{name} ({value}) counts failures from every address: it must be at least "
            f"STAFF_LOGIN_FAILURE_LIMIT ({pair_limit})."
        )
    return value


def healthz_token(env) -> str:
    """The bearer token that opens /healthz's details to a monitor; empty: staff only."""
    value = env.str("HEALTHZ_TOKEN", default="")
    valid = not value or (
        len(value) >= HEALTHZ_TOKEN_MIN_LENGTH
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )
    if not valid:
        raise ImproperlyConfigured(
            f"HEALTHZ_TOKEN must be empty or at least {HEALTHZ_TOKEN_MIN_LENGTH} printable "
            "ASCII characters without spaces, for example the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    return value
