"""The columns and filters of the bank statements list and the CSV mappings list."""

from __future__ import annotations

import django_filters
import django_tables2 as tables

from donations.models import BankCsvMapping, BankStatement, StatementFormat
from ledger.books.money import format_money, format_units
from ledger.staff.lists import date_range_filter


class BankStatementTable(tables.Table):
    pk = tables.Column(
        linkify=("donations:staff_bank_statement", [tables.A("pk")]), verbose_name="Statement"
    )
    closing_balance = tables.Column(
        verbose_name="Closing balance", attrs={"td": {"class": "money"}}
    )
    imported_by = tables.Column(accessor="imported_by__username", verbose_name="Imported by")

    class Meta:
        model = BankStatement
        fields = (
            "pk",
            "account_code",
            "period_start",
            "period_end",
            "format",
            "closing_balance",
            "lines_in_file",
            "lines_already_imported",
            "imported_at",
            "imported_by",
        )
        order_by = ("-period_end",)

    def render_closing_balance(self, value, record):
        return format_money(value, record.currency)

    def value_closing_balance(self, value, record):
        return format_units(value, record.currency)


class BankStatementFilter(django_filters.FilterSet):
    account_code = django_filters.CharFilter(label="Books account")
    format = django_filters.ChoiceFilter(choices=StatementFormat.choices)
    period_end = date_range_filter()

    class Meta:
        model = BankStatement
        fields = ["account_code", "format", "period_end"]


class BankCsvMappingTable(tables.Table):
    class Meta:
        model = BankCsvMapping
        fields = (
            "name",
            "bank_name",
            "has_header",
            "delimiter",
            "date_column",
            "date_format",
            "description_column",
            "amount_column",
            "debit_column",
            "credit_column",
            "balance_column",
            "decimal_style",
        )
        order_by = ("name",)


class BankCsvMappingFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")

    class Meta:
        model = BankCsvMapping
        fields = ["name"]
