import django_tables2 as tables

from donations.models import Discrepancy, ReconciliationRun, StripeEvent


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


class ReconciliationRunTable(tables.Table):
    class Meta:
        model = ReconciliationRun
        fields = (
            "started_at",
            "finished_at",
            "kind",
            "trigger",
            "status",
            "checked",
            "posted",
            "mismatched",
            "error",
        )
        order_by = ("-started_at",)
        attrs = {"class": "table"}


class DiscrepancyTable(tables.Table):
    resolve = tables.TemplateColumn(
        template_name="donations/staff/_resolve_form.html",
        verbose_name="",
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = Discrepancy
        fields = (
            "last_seen_at",
            "kind",
            "stripe_object",
            "expected",
            "found",
            "description",
            "status",
            "resolution_note",
        )
        order_by = ("-last_seen_at",)
        attrs = {"class": "table"}
