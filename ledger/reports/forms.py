"""The period form of the statements' pages: two labelled dates, ``from`` and ``to``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.reports.dates import InvalidPeriod, Period
from ledger.staff.fields import date_widget


def _date_field(label, help_text) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d"],
        widget=date_widget(),
        help_text=help_text,
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )


class PeriodForm(forms.Form):
    """``?from=2025-01-01&to=2025-12-31``; ``cleaned_data["period"]`` once valid."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the fields are added here rather than declared.
        self.fields["from"] = _date_field(_("From"), _("First day, included (YYYY-MM-DD)."))
        self.fields["to"] = _date_field(_("To"), _("Last day, included (YYYY-MM-DD)."))
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{self.add_prefix(name)}-help"

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to"):
            try:
                data["period"] = Period(data["from"], data["to"])
            except InvalidPeriod as problem:
                raise forms.ValidationError(str(problem), code="invalid_period")
        return data
