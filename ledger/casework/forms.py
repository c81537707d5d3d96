"""Staff forms for cases, disbursements and their outcomes. Forms only parse and check
input; the services in ``ledger.casework.cases`` and ``ledger.casework.disbursements``
decide and write. A form's fields are named as the keyword arguments of the service it
feeds, so the views pass ``cleaned_data`` on as it is (the identity fields excepted, which
go together as one ``Identity``).

Forms that record money carry a one-time ``token`` (a hidden field filled when the form is
shown), so submitting the same form twice records the fact once."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils import timezone

from ledger.books.money import minor_unit_exponent
from ledger.models import BailType, DisbursementPurpose, PayeeKind, PaymentMethod

_AMOUNT_RE = re.compile(r"^\d{1,13}(\.\d+)?$")


class MoneyField(forms.Field):
    """An amount typed as ``1,250.00`` or ``$1250``; cleans to integer minor units."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"})

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_python(self, value):
        raw = str(value or "").replace(",", "").replace("$", "").strip()
        if not raw:
            return 0 if self.allow_zero and not self.required else None
        if len(raw) > 20:
            raise forms.ValidationError("Enter an amount, like 1250 or 1250.50.")
        exponent = minor_unit_exponent(settings.FUND_CURRENCY)
        if not _AMOUNT_RE.match(raw):
            raise forms.ValidationError("Enter an amount, like 1250 or 1250.50.")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError("Enter an amount, like 1250 or 1250.50.") from None
        if -amount.as_tuple().exponent > exponent:
            raise forms.ValidationError(f"Enter an amount with at most {exponent} decimals.")
        minor = int(amount * 10**exponent)
        if minor == 0 and not self.allow_zero:
            raise forms.ValidationError("Enter an amount greater than zero.")
        return minor


class TokenForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)


class PastDateField(forms.DateField):
    """A date up to today; today unless the form says otherwise."""

    widget = forms.DateInput(attrs={"type": "date"})

    def __init__(self, **kwargs):
        kwargs.setdefault("initial", timezone.localdate)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")


class IdentityForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Date of birth"
    )
    booking_number = forms.CharField(max_length=60, required=False)
    docket_number = forms.CharField(max_length=60, required=False)
    notes = forms.CharField(max_length=4000, required=False, widget=forms.Textarea)


class CaseForm(IdentityForm):
    """A new case: what aggregates need, then its identifying data."""

    field_order = ["county", "court", "bail_type", "opened_on"]
    county = forms.CharField(max_length=80)
    court = forms.CharField(max_length=120, required=False)
    bail_type = forms.ChoiceField(choices=BailType.choices)
    opened_on = PastDateField(label="Opened on")


class CaseCloseForm(forms.Form):
    closed_on = PastDateField(label="Closed on")
    outcome = forms.CharField(max_length=60, required=False)


def _instrument_reference() -> forms.CharField:
    return forms.CharField(max_length=60, required=False, label="Check or wire reference")


class DisbursementRequestForm(TokenForm):
    purpose = forms.ChoiceField(choices=DisbursementPurpose.choices)
    amount = MoneyField()
    payee_kind = forms.ChoiceField(choices=PayeeKind.choices, label="Paid to")
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    instrument_reference = _instrument_reference()


class PayForm(forms.Form):
    paid_on = PastDateField(label="Paid on")
    instrument_reference = _instrument_reference()


class ReturnForm(TokenForm):
    occurred_on = PastDateField(label="Received on")
    returned_amount = MoneyField(label="Amount returned", required=False, allow_zero=True)
    court_fees = MoneyField(label="Court fees withheld", required=False, allow_zero=True)

    def clean(self):
        data = super().clean()
        nothing = not (data.get("returned_amount") or data.get("court_fees"))
        if nothing and "returned_amount" not in self.errors:
            self.add_error("returned_amount", "Enter the amount returned or the fees withheld.")
        return data


class ForfeitureForm(TokenForm):
    occurred_on = PastDateField(label="Forfeited on")
    amount = MoneyField(label="Amount forfeited")


class OfflineGiftForm(TokenForm):
    method = forms.ChoiceField(choices=(("check", "Check"), ("cash", "Cash")))
    amount = MoneyField()
    received_on = PastDateField(label="Received on")
    reference = forms.CharField(max_length=60, required=False, label="Check number or receipt")
