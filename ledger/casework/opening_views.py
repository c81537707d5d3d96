"""The staff page that brings opening balances in from a trial balance, once
(``ledger.books.opening``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ledger.books.opening import (
    OpeningBalancesError,
    opening_balances_post,
    opening_entry,
    parse_trial_balance,
)
from ledger.exceptions import InvalidEntry
from ledger.staff.access import staff_view
from ledger.staff.fields import PastDateField
from ledger.staff.roles import Capability

MAX_BYTES = 1_000_000


class OpeningForm(forms.Form):
    trial_balance = forms.FileField(label=_("Trial balance (CSV: account, debit, credit)"))
    date = PastDateField(label=_("The day the balances hold"))
    confirm = forms.BooleanField(
        label=_("I have checked the trial balance: the books take opening balances only once"),
    )


@staff_view(Capability.OPEN_BOOKS)
@require_http_methods(["GET", "HEAD", "POST"])
def opening_balances(request):
    entry = opening_entry()
    form = OpeningForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and entry is None and form.is_valid():
        upload = form.cleaned_data["trial_balance"]
        try:
            if upload.size > MAX_BYTES:
                raise OpeningBalancesError(
                    gettext("The file is larger than a trial balance can be.")
                )
            legs = parse_trial_balance(upload.read().decode("utf-8"))
            txn = opening_balances_post(
                legs=legs, date=form.cleaned_data["date"], actor=request.user
            )
        except UnicodeDecodeError:
            error = gettext(
                "The file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8."
            )
        except (OpeningBalancesError, InvalidEntry) as refusal:
            error = str(refusal)
        else:
            messages.success(
                request,
                gettext("Opening balances posted as #%(sequence)s.") % {"sequence": txn.sequence},
            )
            return HttpResponseRedirect(reverse("casework:opening_balances"), status=303)
    status = 400 if request.method == "POST" and (error or not form.is_valid()) else 200
    context = {"entry": entry, "form": form, "error": error}
    return render(request, "ledger/staff/opening_balances.html", context, status=status)
