from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings

from donations.models import Frequency
from ledger.money import format_money

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(text: str) -> str:
    """Plain text only: no control characters; HTML is escaped wherever it is shown."""
    return _CONTROL_CHARS.sub("", text).strip()


class DonationForm(forms.Form):
    amount_choice = forms.ChoiceField(label="Amount", widget=forms.RadioSelect)
    custom_amount = forms.CharField(
        label="Other amount",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "e.g. 35"}),
    )
    frequency = forms.ChoiceField(
        choices=Frequency.choices, initial=Frequency.ONCE, widget=forms.RadioSelect
    )
    cover_fees = forms.BooleanField(required=False, label="Cover the card fees")
    anonymous = forms.BooleanField(
        required=False,
        label="Give anonymously",
        help_text="We keep only your email address, for the receipt. Your name is not stored.",
    )
    display_name = forms.CharField(
        required=False, max_length=60, label="Name on the public donor wall (optional)"
    )
    message = forms.CharField(
        required=False,
        max_length=280,
        label="Message (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    show_amount = forms.BooleanField(required=False, label="Show my amount on the donor wall")
    email = forms.EmailField(
        required=False,
        label="Email for your receipt",
        help_text="Optional here; Stripe asks for it at checkout.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = settings.FUND_CURRENCY
        self.fields["amount_choice"].choices = [
            (str(amount), format_money(amount, currency))
            for amount in settings.DONATION_PRESET_AMOUNTS
        ] + [("custom", "Other")]
        self.fields["amount_choice"].initial = str(settings.DONATION_PRESET_AMOUNTS[1])

    def clean_display_name(self) -> str:
        return _plain(self.cleaned_data["display_name"])

    def clean_message(self) -> str:
        return _plain(self.cleaned_data["message"])

    def clean(self):
        data = super().clean()
        choice = data.get("amount_choice")
        if choice == "custom":
            raw = (data.get("custom_amount") or "").replace(",", "").replace("$", "").strip()
            try:
                value = Decimal(raw)
            except InvalidOperation:
                self.add_error("custom_amount", "Enter an amount, like 35 or 35.50.")
                return data
            if value != value.quantize(Decimal("0.01")) or value <= 0:
                self.add_error("custom_amount", "Enter an amount with at most two decimals.")
                return data
            gift = int(value * 100)
        elif choice:
            gift = int(choice)
        else:
            return data
        low, high = settings.DONATION_MIN_AMOUNT, settings.DONATION_MAX_AMOUNT
        if not low <= gift <= high:
            currency = settings.FUND_CURRENCY
            self.add_error(
                "custom_amount" if choice == "custom" else "amount_choice",
                f"Gifts are from {format_money(low, currency)} to {format_money(high, currency)}.",
            )
            return data
        data["gift_amount"] = gift
        return data
