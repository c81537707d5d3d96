"""Staff pages of reconciliation with Stripe: the donations home, the runs, and the
discrepancies with their resolution."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from donations.exceptions import DonationError
from donations.filters import DiscrepancyFilter, ReconciliationRunFilter
from donations.models import (
    Discrepancy,
    DiscrepancyStatus,
    EventStatus,
    ReconciliationRun,
    RunStatus,
    StripeEvent,
)
from donations.reconciliation.discrepancies import discrepancy_resolve
from donations.reconciliation.home import cash_position, to_do
from donations.tables import DiscrepancyTable, ReconciliationRunTable
from ledger.staff.access import staff_view
from ledger.staff.lists import StaffTableView
from ledger.staff.roles import Capability


@staff_view(Capability.VIEW_REPORTS)
def staff_home(request):
    counts = {
        status: StripeEvent.objects.filter(status=status).count()
        for status in (EventStatus.FAILED, EventStatus.RECEIVED)
    }
    context = {
        "counts": counts,
        "last_success": ReconciliationRun.objects.filter(status=RunStatus.SUCCEEDED).first(),
        "open_discrepancies": Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).count(),
        "to_do": to_do(),
        "cash": cash_position(),
        "currency": settings.FUND_CURRENCY,
    }
    return render(request, "donations/staff/home.html", context)


@staff_view(Capability.RECONCILE)
@require_POST
def reconcile_now(request):
    """Start a complete reconciliation with Stripe now, through the worker."""
    from donations.tasks import reconcile_stripe

    reconcile_stripe.delay(kind="all")
    messages.success(
        request, gettext("Reconciliation started: its run appears below when it ends.")
    )
    return redirect("donations:staff_runs")


class ReconciliationRunListView(StaffTableView):
    queryset = ReconciliationRun.objects.all()
    table_class = ReconciliationRunTable
    filterset_class = ReconciliationRunFilter
    export_name = "reconciliation-runs"
    extra_context = {"title": _("Reconciliation runs")}


class DiscrepancyListView(StaffTableView):
    queryset = Discrepancy.objects.all()
    table_class = DiscrepancyTable
    filterset_class = DiscrepancyFilter
    export_name = "discrepancies"
    extra_context = {"title": _("Discrepancies between the books and Stripe")}


@staff_view(Capability.RECONCILE)
@require_POST
def discrepancy_resolve_view(request, pk: int):
    discrepancy = get_object_or_404(Discrepancy, pk=pk)
    try:
        discrepancy_resolve(
            discrepancy=discrepancy, actor=request.user, note=request.POST.get("note", "")
        )
    except DonationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Discrepancy resolved."))
    return redirect("donations:staff_discrepancies")
