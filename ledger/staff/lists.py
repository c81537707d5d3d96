"""The base of every staff list, on both sides of the project, and the filters and column
they share. The columns and the base table are in ``ledger.staff.columns``; how a CSV
cell is written, in ``ledger.staff.csv_cells``."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
import tablib
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin, TableExport

from ledger.staff import csv_cells
from ledger.staff.access import StaffViewMixin
from ledger.staff.roles import Capability

ROWS_PER_PAGE = 50


class CsvExport(TableExport):
    """The staff lists' CSV: only that format (any other ``_export`` value shows the
    page), every cell written by ``ledger.staff.csv_cells`` (money in major units under
    a heading naming the currency, ISO dates and times, blanks, JSON) and safe to open in
    a spreadsheet. It is written in English whatever the page's language, so a program
    reading it meets the same headings and words every time. What staff type (a court's
    name, a note, a donor's message) can hold a formula that would send the row's other
    cells to an outside site in one click."""

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format == TableExport.CSV

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        with translation.override(settings.LANGUAGE_CODE):
            return self._dataset(table, exclude_columns, dataset_kwargs)

    def _dataset(self, table, exclude_columns, dataset_kwargs):
        columns = [
            column
            for column in table.columns.iterall()
            if not (column.column.exclude_from_export or column.name in (exclude_columns or ()))
        ]
        dataset = tablib.Dataset(**(dataset_kwargs or {}))
        for row in table.rows:
            dataset.append([csv_cells.cell(row.get_cell_value(c.name)) for c in columns])
        dataset.headers = [csv_cells.spreadsheet_safe(csv_heading(c)) for c in columns]
        return dataset


def csv_heading(bound_column) -> str:
    """A column's heading in the CSV: money columns name their currency."""
    header = str(bound_column.header)
    heading = getattr(bound_column.column, "csv_heading", None)
    return heading(header) if heading else header


class StaffTableView(StaffViewMixin, ExportMixin, SingleTableMixin, FilterView):
    """A staff list: a django-tables2 table with filters, pages and CSV export, behind the
    staff login. Subclasses name the model, table, filter, title and export name.

    The table pages the filtered rows; the list view's own paging is off, so a page is
    counted once and a page number past the end shows the last page, not an error."""

    required_capability = Capability.VIEW_REPORTS
    template_name = "ledger/staff/list.html"
    paginate_by = None
    table_pagination = {"per_page": ROWS_PER_PAGE}
    export_formats = ("csv",)
    export_class = CsvExport


class DateRangeInputs(django_filters.widgets.DateRangeWidget):
    """Two date inputs, "From" and "To", each with its own label; the field's label
    ('Between') names the pair and points at neither."""

    labels = (_("From"), _("To"))

    def __init__(self, attrs=None):
        dates = [
            forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}) for _suffix in self.suffixes
        ]
        django_filters.widgets.SuffixedMultiWidget.__init__(self, dates, attrs)

    def id_for_label(self, id_):
        return ""

    def render(self, name, value, attrs=None, renderer=None):
        values = value if isinstance(value, list | tuple) else self.decompress(value)
        base_id = (attrs or {}).get("id") or f"id_{name}"
        parts = []
        for widget, suffix, label, part in zip(
            self.widgets, self.suffixes, self.labels, values, strict=True
        ):
            input_id = f"{base_id}_{suffix}"
            field = widget.render(self.suffixed(name, suffix), part, {"id": input_id}, renderer)
            parts.append((input_id, label, field))
        inputs = format_html_join(" ", '<label for="{}">{}</label> {}', parts)
        return format_html('<span class="date-range">{}</span>', inputs)


def date_range_filter(**kwargs) -> django_filters.DateFromToRangeFilter:
    """A 'Between' filter of two labelled date inputs."""
    return django_filters.DateFromToRangeFilter(
        widget=DateRangeInputs(), label=_("Between"), **kwargs
    )


def search_filter(method: str = "search") -> django_filters.CharFilter:
    """The list's text search, ``q``: what it matches is the filter set's ``method``."""
    return django_filters.CharFilter(method=method, label=_("Search"))


def whole_number(value: str) -> int | None:
    """``value`` as a row number or id when it is one, small enough for the database's
    integer columns; else None."""
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 18 else None


def text_search(queryset, value: str, *, contains=(), exact=(), numbers=()):
    """Rows where any of the ``contains`` fields holds ``value`` (any case), any of the
    ``exact`` fields equals it, or, for a whole number, any of the ``numbers`` fields is
    it. Only fields that are not personal data belong here."""
    value = value.strip()
    if not value:
        return queryset
    match = Q()
    for field in contains:
        match |= Q(**{f"{field}__icontains": value})
    for field in exact:
        match |= Q(**{field: value})
    number = whole_number(value)
    if number is not None:
        for field in numbers:
            match |= Q(**{field: number})
    return queryset.filter(match) if match else queryset.none()


def button_column(template_name: str) -> tables.TemplateColumn:
    """A row's action (a small form with one button): not sortable, not exported."""
    return tables.TemplateColumn(
        template_name=template_name,
        verbose_name=_("Action"),
        orderable=False,
        exclude_from_export=True,
    )
