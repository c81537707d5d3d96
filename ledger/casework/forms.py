"""Staff forms for cases, disbursements and their outcomes. Forms only parse and check
input; the services in ``ledger.casework.cases`` and ``ledger.casework.disbursements``
decide and write. A form's fields are named as the keyword arguments of the service it
feeds, so the views pass ``cleaned_data`` on as it is (the identity fields excepted, which
go together as one ``Identity``).

Forms that record money carry a one-time ``token`` (a hidden field filled when the form is
shown), so submitting the same form twice records the fact once."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ledger.models import BailType, DisbursementPurpose, PayeeKind, PaymentMethod
from ledger.staff.fields import MoneyField, PastDateField, TokenForm, date_widget


def _court_date() -> forms.DateField:
    """The next court date: any day (it is usually ahead), or none."""
    return forms.DateField(required=False, widget=date_widget(), label=_("Next court date"))


class IdentityForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label=_("Name"))
    date_of_birth = forms.DateField(required=False, widget=date_widget(), label=_("Date of birth"))
    booking_number = forms.CharField(max_length=60, required=False, label=_("Booking number"))
    docket_number = forms.CharField(max_length=60, required=False, label=_("Docket number"))
    notes = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea, label=_("Notes")
    )


class CaseForm(IdentityForm):
    """A new case: what aggregates need, then its identifying data."""

    field_order = ["county", "court", "bail_type", "opened_on", "next_court_date"]
    county = forms.CharField(max_length=80, label=_("County"))
    court = forms.CharField(max_length=120, required=False, label=_("Court"))
    bail_type = forms.ChoiceField(choices=BailType.choices, label=_("Bail type"))
    opened_on = PastDateField(label=_("Opened on"))
    next_court_date = _court_date()


class CourtDateForm(forms.Form):
    """The case's next court date; empty clears it."""

    next_court_date = _court_date()


class CaseCloseForm(forms.Form):
    closed_on = PastDateField(label=_("Closed on"))
    outcome = forms.CharField(max_length=60, required=False, label=_("Outcome"))


def _instrument_reference() -> forms.CharField:
    return forms.CharField(max_length=60, required=False, label=_("Check or wire reference"))


def chosen(choices) -> list[tuple[str, str]]:
    """A choice the person makes: the list starts empty, so nothing is saved unseen."""
    return [("", _("Choose…")), *choices]


class DisbursementRequestForm(TokenForm):
    purpose = forms.ChoiceField(choices=chosen(DisbursementPurpose.choices), label=_("Purpose"))
    amount = MoneyField(label=_("Amount"))
    payee_kind = forms.ChoiceField(choices=chosen(PayeeKind.choices), label=_("Paid to"))
    payee_name = forms.CharField(
        max_length=120,
        label=_("Paid to (name)"),
        help_text=_("As written on the check, e.g. Cook County Circuit Court Clerk."),
    )
    method = forms.ChoiceField(choices=chosen(PaymentMethod.choices), label=_("Method"))
    instrument_reference = _instrument_reference()


CONFIRM = _("I have checked it: this is recorded in the books and cannot be undone")


class PayForm(forms.Form):
    paid_on = PastDateField(label=_("Paid on"))
    instrument_reference = _instrument_reference()
    confirm = forms.BooleanField(label=CONFIRM)


class ReturnForm(TokenForm):
    occurred_on = PastDateField(label=_("Received on"))
    returned_amount = MoneyField(label=_("Amount returned"), required=False, allow_zero=True)
    court_fees = MoneyField(label=_("Court fees withheld"), required=False, allow_zero=True)

    def clean(self):
        data = super().clean()
        nothing = not (data.get("returned_amount") or data.get("court_fees"))
        if nothing and "returned_amount" not in self.errors:
            self.add_error(
                "returned_amount", gettext("Enter the amount returned or the fees withheld.")
            )
        return data


class ForfeitureForm(TokenForm):
    occurred_on = PastDateField(label=_("Forfeited on"))
    amount = MoneyField(label=_("Amount forfeited"))
    confirm = forms.BooleanField(label=CONFIRM)
