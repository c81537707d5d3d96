"""The staff form for a check or cash gift."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ledger.staff.fields import MoneyField, PastDateField, TokenForm


class OfflineGiftForm(TokenForm):
    # "Check" alone is also the verb on other pages: the context tells them apart.
    method = forms.ChoiceField(
        choices=(
            ("check", pgettext_lazy("payment method", "Check")),
            ("cash", pgettext_lazy("payment method", "Cash")),
        ),
        label=_("Method"),
    )
    amount = MoneyField(label=_("Amount"))
    received_on = PastDateField(label=_("Received on"))
    reference = forms.CharField(max_length=60, required=False, label=_("Check number or receipt"))
    donor_name = forms.CharField(max_length=120, required=False, label=_("Donor's name (optional)"))
    email = forms.EmailField(
        required=False,
        label=_("Donor's email (optional)"),
        help_text=_("For their year-end statement; erased like a card donor's."),
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, initial="en", label=_("Donor's language"), required=False
    )
