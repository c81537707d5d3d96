"""Staff forms that propose a correction of a paid disbursement, one per kind, and the
confirmation that applies one. They only parse input: ``ledger.casework.corrections``
decides. Field names are the service's keyword arguments."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.casework.forms import CONFIRM, chosen
from ledger.models import PaymentMethod
from ledger.staff.fields import MoneyField, PastDateField, TokenForm, date_widget


def _reason() -> forms.CharField:
    return forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why (kept with the correction; no names)"),
    )


class VoidForm(TokenForm):
    new_date = PastDateField(label=_("Voided on"))
    reason = _reason()


class PaymentCorrectionForm(TokenForm):
    """The payment as it really was: each field starts at what is recorded now."""

    new_amount = MoneyField(label=_("Correct amount"))
    new_date = PastDateField(label=_("Correct payment date"))
    new_method = forms.ChoiceField(choices=chosen(PaymentMethod.choices), label=_("Correct method"))
    reason = _reason()


class OutcomeCorrectionForm(TokenForm):
    """Undo one return or forfeiture; give the corrected figures to record it again."""

    outcome = forms.TypedChoiceField(coerce=int, label=_("Return or forfeiture to undo"))
    new_returned = MoneyField(label=_("Correct amount returned"), required=False, allow_zero=True)
    new_fees = MoneyField(label=_("Correct court fees withheld"), required=False, allow_zero=True)
    new_amount = MoneyField(label=_("Correct amount forfeited"), required=False, allow_zero=True)
    new_date = forms.DateField(required=False, widget=date_widget(), label=_("Correct date"))
    reason = _reason()

    def __init__(self, *args, outcomes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = chosen(outcomes)


class ApplyForm(forms.Form):
    confirm = forms.BooleanField(label=CONFIRM)
