"""Object ids that look like Stripe's and never repeat.

Each sandbox run (and each reset) draws a random tag, then numbers objects with a counter.
The tag keeps ids unique across restarts, so a project database that outlives a sandbox
reset never sees an old id reused for a new object; the counter keeps generation cheap.
"""

from __future__ import annotations

import itertools
import secrets
import string

_ALPHABET = string.digits + string.ascii_letters


def base62(number: int, width: int) -> str:
    """Fixed-width base-62 rendering of a non-negative integer."""
    chars = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars)).rjust(width, "0")


def random_token(length: int) -> str:
    """``length`` random base-62 characters."""
    return base62(secrets.randbelow(62**length), length)


class IdFactory:
    """Makes ids such as ``ch_3QbZx9Rk000000000001a``."""

    def __init__(self) -> None:
        self._tag = random_token(10)
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self._tag}{base62(next(self._counter), 14)}"

    def checkout_session(self) -> str:
        # Checkout Session ids are long and carry the mode in the prefix.
        return f"cs_test_a1{self._tag}{base62(next(self._counter), 14)}{random_token(24)}"
