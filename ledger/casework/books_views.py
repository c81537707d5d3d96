"""Staff pages about the books as a whole: closing periods (``ledger.books.periods``),
with a confirmation that says what closing the next month or a year means before it is
done, and the bail expected back (``ledger.casework.liquidity``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from ledger import exceptions
from ledger.books.closed_periods import ClosedPeriod, PeriodKind
from ledger.books.periods import closable_months, closed_through, period_close
from ledger.casework.liquidity import MIN_HISTORY, liquidity_forecast
from ledger.staff.access import staff_view
from ledger.staff.roles import Capability, user_can


def _years_closable(closed: dt.date | None, months: list[dt.date]) -> list[int]:
    """Years whose December is closed (or closable now) and that no admin closed yet."""
    done = set(
        ClosedPeriod.objects.filter(kind=PeriodKind.YEAR).values_list("through__year", flat=True)
    )
    ends = [day for day in months if day.month == 12]
    if closed is not None and closed.month == 12:
        ends.append(closed)
    return sorted({day.year for day in ends} - done)


@staff_view(Capability.VIEW_JOURNAL)
@require_http_methods(["GET", "HEAD", "POST"])
def periods(request):
    closed = closed_through()
    can_month = user_can(request.user, Capability.CLOSE_MONTH)
    can_year = user_can(request.user, Capability.CLOSE_YEAR)
    months = closable_months()
    error = ""
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            through = dt.date.fromisoformat(request.POST.get("through", ""))
        except ValueError:
            through = None
        allowed = can_year if kind == PeriodKind.YEAR else can_month
        if not allowed or through is None or request.POST.get("confirm") != "yes":
            error = gettext("Choose a period, tick the confirmation, and close it again.")
        else:
            try:
                done = period_close(through=through, kind=kind, actor=request.user)
            except (exceptions.PeriodNotClosable, exceptions.NotPermitted) as refusal:
                error = str(refusal)
            else:
                closed_message = gettext(
                    "The books are closed through %(day)s; signed head #%(sequence)s."
                ) % {"day": f"{done.through:%Y-%m-%d}", "sequence": done.checkpoint.sequence}
                messages.success(request, closed_message)
                return HttpResponseRedirect(reverse("casework:periods"), status=303)
    context = {
        "closed": closed,
        "next_month": months[0] if months else None,
        "first_open": months[0] + dt.timedelta(days=1) if months else None,
        "years": _years_closable(closed, months),
        "can_month": can_month,
        "can_year": can_year,
        "history": ClosedPeriod.objects.select_related("closed_by", "checkpoint")[:60],
        "error": error,
    }
    return render(request, "ledger/staff/periods.html", context, status=400 if error else 200)


@staff_view(Capability.VIEW_REPORTS)
@require_http_methods(["GET", "HEAD"])
def liquidity(request):
    """Bail expected back over the next six months, an estimate with its basis."""
    forecast = liquidity_forecast()
    share = round(100 * forecast.return_share) if forecast.return_share is not None else None
    context = {
        "f": forecast,
        "share": share,
        "min_history": MIN_HISTORY,
        "currency": settings.FUND_CURRENCY,
    }
    return render(request, "ledger/staff/liquidity.html", context)
