"""Staff pages of the donations side. Each names the capability it needs; the login, the
second factor and the roles are checked by ``ledger.staff.access``."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from donations import services
from donations.exceptions import DonationError
from donations.filters import (
    DiscrepancyFilter,
    OfflineGiftFilter,
    ReconciliationRunFilter,
    StripeEventFilter,
)
from donations.models import (
    Discrepancy,
    DiscrepancyStatus,
    EventStatus,
    OfflineGift,
    ReconciliationRun,
    RunStatus,
    StripeEvent,
)
from donations.offline_gifts import offline_gift_bounced, offline_gift_record
from donations.reconciliation import discrepancy_resolve
from donations.tables import (
    DiscrepancyTable,
    OfflineGiftTable,
    ReconciliationRunTable,
    StripeEventTable,
)
from ledger.casework.forms import OfflineGiftForm
from ledger.exceptions import LedgerError
from ledger.models import JournalTransaction
from ledger.staff.access import staff_view
from ledger.staff.lists import StaffTableView
from ledger.staff.roles import Capability, user_can


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
    }
    return render(request, "donations/staff/home.html", context)


class StripeEventListView(StaffTableView):
    model = StripeEvent
    table_class = StripeEventTable
    filterset_class = StripeEventFilter
    extra_context = {"title": "Stripe events"}
    export_name = "stripe-events"

    def get_queryset(self):
        return StripeEvent.objects.defer("payload")


@staff_view(Capability.RECONCILE)
@require_POST
def stripe_event_retry(request, pk: int):
    event = get_object_or_404(StripeEvent, pk=pk)
    if event.status != EventStatus.FAILED:
        messages.error(request, "Only failed events can be retried.")
    else:
        services.stripe_event_retry(event=event, actor=request.user)
        messages.success(request, f"Event {event.event_id} queued for another attempt.")
    return redirect("donations:staff_events")


class ReconciliationRunListView(StaffTableView):
    model = ReconciliationRun
    table_class = ReconciliationRunTable
    filterset_class = ReconciliationRunFilter
    export_name = "reconciliation-runs"
    extra_context = {"title": "Reconciliation runs"}


class DiscrepancyListView(StaffTableView):
    model = Discrepancy
    table_class = DiscrepancyTable
    filterset_class = DiscrepancyFilter
    export_name = "discrepancies"
    extra_context = {"title": "Discrepancies between the books and Stripe"}


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
        messages.success(request, "Discrepancy resolved.")
    return redirect("donations:staff_discrepancies")


class OfflineGiftListView(StaffTableView):
    model = OfflineGift
    table_class = OfflineGiftTable
    filterset_class = OfflineGiftFilter
    extra_context = {"title": "Offline gifts"}
    export_name = "offline-gifts"

    def get_queryset(self):
        bounced = JournalTransaction.objects.filter(reverses_id=OuterRef("transaction_id"))
        return OfflineGift.objects.select_related("recorded_by", "transaction").annotate(
            is_bounced=Exists(bounced)
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "can_record_gifts": user_can(self.request.user, Capability.RECORD_OFFLINE_GIFT)
        }


@staff_view(Capability.RECORD_OFFLINE_GIFT)
def offline_gift_new(request):
    form = OfflineGiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            gift = offline_gift_record(
                actor=request.user,
                method=data["method"],
                amount=data["amount"],
                received_on=data["received_on"],
                token=data["token"],
                reference=data["reference"],
            )
        except DonationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Gift recorded (ledger no. {gift.transaction.sequence}).")
            return redirect("donations:staff_gifts")
    context = {"form": form, "title": "Record a check or cash gift"}
    return render(request, "ledger/staff/form.html", context, status=400 if form.is_bound else 200)


@staff_view(Capability.RECORD_OFFLINE_GIFT)
@require_POST
def offline_gift_bounced_view(request, pk: int):
    gift = get_object_or_404(OfflineGift.objects.select_related("transaction"), pk=pk)
    try:
        offline_gift_bounced(actor=request.user, gift=gift)
    except (DonationError, LedgerError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The check is recorded as bounced; its posting was reversed.")
    return redirect("donations:staff_gifts")
