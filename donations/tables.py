"""The columns of the donations side's staff lists (and of their CSV exports)."""

import django_tables2 as tables

from donations.models import Discrepancy, OfflineGift, ReconciliationRun, StripeEvent
from ledger.books.money import format_money
from ledger.staff.lists import button_column


class StripeEventTable(tables.Table):
    event_id = tables.Column(verbose_name="Event")
    retry = button_column("donations/staff/_retry_button.html")

    class Meta:
        model = StripeEvent
        fields = ("received_at", "event_id", "type", "status", "attempts", "last_error")
        order_by = ("-received_at",)


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


class DiscrepancyTable(tables.Table):
    resolve = button_column("donations/staff/_resolve_form.html")

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


class OfflineGiftTable(tables.Table):
    amount = tables.Column(attrs={"td": {"class": "money"}})
    recorded_by = tables.Column(accessor="recorded_by__username", verbose_name="Recorded by")
    sequence = tables.Column(accessor="transaction__sequence", verbose_name="Ledger no.")
    bounced = button_column("donations/staff/_bounce_button.html")

    class Meta:
        model = OfflineGift
        fields = (
            "received_on",
            "method",
            "amount",
            "reference",
            "recorded_by",
            "recorded_at",
            "sequence",
        )
        order_by = ("-received_on",)

    def render_amount(self, value, record):
        return format_money(value, record.currency)
