"""Staff page for a case's next court date: set, change or clear it (``case_set_court_date``).
Like the court, the date could match the case to a court record, so only roles that see a
case's exact dates see it (``ledger.casework.case_rows``); those who may change it
(``manage_cases``) are among them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext

from ledger.casework.cases import InvalidCase, case_set_court_date
from ledger.casework.forms import CourtDateForm
from ledger.models import BailCase
from ledger.staff.access import staff_view
from ledger.staff.forms_flow import form_page, form_submitted
from ledger.staff.roles import Capability


@staff_view(Capability.MANAGE_CASES)
def case_court_date(request, public_id):
    case = get_object_or_404(BailCase, public_id=public_id)
    form = CourtDateForm(request.POST or None, initial={"next_court_date": case.next_court_date})

    def act(data):
        case_set_court_date(actor=request.user, case=case, **data)
        if data["next_court_date"]:
            saved = gettext("Court date saved.")
        else:
            saved = gettext("Court date cleared.")
        return saved, reverse("casework:case", kwargs={"public_id": case.public_id})

    response = form_submitted(request, form, act, refusals=InvalidCase)
    return response or form_page(request, form, gettext("Next court date"), back=case)
