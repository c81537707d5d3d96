from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from donations.models import Frequency
from donations.wall import wall_text
from ledger.books.money import format_money


class DonationForm(forms.Form):
    amount_choice = forms.ChoiceField(label=_("Amount"), widget=forms.RadioSelect)
    custom_amount = forms.CharField(
        label=_("Other amount"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": _("e.g. 35")}),
    )
    frequency = forms.ChoiceField(
        choices=[(Frequency.ONCE, _("One time")), (Frequency.MONTHLY, _("Monthly"))],
        initial=Frequency.ONCE,
        widget=forms.RadioSelect,
    )
    cover_fees = forms.BooleanField(required=False, label=_("Cover the card fees"))
    anonymous = forms.BooleanField(
        required=False,
        label=_("Give anonymously"),
        help_text=_("We keep only your email address, for the receipt. Your name is not stored."),
    )
    show_on_wall = forms.BooleanField(
        required=False,
        label=_("Show my name and message on the public donor wall"),
        help_text=_("A person at the fund reads each entry before it appears."),
    )
    display_name = forms.CharField(
        required=False, max_length=60, label=_("Name on the donor wall (optional)")
    )
    message = forms.CharField(
        required=False,
        max_length=280,
        label=_("Message (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    show_amount = forms.BooleanField(required=False, label=_("Show my amount on the donor wall"))
    email = forms.EmailField(
        required=False,
        label=_("Email for your receipt"),
        help_text=_("Optional here; Stripe asks for it at checkout."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = settings.FUND_CURRENCY
        self.fields["amount_choice"].choices = [
            (str(amount), format_money(amount, currency))
            for amount in settings.DONATION_PRESET_AMOUNTS
        ] + [("custom", _("Other"))]
        self.fields["amount_choice"].initial = str(settings.DONATION_PRESET_AMOUNTS[1])

    def clean_display_name(self) -> str:
        return wall_text(self.cleaned_data["display_name"])

    def clean_message(self) -> str:
        return wall_text(self.cleaned_data["message"])

    def clean(self):
        data = super().clean()
        choice = data.get("amount_choice")
        if choice == "custom":
            raw = (data.get("custom_amount") or "").replace(",", "").replace("$", "").strip()
            try:
                value = Decimal(raw)
            except InvalidOperation:
                self.add_error("custom_amount", _("Enter an amount, like 35 or 35.50."))
                return data
            if value != value.quantize(Decimal("0.01")) or value <= 0:
                self.add_error("custom_amount", _("Enter an amount with at most two decimals."))
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
                _("Gifts are from %(low)s to %(high)s.")
                % {"low": format_money(low, currency), "high": format_money(high, currency)},
            )
            return data
        data["gift_amount"] = gift
        return data
