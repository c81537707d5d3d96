"""Form fields every staff form that records money uses: an amount in minor units, a
date up to today, and the one-time token that makes a double submit record once."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext, ngettext

from ledger.books.fund_time import fund_today
from ledger.books.money import minor_unit_exponent

_AMOUNT_RE = re.compile(r"^\d{1,13}(\.\d+)?$")
_GROUPED_RE = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _enter_an_amount() -> str:
    return gettext("Enter an amount, like 1250 or 1250.50.")


class MoneyField(forms.Field):
    """An amount typed as ``1,250.00`` or ``$1250``; cleans to integer minor units. A
    comma that does not separate thousands is refused, never dropped."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"})

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_python(self, value):
        raw = str(value or "").replace("$", "").strip()
        if not raw:
            return 0 if self.allow_zero and not self.required else None
        if len(raw) > 20:
            raise forms.ValidationError(_enter_an_amount())
        if "," in raw:
            # A comma separates thousands, in groups of three, and nothing else: "1,25"
            # (one and a quarter where a comma is the decimal mark) would otherwise
            # record a hundred times the amount.
            if not _GROUPED_RE.match(raw):
                raise forms.ValidationError(
                    gettext(
                        "We could not tell what %(raw)s means. Write it like 1,250.50 or 1250.50."
                    )
                    % {"raw": raw}
                )
            raw = raw.replace(",", "")
        exponent = minor_unit_exponent(settings.FUND_CURRENCY)
        if not _AMOUNT_RE.match(raw):
            raise forms.ValidationError(_enter_an_amount())
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_enter_an_amount()) from None
        if -amount.as_tuple().exponent > exponent:
            raise forms.ValidationError(
                ngettext(
                    "Enter an amount with at most %(count)d decimal.",
                    "Enter an amount with at most %(count)d decimals.",
                    exponent,
                )
                % {"count": exponent}
            )
        minor = int(amount * 10**exponent)
        if minor == 0 and not self.allow_zero:
            raise forms.ValidationError(gettext("Enter an amount greater than zero."))
        return minor


class TokenForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)


def date_widget() -> forms.DateInput:
    """The browser's date picker. Its value is always ISO (YYYY-MM-DD), as ``type=date``
    requires, whatever the page's language (Spanish would otherwise write 06/03/2026)."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class PastDateField(forms.DateField):
    """A date up to today; today unless the form says otherwise."""

    widget = date_widget()

    def __init__(self, **kwargs):
        kwargs.setdefault("initial", fund_today)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value > fund_today():
            raise forms.ValidationError(gettext("The date cannot be in the future."))
