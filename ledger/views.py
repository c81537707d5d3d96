from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from ledger.health import health_report
from ledger.selectors import fund_summary


def home(request):
    """The public home page: the fund's totals, straight from the books."""
    return render(request, "ledger/home.html", {"summary": fund_summary(settings.FUND_CURRENCY)})


@never_cache
def healthz(request):
    """For load balancers and monitoring (ledger.health): the database and the broker answer,
    and the last complete reconciliation is recent. ``?strict=1``: a late one is a 503."""
    code, body = health_report(strict=request.GET.get("strict") == "1")
    return JsonResponse(body, status=code)
