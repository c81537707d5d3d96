"""Staff forms for cases, disbursements and their outcomes. Forms only parse and check
input; the services in ``ledger.casework.cases`` and ``ledger.casework.disbursements``
decide and write. A form's fields are named as the keyword arguments of the service it
feeds, so the views pass ``cleaned_data`` on as it is (the identity fields excepted, which
go together as one ``Identity``).

Forms that record money carry a one-time ``token`` (a hidden field filled when the form is
shown), so submitting the same form twice records the fact once."""

from __future__ import annotations

from django import forms

from ledger.models import BailType, DisbursementPurpose, PayeeKind, PaymentMethod
from ledger.staff.fields import MoneyField, PastDateField, TokenForm


def _court_date() -> forms.DateField:
    """The next court date: any day (it is usually ahead), or none."""
    return forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Next court date"
    )


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

    field_order = ["county", "court", "bail_type", "opened_on", "next_court_date"]
    county = forms.CharField(max_length=80)
    court = forms.CharField(max_length=120, required=False)
    bail_type = forms.ChoiceField(choices=BailType.choices)
    opened_on = PastDateField(label="Opened on")
    next_court_date = _court_date()


class CourtDateForm(forms.Form):
    """The case's next court date; empty clears it."""

    next_court_date = _court_date()


class CaseCloseForm(forms.Form):
    closed_on = PastDateField(label="Closed on")
    outcome = forms.CharField(max_length=60, required=False)


def _instrument_reference() -> forms.CharField:
    return forms.CharField(max_length=60, required=False, label="Check or wire reference")


def chosen(choices) -> list[tuple[str, str]]:
    """A choice the person makes: the list starts empty, so nothing is saved unseen."""
    return [("", "Choose…"), *choices]


class DisbursementRequestForm(TokenForm):
    purpose = forms.ChoiceField(choices=chosen(DisbursementPurpose.choices))
    amount = MoneyField()
    payee_kind = forms.ChoiceField(choices=chosen(PayeeKind.choices), label="Paid to")
    payee_name = forms.CharField(
        max_length=120,
        label="Paid to (name)",
        help_text="As written on the check, e.g. Cook County Circuit Court Clerk.",
    )
    method = forms.ChoiceField(choices=chosen(PaymentMethod.choices))
    instrument_reference = _instrument_reference()


CONFIRM = "I have checked it: this is recorded in the books and cannot be undone"


class PayForm(forms.Form):
    paid_on = PastDateField(label="Paid on")
    instrument_reference = _instrument_reference()
    confirm = forms.BooleanField(label=CONFIRM)


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
    confirm = forms.BooleanField(label=CONFIRM)
