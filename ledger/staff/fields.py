"""Form fields every staff form that records money uses: an amount in minor units, a
date up to today, and the one-time token that makes a double submit record once."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import get_language, gettext, ngettext

from ledger.books.fund_time import fund_today
from ledger.books.money import format_units, minor_unit_exponent, separators

_AMOUNT_RE = re.compile(r"^\d{1,13}(\.\d+)?$")


def _examples(language: str) -> dict[str, str]:
    """1250, 1250.50 and 1,250.50 as ``language`` writes them."""
    decimal, thousands = separators(language)
    return {
        "plain": "1250",
        "decimals": f"1250{decimal}50",
        "grouped": f"1{thousands}250{decimal}50",
    }


def _enter_an_amount(language: str) -> str:
    return gettext("Enter an amount, like %(plain)s or %(decimals)s.") % _examples(language)


class MoneyField(forms.Field):
    """An amount typed as the page's language writes it (``1,250.00`` or ``$1250`` in
    English, ``1.250,00`` in Spanish); cleans to integer minor units. A thousands
    separator not followed by groups of three digits is refused, never dropped: "1,25"
    (one and a quarter where a comma is the decimal mark) would otherwise record a
    hundred times the amount. Shown again, an amount is written the same way.

    ``language`` fixes how amounts are written where that does not follow the page (a
    file's, say); its refusals still speak the page's language."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"})

    def __init__(self, *, allow_zero: bool = False, language: str | None = None, **kwargs):
        self.allow_zero = allow_zero
        self.language = language
        super().__init__(**kwargs)

    def _language(self) -> str:
        return self.language or get_language()

    def prepare_value(self, value):
        """An amount in minor units (an initial value) as the page's language writes it."""
        if isinstance(value, int) and not isinstance(value, bool):
            decimal, _thousands = separators(self._language())
            return format_units(value, settings.FUND_CURRENCY).replace(".", decimal)
        return value

    def to_python(self, value):
        raw = str(value or "").replace("$", "").strip()
        if not raw:
            return 0 if self.allow_zero and not self.required else None
        language = self._language()
        if len(raw) > 20:
            raise forms.ValidationError(_enter_an_amount(language))
        decimal, thousands = separators(language)
        if thousands in raw:
            whole, _mark, fraction = raw.partition(decimal)
            groups = whole.split(thousands)
            grouped = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
            if not grouped or not whole.replace(thousands, "").isdigit() or thousands in fraction:
                message = gettext(
                    "We could not tell what %(raw)s means. Write it like %(grouped)s or "
                    "%(decimals)s."
                )
                raise forms.ValidationError(message % {"raw": raw, **_examples(language)})
            raw = raw.replace(thousands, "")
        raw = raw.replace(decimal, ".")
        exponent = minor_unit_exponent(settings.FUND_CURRENCY)
        if not _AMOUNT_RE.match(raw):
            raise forms.ValidationError(_enter_an_amount(language))
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_enter_an_amount(language)) from None
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
