"""Staff pages of bank reconciliation: the statements, importing one, the CSV mappings, a
statement's lines with their proposed matches, and its reconciliation report (page and
CSV). Bank statements can name people (a donor's deposited check), so every page needs
the ``reconcile`` capability, checked once by the project's staff access check."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from donations.bank.forms import CsvMappingForm, StatementImportForm
from donations.bank.importing import mapping_save, statement_import
from donations.bank.matching import LIVE, match_confirm, match_reject, statement_propose
from donations.bank.report import reconcile, report_csv
from donations.bank.tables import (
    BankCsvMappingFilter,
    BankCsvMappingTable,
    BankStatementFilter,
    BankStatementTable,
)
from donations.exceptions import InvalidBankMatch, InvalidBankStatement
from donations.models import BankCsvMapping, BankMatch, BankStatement, MatchStatus
from ledger.staff.access import staff_view
from ledger.staff.forms_flow import form_page, form_submitted
from ledger.staff.lists import StaffTableView
from ledger.staff.roles import Capability

LINES_PER_PAGE = 200
REPORT_ROWS_SHOWN = 200


class BankStatementListView(StaffTableView):
    required_capability = Capability.RECONCILE
    queryset = BankStatement.objects.select_related("imported_by")
    table_class = BankStatementTable
    filterset_class = BankStatementFilter
    template_name = "donations/staff/bank_list.html"
    export_name = "bank-statements"
    extra_context = {
        "title": _("Bank statements"),
        "links": (
            ("donations:staff_bank_import", _("Import a statement")),
            ("donations:staff_bank_mappings", _("CSV mappings")),
        ),
    }


class BankCsvMappingListView(StaffTableView):
    required_capability = Capability.RECONCILE
    queryset = BankCsvMapping.objects.all()
    table_class = BankCsvMappingTable
    filterset_class = BankCsvMappingFilter
    template_name = "donations/staff/bank_list.html"
    export_name = "bank-csv-mappings"
    extra_context = {
        "title": _("Bank CSV mappings"),
        "links": (
            ("donations:staff_bank_mapping_new", _("Add a mapping")),
            ("donations:staff_bank_statements", _("Bank statements")),
        ),
    }


@staff_view(Capability.RECONCILE)
def statement_import_view(request):
    form = StatementImportForm(request.POST or None, request.FILES or None)

    def act(data):
        upload = data["file"]
        imported = statement_import(
            actor=request.user,
            data=upload.read(),
            fmt=data["format"],
            account_code=data["account"],
            mapping=data["mapping"],
            closing_balance=data["closing_balance"],
            period_end=data["period_end"],
            file_name=upload.name or "",
        )
        return imported.summary(), reverse(
            "donations:staff_bank_statement", args=[imported.statement.pk]
        )

    response = form_submitted(request, form, act, refusals=InvalidBankStatement)
    if response is not None:
        return response
    context = {"form": form, "title": gettext("Import a bank statement")}
    status = 400 if form.is_bound else 200
    return render(request, "donations/staff/bank_import.html", context, status=status)


@staff_view(Capability.RECONCILE)
def mapping_new_view(request):
    form = CsvMappingForm(request.POST or None)

    def act(_data):
        mapping = mapping_save(actor=request.user, form=form)
        saved = gettext("Mapping %(name)s saved.") % {"name": repr(mapping.name)}
        return saved, reverse("donations:staff_bank_mappings")

    response = form_submitted(request, form, act, refusals=InvalidBankStatement)
    return response or form_page(request, form, gettext("Add a bank's CSV mapping"))


@staff_view(Capability.RECONCILE)
def statement_view(request, pk: int):
    statement = get_object_or_404(BankStatement.objects.select_related("imported_by"), pk=pk)
    live = BankMatch.objects.filter(status__in=LIVE).select_related("transaction", "posting")
    lines = statement.lines.order_by("posted_on", "position").prefetch_related(
        Prefetch("matches", queryset=live, to_attr="live_matches")
    )
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    counts = {
        status: BankMatch.objects.filter(line__statement=statement, status=status).count()
        for status in (MatchStatus.CONFIRMED, MatchStatus.PROPOSED)
    }
    context = {
        "statement": statement,
        "page": page,
        "confirmed": counts[MatchStatus.CONFIRMED],
        "proposed": counts[MatchStatus.PROPOSED],
        "lines_here": statement.lines.count(),
    }
    return render(request, "donations/staff/bank_statement.html", context)


def _back_to_statement(request, statement_id: int):
    url = reverse("donations:staff_bank_statement", args=[statement_id])
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@staff_view(Capability.RECONCILE)
@require_POST
def statement_propose_view(request, pk: int):
    statement = get_object_or_404(BankStatement, pk=pk)
    proposed = statement_propose(actor=request.user, statement=statement)
    found = ngettext(
        "%(proposals)d new match proposed;",
        "%(proposals)d new matches proposed;",
        proposed.proposals,
    ) % {"proposals": proposed.proposals}
    left = ngettext(
        "%(unmatched)d line still without one.",
        "%(unmatched)d lines still without one.",
        proposed.unmatched,
    ) % {"unmatched": proposed.unmatched}
    messages.success(request, f"{found} {left}")
    return _back_to_statement(request, statement.pk)


def _decide(request, pk: int, service, done: str):
    match = get_object_or_404(BankMatch.objects.select_related("line"), pk=pk)
    try:
        service(actor=request.user, match=match)
    except InvalidBankMatch as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return _back_to_statement(request, match.line.statement_id)


@staff_view(Capability.RECONCILE)
@require_POST
def match_confirm_view(request, pk: int):
    return _decide(request, pk, match_confirm, gettext("Match confirmed."))


@staff_view(Capability.RECONCILE)
@require_POST
def match_reject_view(request, pk: int):
    return _decide(request, pk, match_reject, gettext("Proposal rejected."))


@staff_view(Capability.RECONCILE)
def report_view(request, pk: int):
    statement = get_object_or_404(BankStatement, pk=pk)
    report = reconcile(statement)
    if request.GET.get("_export") == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        name = f"bank-reconciliation-{statement.pk}-{statement.period_end:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    shown = REPORT_ROWS_SHOWN
    context = {
        "statement": statement,
        "report": report,
        "currency": statement.currency,
        "deposits": [(leg, leg.amount) for leg in report.deposits_in_transit[:shown]],
        "checks": [(leg, -leg.amount) for leg in report.outstanding_checks[:shown]],
        "lines": report.unmatched_lines[:shown],
        "more": {
            "deposits": max(0, len(report.deposits_in_transit) - shown),
            "checks": max(0, len(report.outstanding_checks) - shown),
            "lines": max(0, len(report.unmatched_lines) - shown),
        },
    }
    return render(request, "donations/staff/bank_report.html", context)
