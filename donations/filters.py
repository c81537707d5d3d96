import django_filters

from donations.models import EventStatus, StripeEvent


class StripeEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EventStatus.choices)
    type = django_filters.CharFilter(lookup_expr="startswith", label="Type starts with")
    event_id = django_filters.CharFilter(lookup_expr="exact", label="Event id")

    class Meta:
        model = StripeEvent
        fields = ["status", "type", "event_id"]
