"""Reading the amount a donor typed, the way the page's language writes numbers.

English writes thirty-five dollars fifty as 35.50 and a thousand as 1,000; Spanish writes
35,50 and 1.000. A separator is read as the decimal mark only if it is the language's
and at most two digits follow it; as a thousands separator only if it is the language's
and groups of exactly three digits follow. Anything else ("35,50" on the English page,
"1,000" on the Spanish one) is refused rather than guessed: a misread separator charges a
hundred times too much or too little. Only the digits 0–9 count.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from ledger.books.money import separators

_CURRENCY_AND_SPACES = re.compile(r"[\s\u00a0\u202f$]|US\$|USD", re.IGNORECASE)


class AmountError(ValueError):
    """The text is not an amount in the page's language; the message says how to write it."""


def amount_example(language: str) -> str:
    """How the page's language writes 35.50 (for messages and the field's hint)."""
    decimal, _thousands = separators(language)
    return f"35{decimal}50"


def parse_amount(text: str, language: str) -> int:
    """The amount in cents, or :class:`AmountError`."""
    decimal, thousands = separators(language)
    example = amount_example(language)
    raw = _CURRENCY_AND_SPACES.sub("", text or "")
    if not raw:
        raise AmountError(_("Enter an amount, like %(example)s.") % {"example": example})
    if raw.startswith(("-", "\u2212")) or re.fullmatch(r"0+([.,]0*)?", raw):
        raise AmountError(_("Enter an amount more than zero."))
    if not re.fullmatch(r"[0-9.,]+", raw) or not raw[0].isdigit():
        raise AmountError(_("Enter an amount, like %(example)s.") % {"example": example})
    whole, mark, cents = raw.rpartition(decimal) if decimal in raw else (raw, "", "")
    if mark and (decimal in whole or len(cents) > 2 or thousands in cents):
        raise AmountError(
            _("Enter an amount with at most two decimals, like %(example)s.") % {"example": example}
        )
    if thousands in whole:
        first, *groups = whole.split(thousands)
        if not (1 <= len(first) <= 3) or any(len(group) != 3 for group in groups):
            raise AmountError(
                _("We could not tell what %(text)s means. Write it like %(example)s.")
                % {"text": text.strip(), "example": example}
            )
        whole = "".join([first, *groups])
    if not whole or not whole.isdigit() or (cents and not cents.isdigit()):
        raise AmountError(_("Enter an amount, like %(example)s.") % {"example": example})
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))
