"""Staff pages of the Stripe events: the list, and retrying a failed one."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from donations.events.processing import stripe_event_retry
from donations.filters import StripeEventFilter
from donations.models import EventStatus, StripeEvent
from donations.tables import StripeEventTable
from ledger.staff.access import staff_view
from ledger.staff.lists import StaffTableView
from ledger.staff.roles import Capability


class StripeEventListView(StaffTableView):
    queryset = StripeEvent.objects.defer("payload")
    table_class = StripeEventTable
    filterset_class = StripeEventFilter
    extra_context = {"title": "Stripe events"}
    export_name = "stripe-events"


@staff_view(Capability.RECONCILE)
@require_POST
def stripe_event_retry_view(request, pk: int):
    event = get_object_or_404(StripeEvent, pk=pk)
    if event.status != EventStatus.FAILED:
        messages.error(request, "Only failed events can be retried.")
    else:
        stripe_event_retry(event=event, actor=request.user)
        messages.success(request, f"Event {event.event_id} queued for another attempt.")
    return redirect("donations:staff_events")
