"""The staff form for a check or cash gift."""

from __future__ import annotations

from django import forms

from ledger.staff.fields import MoneyField, PastDateField, TokenForm


class OfflineGiftForm(TokenForm):
    method = forms.ChoiceField(choices=(("check", "Check"), ("cash", "Cash")))
    amount = MoneyField()
    received_on = PastDateField(label="Received on")
    reference = forms.CharField(max_length=60, required=False, label="Check number or receipt")
