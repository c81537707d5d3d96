"""The base of every staff table and the columns they share: money with its total over the
whole filtered list, dates shown as the case and disbursement pages show them, and cells
written for CSV by ``ledger.staff.csv_cells``.

A table's footer holds its totals (one aggregate query over the filtered rows, not just
the page shown) under its first column's row count; a table without money shows the row
count alone."""

from __future__ import annotations

from functools import cached_property

import django_tables2 as tables
from django.conf import settings
from django.db.models import F, Sum
from django.utils.translation import gettext, ngettext
from django_tables2.paginators import LazyPaginator

from ledger.books.money import format_money
from ledger.casework.case_rows import month_text
from ledger.staff import csv_cells
from ledger.templatetags.staff import day_or_month

ROWS_PER_PAGE_MAX = 200


def _currency(record, field: str | None) -> str:
    return getattr(record, field) if field else settings.FUND_CURRENCY


class MoneyColumn(tables.Column):
    """Integer minor units: '$1,250.00' on the page, '1250.00' under 'Amount (USD)' in
    the CSV, and the sum over the filtered list in the footer. ``currency_field`` names
    the row's own currency where it has one; ``total`` is the expression summed (the
    column's field by default), or ``False`` where a sum means nothing (balances at
    different dates)."""

    def __init__(self, *, currency_field: str | None = None, total=True, csv_label=None, **kw):
        self.currency_field = currency_field
        self.total = total
        self.csv_label = csv_label
        kw.setdefault("attrs", {"td": {"class": "money"}, "tf": {"class": "money"}})
        super().__init__(**kw)

    def total_expression(self, bound_column):
        if self.total is False:
            return None
        if self.total is True:
            return Sum(F(str(bound_column.accessor).replace(".", "__")))
        return Sum(self.total)

    def csv_heading(self, header: str) -> str:
        return csv_cells.money_heading(self.csv_label or header, settings.FUND_CURRENCY)

    def render(self, value, record):
        return format_money(value, _currency(record, self.currency_field))

    def value(self, value, record):
        return csv_cells.money(value, _currency(record, self.currency_field))

    def render_footer(self, bound_column, table):
        total = table.totals.get(bound_column.name)
        return "" if total is None else format_money(total, settings.FUND_CURRENCY)


class DayColumn(tables.DateColumn):
    """A date as the detail pages show it (``|day_or_month``): the day where the table
    lets its viewer see it (:meth:`ListTable.exact_for`), else the month."""

    def render(self, value, record, table):
        return day_or_month(value, table.exact_for(record)) or self.default

    def value(self, value, record, table):
        return csv_cells.day(value) if table.exact_for(record) else month_text(value)


class MomentColumn(tables.DateTimeColumn):
    """A time as the detail pages show it ('2026-03-04 09:15' in the fund's time zone, or
    the month); in the CSV to the second with its offset."""

    def render(self, value, record, table):
        return day_or_month(value, table.exact_for(record)) or self.default

    def value(self, value, record, table):
        return csv_cells.moment(value) if table.exact_for(record) else month_text(value)


class ListTable(tables.Table):
    """A staff list's table: its template adds the totals row and the rows shown."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("template_name", "ledger/staff/_table.html")
        super().__init__(*args, **kwargs)

    def exact_for(self, record) -> bool:
        """Whether a row's dates show to the day; the case lists narrow this by role."""
        return True

    def paginate(self, *args, per_page=None, **kwargs):
        # ``?per_page=`` comes from the address: a page never holds more than this.
        per_page = min(per_page or ROWS_PER_PAGE_MAX, ROWS_PER_PAGE_MAX)
        return super().paginate(*args, per_page=per_page, **kwargs)

    @cached_property
    def totals(self) -> dict[str, int | None]:
        """The money columns' sums over every filtered row, in one query."""
        sums = {}
        for bound_column in self.columns:
            column = bound_column.column
            if isinstance(column, MoneyColumn):
                expression = column.total_expression(bound_column)
                if expression is not None:
                    sums[f"total_{bound_column.name}"] = expression
        if not sums:
            return {}
        queryset = getattr(self.data, "data", None)
        if not hasattr(queryset, "aggregate"):  # a list, not a query
            return {name.removeprefix("total_"): None for name in sums}
        found = queryset.order_by().aggregate(**sums)
        return {name.removeprefix("total_"): total or 0 for name, total in found.items()}

    @cached_property
    def row_count(self) -> int | None:
        """How many rows the filters found; unknown where pages are counted lazily."""
        paginator = getattr(self, "paginator", None)
        if paginator is None:
            return len(self.rows)
        if isinstance(paginator, LazyPaginator):
            return None
        return paginator.count

    def footer_label(self) -> str:
        count = self.row_count
        rows = "" if count is None else ngettext("%d row", "%d rows", count) % count
        if not self.totals:
            return rows
        return gettext("Total, %s") % rows if rows else gettext("Total")

    def rows_shown(self) -> str:
        """'Rows 51–100 of 230' for the page shown."""
        page = getattr(self, "page", None)
        if page is None or not len(page.object_list):
            return ""
        first = page.paginator.per_page * (page.number - 1) + 1
        last = first + len(page.object_list) - 1
        if self.row_count is None:
            return gettext("Rows %(first)d–%(last)d") % {"first": first, "last": last}
        return gettext("Rows %(first)d–%(last)d of %(count)d") % {
            "first": first,
            "last": last,
            "count": self.row_count,
        }
