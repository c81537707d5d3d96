"""Staff lists of cases, disbursements, the audit history and the journal: tables with
filters, pages and a CSV export.

Each table shows what the person's role allows (``ledger.casework.case_rows``, through
``StaffTable.for_user``). Looking at a list is not audited; each export is, with one
``case_rows.exported`` row written before the file is sent. The text search may hold a
docket number or whatever else staff typed, so the audit row says only that one was given.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from ledger.books.selectors import approved_unpaid_total, funds_available
from ledger.casework.case_rows import case_rows_exported, export_filters
from ledger.casework.filters import (
    AuditFilter,
    CaseFilter,
    DisbursementFilter,
    JournalFilter,
    OutcomeFilter,
    OutstandingFilter,
)
from ledger.casework.tables import (
    AuditTable,
    CaseTable,
    DisbursementTable,
    JournalTable,
    OutcomeTable,
    OutstandingTable,
    QueueTable,
)
from ledger.models import (
    AuditEvent,
    BailCase,
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    DisbursementStatus,
    Posting,
)
from ledger.staff.lists import StaffTableView
from ledger.staff.roles import Capability

PERSONAL_FILTERS = ("docket", "q")


class StaffListView(StaffTableView):
    """A staff table whose columns and filters depend on who is looking, and whose every
    export is in the audit log once."""

    def get_table(self, **kwargs):
        table = self.get_table_class().for_user(
            self.request.user, self.get_table_data(), **self.get_table_kwargs(), **kwargs
        )
        RequestConfig(self.request, paginate=self.get_table_pagination(table)).configure(table)
        return table

    def get_filterset_kwargs(self, filterset_class):
        return super().get_filterset_kwargs(filterset_class) | {"user": self.request.user}

    def create_export(self, export_format):
        table = self.get_table()
        exporter = self.export_class(
            export_format=export_format,
            table=table,
            exclude_columns=self.exclude_columns,
            dataset_kwargs=self.get_dataset_kwargs(),
        )
        case_rows_exported(
            actor=self.request.user,
            what=self.export_name,
            rows=exporter.dataset.height,
            columns=list(exporter.dataset.headers or ()),
            filters=export_filters(self.filterset, personal=PERSONAL_FILTERS),
            export_format=export_format,
        )
        return exporter.response(filename=self.get_export_filename(export_format))


class CaseListView(StaffListView):
    table_class = CaseTable
    filterset_class = CaseFilter
    queryset = BailCase.objects.all()
    extra_context = {"title": _("Cases")}
    export_name = "cases"


class DisbursementListView(StaffListView):
    table_class = DisbursementTable
    filterset_class = DisbursementFilter
    queryset = Disbursement.objects.select_related("case", "requested_by", "approved_by")
    extra_context = {"title": _("Disbursements")}
    export_name = "disbursements"


class ApprovalQueueView(DisbursementListView):
    """Requests waiting for approval, then approvals waiting for payment, oldest first."""

    table_class = QueueTable
    queryset = DisbursementListView.queryset.filter(
        status__in=(DisbursementStatus.REQUESTED, DisbursementStatus.APPROVED)
    )
    template_name = "ledger/staff/queue.html"
    extra_context = {"title": _("Approval queue")}
    export_name = "approval-queue"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "available": funds_available(),
            "approved_unpaid": approved_unpaid_total(),
            "currency": settings.FUND_CURRENCY,
        }


class OutstandingView(StaffListView):
    """Bail the courts still hold, by how long they have held it."""

    table_class = OutstandingTable
    filterset_class = OutstandingFilter
    queryset = Disbursement.objects.filter(
        Q(status=DisbursementStatus.PAID) | Q(status=DisbursementStatus.PARTLY_RETURNED),
        purpose=DisbursementPurpose.BAIL,
        settled_on__isnull=True,
    ).select_related("case")
    extra_context = {"title": _("Outstanding bail by age")}
    export_name = "outstanding-bail"


class OutcomeListView(StaffListView):
    table_class = OutcomeTable
    filterset_class = OutcomeFilter
    queryset = DisbursementOutcome.objects.select_related(
        "disbursement__case", "recorded_by", "transaction"
    )
    extra_context = {"title": _("Returns and forfeitures")}
    export_name = "returns"


class AuditListView(StaffListView):
    table_class = AuditTable
    filterset_class = AuditFilter
    queryset = AuditEvent.objects.select_related("actor")
    extra_context = {"title": _("Audit history")}
    export_name = "audit-history"


class JournalListView(StaffListView):
    """The books' journal, posting by posting, for the bookkeeping roles only. Pages are
    counted lazily: the journal may hold millions of postings."""

    required_capability = Capability.VIEW_JOURNAL
    table_class = JournalTable
    filterset_class = JournalFilter
    queryset = Posting.objects.select_related("transaction", "account")
    extra_context = {"title": _("Journal")}
    export_name = "journal"

    def get_table_pagination(self, table):
        return super().get_table_pagination(table) | {"paginator_class": LazyPaginator}
