"""The filters of the donations side's staff lists."""

import django_filters

from donations.models import (
    Discrepancy,
    DiscrepancyStatus,
    EventStatus,
    OfflineGift,
    OfflineGiftMethod,
    ReconciliationRun,
    RunStatus,
    StripeEvent,
)
from ledger.staff.lists import date_range_filter


class StripeEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EventStatus.choices)
    type = django_filters.CharFilter(lookup_expr="startswith", label="Type starts with")
    event_id = django_filters.CharFilter(lookup_expr="exact", label="Event id")

    class Meta:
        model = StripeEvent
        fields = ["status", "type", "event_id"]


class ReconciliationRunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = ReconciliationRun
        fields = ["status", "kind"]


class DiscrepancyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DiscrepancyStatus.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = Discrepancy
        fields = ["status", "kind"]


class OfflineGiftFilter(django_filters.FilterSet):
    method = django_filters.ChoiceFilter(choices=OfflineGiftMethod.choices)
    received_on = date_range_filter()

    class Meta:
        model = OfflineGift
        fields = ["method", "received_on"]
