"""Staff pages of check and cash gifts: the list, recording one, and a bounced check."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from donations.exceptions import DonationError
from donations.filters import OfflineGiftFilter
from donations.models import OfflineGift
from donations.offline.forms import OfflineGiftForm
from donations.offline.services import offline_gift_bounced, offline_gift_record
from donations.tables import OfflineGiftTable
from ledger.exceptions import LedgerError
from ledger.models import JournalTransaction
from ledger.staff.access import staff_view
from ledger.staff.forms_flow import form_page, form_submitted
from ledger.staff.lists import StaffTableView
from ledger.staff.roles import Capability, user_can


class OfflineGiftListView(StaffTableView):
    queryset = OfflineGift.objects.select_related("recorded_by", "transaction").annotate(
        is_bounced=Exists(JournalTransaction.objects.filter(reverses_id=OuterRef("transaction_id")))
    )
    table_class = OfflineGiftTable
    filterset_class = OfflineGiftFilter
    extra_context = {"title": gettext_lazy("Offline gifts")}
    export_name = "offline-gifts"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "can_record_gifts": user_can(self.request.user, Capability.RECORD_OFFLINE_GIFT)
        }


@staff_view(Capability.RECORD_OFFLINE_GIFT)
def offline_gift_new(request):
    form = OfflineGiftForm(request.POST or None)

    def act(data):
        gift = offline_gift_record(actor=request.user, **data)
        message = gettext("Gift recorded (ledger no. %(sequence)s).")
        return message % {"sequence": gift.transaction.sequence}, reverse("donations:staff_gifts")

    response = form_submitted(request, form, act, refusals=(DonationError, LedgerError))
    return response or form_page(request, form, gettext("Record a check or cash gift"))


@staff_view(Capability.RECORD_OFFLINE_GIFT)
@require_POST
def offline_gift_bounced_view(request, pk: int):
    gift = get_object_or_404(OfflineGift.objects.select_related("transaction"), pk=pk)
    # The box beside the button states the amount and that this cannot be undone.
    if request.POST.get("confirm") != "yes":
        messages.error(request, gettext("Tick the confirmation first: nothing was done."))
        return redirect("donations:staff_gifts")
    try:
        offline_gift_bounced(actor=request.user, gift=gift)
    except (DonationError, LedgerError) as error:
        messages.error(request, str(error))
    else:
        bounced = gettext("The check is recorded as bounced; its posting was reversed.")
        messages.success(request, bounced)
    return redirect("donations:staff_gifts")
