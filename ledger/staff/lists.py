"""The base of every staff list, on both sides of the project, and the filter and column
they share."""

from __future__ import annotations

import re

import django_filters
import django_tables2 as tables
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin, TableExport

from ledger.staff.access import StaffViewMixin
from ledger.staff.roles import Capability

# A cell a spreadsheet would run as a formula: it starts with = + - @, a tab or a carriage
# return (https://owasp.org/www-community/attacks/CSV_Injection). A plain number or amount
# ("-500", "-$1,250.00") is data, not a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(\.\d+)?")


def spreadsheet_safe(value):
    """``value`` as a spreadsheet shows it and never runs it: a text that would start a
    formula gets a leading apostrophe, which spreadsheets read as "this is text"."""
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if formula and not _NUMBER.fullmatch(value) else value


class CsvExport(TableExport):
    """The staff lists' CSV: only that format (any other ``_export`` value shows the
    page), every cell safe to open in a spreadsheet. What staff type (a court's name, a
    note, a donor's message) can hold a formula that would send the row's other cells
    to an outside site in one click."""

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format == TableExport.CSV

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        rows = [tuple(spreadsheet_safe(cell) for cell in row) for row in dataset]
        del dataset[:]
        for row in rows:
            dataset.append(row)
        dataset.headers = [spreadsheet_safe(h) for h in dataset.headers or []]
        return dataset


class StaffTableView(StaffViewMixin, ExportMixin, SingleTableMixin, FilterView):
    """A staff list: a django-tables2 table with filters, pages and CSV export, behind the
    staff login. Subclasses name the model, table, filter, title and export name."""

    required_capability = Capability.VIEW_REPORTS
    template_name = "ledger/staff/list.html"
    paginate_by = 50
    export_formats = ("csv",)
    export_class = CsvExport


def date_range_filter(**kwargs) -> django_filters.DateFromToRangeFilter:
    """A 'Between' filter of two date inputs."""
    widget = django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    return django_filters.DateFromToRangeFilter(widget=widget, label="Between", **kwargs)


def button_column(template_name: str) -> tables.TemplateColumn:
    """A row's action (a small form with one button): not sortable, not exported."""
    return tables.TemplateColumn(
        template_name=template_name, verbose_name="", orderable=False, exclude_from_export=True
    )
