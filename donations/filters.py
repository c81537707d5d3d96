"""The filters of the donations side's staff lists. Each has a text search, ``q``, over
fields that name no one: a donor's name, email or message is never searchable here."""

import django_filters
from django.utils.translation import gettext_lazy as _

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
from ledger.staff.lists import date_range_filter, search_filter, text_search


class StripeEventFilter(django_filters.FilterSet):
    q = search_filter()
    status = django_filters.ChoiceFilter(choices=EventStatus.choices, label=_("Status"))
    type = django_filters.CharFilter(lookup_expr="startswith", label=_("Type starts with"))
    event_id = django_filters.CharFilter(lookup_expr="exact", label=_("Event id"))

    class Meta:
        model = StripeEvent
        fields = ["q", "status", "type", "event_id"]

    def search(self, queryset, name, value):
        return text_search(queryset, value, contains=("event_id", "type"))


class ReconciliationRunFilter(django_filters.FilterSet):
    q = search_filter()
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, label=_("Status"))
    kind = django_filters.CharFilter(label=_("Kind"))

    class Meta:
        model = ReconciliationRun
        fields = ["q", "status", "kind"]

    def search(self, queryset, name, value):
        return text_search(queryset, value, contains=("kind", "trigger", "error"))


class DiscrepancyFilter(django_filters.FilterSet):
    q = search_filter()
    status = django_filters.ChoiceFilter(choices=DiscrepancyStatus.choices, label=_("Status"))
    kind = django_filters.CharFilter(label=_("Kind"))

    class Meta:
        model = Discrepancy
        fields = ["q", "status", "kind"]

    def search(self, queryset, name, value):
        return text_search(
            queryset, value, contains=("kind", "stripe_object", "description"), numbers=("pk",)
        )


class OfflineGiftFilter(django_filters.FilterSet):
    q = search_filter()
    method = django_filters.ChoiceFilter(choices=OfflineGiftMethod.choices, label=_("Method"))
    received_on = date_range_filter()

    class Meta:
        model = OfflineGift
        fields = ["q", "method", "received_on"]

    def search(self, queryset, name, value):
        """By the check or receipt number and the ledger number; never by the donor."""
        return text_search(
            queryset, value, contains=("reference",), numbers=("transaction__sequence",)
        )
