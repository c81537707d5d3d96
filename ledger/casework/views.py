"""Staff pages for cases and disbursements. Thin doors: each view names its capability
once (``ledger.staff.access``), parses a form, calls one service and shows the outcome
(``ledger.staff.forms_flow``). The services check the role again and refuse bad moves with
typed errors, which become form errors here; nothing is written when they refuse. The
pages show a case's details (court, exact dates, instrument reference) as
``ledger.casework.case_rows`` allows; the lists are in ``ledger.casework.lists``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ledger import exceptions
from ledger.books.selectors import funds_available
from ledger.casework.case_rows import RowView
from ledger.casework.cases import (
    Identity,
    InvalidCase,
    case_close,
    case_create,
    case_identity_shown,
    case_update_identity,
)
from ledger.casework.correction_pages import correction_context
from ledger.casework.correction_records import with_undone
from ledger.casework.disbursements import (
    PAID_STATES,
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
    disbursement_record_forfeiture,
    disbursement_record_return,
    disbursement_request,
)
from ledger.casework.forms import (
    CaseCloseForm,
    CaseForm,
    DisbursementRequestForm,
    ForfeitureForm,
    IdentityForm,
    PayForm,
    ReturnForm,
)
from ledger.models import (
    BailCase,
    Disbursement,
    DisbursementPurpose,
    DisbursementStatus,
)
from ledger.staff.access import staff_view
from ledger.staff.credentials import money_rights_paused, pause_reason
from ledger.staff.forms_flow import form_page, form_submitted
from ledger.staff.roles import Capability, user_can

# Cases ---------------------------------------------------------------------------------


def _identity_from(data: dict) -> Identity:
    dob = data.get("date_of_birth")
    return Identity(
        name=data.get("name", "").strip(),
        date_of_birth=dob.isoformat() if dob else "",
        booking_number=data.get("booking_number", "").strip(),
        docket_number=data.get("docket_number", "").strip(),
        notes=data.get("notes", "").strip(),
    )


def _case_url(case: BailCase) -> str:
    return reverse("casework:case", kwargs={"public_id": case.public_id})


@staff_view(Capability.MANAGE_CASES)
def case_new(request):
    form = CaseForm(request.POST or None)

    def act(data):
        case = case_create(
            actor=request.user,
            county=data["county"],
            court=data["court"],
            bail_type=data["bail_type"],
            opened_on=data["opened_on"],
            next_court_date=data["next_court_date"],
            identity=_identity_from(data),
        )
        return gettext("Case opened."), _case_url(case)

    response = form_submitted(request, form, act, refusals=InvalidCase)
    return response or form_page(request, form, gettext("Open a case"))


def _details_shown(user, case: BailCase) -> dict:
    """What of a case's details the page shows: the court, the instrument reference, the
    outcome note and ledger numbers for roles with ``view_case_details``; dates to the day
    for them until the purge, as the month otherwise (``ledger.casework.case_rows``)."""
    view = RowView.of(user)
    return {"can_see_details": view.details, "exact_dates": view.exact_for(case)}


def _case_context(request, case: BailCase, **forms) -> dict:
    user = request.user
    disbursements = case.disbursements.select_related("requested_by", "approved_by")
    return {
        "case": case,
        **_details_shown(user, case),
        "identity": case_identity_shown(actor=user, case=case),
        "can_see_identity": user_can(user, Capability.VIEW_IDENTITY),
        "can_manage": user_can(user, Capability.MANAGE_CASES),
        "can_request": user_can(user, Capability.REQUEST_DISBURSEMENT) and not case.closed_on,
        "disbursements": disbursements,
        "request_form": forms.get("request_form") or DisbursementRequestForm(),
        "close_form": forms.get("close_form") or CaseCloseForm(),
        "currency": settings.FUND_CURRENCY,
    }


@staff_view(Capability.VIEW_REPORTS)
def case_detail(request, public_id):
    case = get_object_or_404(BailCase, public_id=public_id)
    return render(request, "ledger/staff/case.html", _case_context(request, case))


@staff_view(Capability.MANAGE_CASES)
def case_edit_identity(request, public_id):
    case = get_object_or_404(BailCase, public_id=public_id)
    current = case_identity_shown(actor=request.user, case=case)
    if current is None:
        raise Http404("This case's identifying data was purged.")
    initial = {**current.__dict__, "date_of_birth": current.date_of_birth or None}
    form = IdentityForm(request.POST or None, initial=initial)

    def act(data):
        case_update_identity(actor=request.user, case=case, identity=_identity_from(data))
        return gettext("Identifying data saved."), _case_url(case)

    response = form_submitted(request, form, act, refusals=InvalidCase)
    return response or form_page(request, form, gettext("Identifying data"), back=case)


def _posted_on_case(request, public_id, form_class, act, *, refusals, form_name: str):
    """A form posted from the case page: bind ``form_class``, call ``act(case, data)``
    (``ledger.staff.forms_flow``), or show the case page again with the form's errors."""
    case = get_object_or_404(BailCase, public_id=public_id)
    form = form_class(request.POST)
    response = form_submitted(request, form, lambda data: act(case, data), refusals=refusals)
    if response is not None:
        return response
    context = _case_context(request, case, **{form_name: form})
    return render(request, "ledger/staff/case.html", context, status=400)


