from __future__ import annotations

import re
import uuid

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from donations.checkout.amounts import AmountError, amount_example, parse_amount
from donations.models import Frequency
from donations.wall import wall_text
from ledger.books.money import format_money

FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


class DonationForm(forms.Form):
    # One per page view: a second submit of the same page returns the same checkout.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=32)
    amount_choice = forms.ChoiceField(label=_("Amount"), widget=forms.RadioSelect, required=False)
    custom_amount = forms.CharField(
        label=_("Other amount"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
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
        self.fields["custom_amount"].widget.attrs["placeholder"] = _("e.g. %(example)s") % {
            "example": amount_example(translation.get_language())
        }
        self.fields["form_token"].initial = uuid.uuid4().hex

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not FORM_TOKEN.fullmatch(token):
            raise forms.ValidationError(_("The form expired; reload the page and try again."))
        return token

    def clean_display_name(self) -> str:
        return wall_text(self.cleaned_data["display_name"])

    def clean_message(self) -> str:
        return wall_text(self.cleaned_data["message"])

    def clean(self):
        data = super().clean()
        choice = data.get("amount_choice")
        typed = (data.get("custom_amount") or "").strip()
        if typed or choice == "custom":
            # A typed amount is the one the donor meant, whichever preset is still selected.
            try:
                gift = parse_amount(typed, translation.get_language())
            except AmountError as error:
                self.add_error("custom_amount", str(error))
                return data
            data["amount_choice"] = "custom"
        elif choice:
            gift = int(choice)
        else:
            if "amount_choice" not in self.errors:
                self.add_error("amount_choice", _("Choose an amount or type one."))
            return data
        low, high = settings.DONATION_MIN_AMOUNT, settings.DONATION_MAX_AMOUNT
        if not low <= gift <= high:
            currency = settings.FUND_CURRENCY
            self.add_error(
                "custom_amount" if data["amount_choice"] == "custom" else "amount_choice",
                _("Gifts are from %(low)s to %(high)s.")
                % {"low": format_money(low, currency), "high": format_money(high, currency)},
            )
            return data
        data["gift_amount"] = gift
        return data
