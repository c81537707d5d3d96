"""The donor's printable statement (reached by the signed link in its email) and the
staff page that shows each year's run."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from donations.statements.models import DonorStatementRun
from donations.statements.sending import statement_context, statement_from_token
from ledger.staff.access import staff_view
from ledger.staff.roles import Capability


@never_cache
def statement_page(request, token: str):
    statement = statement_from_token(token)
    if statement is None:
        raise Http404
    # The page is in the donor's language, as the email was, whatever the browser asks.
    with translation.override(statement.language):
        context = statement_context(statement) | {"language": statement.language}
        response = render(request, "donations/statement.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@staff_view(Capability.VIEW_REPORTS)
def statement_runs(request):
    runs = DonorStatementRun.objects.all()[:20]
    return render(request, "donations/staff/statement_runs.html", {"runs": runs})
