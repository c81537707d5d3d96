"""The columns and filters of the bank statements list and the CSV mappings list."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from donations.models import BankCsvMapping, BankStatement, StatementFormat
from ledger.staff.columns import DayColumn, ListTable, MomentColumn, MoneyColumn
from ledger.staff.lists import date_range_filter, search_filter, text_search


class BankStatementTable(ListTable):
    pk = tables.Column(
        linkify=("donations:staff_bank_statement", [tables.A("pk")]), verbose_name=_("Statement")
    )
    account_code = tables.Column(verbose_name=_("Account code"))
    period_start = DayColumn(verbose_name=_("Period start"))
    period_end = DayColumn(verbose_name=_("Period end"))
    format = tables.Column(verbose_name=_("Format"))
    # Balances at different dates do not add up: the footer counts statements instead.
    closing_balance = MoneyColumn(
        currency_field="currency", total=False, verbose_name=_("Closing balance")
    )
    lines_in_file = tables.Column(verbose_name=_("Lines in file"))
    lines_already_imported = tables.Column(verbose_name=_("Lines already imported"))
    imported_at = MomentColumn(verbose_name=_("Imported at"))
    imported_by = tables.Column(accessor="imported_by__username", verbose_name=_("Imported by"))

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


class BankStatementFilter(django_filters.FilterSet):
    q = search_filter()
    account_code = django_filters.CharFilter(label=_("Books account"))
    format = django_filters.ChoiceFilter(choices=StatementFormat.choices, label=_("Format"))
    period_end = date_range_filter()

    class Meta:
        model = BankStatement
        fields = ["q", "account_code", "format", "period_end"]

    def search(self, queryset, name, value):
        return text_search(
            queryset,
            value,
            contains=("account_code", "file_name", "bank_statement_id"),
            numbers=("pk",),
        )


class BankCsvMappingTable(ListTable):
    name = tables.Column(verbose_name=_("Name"))
    bank_name = tables.Column(verbose_name=_("Bank name"))
    has_header = tables.BooleanColumn(verbose_name=_("Has header"))
    delimiter = tables.Column(verbose_name=_("Delimiter"))
    date_column = tables.Column(verbose_name=_("Date column"))
    date_format = tables.Column(verbose_name=_("Date format"))
    description_column = tables.Column(verbose_name=_("Description column"))
    amount_column = tables.Column(verbose_name=_("Amount column"))
    debit_column = tables.Column(verbose_name=_("Debit column"))
    credit_column = tables.Column(verbose_name=_("Credit column"))
    balance_column = tables.Column(verbose_name=_("Balance column"))
    decimal_style = tables.Column(verbose_name=_("Decimal style"))

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
    q = search_filter()

    class Meta:
        model = BankCsvMapping
        fields = ["q"]

    def search(self, queryset, name, value):
        return text_search(queryset, value, contains=("name", "bank_name"))
