"""The amount field of every staff form that records money, read as the page's language
writes amounts: in English a comma separates thousands and nothing else, so "1,25" is
refused instead of being recorded as $125.00; in Spanish the comma is the decimal mark and
the point separates thousands."""

import pytest
from django import forms
from django.utils import translation

from ledger.staff.fields import MoneyField


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("1250", 125000), ("$1,250.50", 125050), ("1,250,000", 125000000), ("0.5", 50)],
)
def test_an_amount_is_read_to_the_cent(typed, cents):
    assert MoneyField().clean(typed) == cents


@pytest.mark.parametrize("typed", ["1,25", "12,50", "1,2500", ",250", "1,250,00"])
def test_a_comma_that_does_not_separate_thousands_is_refused(typed):
    with pytest.raises(forms.ValidationError, match="could not tell what"):
        MoneyField().clean(typed)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("1250", 125000), ("1250,50", 125050), ("$1.250,50", 125050), ("1.250", 125000)],
)
def test_on_a_spanish_page_an_amount_is_read_as_spanish_writes_it(typed, cents):
    with translation.override("es"):
        assert MoneyField().clean(typed) == cents


@pytest.mark.parametrize("typed", ["500.00", "1.25", "1.250.00,5"])
def test_on_a_spanish_page_a_point_that_does_not_separate_thousands_is_refused(typed):
    with translation.override("es"), pytest.raises(forms.ValidationError) as refused:
        MoneyField().clean(typed)

    assert "Escríbelo como 1.250,50 o 1250,50" in str(refused.value)


@pytest.mark.parametrize(("language", "shown"), [("en", "500.00"), ("es", "500,00")])
def test_an_amount_is_shown_again_as_the_page_writes_it(language, shown):
    with translation.override(language):
        assert MoneyField().prepare_value(50_000) == shown
        assert MoneyField().clean(shown) == 50_000
