"""The doors to corrections on the disbursement page: propose one of three kinds, apply
or withdraw the one waiting. Each view names its capability once; the services in
``ledger.casework.corrections`` check the role again and refuse bad moves with typed
errors, shown on the disbursement page with nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ledger import exceptions
from ledger.casework import views as pages
from ledger.casework.correction_forms import (
    ApplyForm,
    OutcomeCorrectionForm,
    PaymentCorrectionForm,
    VoidForm,
)
from ledger.casework.correction_records import Correction, CorrectionKind, standing
from ledger.casework.corrections import (
    correction_apply,
    correction_propose,
    correction_withdraw,
)
from ledger.models import DisbursementOutcome
from ledger.staff.access import staff_view
from ledger.staff.roles import Capability

REFUSALS = (exceptions.DisbursementError, exceptions.LedgerError)


def _proposed(request, d, kind: str, form_name: str, form):
    if form.is_valid():
        data = dict(form.cleaned_data)
        if "outcome" in data:
            data["outcome"] = DisbursementOutcome.objects.filter(
                pk=data["outcome"], disbursement=d
            ).first()
        try:
            c = correction_propose(actor=request.user, disbursement=d, kind=kind, **data)
        except REFUSALS as error:
            form.add_error(None, str(error))
        else:
            proposed = gettext(
                "Correction %(number)s proposed: it takes effect when it is applied."
            )
            messages.success(request, proposed % {"number": c.pk})
            return redirect(pages._disbursement_url(d))
    return pages._refused(request, d, **{form_name: form})


@staff_view(Capability.CORRECT_ENTRIES)
@require_POST
def void_view(request, pk: int):
    form = VoidForm(request.POST, prefix="void")
    d = pages._get_disbursement(pk)
    return _proposed(request, d, CorrectionKind.VOID, "void_form", form)


@staff_view(Capability.CORRECT_ENTRIES)
@require_POST
def payment_correction_view(request, pk: int):
    form = PaymentCorrectionForm(request.POST, prefix="fix")
    d = pages._get_disbursement(pk)
    return _proposed(request, d, CorrectionKind.PAYMENT, "payment_correction_form", form)


@staff_view(Capability.CORRECT_ENTRIES)
@require_POST
def outcome_correction_view(request, pk: int):
    d = pages._get_disbursement(pk)
    outcomes = standing(DisbursementOutcome.objects.filter(disbursement=d))
    choices = [(o.pk, str(o.pk)) for o in outcomes]
    form = OutcomeCorrectionForm(request.POST, prefix="undo", outcomes=choices)
    return _proposed(request, d, CorrectionKind.OUTCOME, "outcome_correction_form", form)


def _waiting(pk: int, correction: int) -> Correction:
    return get_object_or_404(Correction, pk=correction, disbursement_id=pk)


@staff_view(Capability.CORRECT_ENTRIES)
@require_POST
def apply_view(request, pk: int, correction: int):
    """Apply the correction once the person ticked the confirmation stating what it posts."""
    c = _waiting(pk, correction)
    form = ApplyForm(request.POST, prefix="apply")
    d = pages._get_disbursement(pk)
    if not form.is_valid():
        return pages._refused(
            request,
            d,
            apply_form=form,
            action_error=gettext("Tick the confirmation first: nothing was done."),
        )
    try:
        correction_apply(actor=request.user, correction=c)
    except REFUSALS as error:
        return pages._refused(request, d, action_error=str(error))
    messages.success(request, gettext("Correction %(number)s applied.") % {"number": c.pk})
    return redirect(pages._disbursement_url(d))


@staff_view(Capability.CORRECT_ENTRIES)
@require_POST
def withdraw_view(request, pk: int, correction: int):
    c = _waiting(pk, correction)
    try:
        correction_withdraw(actor=request.user, correction=c)
    except REFUSALS as error:
        return pages._refused(request, pages._get_disbursement(pk), action_error=str(error))
    messages.success(request, gettext("Correction %(number)s withdrawn.") % {"number": c.pk})
    return redirect(pages._disbursement_url(c.disbursement))
