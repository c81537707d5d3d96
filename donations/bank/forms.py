"""The staff forms of bank reconciliation: uploading a statement, saving a bank's CSV
mapping."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from donations.bank.csv_reader import DELIMITERS, mapping_problems
from donations.bank.parsing import MAX_FILE_BYTES
from donations.models import BankCsvMapping, StatementFormat
from ledger.books.chart import BANK
from ledger.models import Account, AccountType
from ledger.staff.fields import MoneyField, date_widget


class SignedMoneyField(MoneyField):
    """An amount that may be below zero (an overdrawn account): ``-1,250.00``; empty when
    not given (not zero)."""

    def to_python(self, value):
        raw = str(value or "").strip()
        if not raw:
            return None
        negative = raw.startswith("-")
        amount = super().to_python(raw[1:] if negative else raw)
        return -amount if negative and amount is not None else amount


def _asset_accounts():
    codes = Account.objects.filter(type=AccountType.ASSET).values_list("code", "name")
    return [(code, f"{name} ({code})") for code, name in codes]


class StatementImportForm(forms.Form):
    format = forms.ChoiceField(choices=StatementFormat.choices, label=_("Format"))
    file = forms.FileField(label=_("Statement file"))
    account = forms.ChoiceField(label=_("Account in the books"), initial=BANK)
    mapping = forms.ModelChoiceField(
        queryset=BankCsvMapping.objects.all(),
        required=False,
        label=_("CSV mapping (for a CSV file)"),
    )
    closing_balance = SignedMoneyField(
        required=False,
        allow_zero=True,
        label=_("Closing balance (for a CSV file without a balance column)"),
    )
    period_end = forms.DateField(
        required=False,
        widget=date_widget(),
        label=_("Statement end date (for a CSV file, when after its last line)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _asset_accounts()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d MB; export a shorter period.")
                % {"size": MAX_FILE_BYTES // 2**20}
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("format") == StatementFormat.CSV and data.get("mapping") is None:
            only = list(BankCsvMapping.objects.all()[:2])
            if len(only) != 1:
                self.add_error("mapping", gettext("Choose the bank's CSV mapping."))
            else:
                data["mapping"] = only[0]
        if data.get("format") != StatementFormat.CSV:
            data["mapping"] = None
        return data


# The separators' names as staff read them, per delimiter of DELIMITERS.
DELIMITER_LABELS = {
    ",": pgettext_lazy("CSV separator", "Comma"),
    ";": pgettext_lazy("CSV separator", "Semicolon"),
    "\t": pgettext_lazy("CSV separator", "Tab"),
    "|": pgettext_lazy("CSV separator", "Vertical bar"),
}


class CsvMappingForm(forms.ModelForm):
    delimiter = forms.ChoiceField(
        choices=[
            (key, DELIMITER_LABELS.get(key, name.capitalize())) for key, name in DELIMITERS.items()
        ],
        label=_("Separator"),
    )
    decimal_style = forms.ChoiceField(
        choices=BankCsvMapping._meta.get_field("decimal_style").choices,
        widget=forms.RadioSelect,
        label=_("Decimals"),
    )

    class Meta:
        model = BankCsvMapping
        fields = (
            "name",
            "bank_name",
            "has_header",
            "skip_lines",
            "delimiter",
            "date_column",
            "date_format",
            "description_column",
            "reference_column",
            "check_number_column",
            "amount_column",
            "debit_column",
            "credit_column",
            "balance_column",
            "decimal_style",
        )
        labels = {
            "name": _("Name of this mapping"),
            "bank_name": _("Bank"),
            "has_header": _("The first row names the columns"),
            "skip_lines": _("Lines to skip before it"),
            "date_column": _("Date column"),
            "date_format": _("Date format"),
            "description_column": _("Description column"),
            "reference_column": _("Bank reference column (optional)"),
            "check_number_column": _("Check number column (optional)"),
            "amount_column": _("Amount column (signed; or leave empty and give debit and credit)"),
            "debit_column": _("Debit column (money out)"),
            "credit_column": _("Credit column (money in)"),
            "balance_column": _("Balance column (optional)"),
        }
        help_texts = {
            "date_format": _(
                "As Python writes it: %m/%d/%Y for 03/31/2026, %Y-%m-%d for "
                "2026-03-31, %d.%m.%Y for 31.03.2026."
            ),
            "date_column": _(
                "The column's header, or its number (1 for the first) in a file "
                "without a header row."
            ),
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        candidate = BankCsvMapping(**{k: v for k, v in data.items() if k in self.Meta.fields})
        for problem in mapping_problems(candidate):
            self.add_error(None, problem)
        return data
