"""The base of every staff list, on both sides of the project."""

from __future__ import annotations

from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from ledger.staff.access import StaffViewMixin
from ledger.staff.roles import Capability


class StaffTableView(StaffViewMixin, ExportMixin, SingleTableMixin, FilterView):
    """A staff list: a django-tables2 table with filters, pages and CSV export, behind the
    staff login. Subclasses name the model, table, filter, title and export name."""

    required_capability = Capability.VIEW_REPORTS
    template_name = "ledger/staff/list.html"
    paginate_by = 50
    export_formats = ("csv",)
