"""Amounts are read as the page's language writes them; anything that could be read two
ways is refused, never guessed (a misread separator charges 100 times too much)."""

import pytest
from django.utils import translation

from donations.checkout.amounts import AmountError, parse_amount


@pytest.mark.parametrize(
    ("text", "language", "cents"),
    [
        ("35", "en", 3500),
        ("35.50", "en", 3550),
        ("35.5", "en", 3550),
        ("$35.50", "en", 3550),
        (" 1,000 ", "en", 100_000),
        ("1,234.56", "en", 123_456),
        ("0.50", "en", 50),
        ("35,50", "es", 3550),
        ("35,5", "es", 3550),
        ("35,50 $", "es", 3550),
        ("1.000", "es", 100_000),
        ("1.234,56", "es", 123_456),
        ("1\u00a0000", "es", 100_000),  # a space between thousands, as many write
        ("35", "es", 3500),
        ("35.50", "fr", 3550),  # a language without its own rule reads as English
    ],
)
def test_an_amount_is_read_as_the_page_writes_it(text, language, cents):
    assert parse_amount(text, language) == cents


@pytest.mark.parametrize(
    ("text", "language", "message"),
    [
        ("35,50", "en", "We could not tell what 35,50 means. Write it like 35.50."),
        ("35.5", "es", "We could not tell what 35.5 means"),
        ("1,000", "es", "at most two decimals, like 35,50"),
        ("12.345", "en", "at most two decimals"),
        ("1,00,000", "en", "We could not tell"),
        ("1.2.3", "en", "at most two decimals"),
        ("0", "en", "more than zero"),
        ("0.00", "en", "more than zero"),
        ("-5", "en", "more than zero"),
        ("\u22125", "en", "more than zero"),
        ("sNaN", "en", "Enter an amount, like 35.50."),
        ("NaN", "en", "Enter an amount"),
        ("Infinity", "en", "Enter an amount"),
        ("-Infinity", "en", "more than zero"),
        ("1e3", "en", "Enter an amount"),
        ("\u0663\u0665", "en", "Enter an amount"),  # Arabic-Indic 35
        ("\uff13\uff15", "en", "Enter an amount"),  # full-width 35
        (".50", "en", "Enter an amount"),
        ("", "en", "Enter an amount"),
        ("$", "es", "Enter an amount, like 35,50."),
    ],
)
def test_anything_else_is_refused_with_how_to_write_it(text, language, message):
    with translation.override("en"), pytest.raises(AmountError) as refused:
        parse_amount(text, language)
    assert message in str(refused.value)
