"""Formatting integer minor units for people. Arithmetic never leaves integers."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

# ISO 4217 currencies without minor units; every other one the fund might use has two.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)


# How each language writes an amount: (decimal mark, thousands separator); English for any
# other. Every form that reads a typed amount reads it this way.
SEPARATORS = {"en": (".", ","), "es": (",", ".")}


def separators(language: str | None) -> tuple[str, str]:
    return SEPARATORS.get((language or "en").split("-")[0].lower(), SEPARATORS["en"])


def minor_unit_exponent(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def format_units(amount: int, currency: str) -> str:
    """1234567 usd -> '12345.67' (no grouping; for exports)."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return str(amount)
    # String slicing, not division: exact for any integer, and fast enough for exports.
    digits = str(abs(amount)).rjust(3, "0")
    return f"{'-' if amount < 0 else ''}{digits[:-2]}.{digits[-2:]}"


def format_money(amount: int, currency: str) -> str:
    """1234567 usd -> '$12,345.67' for pages, in the active language's number format
    ('$12.345,67' in Spanish), so a page never mixes two."""
    exponent = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    value = Decimal(abs(amount)).scaleb(-exponent)
    body = number_format(value, exponent, use_l10n=True, force_grouping=True)
    symbol = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "mxn": "MX$"}.get(currency.lower())
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"
