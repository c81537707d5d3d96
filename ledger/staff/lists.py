"""The base of every staff list, on both sides of the project, and the filter and column
they share."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
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


def date_range_filter(**kwargs) -> django_filters.DateFromToRangeFilter:
    """A 'Between' filter of two date inputs."""
    widget = django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    return django_filters.DateFromToRangeFilter(widget=widget, label="Between", **kwargs)


def button_column(template_name: str) -> tables.TemplateColumn:
    """A row's action (a small form with one button): not sortable, not exported."""
    return tables.TemplateColumn(
        template_name=template_name, verbose_name="", orderable=False, exclude_from_export=True
    )
