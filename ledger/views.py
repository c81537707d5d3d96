from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from ledger.selectors import fund_summary


def home(request):
    """The public home page: the fund's totals, straight from the books."""
    return render(request, "ledger/home.html", {"summary": fund_summary(settings.FUND_CURRENCY)})


def healthz(request):
    """Liveness for load balancers: the process answers and the database does too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
