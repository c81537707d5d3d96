"""Reading the settings of bank reconciliation (donations.bank): refused at start, with
what to set, when matching could not use them."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

MAX_MATCH_DAYS = 90


def match_days(env, default: int = 7) -> int:
    """BANK_MATCH_DAYS: how many days apart a statement line and an entry in the books may
    be dated and still be proposed as a match (0: the same day only)."""
    raw = env.str("BANK_MATCH_DAYS", default=str(default)).strip()
    if not raw.isdigit() or int(raw) > MAX_MATCH_DAYS:
        raise ImproperlyConfigured(
            f"BANK_MATCH_DAYS must be a whole number of days from 0 to {MAX_MATCH_DAYS} "
            f"(it is {raw[:20]!r}); for example BANK_MATCH_DAYS=7."
        )
    return int(raw)
