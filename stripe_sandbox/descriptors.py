"""Statement descriptors: what a charge shows on the payer's statement, and their rules.

The sandbox account has a static descriptor (:data:`ACCOUNT_DESCRIPTOR`) and a shortened
prefix (:data:`ACCOUNT_PREFIX`) for card payments. A charge's
``calculated_statement_descriptor`` is, in this order:

* ``<prefix>* <suffix>`` when the payment intent has a ``statement_descriptor_suffix``;
* the payment intent's own ``statement_descriptor`` (for a subscription's invoices, the
  product's ``statement_descriptor``) when it has one;
* the account's static descriptor otherwise.

The rules are Stripe's (https://docs.stripe.com/get-started/account/statement-descriptors):
a complete descriptor, static or prefix plus suffix, contains only Latin characters, between
5 and 22 characters inclusive, at least one letter (both prefix and suffix need one), and
none of ``<``, ``>``, ``\\``, ``'``, ``"``, ``*``; the prefix has 2 to 10 characters; the
suffix is joined to the prefix with ``*`` and a space, and the whole must not exceed 22
characters. Statements show descriptors in capital letters.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid

ACCOUNT_DESCRIPTOR = "BAIL FUND SANDBOX"
ACCOUNT_PREFIX = "BAILFUND"
FORBIDDEN = set("<>\\'\"*")
MAX_LENGTH = 22


def _check_characters(value: str, param: str) -> None:
    if not all(ch.isascii() and ch.isprintable() for ch in value):
        raise invalid("The statement descriptor may only contain Latin characters.", param=param)
    bad = sorted(FORBIDDEN & set(value))
    if bad:
        raise invalid(
            "The statement descriptor may not contain any of the following characters: "
            + " ".join(bad),
            param=param,
        )
    if not any(ch.isalpha() for ch in value):
        raise invalid("The statement descriptor must contain at least one letter.", param=param)


def statement_descriptor(value: Any, param: str) -> str | None:
    """A complete (static) descriptor: 5 to 22 characters."""
    if value in (None, ""):
        return None
    text = str(value)
    _check_characters(text, param)
    if not 5 <= len(text) <= MAX_LENGTH:
        raise invalid(
            f"The statement descriptor must be between 5 and {MAX_LENGTH} characters long.",
            param=param,
        )
    return text


def statement_descriptor_suffix(value: Any, param: str) -> str | None:
    """A suffix: joined to the account prefix, at most 22 characters in all."""
    if value in (None, ""):
        return None
    text = str(value)
    _check_characters(text, param)
    room = MAX_LENGTH - len(ACCOUNT_PREFIX) - 2
    if len(text) > room:
        raise invalid(
            f"The statement descriptor suffix can be at most {room} characters long: joined "
            f"to the account's prefix {ACCOUNT_PREFIX!r} with '* ', the full descriptor "
            f"may not exceed {MAX_LENGTH} characters.",
            param=param,
        )
    return text


def calculated(descriptor: str | None, suffix: str | None) -> str:
    """The ``calculated_statement_descriptor`` of a charge."""
    if suffix:
        return f"{ACCOUNT_PREFIX}* {suffix}".upper()
    if descriptor:
        return descriptor.upper()
    return ACCOUNT_DESCRIPTOR
