"""The staff page of public releases: each release, and why a held one was held."""

from django.shortcuts import render

from ledger.models import ReleaseStatus, TransparencyRelease
from ledger.public.releases import due_on, next_period
from ledger.staff.access import staff_view
from ledger.staff.roles import Capability


@staff_view(Capability.VIEW_REPORTS)
def release_list(request):
    rows = TransparencyRelease.objects.order_by("-period", "-id").values(
        "period", "status", "created_at", "content_hash", "held_reason"
    )
    upcoming = next_period()
    return render(
        request,
        "ledger/staff/releases.html",
        {
            "releases": rows,
            "held": ReleaseStatus.HELD,
            "next_period": upcoming,
            "next_due": due_on(upcoming) if upcoming else None,
        },
    )