@staff_view(Capability.MANAGE_CASES)
@require_POST
def case_close_view(request, public_id):
    def act(case, data):
        case_close(actor=request.user, case=case, **data)
        return gettext("Case closed."), _case_url(case)

    return _posted_on_case(
        request, public_id, CaseCloseForm, act, refusals=InvalidCase, form_name="close_form"
    )


@staff_view(Capability.REQUEST_DISBURSEMENT)
@require_POST
def disbursement_new(request, public_id):
    def act(case, data):
        d = disbursement_request(actor=request.user, case=case, **data)
        requested = gettext("Disbursement %(number)s requested; it now needs approval.")
        return requested % {"number": d.pk}, _disbursement_url(d)

    return _posted_on_case(
        request,
        public_id,
        DisbursementRequestForm,
        act,
        refusals=exceptions.DisbursementError,
        form_name="request_form",
    )


# Disbursements -------------------------------------------------------------------------


def _disbursement_context(request, d: Disbursement, **forms) -> dict:
    user = request.user
    waiting = d.status in (DisbursementStatus.REQUESTED, DisbursementStatus.APPROVED)
    outstanding = (
        d.purpose == DisbursementPurpose.BAIL and d.status in PAID_STATES and (d.outstanding > 0)
    )
    # A button that can only fail is not shown: the requester cannot approve their own.
    own_request = (
        d.status == DisbursementStatus.REQUESTED
        and d.requested_by_id == user.pk
        and d.amount >= settings.DISBURSEMENT_TWO_PERSON_MIN
        and user_can(user, Capability.APPROVE_DISBURSEMENT)
    )
    return {
        "d": d,
        **_details_shown(user, d.case),
        "identity": case_identity_shown(actor=user, case=d.case),
        "outcomes": with_undone(d.outcomes.select_related("recorded_by", "transaction")),
        "can_approve": d.status == DisbursementStatus.REQUESTED
        and user_can(user, Capability.APPROVE_DISBURSEMENT)
        and not own_request,
        "own_request": own_request,
        "can_pay": d.status == DisbursementStatus.APPROVED
        and user_can(user, Capability.PAY_DISBURSEMENT),
        "can_cancel": waiting and user_can(user, Capability.CANCEL_DISBURSEMENT),
        "can_record": outstanding and user_can(user, Capability.RECORD_OUTCOME),
        "pay_form": forms.get("pay_form") or PayForm(prefix="pay"),
        "return_form": forms.get("return_form") or ReturnForm(prefix="return"),
        "forfeit_form": forms.get("forfeit_form") or ForfeitureForm(prefix="forfeit"),
        "action_error": forms.get("action_error"),
        "money_paused": _money_paused(user),
        "available": funds_available(),
        "currency": settings.FUND_CURRENCY,
        **correction_context(user, d, forms),
    }


