import django_tables2 as tables

from donations.models import StripeEvent


class StripeEventTable(tables.Table):
    event_id = tables.Column(verbose_name="Event")
    retry = tables.TemplateColumn(
        template_name="donations/staff/_retry_button.html",
        verbose_name="",
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = StripeEvent
        fields = ("received_at", "event_id", "type", "status", "attempts", "last_error")
        order_by = ("-received_at",)
        attrs = {"class": "table"}
