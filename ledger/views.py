from django.conf import settings
from django.shortcuts import render

from ledger.selectors import fund_summary


def home(request):
    """The public home page: the fund's totals, straight from the books."""
    return render(request, "ledger/home.html", {"summary": fund_summary(settings.FUND_CURRENCY)})
