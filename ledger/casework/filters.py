"""Filters for the staff tables. The docket search goes through the keyed hash (exact
match, no decryption) and is offered only to roles that may see identifying data. Roles
that see case rows by the month (``ledger.casework.case_rows``) get no filter finer than a month:
a date range, or an age counted from the day, would find the day."""

from __future__ import annotations

import datetime as dt

import django_filters

from ledger.books.fund_time import fund_today
from ledger.casework import crypto
from ledger.casework.case_rows import RowView, month_start
from ledger.models import (
    AuditEvent,
    BailCase,
    BailType,
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    DisbursementStatus,
    OutcomeKind,
    PaymentMethod,
    Posting,
    TransactionKind,
)
from ledger.staff.lists import date_range_filter
from ledger.staff.roles import Capability, user_can


class StaffFilterSet(django_filters.FilterSet):
    """A filter set that knows who is looking (``user``), to offer only what they may use."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class CaseFilter(StaffFilterSet):
    docket = django_filters.CharFilter(method="by_docket", label="Docket number (exact)")
    county = django_filters.CharFilter(lookup_expr="iexact")
    bail_type = django_filters.ChoiceFilter(choices=BailType.choices)
    open = django_filters.BooleanFilter(
        field_name="closed_on", lookup_expr="isnull", label="Open cases only"
    )

    class Meta:
        model = BailCase
        fields = ["docket", "county", "bail_type", "open"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not user_can(self.user, Capability.VIEW_IDENTITY):
            del self.filters["docket"]

    def by_docket(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(docket_lookup=crypto.docket_lookup_hash(value))


class DisbursementFilter(StaffFilterSet):
    status = django_filters.ChoiceFilter(choices=DisbursementStatus.choices)
    purpose = django_filters.ChoiceFilter(choices=DisbursementPurpose.choices)
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices)
    county = django_filters.CharFilter(field_name="case__county", lookup_expr="iexact")

    class Meta:
        model = Disbursement
        fields = ["status", "purpose", "method", "county"]


class OutstandingFilter(StaffFilterSet):
    AGES = (
        ("30", "30 days or more"),
        ("90", "90 days or more"),
        ("180", "180 days or more"),
        ("365", "365 days or more"),
    )
    older_than = django_filters.ChoiceFilter(choices=AGES, method="by_age", label="Age")
    county = django_filters.CharFilter(field_name="case__county", lookup_expr="iexact")

    class Meta:
        model = Disbursement
        fields = ["older_than", "county"]

    def by_age(self, queryset, name, value):
        cutoff = fund_today() - dt.timedelta(days=int(value))
        if RowView.of(self.user).details:
            return queryset.filter(paid_on__lte=cutoff)
        # Counted from the start of the month paid, as the age column shows it.
        next_month = (month_start(cutoff) + dt.timedelta(days=32)).replace(day=1)
        return queryset.filter(paid_on__lt=next_month)


class OutcomeFilter(StaffFilterSet):
    kind = django_filters.ChoiceFilter(choices=OutcomeKind.choices)
    occurred_on = date_range_filter()

    class Meta:
        model = DisbursementOutcome
        fields = ["kind", "occurred_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not RowView.of(self.user).details:
            del self.filters["occurred_on"]


class AuditFilter(StaffFilterSet):
    object_type = django_filters.ChoiceFilter(
        choices=(
            ("case", "Case"),
            ("disbursement", "Disbursement"),
            ("offline_gift", "Offline gift"),
            ("journal_transaction", "Ledger transaction"),
        )
    )
    object_id = django_filters.CharFilter(label="Object id")
    action = django_filters.CharFilter(lookup_expr="startswith", label="Action starts with")

    class Meta:
        model = AuditEvent
        fields = ["object_type", "object_id", "action"]


class JournalFilter(StaffFilterSet):
    kind = django_filters.ChoiceFilter(
        field_name="transaction__kind", choices=TransactionKind.choices
    )
    date = date_range_filter(field_name="transaction__date")
    account = django_filters.CharFilter(
        field_name="account__code", lookup_expr="startswith", label="Account starts with"
    )

    class Meta:
        model = Posting
        fields = ["kind", "date", "account"]
