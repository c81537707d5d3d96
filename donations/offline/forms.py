"""The staff form for a check or cash gift."""

from __future__ import annotations

from django import forms
from django.conf import settings

from ledger.staff.fields import MoneyField, PastDateField, TokenForm


class OfflineGiftForm(TokenForm):
    method = forms.ChoiceField(choices=(("check", "Check"), ("cash", "Cash")))
    amount = MoneyField()
    received_on = PastDateField(label="Received on")
    reference = forms.CharField(max_length=60, required=False, label="Check number or receipt")
    donor_name = forms.CharField(max_length=120, required=False, label="Donor's name (optional)")
    email = forms.EmailField(
        required=False,
        label="Donor's email (optional)",
        help_text="For their year-end statement; erased like a card donor's.",
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, initial="en", label="Donor's language", required=False
    )
