"""The columns of the donations side's staff lists (and of their CSV exports)."""

import django_tables2 as tables

from donations.models import Discrepancy, OfflineGift, ReconciliationRun, StripeEvent
from ledger.staff.columns import DayColumn, ListTable, MomentColumn, MoneyColumn
from ledger.staff.lists import button_column


class StripeEventTable(ListTable):
    received_at = MomentColumn()
    event_id = tables.Column(verbose_name="Event")
    retry = button_column("donations/staff/_retry_button.html")

    class Meta:
        model = StripeEvent
        fields = ("received_at", "event_id", "type", "status", "attempts", "last_error")
        order_by = ("-received_at",)


class ReconciliationRunTable(ListTable):
    started_at = MomentColumn()
    finished_at = MomentColumn()

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


class DiscrepancyTable(ListTable):
    last_seen_at = MomentColumn()
    expected = MoneyColumn(verbose_name="Expected")
    found = MoneyColumn(verbose_name="Found")
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


class OfflineGiftTable(ListTable):
    received_on = DayColumn()
    # Gifts are recorded in the fund's currency (``offline_gift_record``), so they add up.
    amount = MoneyColumn(currency_field="currency")
    recorded_by = tables.Column(accessor="recorded_by__username", verbose_name="Recorded by")
    recorded_at = MomentColumn()
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
