"""The columns of the donations side's staff lists (and of their CSV exports)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from donations.models import Discrepancy, OfflineGift, ReconciliationRun, StripeEvent
from ledger.staff.columns import DayColumn, ListTable, MomentColumn, MoneyColumn
from ledger.staff.lists import button_column


class StripeEventTable(ListTable):
    received_at = MomentColumn(verbose_name=_("Received at"))
    event_id = tables.Column(verbose_name=_("Event"))
    type = tables.Column(verbose_name=_("Type"))
    status = tables.Column(verbose_name=_("Status"))
    attempts = tables.Column(verbose_name=_("Attempts"))
    last_error = tables.Column(verbose_name=_("Last error"))
    retry = button_column("donations/staff/_retry_button.html")

    class Meta:
        model = StripeEvent
        fields = ("received_at", "event_id", "type", "status", "attempts", "last_error")
        order_by = ("-received_at",)


class ReconciliationRunTable(ListTable):
    started_at = MomentColumn(verbose_name=_("Started at"))
    finished_at = MomentColumn(verbose_name=_("Finished at"))
    kind = tables.Column(verbose_name=_("Kind"))
    trigger = tables.Column(verbose_name=_("Trigger"))
    status = tables.Column(verbose_name=_("Status"))
    checked = tables.Column(verbose_name=_("Checked"))
    posted = tables.Column(verbose_name=_("Posted"))
    mismatched = tables.Column(verbose_name=_("Mismatched"))
    error = tables.Column(verbose_name=_("Error"))

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
    last_seen_at = MomentColumn(verbose_name=_("Last seen at"))
    kind = tables.Column(verbose_name=_("Kind"))
    stripe_object = tables.Column(verbose_name=_("Stripe object"))
    expected = MoneyColumn(verbose_name=_("Expected"))
    found = MoneyColumn(verbose_name=_("Found"))
    description = tables.Column(verbose_name=_("Description"))
    status = tables.Column(verbose_name=_("Status"))
    resolution_note = tables.Column(verbose_name=_("Resolution note"))
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
    received_on = DayColumn(verbose_name=_("Received on"))
    method = tables.Column(verbose_name=_("Method"))
    # Gifts are recorded in the fund's currency (``offline_gift_record``), so they add up.
    amount = MoneyColumn(currency_field="currency", verbose_name=_("Amount"))
    reference = tables.Column(verbose_name=_("Reference"))
    recorded_by = tables.Column(accessor="recorded_by__username", verbose_name=_("Recorded by"))
    recorded_at = MomentColumn(verbose_name=_("Recorded at"))
    sequence = tables.Column(accessor="transaction__sequence", verbose_name=_("Ledger no."))
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
