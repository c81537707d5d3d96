"""The financial statements' staff pages, under /staff/reports/.

Each page shows one statement for the period in its form (``?from=…&to=…``; by default the
year to date), printable as it is, with the same statement as CSV (``&format=csv``) or PDF
(``&format=pdf``). Every page needs ``STATEMENTS_CAPABILITY``, checked once by
``ledger.staff.access.staff_view``: a statement for any span of days shows the journal's
totals day by day, and the ones by county and court carry case details, so it is the
capability that reads the journal. Looking is not audited; each file downloaded is, with
one ``reports.exported`` event written before it is sent.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from ledger.books.fund_time import fund_today
from ledger.books.posting import audit_record
from ledger.reports.catalogue import BY_SLUG, STATEMENTS, Statement
from ledger.reports.dates import Period, year_to_date
from ledger.reports.files import CONTENT_TYPES, report_context, statement_file
from ledger.reports.forms import PeriodForm
from ledger.reports.statements import Books
from ledger.staff.access import staff_view
from ledger.staff.roles import Capability, user_roles

STATEMENTS_CAPABILITY = Capability.VIEW_JOURNAL
FILE_FORMATS = ("csv", "pdf")


def pdf_available() -> bool:
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return False
    return True


def period_from_request(request) -> tuple[PeriodForm, Period | None]:
    """The form as the page shows it, and the period it gives (None when it is wrong)."""
    if "from" in request.GET or "to" in request.GET:
        form = PeriodForm(request.GET)
        return form, form.cleaned_data["period"] if form.is_valid() else None
    period = year_to_date(fund_today())
    return PeriodForm(initial={"from": period.start, "to": period.end}), period


def _query(period: Period | None) -> str:
    if period is None:
        return ""
    return urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()})


def exported(user, statement: Statement, period: Period, file_format: str) -> None:
    details = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "format": file_format,
        "roles": sorted(role.value for role in user_roles(user)),
    }
    audit_record(user, "report", statement.slug, "reports.exported", details)


@staff_view(STATEMENTS_CAPABILITY)
@require_safe
def index(request):
    form, period = period_from_request(request)
    query = _query(period)
    links = []
    for statement in STATEMENTS:
        href = reverse(f"reports:{statement.url_name}")
        links.append(
            {
                "title": statement.title,
                "summary": statement.summary,
                "href": f"{href}?{query}" if query else href,
                "csv": f"{href}?{query}&format=csv" if query else f"{href}?format=csv",
                "pdf": f"{href}?{query}&format=pdf" if query else f"{href}?format=pdf",
            }
        )
    context = {
        "form": form,
        "period": period,
        "query": query,
        "statements": links,
        "pdf": pdf_available(),
    }
    return render(request, "ledger/reports/index.html", context, status=200 if period else 400)


def statement_page(request, statement: Statement):
    form, period = period_from_request(request)
    context = {"form": form, "title": statement.title, "query": _query(period)}
    if period is None:
        return render(request, "ledger/reports/statement.html", context, status=400)
    file_format = request.GET.get("format", "")
    if file_format == "pdf" and not pdf_available():
        file_format = ""
    if file_format in FILE_FORMATS:
        report, content = statement_file(statement, Books(period), file_format)
        exported(request.user, statement, period, file_format)
        response = HttpResponse(content)
        response["Content-Type"] = CONTENT_TYPES[file_format]
        name = report.file_name(file_format)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    report = statement.build(Books(period))
    context |= report_context(report) | {"pdf": pdf_available()}
    return render(request, "ledger/reports/statement.html", context)


def _page(slug: str):
    statement = BY_SLUG[slug]

    @staff_view(STATEMENTS_CAPABILITY)
    @require_safe
    def page(request):
        return statement_page(request, statement)

    page.__name__ = page.__qualname__ = statement.url_name
    page.__doc__ = f"{statement.title}: {statement.summary}"
    return page


trial_balance = _page("trial-balance")
financial_position = _page("financial-position")
activities = _page("activities")
bail_roll_forward = _page("bail-roll-forward")
activity_by_county = _page("activity-by-county")
activity_by_court = _page("activity-by-court")
