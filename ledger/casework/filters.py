"""Filters for the staff tables. The docket search goes through the keyed hash (exact
match on the normalised number, no decryption) and is offered only to roles that may see
identifying data. Roles that see case rows by the month (``ledger.casework.case_rows``)
get no filter finer than a month: a date range, or an age counted from the day, would find
the day; nor a search by what they may not see (a court, a ledger number).

Each list has a text search, ``q``: by ids, county and, for roles that see them, court and
ledger numbers. A case is also found by its exact docket number, for roles that may see
identities; nothing else personal is searchable."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ledger.books.fund_time import fund_today
from ledger.casework import crypto
from ledger.casework.case_rows import RowView, month_start
from ledger.casework.correction_records import Correction, CorrectionStatus
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
from ledger.staff.lists import date_range_filter, search_filter, text_search, whole_number
from ledger.staff.roles import Capability, user_can

# The start of a public id as the lists show it (eight hex digits), dashes allowed.
_ID_PREFIX = re.compile(r"[0-9a-f]{4,32}")


def id_prefix(value: str) -> str | None:
    """'3F2A-91' -> '3f2a91': the start of a public id, or None if ``value`` is not one."""
    digits = value.strip().lower().replace("-", "")
    return digits if _ID_PREFIX.fullmatch(digits) else None


class StaffFilterSet(django_filters.FilterSet):
    """A filter set that knows who is looking (``user``), to offer only what they may use."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    @property
    def sees_details(self) -> bool:
        return RowView.of(self.user).details

    def case_search(self, value: str, case: str = "") -> Q:
        """Rows whose case's public id starts with ``value``, or whose county (or, for
        roles that see courts, court) holds it; ``case`` is the path to the case."""
        value = value.strip()
        match = Q(**{f"{case}county__icontains": value})
        if self.sees_details:
            match |= Q(**{f"{case}court__icontains": value})
        prefix = id_prefix(value)
        if prefix:
            match |= Q(**{f"{case}public_id__istartswith": prefix})
        return match


