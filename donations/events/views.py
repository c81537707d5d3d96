"""Staff pages of the Stripe events: the list, and retrying a failed one."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
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
    extra_context = {"title": _("Stripe events")}
    export_name = "stripe-events"


@staff_view(Capability.RECONCILE)
@require_POST
def stripe_event_retry_view(request, pk: int):
    event = get_object_or_404(StripeEvent, pk=pk)
    if event.status != EventStatus.FAILED:
        messages.error(request, gettext("Only failed events can be retried."))
    else:
        stripe_event_retry(event=event, actor=request.user)
        queued = gettext("Event %(event)s queued for another attempt.")
        messages.success(request, queued % {"event": event.event_id})
    return redirect("donations:staff_events")