def _money_paused(user) -> str:
    """Why the approve and pay buttons are missing, while the user's money rights pause."""
    reset = money_rights_paused(user)
    return pause_reason(reset) if reset is not None else ""


def _disbursement_url(d: Disbursement) -> str:
    return reverse("casework:disbursement", kwargs={"pk": d.pk})


def _get_disbursement(pk: int) -> Disbursement:
    return get_object_or_404(
        Disbursement.objects.select_related(
            "case", "requested_by", "approved_by", "paid_by", "cancelled_by", "payment_transaction"
        ),
        pk=pk,
    )


def _refused(request, d: Disbursement, **forms):
    context = _disbursement_context(request, d, **forms)
    return render(request, "ledger/staff/disbursement.html", context, status=400)


@staff_view(Capability.VIEW_REPORTS)
def disbursement_detail(request, pk: int):
    d = _get_disbursement(pk)
    return render(request, "ledger/staff/disbursement.html", _disbursement_context(request, d))


def _act(request, pk: int, service, done: str):
    """Call ``service`` (one that takes no form) on the disbursement and go back to it,
    once the person ticked the confirmation that states the amount and what follows; a
    refusal shows the page again with the reason. ``done`` is the translated success
    message, with the disbursement's number as ``%(number)s``."""
    d = _get_disbursement(pk)
    if request.POST.get("confirm") != "yes":
        nothing_done = gettext("Tick the confirmation first: nothing was done.")
        return _refused(request, d, action_error=nothing_done)
    try:
        service(actor=request.user, disbursement=d)
    except exceptions.DisbursementError as error:
        return _refused(request, d, action_error=str(error))
    messages.success(request, done % {"number": d.pk})
    return redirect(_disbursement_url(d))


def _act_with_form(request, pk: int, form_class, prefix: str, service, done: str):
    """Bind ``form_class`` to the POST and call ``service`` with the disbursement and the
    form's fields (``ledger.staff.forms_flow``), then go back to the disbursement; a form
    or service error shows the page again with the form's errors and changes nothing.
    ``done`` is as for :func:`_act`."""
    d = _get_disbursement(pk)
    form = form_class(request.POST, prefix=prefix)

    def act(data):
        data = {name: value for name, value in data.items() if name != "confirm"}
        service(actor=request.user, disbursement=d, **data)
        return done % {"number": d.pk}, _disbursement_url(d)

    response = form_submitted(request, form, act, refusals=exceptions.DisbursementError)
    return response or _refused(request, d, **{f"{prefix}_form": form})


@staff_view(Capability.APPROVE_DISBURSEMENT)
@require_POST
def disbursement_approve_view(request, pk: int):
    done = gettext("Disbursement %(number)s approved.")
    return _act(request, pk, disbursement_approve, done)


@staff_view(Capability.CANCEL_DISBURSEMENT)
@require_POST
def disbursement_cancel_view(request, pk: int):
    done = gettext("Disbursement %(number)s cancelled.")
    return _act(request, pk, disbursement_cancel, done)


@staff_view(Capability.PAY_DISBURSEMENT)
@require_POST
def disbursement_pay_view(request, pk: int):
    done = gettext("Disbursement %(number)s recorded as paid.")
    return _act_with_form(request, pk, PayForm, "pay", disbursement_pay, done)


@staff_view(Capability.RECORD_OUTCOME)
@require_POST
def disbursement_return_view(request, pk: int):
    done = gettext("Return recorded.")
    return _act_with_form(request, pk, ReturnForm, "return", disbursement_record_return, done)


@staff_view(Capability.RECORD_OUTCOME)
@require_POST
def disbursement_forfeit_view(request, pk: int):
    done = gettext("Forfeiture recorded.")
    return _act_with_form(
        request, pk, ForfeitureForm, "forfeit", disbursement_record_forfeiture, done
    )