class CaseFilter(StaffFilterSet):
    q = search_filter()
    docket = django_filters.CharFilter(method="by_docket", label=_("Docket number (exact)"))
    county = django_filters.CharFilter(lookup_expr="iexact", label=_("County"))
    bail_type = django_filters.ChoiceFilter(choices=BailType.choices, label=_("Bail type"))
    open = django_filters.BooleanFilter(
        field_name="closed_on", lookup_expr="isnull", label=_("Open cases only")
    )

    class Meta:
        model = BailCase
        fields = ["q", "docket", "county", "bail_type", "open"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sees_identity = user_can(self.user, Capability.VIEW_IDENTITY)
        if not self.sees_identity:
            del self.filters["docket"]
        else:
            self.filters["q"].label = gettext("Search (case id, county, court or exact docket)")

    def by_docket(self, queryset, name, value):
        if not crypto.normalise_docket(value):
            return queryset
        return queryset.filter(docket_lookup=crypto.docket_lookup_hash(value))

    def search(self, queryset, name, value):
        if not value.strip():
            return queryset
        match = self.case_search(value)
        if self.sees_identity and crypto.normalise_docket(value):
            # Exact only: the lookup is a keyed hash of the normalised number.
            match |= Q(docket_lookup=crypto.docket_lookup_hash(value))
        return queryset.filter(match)


class DisbursementFilter(StaffFilterSet):
    q = search_filter()
    status = django_filters.ChoiceFilter(choices=DisbursementStatus.choices, label=_("Status"))
    purpose = django_filters.ChoiceFilter(choices=DisbursementPurpose.choices, label=_("Purpose"))
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Method"))
    county = django_filters.CharFilter(
        field_name="case__county", lookup_expr="iexact", label=_("Case county")
    )
    correction = django_filters.ChoiceFilter(
        choices=(("waiting", _("waiting to be applied")),),
        method="by_correction",
        label=_("Correction"),
    )

    class Meta:
        model = Disbursement
        fields = ["q", "status", "purpose", "method", "county", "correction"]

    def by_correction(self, queryset, name, value):
        """Those with a correction proposed and not yet applied or withdrawn."""
        waiting = Correction.objects.filter(status=CorrectionStatus.PROPOSED)
        return queryset.filter(pk__in=waiting.values("disbursement_id"))

    def search(self, queryset, name, value):
        """By the disbursement's number, or its case (id, county, court)."""
        value = value.strip()
        if not value:
            return queryset
        match = self.case_search(value, "case__")
        number = whole_number(value)
        if number is not None:
            match |= Q(pk=number)
        return queryset.filter(match)


class OutstandingFilter(StaffFilterSet):
    AGES = (
        ("30", _("30 days or more")),
        ("90", _("90 days or more")),
        ("180", _("180 days or more")),
        ("365", _("365 days or more")),
    )
    q = search_filter()
    older_than = django_filters.ChoiceFilter(choices=AGES, method="by_age", label=_("Age"))
    county = django_filters.CharFilter(
        field_name="case__county", lookup_expr="iexact", label=_("Case county")
    )

    class Meta:
        model = Disbursement
        fields = ["q", "older_than", "county"]

    search = DisbursementFilter.search

    def by_age(self, queryset, name, value):
        cutoff = fund_today() - dt.timedelta(days=int(value))
        if RowView.of(self.user).details:
            return queryset.filter(paid_on__lte=cutoff)
        # Counted from the start of the month paid, as the age column shows it.
        next_month = (month_start(cutoff) + dt.timedelta(days=32)).replace(day=1)
        return queryset.filter(paid_on__lt=next_month)


class OutcomeFilter(StaffFilterSet):
    q = search_filter()
    kind = django_filters.ChoiceFilter(choices=OutcomeKind.choices, label=_("Kind"))
    occurred_on = date_range_filter()

    class Meta:
        model = DisbursementOutcome
        fields = ["q", "kind", "occurred_on"]

    def search(self, queryset, name, value):
        """By the disbursement's number, its case (id, county, court) or, for roles that
        see it, the ledger number."""
        value = value.strip()
        if not value:
            return queryset
        match = self.case_search(value, "disbursement__case__")
        number = whole_number(value)
        if number is not None:
            match |= Q(disbursement_id=number)
            if self.sees_details:
                match |= Q(transaction__sequence=number)
        return queryset.filter(match)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not RowView.of(self.user).details:
            del self.filters["occurred_on"]


class AuditFilter(StaffFilterSet):
    q = search_filter()
    object_type = django_filters.ChoiceFilter(
        choices=(
            ("case", _("Case")),
            ("disbursement", _("Disbursement")),
            ("offline_gift", _("Offline gift")),
            ("journal_transaction", _("Ledger transaction")),
        ),
        label=_("Object type"),
    )
    object_id = django_filters.CharFilter(label=_("Object id"))
    action = django_filters.CharFilter(lookup_expr="startswith", label=_("Action starts with"))

    class Meta:
        model = AuditEvent
        fields = ["q", "object_type", "object_id", "action"]

    def search(self, queryset, name, value):
        """By the action, the kind of object or its id (the log holds no personal data)."""
        return text_search(
            queryset, value, contains=("action", "object_type"), exact=("object_id",)
        )


class JournalFilter(StaffFilterSet):
    q = search_filter()
    kind = django_filters.ChoiceFilter(
        field_name="transaction__kind", choices=TransactionKind.choices, label=_("Transaction kind")
    )
    date = date_range_filter(field_name="transaction__date")
    account = django_filters.CharFilter(
        field_name="account__code", lookup_expr="startswith", label=_("Account starts with")
    )

    class Meta:
        model = Posting
        fields = ["q", "kind", "date", "account"]

    def search(self, queryset, name, value):
        """By the memo, the source reference, the account or the ledger number (memos
        name no one: ``ledger.books.posting``)."""
        return text_search(
            queryset,
            value,
            contains=("transaction__memo", "transaction__source_ref", "account__code"),
            numbers=("transaction__sequence",),
        )
