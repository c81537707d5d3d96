"""The amount field of every staff form that records money: a comma separates thousands
and nothing else, so "1,25" is refused instead of being recorded as $125.00."""

import pytest
from django import forms

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
